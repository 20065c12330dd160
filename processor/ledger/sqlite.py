"""The embedded SQLite ledger: one file, one writer at a time, WAL for readers."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from .base import Ledger


class SqliteLedger(Ledger):
    marker = "?"

    @classmethod
    def connect(cls, url: str, path: Path, busy_timeout_s: float = 0.0) -> "SqliteLedger":
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=busy_timeout_s)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        ledger = cls(conn, url)
        ledger.create_schema()
        return ledger

    def begin(self) -> None:
        # IMMEDIATE takes the write lock now: a second batch on the same ledger waits or fails here
        self.execute("BEGIN IMMEDIATE")
