"""The batch's outputs as sinks behind one small protocol: opened with the batch's header, given each
decision the batch reports (in report order), closed with the control totals.

decisions.csv, backpay.csv and reconciliation.xml are sinks (csv.py, reconciliation.py); a new report
(a workbook, a page) is one more class in DECISION_SINKS. quarantine.csv and summary.json are written
beside them by the report stage (stages/report.py).
"""
from __future__ import annotations

import os

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Protocol

from ..law.facts import DECISIONS
from ..law.redecide import CHANGES

MONEY = ("customs_value_cny", "import_duty", "consumption_tax", "import_vat", "export_duty_refund", "backpay_vat",
         "backpay_ct")


def money(value) -> str:
    """An amount as the reports write it: two decimals. The ledger keeps amounts as text already rounded
    to the fen ("46.80"): such a text is written as it is (a million rows bring seven million amounts)."""
    if type(value) is str and len(value) > 3 and value[-3] == "." and value[-2:].isdigit() \
            and value[:-3].lstrip("-").isdigit():
        return value
    return f"{Decimal(value):.2f}"


@dataclass(frozen=True)
class BatchHeader:
    """What every sink may say of the batch besides its decisions."""

    batch_id: str
    run_at: str
    software_version: str
    reference: object  # ReferenceData: policies, clauses, sources
    settings: dict
    files: Iterable  # the input files' entries, an iterable: a night may bring 40,000 (read once)
    views: object = None  # what the workbook and the page read from the ledger besides the rows (LedgerViews)


class Sink(Protocol):
    file_name: str

    def open(self, path: Path, header: BatchHeader) -> None: ...

    def decision(self, row: dict) -> None: ...

    def close(self, totals: dict) -> None: ...

    def discard(self) -> None: ...  # the file is closed on a failure; its staging is removed by the caller



def _zero() -> dict:
    return {"lines": 0, **{m: Decimal("0.00") for m in MONEY}}


class Totals:
    """Lines and money per decision, overall and per change kind, as written; the rows only reported again
    (AGAIN: a rerun's); and the net change the rows this batch decided make to a table holding each line's
    decision in force (the tax bureau's): NEW adds a row, REVISED replaces the decision before it (its
    amounts taken away from that decision's totals), WITHDRAWN takes its row away. Adding up the net changes
    of every night gives what is in force; adding up the rows written would count reruns twice. An amount
    that could not be computed counts as 0."""

    def __init__(self, batch_id: str | None = None):
        self.batch_id = batch_id
        self.by_key = {k: _zero() for k in (*DECISIONS, "ALL", *CHANGES, "AGAIN")}
        self.by_key["NET"] = {k: _zero() for k in (*DECISIONS, "ALL")}

    def add(self, r: dict) -> None:
        amounts = _amounts(r, "")  # each amount read once: a night may bring a million rows
        change = r.get("change") or "NEW"
        by, net = self.by_key, self.by_key["NET"]
        for t in (by[r["decision"]], by["ALL"], by[change]):
            _add(t, amounts, 1)
        if self.batch_id is not None and r["batch_id"] != self.batch_id:
            _add(by["AGAIN"], amounts, 1)
            return  # reported again as an earlier batch made it (a rerun): applying it again changes nothing
        sign = -1 if change == "WITHDRAWN" else 1
        _add(net[r["decision"]], amounts, sign)
        _add(net["ALL"], amounts, sign)
        if change == "REVISED" and r.get("prev_decision"):
            before = _amounts(r, "prev_")
            _add(net[r["prev_decision"]], before, -1)
            _add(net["ALL"], before, -1)


def _amounts(r: dict, prefix: str) -> tuple:
    """(money column, Decimal) for the amounts a row has (one not computed counts as 0: left out)."""
    return tuple((m, Decimal(v)) for m in MONEY if (v := r.get(prefix + m)) is not None)


def _add(t: dict, amounts: tuple, sign: int) -> None:
    t["lines"] += sign
    for m, v in amounts:
        t[m] += v if sign > 0 else -v


def readable_reports() -> bool:
    """report.xlsx and report.html are written with every batch; PROCESSOR_READABLE_REPORTS=0 leaves them out
    (the test suite does, but for the tests of those reports: drawing the charts costs a second or two a run)."""
    return os.environ.get("PROCESSOR_READABLE_REPORTS", "1").strip() != "0"


def decision_sinks() -> tuple:
    from .csv import BackpayCsv, DecisionsCsv
    from .reconciliation import ReconciliationXml

    sinks = (DecisionsCsv(), BackpayCsv(), ReconciliationXml())
    if not readable_reports():
        return sinks
    from .page import Page
    from .workbook import Workbook

    return (*sinks, Workbook(), Page())


def write_decisions(sinks: tuple, staged, header: BatchHeader, rows: Iterable[dict]) -> dict:
    """Every row to every sink, in one pass; the control totals (by decision and overall)."""
    totals = Totals(header.batch_id)
    opened = []
    try:
        for sink in sinks:
            sink.open(staged.path(sink.file_name), header)
            opened.append(sink)
        for r in rows:
            for sink in sinks:
                sink.decision(r)
            totals.add(r)
        for sink in sinks:
            sink.close(totals.by_key)
    except BaseException:
        for sink in opened:
            sink.discard()
        raise
    return totals.by_key
