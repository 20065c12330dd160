"""The embedded SQLite ledger: one file, one writer at a time, WAL for readers. How it differs from the
shared one is declared in dialect.py; this module connects and names a busy ledger as such."""
from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from .base import Ledger, LedgerBusy, LedgerCorrupt, LedgerMissing
from .dialect import CACHE_KIB, SQLITE  # noqa: F401 - CACHE_KIB: bench/floor.py sets up the same


SETUP_WAIT_S = 5.0
WAIT_STEP_S = 0.25  # how long SQLite waits for the lock in one call: a signal acts within this


def _busy(err: sqlite3.OperationalError) -> bool:
    return "locked" in str(err) or "busy" in str(err)


class SqliteLedger(Ledger):
    dialect = SQLITE

    @classmethod
    def connect(cls, url: str, path: Path, busy_timeout_s: float = 0.0, create: bool = False) -> "SqliteLedger":
        if not create and not path.is_file():
            raise LedgerMissing(f"no ledger at {url}: create it with `processor init --ledger URL` or "
                                "`processor run --init`")
        path.parent.mkdir(parents=True, exist_ok=True)
        # setting WAL mode on a new file takes a lock for a moment: two batches starting together on a new ledger
        # wait for each other here whatever --wait says (that is for a batch holding the ledger)
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=max(busy_timeout_s, SETUP_WAIT_S))
        try:
            ledger = cls(conn, url, busy_timeout_s)
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            ledger.found_version = ledger.create_schema(create)
        except sqlite3.OperationalError as err:
            conn.close()
            if _busy(err):
                raise LedgerBusy(f"another batch is running on {path} (waited {busy_timeout_s:g} s)") from None
            raise
        except sqlite3.DatabaseError as err:  # not a database at all, or one whose first pages are damaged
            conn.close()
            raise LedgerCorrupt(f"{path}: not a usable ledger ({err}): restore it from a backup") from None
        except BaseException:
            conn.close()
            raise
        return ledger

    def query_within(self, text: str, seconds: float | None) -> list | None:
        """A storage check stopped after `seconds` (None: when done): SQLite's check is one call that Python cannot
        stop, so a timer interrupts the connection; only while the check runs (the lock), so that no later
        statement of the batch is interrupted. The batch's transaction stays open, as it was."""
        if seconds is None:
            return self.query(text)
        lock, running = threading.Lock(), [True]

        def stop() -> None:
            with lock:
                if running[0]:
                    self.conn.interrupt()

        timer = threading.Timer(seconds, stop)
        timer.start()
        try:
            return self.query(text)
        except sqlite3.OperationalError as err:
            if "interrupted" not in str(err):
                raise
            return None
        finally:
            with lock:
                running[0] = False
            timer.cancel()

    def begin(self) -> None:
        """BEGIN IMMEDIATE takes the write lock now: a second batch on the same ledger waits (--wait), then fails
        here. It waits in steps of at most WAIT_STEP_S: SQLite's own wait is one call Python cannot interrupt,
        so a Ctrl-C during a long --wait would only act when the wait ends."""
        deadline = time.monotonic() + self.busy_timeout_s
        step = min(self.busy_timeout_s, WAIT_STEP_S)
        self.conn.execute(f"PRAGMA busy_timeout = {int(step * 1000)}")
        try:
            while True:
                try:
                    super().begin()
                    return
                except sqlite3.OperationalError as err:
                    if not _busy(err):
                        raise
                    if time.monotonic() >= deadline:
                        raise LedgerBusy(f"another batch is running on this ledger (waited {self.busy_timeout_s:g} "
                                         "s)") from None
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
