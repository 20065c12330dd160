"""The ledger's tables as declared once: their columns, named as the records' fields are.

Each column list below is the one place a table's columns are named: INSERT and SELECT texts are
derived from it, and records and facts are built from fetched rows by name (`from_row`), never by
position. The record tables take their columns from the records' own fields (records.py), so a new
claim field is a field of `Claim` (and its column in schema.sql, which a test holds equal to these).
"""
from __future__ import annotations

import typing
from dataclasses import fields
from functools import lru_cache
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from .. import records
from ..law.facts import ExportFacts, LineFacts


class Table(NamedTuple):
    name: str
    columns: tuple

    def insert(self) -> str:
        return f"INSERT INTO {self.name} ({', '.join(self.columns)}) VALUES ({', '.join('?' * len(self.columns))})"

    def select(self, columns: tuple | None = None, alias: str = "") -> str:
        cols = self.columns if columns is None else columns
        return f"SELECT {', '.join(alias + c for c in cols)} FROM {self.name}"


def _fields(cls, without=()) -> tuple:
    names = cls._fields if hasattr(cls, "_fields") else tuple(f.name for f in fields(cls))
    return tuple(n for n in names if n not in without)


# The list's columns in their schema order (the hot path writes them positionally: see store.list_row).
EXPORT_LISTS = Table("export_lists", (
    "list_key", "cop_no", "invt_no", "pre_no", "ebc_code", "ebp_code", "agent_code", "owner_code", "customs_code",
    "port_code", "trade_mode", "ie_flag", "ie_date", "app_type", "app_time", "app_status", "statistics_flag",
    "iac_code", "ems_no", "order_no", "logistics_no", "variant", "content_hash", "batch_id"))
EXPORT_ITEMS = Table("export_items", ("list_key", *_fields(records.ExportItem)))
RETURN_APPS = Table("return_apps", (*_fields(records.ReturnApplication, ("ie_flag", "lines")), "content_hash",
                                    "batch_id"))
RETURN_LINES = Table("return_lines", ("co_el_no", *_fields(records.ReturnLine)))
CLAIMS = Table("claims", (*_fields(records.Claim, ("items",)), "content_hash", "batch_id"))
CLAIM_ITEMS = Table("claim_items", ("co_el_no", *_fields(records.ClaimItem)))
LIST_RECEIPTS = Table("list_receipts", ("content_hash", "list_key", "cop_no", "ebc_code", "invt_no", "pre_no",
                                        "return_status", "return_time", "return_info", "batch_id"))
LIST_CANCELS = Table("list_cancels", ("content_hash", "cop_no", "invt_no", "ebc_code", "app_time", "reason",
                                      "batch_id"))
RETURN_RECEIPTS = Table("return_receipts", ("content_hash", "co_el_no", "invt_no", "return_status", "return_time",
                                            "return_info", "batch_id"))
JOURNAL = Table("journal", ("kind", "content_hash", "record_key", "batch_id", "file_sha256", "line", "outcome"))
QUARANTINE = Table("quarantine", ("batch_id", "seq", "file_name", "line", "kind", "record_key", "field", "problem",
                                  "expected"))
BATCH_DECISIONS = Table("batch_decisions", ("batch_id", "co_el_no", "gnum", "version"))
DECISIONS = Table("decisions", (
    "co_el_no", "gnum", "version", "batch_id", "invt_no", "return_date", "gcode", "qty", "qty1", "export_date",
    "trade_mode", "window_end", "policy", "decision", "reasons", "customs_value_cny", "import_duty", "consumption_tax",
    "import_vat", "export_duty_refund", "backpay_vat", "backpay_ct", "certificate_type", "certificate_no",
    "fingerprint", "return_hash", "trail", "status", "citations", "change", "supersedes", "reported_in", "cause",
    "waits"))
# The decision's columns a report reads (the trail only `explain` does: it is most of a row's bytes).
REPORTED = tuple(c for c in DECISIONS.columns if c != "trail")
# The record tables: what the inputs put in the ledger, whose rows in force summary.json counts (ledger_totals).
RECORD_TABLES = ("export_lists", "export_items", "list_receipts", "list_cancels", "return_apps", "return_lines",
                 "return_receipts", "claims", "claim_items")

# Facts the law reads, each field a column of one of two joined tables (l: the list, i: its item...).
EXPORT_FACTS = tuple(("i." if f in EXPORT_ITEMS.columns else "l.") + f for f in _fields(ExportFacts))
EXPORT_FACTS_FROM = "FROM export_lists l JOIN export_items i ON i.list_key = l.list_key"
LINE_FACTS = tuple(("n." if f in RETURN_LINES.columns else "a.") + f for f in _fields(LineFacts))
LINE_FACTS_FROM = "FROM return_apps a JOIN return_lines n ON n.co_el_no = a.co_el_no"


def to_ledger(value):
    """A value as the ledger keeps it: Decimal, date and time as text, bool as 0/1, None as NULL."""
    if value is None or isinstance(value, (str, int)) and not isinstance(value, bool):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _base_type(hint):
    """The type a field's hint names, without its `| None`."""
    return ([a for a in typing.get_args(hint) if a is not type(None)] or [hint])[0]


def _decoder(hint):
    """How a field of this type is read back from its ledger text; None where it is kept as it is."""
    return {Decimal: Decimal, datetime: datetime.fromisoformat, date: date.fromisoformat,
            bool: bool}.get(_base_type(hint))


def _encoder(hint):
    """How a field of this type is written; None where the value is kept as it is (text, whole numbers)."""
    return None if _base_type(hint) in (str, int) else to_ledger


@lru_cache(maxsize=None)
def _read_plan(cls, columns: tuple, given: tuple) -> tuple:
    """For each field of `cls`, in the record's own order: where its value is, found by name (its index in
    the row, or None when `extra` gives it) and how to read its text back (None: kept as it is)."""
    hints = typing.get_type_hints(cls)
    at = {c.rsplit(".", 1)[-1]: i for i, c in enumerate(columns)}
    plan = []
    for name in _fields(cls):
        if name in given:
            plan.append((None, name, None))
        elif name in at:
            plan.append((at[name], name, _decoder(hints[name])))
        else:
            raise KeyError(f"{cls.__name__}.{name} is neither a column of {columns} nor given")
    return tuple(plan)


@lru_cache(maxsize=None)
def _write_plan(table: Table, cls, given: tuple) -> tuple:
    """(column, taken from the given values?, how to write the field) for each column of `table`."""
    hints = typing.get_type_hints(cls)
    return tuple((c, c in given, None if c in given else _encoder(hints.get(c, object))) for c in table.columns)


def from_row(cls, columns, row, **extra):
    """A record or facts built from a fetched row whose columns are named (a `t.` prefix is dropped); `extra`
    supplies fields the row does not carry. Each field is found by its name; the record is then built in
    one call, its fields in their declared order (this runs for every line a night decides)."""
    args = []
    for i, name, decode in _read_plan(cls, columns if type(columns) is tuple else tuple(columns),
                                      tuple(extra) if extra else ()):
        v = extra[name] if i is None else row[i]
        args.append(decode(v) if decode is not None and v is not None else v)
    return cls(*args)


def to_row(table: Table, record, **extra) -> tuple:
    """A record's row for `table`, by column name: its fields, then `extra` (keys, hashes, the batch)."""
    out = []
    for column, given, encode in _write_plan(table, type(record), tuple(sorted(extra))):
        v = extra[column] if given else getattr(record, column)
        out.append(encode(v) if encode is not None else v)
    return tuple(out)
