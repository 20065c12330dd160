"""The ledger: stores, fetches by key and groups, in portable SQL over a DB-API connection.

One batch is one transaction; each input file is a savepoint inside it, so a file is stored
entirely or not at all and a batch that cannot complete leaves nothing behind. Records are written
in bulk, a chunk at a time (store.py); receipts and cancellations are applied by settle.py; the
decision stage's reads and writes are in decisions.py. What differs between backends is declared in
dialect.py; the law is not here (processor/law/).
"""
from __future__ import annotations

import time
from pathlib import Path

from . import settle as settling
from .bookkeeping import Bookkeeping
from . import store as storing
from .dialect import LOCK_ID, Dialect
from .store import CHUNK_KEYS, StoreResult  # noqa: F401 - the interface
from .tables import DECISIONS, Table

SCHEMA_SQL = (Path(__file__).with_name("schema.sql")).read_text(encoding="utf-8")
SCHEMA_VERSION = "8"
CHECK_TABLE_S = 2.0  # a table whose storage check takes longer is left to `processor check` (check_storage)
SLOW_CHECK = "storage_check_left_out:"  # ledger_meta: such a table, with the seconds its check took
GROWN_ROWS = 5000  # rows a batch adds to a table before its statistics are refreshed (dialect.analyze)
# the batch that last reported a line, up to a decision version (reruns count: they report it too)
_LAST_REPORT = ("SELECT bd.batch_id FROM batch_decisions bd JOIN batches b ON b.batch_id = bd.batch_id WHERE "
                "bd.co_el_no = decisions.co_el_no AND bd.gnum = decisions.gnum AND bd.version {upto} decisions.version "
                "ORDER BY b.started_at DESC, bd.batch_id DESC LIMIT 1")


def schema_statements(dialect: Dialect) -> list:
    """schema.sql's statements as this backend runs them (its WITHOUT ROWID as the dialect says)."""
    text = "\n".join(line.split("--", 1)[0] for line in SCHEMA_SQL.splitlines())
    return [s.strip().replace(" WITHOUT ROWID", dialect.without_rowid).replace(" BLOB", dialect.blob)
            for s in text.split(";") if s.strip()]


NEW_IN_6 = ("export_lists_deleted", "list_receipts_refused", "list_cancels_by_batch")  # indexes settle looks up by
REBUILT_IN_6 = ("journal", "export_items", "return_lines", "claim_items", "batch_decisions", "batch_touched")


def _to_6(ledger) -> list:
    """6: trails and citations packed (packing.py: new rows; older ones read as they are); the journal keyed by
    record key and content hash, and keeping each record's outcome when stored (its index by key, there only to
    demote replaced versions, goes); on SQLite the tables whose primary key is most of their row are rebuilt
    WITHOUT ROWID (docs/performance.md, session 9)."""
    out = ["DROP INDEX IF EXISTS journal_by_key", *(s for s in schema_statements(ledger.dialect)
                                                    if s.startswith("CREATE INDEX") and s.split()[5] in NEW_IN_6)]
    if not ledger.dialect.without_rowid:  # PostgreSQL: only the journal's key changes
        return out + ["ALTER TABLE journal DROP CONSTRAINT journal_pkey",
                      "ALTER TABLE journal ADD PRIMARY KEY (kind, record_key, content_hash)"]
    creates = {s.split("(", 1)[0].split()[-1]: s for s in schema_statements(ledger.dialect)
               if s.startswith("CREATE TABLE")}
    for t in REBUILT_IN_6:
        columns = ", ".join(r[1] for r in ledger.query(f"PRAGMA table_info({t})"))
        out += [creates[t].replace(f"CREATE TABLE IF NOT EXISTS {t} (", f"CREATE TABLE {t}_v6 ("),
                f"INSERT INTO {t}_v6 ({columns}) SELECT {columns} FROM {t}",
                f"DROP TABLE {t}", f"ALTER TABLE {t}_v6 RENAME TO {t}"]
    return out


def _to_7(ledger) -> list:
    """7: the archive of export lists whose windows have all closed, with their returns (archive.py): four new
    tables and an index."""
    return [s for s in schema_statements(ledger.dialect) if any(
        s.startswith(f"CREATE {what} IF NOT EXISTS {name} ") for what, name in NEW_IN_7)]


