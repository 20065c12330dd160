"""Open the ledger named by a URL: sqlite:///path (the default) or postgresql://... .

The ledger stores, fetches by key and groups; it holds no law. base.py is the connection and its
transactions, store.py the storing of records, settle.py receipts and cancellations applied,
decisions.py the decision stage's reads and writes, tables.py the columns, dialect.py what differs
between backends.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from .base import Ledger, LedgerBusy, LedgerMissing, LedgerVersionError, StoreResult  # noqa: F401 - the interface


class LedgerUrlError(ValueError):
    pass


def default_url(out_dir: Path) -> str:
    return f"sqlite:///{(out_dir / 'ledger.sqlite').resolve()}"


def open_ledger(url: str, busy_timeout_s: float = 0.0, create: bool = False) -> Ledger:
    """The ledger at `url`, upgraded in place if an older release wrote it; created only when `create`
    (otherwise LedgerMissing). `found_version` on it is the schema version found (None: created now)."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # as in SQLAlchemy: sqlite:///relative/path.sqlite, sqlite:////absolute/path.sqlite
        raw = unquote(parsed.path)[1:]
        if parsed.netloc or not raw:
            raise LedgerUrlError(f"{url}: expected sqlite:///relative/path or sqlite:////absolute/path")
        from .sqlite import SqliteLedger

        return SqliteLedger.connect(url, Path(raw), busy_timeout_s, create)
    if parsed.scheme in ("postgresql", "postgres"):
        from .postgres import PostgresLedger

        return PostgresLedger.connect(url, busy_timeout_s, create)
    raise LedgerUrlError(f"{url}: unknown ledger scheme {parsed.scheme!r} (expected sqlite:/// or postgresql://)")


def ledger_exists(url: str) -> bool:
    """Whether a ledger is at `url` (nothing is created, and a ledger found is only read)."""
    try:
        open_ledger(url).close()
    except LedgerMissing:
        return False
    return True
