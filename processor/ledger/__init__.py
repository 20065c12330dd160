"""Open the ledger named by a URL: sqlite:///path (the default) or postgresql://... .

The ledger stores, fetches by key and groups; it holds no law. base.py is the connection and its
transactions, store.py the storing of records, settle.py receipts and cancellations applied,
decisions.py the decision stage's reads and writes, tables.py the columns, dialect.py what differs
between backends.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlparse, urlsplit, urlunsplit

from .base import (Ledger, LedgerBusy, LedgerCorrupt, LedgerMissing, LedgerVersionError,  # noqa: F401 - the interface
                   StoreResult)


class LedgerUrlError(ValueError):
    pass


SECRET_PARAMS = ("password", "sslpassword", "sslkey")
_CREDENTIALS = re.compile(r"(//[^/:@?#\s]*):([^@/?#\s]*)@")  # //user:password@ in any text that looks like a URL
_SECRETS: set = set()  # the passwords of the ledger URLs seen by this process: never printed, logged or reported


def secrets_of(url: str) -> set:
    """The passwords a ledger URL carries, however given: user:password@, ?password=, ?sslpassword=."""
    found = {unquote(m.group(2)) for m in _CREDENTIALS.finditer(url) if m.group(2)}
    query = url.split("?", 1)[1] if "?" in url else ""
    found |= {v for k, v in parse_qsl(query.split("#", 1)[0], keep_blank_values=False) if k.lower() in SECRET_PARAMS}
    return {s for s in found if s}


def remember_secrets(url: str) -> None:
    _SECRETS.update(secrets_of(url))


def scrub(text: str) -> str:
    """Any text (an error from the driver, say) with the passwords of the ledger URLs seen replaced by ***."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        for form in {secret, quote(secret, safe="")}:
            text = text.replace(form, "***")
    return text


def redact(url: str) -> str:
    """A ledger URL fit to print, log and report: no password in it, whatever the spelling or the scheme."""
    remember_secrets(url)
    text = _CREDENTIALS.sub(lambda m: f"{m.group(1)}:***@", url)
    if "?" in text:
        try:
            parts = urlsplit(text)
        except ValueError:
            return scrub(text)
        query = "&".join(f"{k}=***" if k.lower() in SECRET_PARAMS else f"{k}={v}"
                         for k, v in parse_qsl(parts.query, keep_blank_values=True))
        text = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    return scrub(text)


def default_url(out_dir: Path) -> str:
    return f"sqlite:///{(out_dir / 'ledger.sqlite').resolve()}"


def open_ledger(url: str, busy_timeout_s: float = 0.0, create: bool = False) -> Ledger:
    """The ledger at `url`, upgraded in place if an older release wrote it; created only when `create`
    (otherwise LedgerMissing). `found_version` on it is the schema version found (None: created now)."""
    remember_secrets(url)
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # as in SQLAlchemy: sqlite:///relative/path.sqlite, sqlite:////absolute/path.sqlite
        raw = unquote(parsed.path)[1:]
        if parsed.netloc or not raw:
            raise LedgerUrlError(f"{redact(url)}: expected sqlite:///relative/path or sqlite:////absolute/path")
        from .sqlite import SqliteLedger

        return SqliteLedger.connect(url, Path(raw), busy_timeout_s, create)
    if parsed.scheme in ("postgresql", "postgres"):
        from .postgres import PostgresLedger

        return PostgresLedger.connect(url, busy_timeout_s, create)
    raise LedgerUrlError(f"{redact(url)}: unknown ledger scheme {scrub(parsed.scheme)!r} (expected sqlite:/// or "
                         "postgresql://)")


def ledger_exists(url: str) -> bool:
    """Whether a ledger is at `url` (nothing is created, and a ledger found is only read)."""
    try:
        open_ledger(url).close()
    except LedgerMissing:
        return False
    return True
