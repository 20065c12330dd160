"""Reference data: tariff, exchange rates, food HS codes, policy versions and the clauses cited, as dated data.

Bundled defaults live in processor/data/; any file of the same name in `--reference DIR` replaces
the bundled one (CONTRACT.md section 3). Files are checked row by row when loaded: a bad row stops
the batch before it touches the ledger, with the file, line and column named.
"""
from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .law.calendar import BUNDLED, HolidayCalendar, RestDay, package_calendar
from .law.clauses import STEP_KEYS, ClauseRow, Clauses

DATA_DIR = Path(__file__).resolve().parent / "data"
FILES = ("tariff.csv", "exchange_rates.csv", "food_hs.csv", "policies.csv", "clauses.csv", "rest_days.csv")


class ReferenceError(ValueError):
    """A reference file that cannot be used; the message names file, line and column."""


@dataclass(frozen=True)
class TariffRow:
    hs_prefix: str
    valid_from: date
    import_duty_rate: Decimal
    import_duty_per_unit: Decimal
    consumption_tax_rate: Decimal
    consumption_tax_per_unit: Decimal
    vat_rate: Decimal
    export_duty_rate: Decimal


@dataclass(frozen=True)
class PolicyVersion:
    """One announcement's export-date window (LAW.md, policy versions)."""

    version: str
    title: str
    issued: date
    export_from: date
    export_to: date
    eligible_codes: frozenset
    reference: str
    window_months: int = 6  # clause 1: 自出口之日起6个月内
    announcement: str = ""  # how a decision under this version names it (clauses.csv {announcement})

    def __post_init__(self):
        if not self.announcement:
            object.__setattr__(self, "announcement", self.title)


@dataclass(frozen=True)
class ReferenceData:
    tariff: tuple
    exchange_rates: dict  # (YYYY-MM, currency code) -> Decimal CNY per unit
    food_prefixes: tuple  # (hs_prefix, label)
    policies: tuple
    sources: dict = field(default_factory=dict)  # file name -> {"path": ..., "sha256": ..., "rows": n}
    clauses: Clauses = field(default_factory=lambda: _clauses(DATA_DIR / "clauses.csv"))
    calendar: HolidayCalendar = BUNDLED  # rest days: rest_days.csv for the years it names, else chinesecalendar

    @cached_property
    def fingerprint(self) -> str:
        """One hash of everything the reference data say, the holiday package's version included: a PENDING
        line waiting for a tariff row or a calendar is decided again when it changes (CONTRACT.md 6)."""
        parts = [f"{name}={src['sha256']}" for name, src in sorted(self.sources.items())]
        parts.append(package_calendar()[1])
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _decimal(text: str, where: str, allow_empty: bool = True) -> Decimal:
    text = text.strip()
    if text == "" and allow_empty:
        return Decimal("0")
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        raise ReferenceError(f"{where}: {text!r} is not a non-negative plain decimal")
    return Decimal(text)


def _date(text: str, where: str) -> date:
    text = text.strip()
    m = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})", text)
    if not m:
        raise ReferenceError(f"{where}: {text!r} is not a date (YYYY-MM-DD)")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise ReferenceError(f"{where}: {text!r} is not a real calendar date") from None


def _rows(path: Path, columns: tuple):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ReferenceError(f"{path}: header lacks {', '.join(missing)} (expected {','.join(columns)})")
        for row in reader:
            if None in row:
                raise ReferenceError(f"{path}:{reader.line_num}: more fields than the header names (a text holding "
                                     f"a comma must be quoted)")
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            yield reader.line_num, row


def _tariff(path: Path) -> tuple:
    cols = ("hs_prefix", "valid_from", "import_duty_rate", "import_duty_per_unit", "consumption_tax_rate",
            "consumption_tax_per_unit", "vat_rate", "export_duty_rate")
    out = []
    for line, row in _rows(path, cols):
        w = f"{path.name}:{line}"
        prefix = row["hs_prefix"].strip()
        if not re.fullmatch(r"[0-9]{1,10}", prefix):
            raise ReferenceError(f"{w}: hs_prefix {prefix!r} is not 1 to 10 digits")
        rates = {c: _decimal(row[c] or "", f"{w}: {c}") for c in cols[2:]}
        for c in ("import_duty_rate", "consumption_tax_rate", "vat_rate", "export_duty_rate"):
            if rates[c] >= 1:
                raise ReferenceError(f"{w}: {c} {rates[c]} is not a fraction below 1 (write 0.10 for 10 %)")
        out.append(TariffRow(prefix, _date(row["valid_from"], f"{w}: valid_from"), **rates))
    return tuple(out)


def _rates(path: Path) -> dict:
    out = {}
    for line, row in _rows(path, ("month", "currency", "cny_per_unit")):
        w = f"{path.name}:{line}"
        month = row["month"].strip()
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise ReferenceError(f"{w}: month {month!r} is not YYYY-MM")
        cur = row["currency"].strip()
        if not re.fullmatch(r"[0-9]{3}", cur):
            raise ReferenceError(f"{w}: currency {cur!r} is not a 3-digit customs currency code")
        rate = _decimal(row["cny_per_unit"], f"{w}: cny_per_unit", allow_empty=False)
        if rate == 0:
            raise ReferenceError(f"{w}: cny_per_unit is zero")
        if (month, cur) in out:
            raise ReferenceError(f"{w}: a second rate for {cur} in {month}")
        out[(month, cur)] = rate
    return out


