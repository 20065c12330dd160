"""The checks an XSD cannot make: code values, real calendar dates, consistency within a record.

The official XSDs restrict lengths and digits only (PROVENANCE.md), so a list with ieFlag "a" or an
ieDate of 20230230 passes them. These checks run after the facet checks of processor/fields.py, on
the typed values, and add Defects with the field's path and line.

`CHECKS` declares them once, per record part and in the order they run: the builders of
readers/messages.py run them from it (`Checker.fields`), and the fast path (readers/fastpath.py)
compiles each declared field's lexical form (`pattern`) into its expressions in place of the
field's facets. A code or a one-of is then settled by the match (`matched`); a date or time is
matched as digits and its calendar still checked.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from .readers.extract import Defect, Node

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)

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

    def fields(self, node: Node, checks: "Checks", path: str = "") -> dict:
        """Run one part's declared checks (a value of CHECKS) in their order: the checked values by name (None
        where a value is absent or wrong). What the fast path's match settled is not checked again (nor
        returned: the builders take only dates and times from here)."""
        return {name: check.run(self, node, name, path)
                for name, check in (checks.unmatched if node.coded else checks).items()}

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


class Code:
    """A code value: the text must match `pattern` (whole). The fast path's match settles it."""

    matched = True

    def __init__(self, pattern: str, expected: str):
        self.pattern = pattern
        self.regex = re.compile(pattern + r"\Z")
        self.expected = expected

    def run(self, ck: Checker, node: Node, name: str, path: str):
        return ck.code(node, name, self.regex, self.expected, path)


class OneOf:
    """One of a few codes, each with its meaning (told to the sender). The fast path's match settles it."""

    matched = True

    def __init__(self, allowed: dict):
        self.allowed = allowed
        codes = [re.escape(c) for c in allowed]
        single = all(len(c) == 1 for c in allowed)
        self.pattern = codes[0] if len(codes) == 1 else f"[{''.join(codes)}]" if single else f"(?:{'|'.join(codes)})"

    def run(self, ck: Checker, node: Node, name: str, path: str):
        return ck.one_of(node, name, self.allowed, path)


class Date8:
    """A real date, YYYYMMDD, from 2000 to 2099. The fast path matches the digits; the calendar is checked after."""

    matched = False
    pattern = "[0-9]{8}"
    valid = staticmethod(valid_date8)

    def run(self, ck: Checker, node: Node, name: str, path: str):
        return ck.date8(node, name, path)


class Timestamp:
    """A real time, YYYYMMDDhhmmss or with milliseconds (fff); `digits` is the form the field's facet allows
    (the fast path matches only it). The calendar is checked after the match."""

    matched = False
    valid = staticmethod(valid_timestamp)

    def __init__(self, digits: int):
        self.pattern = f"[0-9]{{{digits}}}"

    def run(self, ck: Checker, node: Node, name: str, path: str):
        return ck.timestamp(node, name, path)


class AboveZero:
    """A quantity above zero (CONTRACT.md 1: a declaration of nothing is quarantined). The field's own facets
    (digits, decimals) are the fast path's form of it; the sign is checked after the match."""

    matched = False
    pattern = None

    def run(self, ck: Checker, node: Node, name: str, path: str):
        value = node.values.get(name)
        if value is None:
            return None
        try:
            above = Decimal(value) > 0
        except ArithmeticError:
            return None  # not a number: the field's facets report it
        if not above:
            ck.fail(node, name, path, f"quantity {value} is not above zero: a declaration of nothing",
                    "a quantity above zero")
            return None
        return value


QUANTITIES = {"qty": AboveZero(), "qty1": AboveZero()}


class Checks(dict):
    """One part's checks by field name, in the order they run; `unmatched`: those a match does not settle."""

    def __init__(self, checks: dict):
        super().__init__(checks)
        self.unmatched = {name: check for name, check in checks.items() if not check.matched}


SUPERVISION = Code("[0-9]{4}", "a 4-digit supervision code such as 9610")
CUSTOMS = Code("[0-9]{4}", "a 4-digit customs code")
COUNTRY = Code("[0-9]{3}", "a 3-digit country code")
UNITS = {name: Code("[0-9]{3}", "a 3-digit unit code such as 007") for name in UNIT_FIELDS}
DATE8 = Date8()

# The checks of each record part (kind, element), in the order they run and report. The one declaration of
# them: the builders run them (Checker.fields), the fast path compiles their patterns (readers/fastpath.py).
CHECKS: dict = {
    ("CEB603", "InventoryHead"): Checks({
        "ieFlag": OneOf({"E": "export"}),
        "tradeMode": SUPERVISION,
        "appType": OneOf(APP_TYPES),
        "appStatus": OneOf(APP_STATUSES),
        "customsCode": CUSTOMS,
        "portCode": CUSTOMS,
        "country": COUNTRY,
        "fCurrency": Code("[0-9]{3}", "a 3-digit currency code such as 142"),
        "iCurrency": Code("[0-9]{3}", "a 3-digit currency code such as 142"),
        "ieDate": DATE8,
        "appTime": Timestamp(14),
    }),
    ("CEB603", "InventoryList"): Checks({
        "gcode": Code("[0-9]{10}", "a 10-digit HS code"),
        "currency": Code("[0-9]{3}", "a 3-digit currency code such as 502"),
        "country": COUNTRY,
        **UNITS,
        **QUANTITIES,
    }),
    ("CEB604", "InventoryReturn"): Checks({"returnTime": Timestamp(17)}),
    ("CEB605", "InvtCancel"): Checks({"appType": OneOf(APP_TYPES), "appStatus": OneOf(APP_STATUSES),
                                      "appTime": Timestamp(14)}),
    ("CEB213", "InvtRefundHead"): Checks({
        "ieFlag": OneOf({"I": "import: a return comes back into China"}),
        "appType": OneOf(APP_TYPES),
        "appStatus": OneOf(APP_STATUSES),
        "tradeMode": SUPERVISION,
        "customsCode": CUSTOMS,
        "appTime": Timestamp(14),
    }),
    ("CEB213", "InvtRefundList"): Checks({
        "gcode": Code("[0-9]{1,10}", "an HS code of digits, as on the original item"),
        **UNITS,
        **QUANTITIES,
    }),
    ("CEB214", "RefundReturn"): Checks({"returnTime": Timestamp(17)}),
    ("ReturnClaims", "Claim"): Checks({"returnDate": DATE8, "zoneExitDate": DATE8}),
}
