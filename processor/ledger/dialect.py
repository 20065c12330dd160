"""What differs between the ledger's backends, declared as data in one place (the SQL itself is portable).

A backend module (sqlite.py, postgres.py) only connects and translates its errors; everything else a
query or a transaction needs to know about the database it runs on is here.
"""
from __future__ import annotations

from dataclasses import dataclass

CACHE_KIB = 32768  # SQLite page cache: 32 MiB, enough for bulk index inserts, bounded RSS
STREAM_CACHE_KIB = 4096  # while a report streams: SQLite's sorter keeps up to the cache in memory


@dataclass(frozen=True)
class Dialect:
    name: str
    marker: str  # the parameter marker the driver expects (queries are written with ?)
    code_point_order: str  # a column collation that compares text by code point, as Python sorts
    session: tuple  # statements run once on every new connection
    begin: str  # opens a batch's transaction (and, on SQLite, takes the writer's lock)
    lock: str | None  # a query that takes the writer's lock after `begin`, true when taken (polled)
    stream_before: tuple  # statements around a long report query, and after it
    stream_after: tuple
    named_stream_cursor: bool  # a server-side cursor for long queries (else the plain cursor fetches lazily)
    quick_check: str | None  # the storage check a batch runs before it writes (None: the server checks its own)
    quick_check_table: str | None  # the same for one table and its indexes ({table})
    full_check: str | None  # the thorough one, for `processor check`
    without_rowid: str  # what schema.sql's "WITHOUT ROWID" becomes: a table stored as its primary key's b-tree
    blob: str  # what schema.sql's column type BLOB (bytes: the archive's packed lists) becomes
    copy_rows: bool  # new rows appended in bulk by COPY FROM STDIN (else one prepared INSERT, run for each row)
    analyze: str | None  # refreshes a table's statistics ({table}) once a batch has doubled it (None: not needed)
    rows_estimated: str | None  # the table's size as its statistics last saw it (the parameter: its name)


SQLITE = Dialect(
    name="sqlite", marker="?", code_point_order="",  # BINARY, SQLite's default, is code point order
    session=("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", f"PRAGMA cache_size=-{CACHE_KIB}",
             "PRAGMA temp_store=FILE",  # sorts and the decision queue spill to disk: memory stays flat
             "PRAGMA foreign_keys=ON"),
    begin="BEGIN IMMEDIATE", lock=None,
    stream_before=(f"PRAGMA cache_size=-{STREAM_CACHE_KIB}",), stream_after=(f"PRAGMA cache_size=-{CACHE_KIB}",),
    named_stream_cursor=False, quick_check="PRAGMA quick_check(20)", quick_check_table="PRAGMA quick_check('{table}')",
    full_check="PRAGMA integrity_check(100)", without_rowid=" WITHOUT ROWID", blob=" BLOB",
    copy_rows=False,  # executemany is SQLite's bulk path: one statement compiled, stepped in C for each row
    analyze=None, rows_estimated=None)  # SQLite looks keys up by index whatever the statistics say

POSTGRES = Dialect(
    name="postgresql", marker="%s",
    code_point_order=' COLLATE "C"',  # the database's locale may sort "b-1" before "B2"; decisions must not
    session=(), begin="BEGIN", lock="SELECT pg_try_advisory_xact_lock(?)",  # one batch at a time per database
    stream_before=(), stream_after=(), named_stream_cursor=True,
    quick_check=None, quick_check_table=None, full_check=None,  # PostgreSQL checks its pages itself (checksums, WAL)
    without_rowid="",  # a heap and its primary key index, as for every table there
    blob=" BYTEA",
    copy_rows=True,  # an INSERT per row is a round trip each (docs/performance.md, session 9)
    # the planner sizes a table by its statistics, which the batch's own uncommitted rows never reach: planned for
    # an empty table, a look-up of 500 keys became a full scan, each file slower than the one before
    analyze="ANALYZE {table}", rows_estimated="SELECT reltuples FROM pg_class WHERE oid = to_regclass(?)")

LOCK_ID = 0x0CEB213  # the advisory lock's key on PostgreSQL
