"""A committed batch's reports written again from the ledger (`processor report --batch ID`): after exit status 3
(the batch stands, its reports could not all be put in place), or to give a colleague a copy.

decisions.csv, backpay.csv, reconciliation.xml and quarantine.csv are streamed from the ledger through the same
sinks, under the header the batch kept (its run time, software, parameters and input files); summary.json is the
text the batch stored. The files are those the batch wrote, byte for byte, as long as no later batch has changed
what they show beside the decisions themselves (a later claim's certificate, say): decisions are versions that
never change, the enterprise fields come from the records as they stand. The workbook's Pending sheet and the
page's backlog are the ledger's backlog as it stands when they are written (they are for chasing it).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..readers.messages import BY_NAME, KINDS
from ..reference import load_reference
from ..sinks import BatchHeader
from ..sinks.files import Staged
from ..sinks.marker import clear_incomplete
from ..ledger.decisions import DecisionStore
from ..sinks import write_decisions
from .report import LedgerViews, report_files, write_reports


class NoSuchBatch(LookupError):
    """The ledger has no committed batch of that id."""


@dataclass(frozen=True)
class StoredPolicy:
    """A policy version as the batch recorded it in its parameters."""

    version: str
    export_from: date
    export_to: date
    eligible_codes: frozenset
    window_months: int
    announcement: str
    issued: date = date.min  # not recorded; only orders the announcements a line with no version names


@dataclass
class StoredReference:
    """The reference data as the reconciliation sink asks it of a batch: policies and sources as the batch
    recorded them; clauses for decisions stored before their citations were kept (older releases)."""

    policies: list
    sources: dict
    clauses: object = field(default=None)


def latest_batch(ledger) -> str:
    found = ledger.query("SELECT batch_id FROM batches WHERE finished_at IS NOT NULL "
                         "ORDER BY started_at DESC, batch_id DESC LIMIT 1")
    if not found:
        raise NoSuchBatch("no committed batch in this ledger")
    return found[0][0]


def _header(ledger, batch_id: str, as_of: date | None = None) -> BatchHeader:
    found = ledger.query("SELECT started_at, software_version, parameters, finished_at FROM batches "
                         "WHERE batch_id = ?", (batch_id,))
    if not found or found[0][3] is None:
        raise NoSuchBatch(f"no committed batch {batch_id} in this ledger")
    started_at, software, parameters, _finished = found[0]
    params = json.loads(parameters)
    policies = [StoredPolicy(p["version"], date.fromisoformat(p["export_from"]), date.fromisoformat(p["export_to"]),
                             frozenset(p["eligible_codes"]), p["window_months"], p["announcement"])
                for p in params.get("policies", [])]
    reference = StoredReference(policies, params.get("reference", {}), load_reference(None).clauses)
    as_of = as_of or date.fromisoformat(started_at[:10])
    return BatchHeader(batch_id=batch_id, run_at=started_at, software_version=software, reference=reference,
                       settings=params.get("settings", {}), files=_files(ledger, batch_id),
                       views=LedgerViews(ledger, batch_id, as_of))


def _files(ledger, batch_id: str) -> list:
    """The batch's input files as the reports name them, in the order the batch stored them (stages/intake.py)."""
    names = {k.name for k in KINDS}
    rows = []
    for name, sha, size, kind, read, stored, quarantined, duplicates, complete in ledger.query(
            "SELECT file_name, sha256, size_bytes, kind, records_read, stored, quarantined, duplicates, complete "
            "FROM input_files WHERE batch_id = ?", (batch_id,)):
        kind = kind if kind in names else None
        order = BY_NAME[kind].order if kind else len(KINDS)
        rows.append((order, name, {"name": name, "sha256": sha, "size_bytes": size, "kind": kind, "read": read,
                                   "stored": stored, "quarantined": quarantined, "duplicates": duplicates}))
    return [entry for _o, _n, entry in sorted(rows, key=lambda r: (r[0], r[1]))]


def write_again(ledger, batch_id: str, out_dir: Path, as_of: date | None = None) -> list[str]:
    """Write the batch's reports into out_dir, all renamed into place together; the names written. The
    decisions are the batch's as it reported them; report.xlsx's Pending sheet and the page's backlog are the
    ledger's backlog now, its days left counted from `as_of` (default: the batch's day)."""
    header = _header(ledger, batch_id, as_of)
    summary = ledger.stored_summary(batch_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    staged = Staged(out_dir)
    try:
        write_reports(staged, ledger, batch_id, header)
        if summary is not None:
            staged.path("summary.json").write_bytes(summary.encode("utf-8"))
        staged.publish()
    except BaseException:
        staged.discard()
        raise
    clear_incomplete(out_dir)
    return [n for n in report_files() if n != "processor.log" and (n != "summary.json" or summary is not None)]


def write_readable(ledger, batch_id: str | None, out_dir: Path, as_of: date) -> tuple[str, list[str]]:
    """report.xlsx and report.html of a batch (the latest by default), with the PENDING backlog as it stands in
    the ledger, its days left counted from `as_of`: the clerk's morning read, without running a batch."""
    from ..sinks.page import Page
    from ..sinks.workbook import Workbook

    batch_id = batch_id or latest_batch(ledger)
    header = _header(ledger, batch_id, as_of)
    out_dir.mkdir(parents=True, exist_ok=True)
    staged = Staged(out_dir)
    sinks = (Workbook(), Page())
    try:
        write_decisions(sinks, staged, header, DecisionStore(ledger).of_batch(batch_id))
        staged.publish()
    except BaseException:
        staged.discard()
        raise
    return batch_id, [s.file_name for s in sinks]
