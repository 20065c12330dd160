"""Which version of a record is in force, and what receipts and cancellations do to it.

CEB603 lists and CEB213 returns arrive in versions: appType 1 (new), 2 (change: replaces), 3 (delete:
withdraws), ordered by appTime (CONTRACT.md 1). Receipts (CEB604, CEB214) and cancellations (CEB605)
may arrive before or after the record they concern. These functions say what holds; the ledger only
fetches the facts and stores the answer.
"""
from __future__ import annotations

from typing import Iterable

NEW, REPLACES, SUPERSEDED, CONFLICT = "new", "replaces", "superseded", "conflict"
REFUSED = "100"  # CEB604 / CEB214 returnStatus 100: 退单, refused by customs
DELETE = "3"  # appType 3: deleted by the sender

REFERENCE = "CONTRACT.md 1: appType 2 (change) replaces, 3 (delete) withdraws; the latest appTime is in force"


def version_of(app_time: str, app_type: str) -> tuple[str, str]:
    """A version's place among its record's versions: appTime (ISO text orders as time), then appType."""
    return (app_time, app_type)


def in_force(held: tuple | None, incoming: tuple, same_content: bool = False) -> str:
    """What an incoming version does to the one held (either from version_of):

    - NEW: nothing held yet; REPLACES: it is later and takes the held one's place;
    - SUPERSEDED: it is earlier, kept in the journal only;
    - CONFLICT: a different record with the same appTime and appType: the sender must send a change
      (appType 2 with a later appTime), so it is quarantined, never guessed between."""
    if held is None:
        return NEW
    if incoming < held:
        return SUPERSEDED
    if incoming == held and not same_content:
        return CONFLICT
    return REPLACES


def list_void_reason(app_type: str, cancelled: bool, refused: bool) -> str | None:
    """Why an export list no longer stands, if it does not (CONTRACT.md 1, 6 EXPORT_VOID): a CEB605
    cancellation, a CEB604 refusal (status 100) or the sender's delete (appType 3), in that order."""
    if cancelled:
        return "cancelled (CEB605)"
    if refused:
        return "refused by customs (CEB604 status 100)"
    if app_type == DELETE:
        return "deleted by the sender (appType 3)"
    return None


def return_withdrawal(app_type: str, refused: bool) -> str | None:
    """Why a return application is withdrawn, if it is: the sender's delete (appType 3) or a CEB214
    refusal (status 100). A withdrawn return releases what its lines held (CONTRACT.md 6)."""
    if app_type == DELETE:
        return "deleted by the sender (appType 3)"
    if refused:
        return "refused by customs (CEB214 status 100)"
    return None


def invt_no_from_receipts(receipts: Iterable[tuple]) -> str | None:
    """The invtNo a list sent without one takes from its CEB604 receipts, (returnTime, invtNo) pairs: the
    earliest receipt that names one. A refused list keeps it too, so that a return against it is found
    and rejected EXPORT_VOID rather than NO_SUCH_EXPORT."""
    named = sorted((t, i) for t, i in receipts if i)
    return named[0][1] if named else None
