"""The checks an XSD cannot make: code values, real calendar dates, consistency within a record.

The official XSDs restrict lengths and digits only (PROVENANCE.md), so a list with ieFlag "a" or an
ieDate of 20230230 passes them. These checks run after the facet checks of processor/fields.py, on
the typed values, and add Defects with the field's path and line.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

from .readers.extract import Defect, Node

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)

DIGITS3 = re.compile(r"[0-9]{3}\Z")
DIGITS4 = re.compile(r"[0-9]{4}\Z")
DIGITS10 = re.compile(r"[0-9]{10}\Z")
DIGITS1_10 = re.compile(r"[0-9]{1,10}\Z")
UNIT_FIELDS = ("unit", "unit1", "unit2")
APP_TYPES = {"1": "new", "2": "change", "3": "delete"}
APP_STATUSES = {"1": "draft (暂存)", "2": "declared (申报)"}


@lru_cache(maxsize=4096)
def _date8(raw: str) -> date | str:
    """The date of a YYYYMMDD text, or what is wrong with it. Cached: a night's lists share few dates."""
    if not (len(raw) == 8 and raw.isascii() and raw.isdigit()):
        return "is not a date"
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        return "is not a real calendar date"


@lru_cache(maxsize=4096)
def _timestamp(raw: str) -> datetime | str:
    """The time of a YYYYMMDDhhmmss[fff] text, or what is wrong with it (cached, like _date8)."""
    if not (len(raw) in (14, 17) and raw.isascii() and raw.isdigit()):
        return "is not a time stamp"
    try:
        return datetime(int(raw[:4]), int(raw[4:6]), int(raw[6:8]), int(raw[8:10]), int(raw[10:12]),
                        int(raw[12:14]), int(raw[14:17] or 0) * 1000)
    except ValueError:
        return "is not a real date and time"


@lru_cache(maxsize=4096)
def valid_date8(raw: str) -> date | None:
    """The date of a YYYYMMDD text when Checker.date8 would accept it, else None (for builders that
    leave every defect to the generic path)."""
    value = _date8(raw)
    return value if not isinstance(value, str) and EARLIEST <= value <= LATEST else None


@lru_cache(maxsize=4096)
def valid_timestamp(raw: str) -> datetime | None:
    """The time of a text when Checker.timestamp would accept it, else None (as valid_date8)."""
    value = _timestamp(raw)
    return value if not isinstance(value, str) and EARLIEST <= value.date() <= LATEST else None


class Checker:
    """Collects defects for one record; each method returns the checked value or None."""

    def __init__(self, defects: list[Defect]):
        self.defects = defects

    def _where(self, node: Node, name: str, path: str) -> tuple[str, int | None]:
        return (f"{path}/{name}" if path else name), node.line_of(name)

    def fail(self, node: Node, name: str, path: str, problem: str, expected: str) -> None:
        where, line = self._where(node, name, path)
        self.defects.append(Defect(where, line, problem, expected))

    def code(self, node: Node, name: str, pattern: re.Pattern, expected: str, path: str = "") -> str | None:
        value = node.values.get(name)
        if value is None or node.coded:  # the fast path matched this code against the same pattern
            return value
        if not pattern.match(value):
            self.fail(node, name, path, f"{value!r} is not a valid code", expected)
            return None
        return value

    def units(self, node: Node, path: str = "") -> None:
        """unit, unit1 and unit2: 3-digit measurement unit codes (JGS-20), as on the original item."""
        for name in UNIT_FIELDS:
            self.code(node, name, DIGITS3, "a 3-digit unit code such as 007", path)

    def one_of(self, node: Node, name: str, allowed: dict, path: str = "") -> str | None:
        value = node.values.get(name)
        if value is None or node.coded:
            return value
        if value not in allowed:
            expected = ", ".join(f"{k} ({v})" for k, v in allowed.items())
            self.fail(node, name, path, f"{value!r} is not an allowed code", expected)
            return None
        return value

    def _in_range(self, node, name, path, value, raw):
        d = value.date() if isinstance(value, datetime) else value
        if not (EARLIEST <= d <= LATEST):
            self.fail(node, name, path, f"{raw!r} is out of range",
                      f"a date from {EARLIEST:%Y%m%d} to {LATEST:%Y%m%d}")
            return None
        return value

    def date8(self, node: Node, name: str, path: str = "") -> date | None:
        raw = node.values.get(name)
        if raw is None:
            return None
        value = _date8(raw)
        if isinstance(value, str):
            self.fail(node, name, path, f"{raw!r} {value}", "a real date as YYYYMMDD")
            return None
        return self._in_range(node, name, path, value, raw)

    def timestamp(self, node: Node, name: str, path: str = "") -> datetime | None:
        """YYYYMMDDhhmmss, optionally followed by milliseconds (fff), as in receipts."""
        raw = node.values.get(name)
        if raw is None:
            return None
        value = _timestamp(raw)
        if isinstance(value, str):
            fmt = "YYYYMMDDhhmmss" + ("fff" if len(raw) == 17 else "")
            self.fail(node, name, path, f"{raw!r} {value}", f"a real time as {fmt}")
            return None
        return self._in_range(node, name, path, value, raw)

    def unique_gnums(self, nodes: list[Node], list_name: str) -> None:
        seen: dict = {}
        for i, n in enumerate(nodes, 1):
            g = n.values.get("gnum")
            if g is None:
                continue
            if g in seen:
                self.fail(n, "gnum", f"{list_name}[{i}]", f"gnum {g} repeats item {seen[g]} of the same record",
                          "each gnum once within a list")
            else:
                seen[g] = i