def _to_8(ledger) -> list:
    """8: an archived list packs the decisions of its returns' lines too, so that many a packed document is now
    above a kilobyte: on SQLite archived_lists becomes a rowid table (a WITHOUT ROWID row above about 1 KB spills
    to an overflow page of its own, mostly empty); archived_returns keeps the return date of the lines
    (`reassess --since`). A ledger upgraded from before 7 got both as they are now (_to_7)."""
    out = []
    if "return_date" not in {d[0] for d in ledger.execute("SELECT * FROM archived_returns WHERE 1 = 0").description}:
        out.append("ALTER TABLE archived_returns ADD COLUMN return_date TEXT")
    if ledger.dialect.without_rowid and ledger.query(
            "SELECT 1 FROM sqlite_master WHERE name = 'archived_lists' AND sql LIKE '%WITHOUT ROWID'"):
        create = next(s for s in schema_statements(ledger.dialect)
                      if s.startswith("CREATE TABLE IF NOT EXISTS archived_lists "))
        columns = "list_key, invt_no, month, packed"
        out += [create.replace("CREATE TABLE IF NOT EXISTS archived_lists (", "CREATE TABLE archived_lists_v8 ("),
                f"INSERT INTO archived_lists_v8 ({columns}) SELECT {columns} FROM archived_lists",
                "DROP TABLE archived_lists", "ALTER TABLE archived_lists_v8 RENAME TO archived_lists",
                next(s for s in schema_statements(ledger.dialect)
                     if s.startswith("CREATE INDEX IF NOT EXISTS archived_lists_by_invt "))]
    return out


NEW_IN_7 = (("TABLE", "archive_months"), ("TABLE", "archived_lists"), ("INDEX", "archived_lists_by_invt"),
            ("TABLE", "archived_returns"), ("TABLE", "archived_certificates"))
_DECISION_COLUMNS = DECISIONS.columns  # as of schema 3
MIGRATIONS = {  # from a version to the next: statements that upgrade a ledger in place
    "1": ("ALTER TABLE decisions ADD COLUMN citations TEXT",),
    # 3: what each decision version reported (change, supersedes), the batch that reported the line last
    # (found in batch_decisions: reruns count), why it was decided (not known before); the reference data's
    # fingerprint of each batch; lines the release before withdrew silently get a WITHDRAWN version, which
    # the first batch after the upgrade reports (ledger_meta withdrawals_to_report).
    "2": ("ALTER TABLE decisions ADD COLUMN change TEXT",
          "ALTER TABLE decisions ADD COLUMN supersedes TEXT",
          "ALTER TABLE decisions ADD COLUMN reported_in TEXT",
          "ALTER TABLE decisions ADD COLUMN cause TEXT",
          "ALTER TABLE decisions ADD COLUMN waits TEXT",
          "ALTER TABLE batches ADD COLUMN reference_hash TEXT",
          "CREATE INDEX upgrade_reported_by_line ON batch_decisions (co_el_no, gnum)",
          "UPDATE decisions SET change = CASE WHEN version = 1 THEN 'NEW' ELSE 'REVISED' END",
          "UPDATE decisions SET waits = 'reference' WHERE decision = 'PENDING' AND "
          "replace(reasons, 'TARIFF_UNKNOWN', '') <> reasons",
          f"UPDATE decisions SET reported_in = COALESCE(({_LAST_REPORT.format(upto='<=')}), batch_id)",
          f"UPDATE decisions SET supersedes = ({_LAST_REPORT.format(upto='<')}) WHERE version > 1",
          f"INSERT INTO decisions ({', '.join(_DECISION_COLUMNS)}) SELECT "
          + ", ".join({"version": "version + 1", "status": "'withdrawn'", "change": "'WITHDRAWN'",
                       "supersedes": "reported_in", "reported_in": "NULL",
                       "cause": "'withdrawn (before the upgrade to schema 3, which reports it)'"}.get(c, c)
                      for c in _DECISION_COLUMNS)
          + " FROM decisions WHERE status = 'withdrawn'",
          "UPDATE decisions SET status = 'superseded' WHERE status = 'withdrawn' AND change <> 'WITHDRAWN'",
          "INSERT INTO ledger_meta (name, value) VALUES ('withdrawals_to_report', 'yes')",
          "DROP INDEX upgrade_reported_by_line",
          "CREATE INDEX IF NOT EXISTS decisions_orphans ON decisions (invt_no) WHERE status = 'current' AND "
          "export_date IS NULL",
          "CREATE INDEX IF NOT EXISTS decisions_waiting ON decisions (batch_id) WHERE status = 'current' AND "
          "waits IS NOT NULL",
          "CREATE INDEX IF NOT EXISTS claims_by_certificate ON claims (certificate_no)"),
    # 4: each batch's summary.json as written (processor report --batch writes it again)
    "3": ("CREATE TABLE IF NOT EXISTS batch_summaries (batch_id TEXT PRIMARY KEY, summary TEXT NOT NULL)",),
    # 5: the PENDING backlog by window end, for the workbook and the page (every PENDING line in the ledger)
    "4": ("CREATE INDEX IF NOT EXISTS decisions_pending ON decisions (window_end) WHERE status = 'current' AND "
          "decision = 'PENDING'",),
    "5": _to_6,  # statements that depend on the backend
    "6": _to_7,
    "7": _to_8,
}


