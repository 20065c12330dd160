"""Which lines a batch decides, which it reports again as they stand, and which keep their decision.

CONTRACT.md 6, "Decisions follow their inputs". A line's inputs are its return (the CEB213 version in
force), its claim and its CEB214 receipts, summed up in one fingerprint. A line with no decision yet is
decided; a line whose return changed (CEB213 appType 2) is decided again, whatever its decision; a
PENDING line is decided again when its claim or receipts changed; a line whose inputs are unchanged is
reported again as it stands (a rerun writes the same rows and holds nothing twice). An EXEMPT or
REJECTED line whose claim or receipts changed keeps its decision, and the batch warns (the re-decision
triggers of export lists, released quantity and reference data are the next step of this module).
A withdrawn return, and the lines a change dropped, release what they held.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .facts import PENDING

DECIDE, REPORT_AGAIN, KEEP = "decide", "report again", "keep"


@dataclass(frozen=True, slots=True)
class Previous:
    """What the ledger holds of a line's current decision, as far as choosing the next step needs."""

    version: int
    decision: str
    fingerprint: str
    return_hash: str


def inputs_fingerprint(return_hash: str, claim_hash: str | None, receipt_hashes) -> str:
    """One hash of everything a line's own inputs say: its return, its claim and its receipts."""
    text = "|".join([return_hash, claim_hash or "-", *sorted(receipt_hashes)])
    return hashlib.sha256(text.encode()).hexdigest()


def next_step(previous: Previous | None, fingerprint: str, return_hash: str) -> str:
    """DECIDE, REPORT_AGAIN or KEEP for a line whose return, claim or receipts this batch read."""
    if previous is None:
        return DECIDE
    if previous.fingerprint == fingerprint:
        return REPORT_AGAIN
    if previous.decision == PENDING or previous.return_hash != return_hash:
        return DECIDE
    return KEEP


def dropped(decided_gnums, gnums) -> list:
    """The lines a changed return no longer has: they are withdrawn and release what they held."""
    keep = set(gnums)
    return sorted(g for g in decided_gnums if g not in keep)
