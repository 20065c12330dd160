"""The shared PostgreSQL ledger: the same portable SQL; how it differs (parameter marker, collation,
advisory lock, server-side cursor) is declared in dialect.py. This module connects."""
from __future__ import annotations

from .base import Ledger
from .dialect import LOCK_ID, POSTGRES  # noqa: F401 - LOCK_ID: the lock a test holds to play another batch


class PostgresLedger(Ledger):
    dialect = POSTGRES

    @classmethod
    def connect(cls, url: str, busy_timeout_s: float = 0.0, create: bool = False) -> "PostgresLedger":
        import psycopg

        conn = psycopg.connect(url, autocommit=True)
        try:
            ledger = cls(conn, url, busy_timeout_s)
            ledger.found_version = ledger.create_schema(create)
        except BaseException:
            conn.close()
            raise
        return ledger

    def stream(self, text: str, params=(), size: int = 1000):
        """A server-side cursor lives in a transaction: a read outside a batch's (`report`, `check`) opens its own,
        and ends it when the rows have been read."""
        from psycopg.pq import TransactionStatus

        if self.conn.info.transaction_status != TransactionStatus.IDLE:
            yield from super().stream(text, params, size)
            return
        self.execute("BEGIN")
        try:
            yield from super().stream(text, params, size)
        finally:
            self.rollback()  # it only read
