"""The shared PostgreSQL ledger: the same portable SQL, psycopg's parameter marker, an advisory lock."""
from __future__ import annotations

from .base import Ledger

LOCK_ID = 0x0CEB213  # one batch at a time per ledger database


class PostgresLedger(Ledger):
    marker = "%s"

    @classmethod
    def connect(cls, url: str, busy_timeout_s: float = 0.0) -> "PostgresLedger":
        import psycopg

        conn = psycopg.connect(url, autocommit=True)
        ledger = cls(conn, url)
        ledger.create_schema()
        ledger.busy_timeout_s = busy_timeout_s
        return ledger

    def begin(self) -> None:
        self.execute("BEGIN")
        self.execute("SELECT pg_advisory_xact_lock(%s)" % LOCK_ID)
