"""The embedded SQLite ledger: one file, one writer at a time, WAL for readers."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from .base import Ledger, LedgerBusy

CACHE_KIB = 32768  # 32 MiB of page cache: enough for bulk index inserts, bounded RSS


def _busy(err: sqlite3.OperationalError) -> bool:
    return "locked" in str(err) or "busy" in str(err)


class SqliteLedger(Ledger):
    marker = "?"

    @classmethod
    def connect(cls, url: str, path: Path, busy_timeout_s: float = 0.0) -> "SqliteLedger":
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=busy_timeout_s)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as err:
            conn.close()
            if _busy(err):
                raise LedgerBusy(f"another batch is running on {path} (waited {busy_timeout_s:g} s)") from None
            raise
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        conn.execute("PRAGMA temp_store=FILE")  # sorts and the decision queue spill to disk: memory stays flat
        conn.execute("PRAGMA foreign_keys=ON")
        ledger = cls(conn, url)
        ledger.busy_timeout_s = busy_timeout_s
        try:
            ledger.create_schema()
        except sqlite3.OperationalError as err:
            conn.close()
            if _busy(err):
                raise LedgerBusy(f"another batch is running on {path} (waited {busy_timeout_s:g} s)") from None
            raise
        return ledger

    def stream(self, text: str, params=(), size: int = 1000):
        """SQLite's sorter keeps up to the page cache's size in memory before it spills: a report's
        ORDER BY over a million rows would add 40 MB. A small cache while streaming keeps memory flat (and
        the scan is no slower)."""
        self.execute("PRAGMA cache_size=-4096")
        try:
            yield from super().stream(text, params, size)
        finally:
            self.execute(f"PRAGMA cache_size=-{CACHE_KIB}")

    def begin(self) -> None:
        # IMMEDIATE takes the write lock now: a second batch on the same ledger waits, then fails here
        try:
            self.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            if _busy(err):
                raise LedgerBusy(f"another batch is running on this ledger (waited {self.busy_timeout_s:g} s)"
                                 ) from None
            raise
