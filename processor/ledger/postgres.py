"""The shared PostgreSQL ledger: the same portable SQL, psycopg's parameter marker, an advisory lock."""
from __future__ import annotations

import time

from .base import Ledger, LedgerBusy

LOCK_ID = 0x0CEB213  # one batch at a time per ledger database


class PostgresLedger(Ledger):
    marker = "%s"
    code_point_order = ' COLLATE "C"'  # the database's locale may sort "b-1" before "B2"; decisions must not

    @classmethod
    def connect(cls, url: str, busy_timeout_s: float = 0.0) -> "PostgresLedger":
        import psycopg

        conn = psycopg.connect(url, autocommit=True)
        ledger = cls(conn, url)
        ledger.busy_timeout_s = busy_timeout_s
        ledger.create_schema()
        return ledger

    def _stream_cursor(self):
        """A server-side cursor: psycopg's ordinary cursor would fetch the whole result at once."""
        return self.conn.cursor(name="processor_stream")

    def begin(self) -> None:
        self.execute("BEGIN")
        deadline = time.monotonic() + self.busy_timeout_s
        while not self.query("SELECT pg_try_advisory_xact_lock(?)", (LOCK_ID,))[0][0]:
            if time.monotonic() >= deadline:
                self.rollback()
                raise LedgerBusy(f"another batch is running on this ledger (waited {self.busy_timeout_s:g} s)")
            time.sleep(0.2)