class LedgerBusy(RuntimeError):
    """Another batch holds the ledger: batches on one ledger never interleave."""


class LedgerVersionError(RuntimeError):
    """A ledger written by a newer release: this one must not write to it."""


class LedgerCorrupt(LedgerVersionError):
    """A ledger whose storage is damaged: no batch may write to it (refused, like a newer release's, with exit
    status 2 and nothing done)."""


class LedgerMissing(RuntimeError):
    """No ledger at the URL: only `processor init` or `run --init` create one (CONTRACT.md 4), so a mistyped
    path never starts an empty ledger whose every return is rejected."""


class Ledger(Bookkeeping):
    """One connection to a ledger; `dialect` says how its backend differs (dialect.py)."""

    dialect: Dialect

    def __init__(self, conn, url: str, busy_timeout_s: float = 0.0):
        self.conn = conn
        from . import redact

        self.url = redact(url)  # for messages: never with its password
        self.busy_timeout_s = busy_timeout_s
        self._growth: dict = {}  # table -> (rows when last analysed, rows added since): dialect.analyze
        self._archived = None  # whether any export list is archived (archive.has_archive), asked once per batch
        self.brought_back = 0  # archived lists this batch put back (archive.bring_back)
        for statement in self.dialect.session:
            self.execute(statement)

    # -- plumbing -------------------------------------------------------------------------------
    @property
    def code_point_order(self) -> str:
        return self.dialect.code_point_order

    def sql(self, text: str) -> str:
        return text if self.dialect.marker == "?" else text.replace("?", self.dialect.marker)

    def execute(self, text: str, params=()):
        cur = self.conn.cursor()
        cur.execute(self.sql(text), params)
        return cur

    def executemany(self, text: str, rows) -> None:
        if rows:
            self.conn.cursor().executemany(self.sql(text), rows)

    def append(self, table: Table, rows) -> None:
        """Rows new to `table` (no conflict clause: none of them is there already), in bulk as the dialect says."""
        if not rows:
            return
        if not self.dialect.copy_rows:
            self.conn.cursor().executemany(table.insert(), rows)
        else:
            with self.conn.cursor().copy(f"COPY {table.name} ({', '.join(table.columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        self.counted(table.name, len(rows))
        if self.dialect.analyze is not None:
            self._grown(table.name, len(rows))

    def _grown(self, table: str, added: int) -> None:
        """Analyse a table again once this batch has added as many rows as it had when last analysed (at least
        GROWN_ROWS): a handful of times a night, each a sample of at most 30,000 rows, seen by this transaction."""
        known, since = self._growth.get(table) or (self._rows_estimated(table), 0)
        since += added
        if since >= max(known, GROWN_ROWS):
            self.execute(self.dialect.analyze.format(table=table))
            known, since = known + since, 0
        self._growth[table] = (known, since)

    def _rows_estimated(self, table: str) -> int:
        found = self.query(self.dialect.rows_estimated, (table,))
        return max(int(found[0][0]), 0) if found else 0  # -1: never analysed

    def query(self, text: str, params=()) -> list:
        return self.execute(text, params).fetchall()

    def stream(self, text: str, params=(), size: int = 1000):
        """The rows of a query that may be long (a report's), a block at a time, in bounded memory."""
        for statement in self.dialect.stream_before:
            self.execute(statement)
        cur = self.conn.cursor(name="processor_stream") if self.dialect.named_stream_cursor else self.conn.cursor()
        try:
            cur.execute(self.sql(text), params)
            while rows := cur.fetchmany(size):
                yield from rows
        finally:  # also when a failed batch lets the generator go after the ledger has been closed
            try:
                cur.close()
                for statement in self.dialect.stream_after:
                    self.execute(statement)
            except Exception:  # noqa: BLE001 - the connection is gone: nothing left to tidy
                pass

    def check_storage(self, max_whole_mb: float = 512, table_s: float = CHECK_TABLE_S) -> str:
        """Before a batch writes: the backend's quick check of its storage (dialect.quick_check); LedgerCorrupt
        when it finds damage. A ledger up to `max_whole_mb` is checked whole (about 1 s per GB with a warm page
        cache, docs/performance.md); a bigger one, one table (with its indexes) a night in turn, stopped after
        `table_s`. A table whose check took longer, or was stopped, is left out of the turn from then on (a night's
        check costs what a night costs, not what the ledger's age does) and to `processor check`, which checks all
        of it and is run weekly; `processor archive` lets such tables back in (it shrinks them). Returns what was
        checked."""
        if self.dialect.quick_check is None:
            return "nothing (the server checks its own storage)"
        size_mb = self.query("PRAGMA page_count")[0][0] * self.query("PRAGMA page_size")[0][0] / 2 ** 20
        left: list = []
        if size_mb <= max_whole_mb:
            what, statement, table = "the whole ledger", self.dialect.quick_check, None
        else:
            slow = {r[0][len(SLOW_CHECK):] for r in
                    self.query("SELECT name FROM ledger_meta WHERE name LIKE ?", (SLOW_CHECK + "%",))}
            tables = [r[0] for r in self.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            left = [t for t in tables if t in slow]
            turn = [t for t in tables if t not in slow] or tables
            table = turn[self.query("SELECT COUNT(*) FROM batches")[0][0] % len(turn)]
            what, statement = f"table {table} (a ledger of {size_mb:,.0f} MB: one table a night)", \
                self.dialect.quick_check_table.format(table=table)
        started = time.perf_counter()
        rows = self.query_within(statement, None if table is None else table_s)
        if rows is None:  # stopped at the budget: the table is left out, unchecked
            self._meta(SLOW_CHECK + table, f"stopped at {table_s:g} s")
            left = sorted({*left, table})
            what = f"nothing: table {table} stopped at {table_s:g} s (a ledger of {size_mb:,.0f} MB)"
        else:
            found = [" ".join(str(r[0]).split()) for r in rows]  # one line each
            if found != ["ok"]:
                raise LedgerCorrupt(f"{self.url}: the ledger is damaged (SQLite quick_check: {'; '.join(found[:3])}"
                                    + (f"; and {len(found) - 3} more" if len(found) > 3 else "") + "): restore it "
                                    "from a backup; `processor check` tells more")
            took = time.perf_counter() - started
            if table is not None and took > table_s:
                self._meta(SLOW_CHECK + table, f"{took:.1f}")  # when all were slow: checked again
                left = sorted({*left, table})
        if left:
            what += f"; left to `processor check` (each took more than {table_s:g} s): {', '.join(left)}"
        return what

    def query_within(self, text: str, seconds: float | None) -> list | None:
        """The rows of a query, or None when it was stopped after `seconds` (the backend's way; here: never)."""
        return self.query(text)

    def _meta(self, name: str, value: str) -> None:
        self.execute("INSERT INTO ledger_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET "
                     "value = excluded.value", (name, value))

    def let_tables_back_into_check(self) -> None:
        """The tables check_storage left out come back into its turn (after `processor archive` shrank them)."""
        self.execute("DELETE FROM ledger_meta WHERE name LIKE ?", (SLOW_CHECK + "%",))

    def schema_version(self) -> str | None:
        try:
            rows = self.query("SELECT value FROM ledger_meta WHERE name = 'schema_version'")
        except Exception:  # noqa: BLE001 - no table yet: a new ledger
            self.rollback()
            return None
        return rows[0][0] if rows else None

    def create_schema(self, create: bool = False) -> str | None:
        """Create the tables of a new ledger (only when `create`), or upgrade an older one in place
        (MIGRATIONS), in one transaction under the batch's own lock: any number of batches may start together
        on a new ledger, one creates it and the others find it made (waiting as --wait says, else LedgerBusy).
        An existing ledger of this version is only read, so no lock is taken. Returns the schema version found
        before (None: the ledger was created here)."""
        found = self.schema_version()
        if found == SCHEMA_VERSION:
            return found
        self._refuse(found, create)
        self.begin()
        try:
            now = self._version_in_transaction()  # again, under the lock: another process may have been first
            self._refuse(now, create)
            if now is None:
                for statement in schema_statements(self.dialect):
                    self.execute(statement)
                self.execute("INSERT INTO ledger_meta (name, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            else:
                version = now
                while version != SCHEMA_VERSION:
                    steps = MIGRATIONS[version]
                    for statement in steps(self) if callable(steps) else steps:
                        self.execute(statement)
                    version = str(int(version) + 1)
                    self.execute("UPDATE ledger_meta SET value = ? WHERE name = 'schema_version'", (version,))
            self.commit()
        except BaseException:
            self.rollback()
            raise
        return now

    def _refuse(self, found: str | None, create: bool) -> None:
        if found is not None and found != SCHEMA_VERSION and found not in MIGRATIONS:
            raise LedgerVersionError(f"{self.url}: ledger schema version {found}, newer than this release's "
                                     f"{SCHEMA_VERSION}: use the release that wrote it")
        if found is None and not create:
            raise LedgerMissing(f"no ledger at {self.url}: create it with `processor init --ledger URL` or "
                                "`processor run --init`")

    def _version_in_transaction(self) -> str | None:
        """schema_version inside an open transaction: a missing table must not end it (a savepoint takes the
        failed probe back)."""
        self.execute("SAVEPOINT probe")
        try:
            rows = self.query("SELECT value FROM ledger_meta WHERE name = 'schema_version'")
        except Exception:  # noqa: BLE001 - no table yet: a new ledger
            self.execute("ROLLBACK TO SAVEPOINT probe")
            rows = []
        self.execute("RELEASE SAVEPOINT probe")
        return rows[0][0] if rows else None

    def begin(self) -> None:
        """Open the batch's transaction and take the writer's lock: batches on one ledger never interleave."""
        self._archived = None
        self.brought_back = 0
        self.execute(self.dialect.begin)
        if self.dialect.lock is None:
            return
        deadline = time.monotonic() + self.busy_timeout_s
        while not self.query(self.dialect.lock, (LOCK_ID,))[0][0]:
            if time.monotonic() >= deadline:
                self.rollback()
                raise LedgerBusy(f"another batch is running on this ledger (waited {self.busy_timeout_s:g} s)")
            time.sleep(0.2)

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        self._archived = None  # lists put back by what is rolled back are archived again
        try:
            self.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - nothing open to roll back
            pass

    def file_begin(self) -> None:
        self.execute("SAVEPOINT input_file")

    def file_commit(self) -> None:
        self.execute("RELEASE SAVEPOINT input_file")

    def file_rollback(self) -> None:
        self._archived = None
        self.execute("ROLLBACK TO SAVEPOINT input_file")
        self.execute("RELEASE SAVEPOINT input_file")

    def close(self) -> None:
        self.conn.close()

    # -- storing, settling and looking up -------------------------------------------------------------
    def store(self, kind: str, parsed: list, batch_id: str, file_sha: str) -> StoreResult:
        """Store a chunk of built records of one kind (store.py)."""
        return storing.store(self, kind, parsed, batch_id, file_sha)

    def settle(self, batch_id: str) -> list:
        """Apply the batch's receipts and cancellations (settle.py); returns its warnings."""
        return settling.settle(self, batch_id)

    def _lookup(self, select: str, column: str, keys: list, params=()) -> list:
        """Rows of `select` (whose own parameters are `params`) with `column` in keys, a chunk at a time."""
        rows: list = []
        keys = list(dict.fromkeys(keys))
        for i in range(0, len(keys), CHUNK_KEYS):
            part = keys[i:i + CHUNK_KEYS]
            marks = ",".join("?" * len(part))
            joiner = " AND " if " WHERE " in select else " WHERE "
            rows += self.query(f"{select}{joiner}{column} IN ({marks})", [*params, *part])
        return rows