def _food(path: Path) -> tuple:
    out = []
    for line, row in _rows(path, ("hs_prefix", "label")):
        prefix = row["hs_prefix"].strip()
        if not re.fullmatch(r"[0-9]{1,10}", prefix):
            raise ReferenceError(f"{path.name}:{line}: hs_prefix {prefix!r} is not 1 to 10 digits")
        out.append((prefix, (row["label"] or "").strip()))
    return tuple(out)


def _policies(path: Path) -> tuple:
    cols = ("version", "title", "issued", "export_from", "export_to", "eligible_codes", "window_months", "reference")
    out = []
    for line, row in _rows(path, cols):
        w = f"{path.name}:{line}"
        codes = frozenset(row["eligible_codes"].split())
        if not codes or not all(re.fullmatch(r"[0-9]{4}", c) for c in codes):
            raise ReferenceError(f"{w}: eligible_codes must be 4-digit codes separated by spaces")
        p = PolicyVersion(row["version"].strip(), row["title"].strip(), _date(row["issued"], f"{w}: issued"),
                          _date(row["export_from"], f"{w}: export_from"), _date(row["export_to"], f"{w}: export_to"),
                          codes, row["reference"].strip(), _months(row["window_months"], w),
                          (row.get("announcement") or "").strip())
        if p.export_to < p.export_from:
            raise ReferenceError(f"{w}: export_to is before export_from")
        out.append(p)
    return tuple(out)


def _months(text: str, where: str) -> int:
    text = (text or "").strip()
    if not re.fullmatch(r"[1-9][0-9]?", text):
        raise ReferenceError(f"{where}: window_months {text!r} is not a whole number of months")
    return int(text)


def _clauses(path: Path) -> Clauses:
    out = []
    for line, row in _rows(path, ("key", "policy", "valid_from", "text")):
        w = f"{path.name}:{line}"
        key, text = row["key"].strip(), (row["text"] or "").strip()
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", key):
            raise ReferenceError(f"{w}: key {key!r} is not a reason code or step name (A-Z, 0-9, _)")
        if not text:
            raise ReferenceError(f"{w}: text is empty")
        since = (row["valid_from"] or "").strip()
        out.append(ClauseRow(key, (row["policy"] or "").strip(), _date(since, f"{w}: valid_from") if since else None,
                             text))
    return Clauses(tuple(out))


def _rest_days(path: Path) -> tuple:
    out, seen = [], {}
    for line, row in _rows(path, ("date", "kind", "name")):
        w = f"{path.name}:{line}"
        day = _date(row["date"], f"{w}: date")
        kind = (row["kind"] or "").strip()
        if kind not in ("rest", "work"):
            raise ReferenceError(f"{w}: kind {kind!r} is not rest (a day off) or work (a weekend made a working day)")
        if day in seen:
            raise ReferenceError(f"{w}: {day} is listed twice (first on line {seen[day]})")
        seen[day] = line
        out.append(RestDay(day, kind, (row["name"] or "").strip()))
    return tuple(out)


LOADERS = {"tariff.csv": _tariff, "exchange_rates.csv": _rates, "food_hs.csv": _food, "policies.csv": _policies,
           "clauses.csv": _clauses, "rest_days.csv": _rest_days}


def load_reference(override_dir: Path | None = None) -> ReferenceData:
    loaded = {}
    sources = {}
    for name in FILES:
        path = DATA_DIR / name
        if override_dir is not None and (override_dir / name).is_file():
            path = override_dir / name
        try:
            data = path.read_bytes()
        except OSError as err:
            raise ReferenceError(f"{path}: cannot read ({err.strerror or err})") from None
        try:
            loaded[name] = LOADERS[name](path)
        except (UnicodeDecodeError, csv.Error, InvalidOperation) as err:
            raise ReferenceError(f"{path}: {err}") from None
        rows = loaded[name].rows if name == "clauses.csv" else loaded[name]
        sources[name] = {"path": str(path), "sha256": hashlib.sha256(data).hexdigest(), "rows": len(rows),
                         "bundled": path.parent == DATA_DIR}
    from .law.rules import RULES

    missing = loaded["clauses.csv"].missing([*STEP_KEYS, *(r.code for r in RULES)], loaded["policies.csv"])
    if missing:
        raise ReferenceError(f"{sources['clauses.csv']['path']}: no text for {', '.join(missing)}")
    rest = loaded["rest_days.csv"]
    calendar = HolidayCalendar(rest, f"rest_days.csv sha256 {sources['rest_days.csv']['sha256']}") if rest else BUNDLED
    return ReferenceData(tariff=loaded["tariff.csv"], exchange_rates=loaded["exchange_rates.csv"],
                         food_prefixes=loaded["food_hs.csv"], policies=loaded["policies.csv"], sources=sources,
                         clauses=loaded["clauses.csv"], calendar=calendar)
