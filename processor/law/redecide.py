"""Which lines a batch decides again, and what it reports of each (CONTRACT.md 6, "Decisions follow their
inputs" and "What is reported").

A line's own inputs (its return, claim, receipts and export list) are summed up in a fingerprint of four
parts, so the ledger can tell which of them changed. A line is decided again when its fingerprint
changed (new data for it), when `processor reassess` covers it, when it is PENDING waiting for a tariff
row or a holiday calendar and the reference data differ from those it was decided under, or (law/item.py)
when quantity is released on its export item and it was rejected for quantity. Its new decision is
reported only when its row differs from the one reported last: NEW the first time, REVISED after, and a
withdrawn line that had been reported once more as WITHDRAWN.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .facts import PENDING

NEW, REVISED, WITHDRAWN = "NEW", "REVISED", "WITHDRAWN"
CHANGES = (NEW, REVISED, WITHDRAWN)
PARTS = ("CEB213 return", "claim", "CEB214 receipts", "export list")  # what each part of a fingerprint sums up
WAITING = ("TARIFF_UNKNOWN", "CALENDAR_UNKNOWN")  # PENDING for reference data not there yet
# The causes a decision version records (explain --all-versions says them).
FIRST, REASSESS, REFERENCE, RELEASED = ("first decision", "reassess", "reference data changed",
                                        "quantity released on the export item")
# The columns of a reported row that say what was decided (CONTRACT.md 5: all but batch_id, change, supersedes).
ROW_COLUMNS = ("return_date", "invt_no", "gnum", "gcode", "qty", "export_date", "trade_mode", "window_end", "policy",
               "decision", "reasons", "customs_value_cny", "import_duty", "consumption_tax", "import_vat",
               "export_duty_refund", "backpay_vat", "backpay_ct")


@dataclass(frozen=True, slots=True)
class Previous:
    """A line's latest decision version, as far as choosing what to do with it needs."""

    version: int
    decision: str
    reasons: str
    fingerprint: str
    status: str  # current (in force) or withdrawn
    reported_in: str | None  # the batch that reported the line last, if any did
    reference: str | None = None  # the reference data's fingerprint in the batch that made it
    invt_no: str | None = None  # the export list it was decided against (a CEB213 change may name another)

    @property
    def holds(self) -> bool:
        return self.status == "current" and self.decision != "REJECTED"


def _part(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def export_state(content_hash: str | None, invt_no: str | None, void_reason: str | None) -> str:
    """What the export list in force says, as far as a line's decision can depend on it ("-": none)."""
    return "-" if content_hash is None else f"{content_hash}|{invt_no}|{void_reason or ''}"


def inputs_fingerprint(return_hash: str, claim_hash: str | None, receipt_hashes, export: str = "-") -> str:
    """The line's own inputs in four parts (PARTS), each a short hash: which changed is readable later."""
    return ".".join((_part(return_hash), _part(claim_hash or "-"), _part("|".join(sorted(receipt_hashes))),
                     _part(export)))


def what_changed(before: str, after: str) -> str:
    """The inputs that differ between two fingerprints, in words (a fingerprint of an older release: all)."""
    old, new = before.split("."), after.split(".")
    if len(old) != len(PARTS):
        return "new data"
    return "new data: " + ", ".join(p for p, a, b in zip(PARTS, old, new) if a != b)


def waits_for_reference(decision: str, reasons) -> bool:
    """PENDING only for reference data not there yet (a tariff row, an exchange rate, a year's calendar):
    decided again when the reference data change. `reasons`: the reason codes."""
    return decision == PENDING and any(c in reasons for c in WAITING)


def why_decide(previous: Previous | None, fingerprint: str, reference: str, reassess: bool = False) -> str | None:
    """Why a line whose return came up in this batch is decided (the cause kept with the decision), or None
    when nothing it depends on changed."""
    if previous is None or previous.status != "current":
        return FIRST
    if previous.fingerprint != fingerprint:
        return what_changed(previous.fingerprint, fingerprint)
    if reassess:
        return REASSESS
    if previous.reference != reference and waits_for_reference(previous.decision, previous.reasons.split(";")):
        return REFERENCE
    return None


def change_of(previous: Previous | None, row: dict, previous_row: dict | None) -> str | None:
    """NEW, REVISED, or None when the new decision's row says what the one reported last said."""
    if previous is None or previous.status != "current" or previous.reported_in is None:
        return NEW
    if previous_row is not None and all(str(row[c] or "") == str(previous_row[c] or "") for c in ROW_COLUMNS):
        return None
    return REVISED


def dropped(decided_gnums, gnums) -> list:
    """The lines a changed return no longer has: they are withdrawn and release what they held."""
    keep = set(gnums)
    return sorted(g for g in decided_gnums if g not in keep)
