"""Report: the batch's decisions streamed from the ledger into the sinks (decisions.csv, backpay.csv,
reconciliation.xml), its quarantine rows into quarantine.csv, and what it did into summary.json."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, datetime

from .. import __version__
from ..law.facts import DECISIONS
from ..law.calendar import BUNDLED
from ..law.window import calendar_version
from ..ledger.archive import has_archive, totals as archive_totals
from ..ledger.decisions import DecisionStore
from ..readers import FILE
from ..readers.messages import KINDS
from ..sinks import BatchHeader, decision_sinks, money, write_decisions
from ..sinks.words import URGENT_DAYS, days_left
from ..sinks.files import CsvOut

QUARANTINE_CSV_COLUMNS = ("batch_id", "file", "line", "kind", "record_key", "field", "problem", "expected")


def ledger_totals(ledger) -> dict:
    """Rows in force in each of the ledger's record tables; with an archive, the export lists and items in it and
    how many lists this batch put back."""
    out = ledger.rows_in_force()
    if has_archive(ledger) or getattr(ledger, "brought_back", 0):
        out["archived_export_lists"], out["archived_export_items"] = archive_totals(ledger)
        out["archived_lists_put_back"] = ledger.brought_back  # by this batch, which touched them
    return out


def settings(params, reference=None) -> dict:
    return {"rest_day_extension": "on" if params.extend_over_rest_days else "off",
            "holiday_calendar": calendar_version(reference.calendar if reference is not None else BUNDLED),
            "software_version": __version__}


def parameters(reference, params) -> dict:
    """Everything a decision depends on besides its inputs: kept with the batch for three years."""
    return {"reference": reference.sources,
            "policies": [{"version": p.version, "export_from": p.export_from.isoformat(),
                          "export_to": p.export_to.isoformat(), "eligible_codes": sorted(p.eligible_codes),
                          "window_months": p.window_months, "announcement": p.announcement}
                         for p in reference.policies],
            "settings": settings(params, reference)}


@dataclass
class LedgerViews:
    """What the workbook and the page read from the ledger at their close: every PENDING line in the ledger
    (the backlog, as of `as_of`), the batch's quarantine rows, the trails of the lines they show."""

    ledger: object
    batch_id: str
    as_of: date

    def pending(self, first: int | None = None):
        """The backlog (or its `first` lines), each line with its days left as of `as_of` (None without a window
        end) and whether it is urgent (due within URGENT_DAYS): counted here once, for the workbook and the page."""
        return with_days_left(DecisionStore(self.ledger).pending(first), self.as_of)

    def pending_by_window_end(self) -> list:
        """(window end, lines) of the whole backlog: the page's chart and count, without reading every line."""
        return DecisionStore(self.ledger).pending_by_window_end()

    def quarantined(self):
        return self.ledger.quarantined(self.batch_id)

    def trails(self, keys) -> dict:
        return DecisionStore(self.ledger).trails(set(keys))


def with_days_left(pending, as_of: date):
    """PENDING lines with their days left as of `as_of` (None without a window end) and whether each is urgent."""
    for p in pending:
        days = days_left(p["window_end"], as_of)
        yield {**p, "days_left": days, "urgent": days is not None and days <= URGENT_DAYS}


def report_files() -> tuple:
    """The files a batch writes in --out, in the order the terminal names them."""
    return (*(s.file_name for s in decision_sinks()), "quarantine.csv", "summary.json", "processor.log")


def write_reports(staged, ledger, batch_id: str, header: BatchHeader, stage=None, running: bool = False) -> dict:
    """Stream the batch's decisions into every sink in one pass and its quarantine rows into
    quarantine.csv; return the control totals. `stage` (progress.Stage) is told of the rows written; `running`:
    the batch is the one being run (not `report --batch`)."""
    rows = DecisionStore(ledger).of_batch(batch_id, running)
    totals = write_decisions(decision_sinks(), staged, header, rows if stage is None else _told(rows, stage))
    with CsvOut(staged.path("quarantine.csv"), QUARANTINE_CSV_COLUMNS) as q_csv:
        for file_name, line, kind, key, fld, problem, expected in ledger.quarantined(batch_id):
            q_csv.write({"batch_id": batch_id, "file": file_name, "line": "" if line is None else line,
                         "kind": kind, "record_key": key, "field": fld, "problem": problem, "expected": expected})
    return totals


def _told(rows, stage, every: int = 1000):
    n = 0
    for row in rows:
        yield row
        n += 1
        if n == every:
            stage.add(done=n)
            n = 0
    stage.add(done=n)


def _money_of(t: dict) -> dict:
    return {m: (money(v) if m != "lines" else v) for m, v in t.items()}


def summary(*, ledger, batch_id: str, started: datetime, finished: datetime, inbox: str, ledger_url: str,
            parameters: dict, files, n_files_whole: int, tally, notebook, decisions, totals: dict) -> dict:
    """summary.json: counts in and out per input kind, decisions and money totals, input files, parameters.
    `files` is an iterable written one by one."""
    inputs = {}
    for kind in [k.name for k in KINDS] + [FILE]:
        if kind in tally.records:
            inputs[kind] = {"records": tally.records[kind], "items": tally.items[kind]}
    return {
        "batch_id": batch_id,
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "software": {"name": "processor", "version": __version__, "python": sys.version.split()[0]},
        "inbox": inbox,
        "ledger": ledger_url,
        "parameters": parameters,
        "files": files,
        "files_quarantined_whole": n_files_whole,
        "inputs": inputs,
        "accounting_balanced": tally.balanced(),
        "quarantine_rows": notebook.n_errors,
        "warnings": {"count": notebook.n_warnings, "by_kind": notebook.grouped(),
                     "first": [{"warning_kind": w.warning_kind, **w.as_row()} for w in notebook.warnings]},
        "ledger_totals": ledger_totals(ledger),
        "decisions": {
            "lines": totals["ALL"]["lines"], "decided_now": decisions.decided, "new": decisions.new,
            "revised": decisions.revised, "withdrawn": decisions.withdrawn,
            "decided_again_unchanged": decisions.unchanged, "reported_again": decisions.reported_again,
            "estimated_windows": decisions.estimated_windows,
            **{d: totals[d]["lines"] for d in DECISIONS}},
        "totals": {k: _money_of(t) for k, t in totals.items() if k != "NET"},
        "net_change": {k: _money_of(t) for k, t in totals["NET"].items()},
    }
