"""Every rule of LAW.md and CONTRACT.md section 6 as one small named function, cited by its reason code.

Each rule looks at a Case (the facts of one return line) and returns a sentence when its reason code
applies, or None. `RULES` lists them in the order the trail shows them; the decision they force is in
`FORCES`. The clause each one cites is reference data (clauses.csv, keyed by the code and the line's
policy version), so a new announcement changes processor/data/, not these functions.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .facts import EXEMPT, PENDING, REJECTED  # noqa: F401 - the decisions a rule forces
from .taxes import cents


@dataclass(frozen=True)
class Rule:
    code: str  # the reason code, also the key of its clause in clauses.csv
    forces: str
    test: Callable

    @property
    def name(self) -> str:
        return self.test.__name__


RULES: list[Rule] = []


def _refund_granted(case) -> bool:
    """The claim shows an export VAT or consumption-tax refund granted on the returned quantity."""
    item = case.claim_item
    return item is not None and item.refunded_vat + item.refunded_ct > 0


def _differences(case, fields) -> str | None:
    """Where the return line says otherwise than the export it names."""
    if case.export is None:
        return None
    diffs = [f"{f} {getattr(case.line, f)} vs exported {getattr(case.export, f)}"
             for f in fields if getattr(case.line, f) != getattr(case.export, f)]
    return "; ".join(diffs) or None


def rule(code: str, forces: str):
    def register(fn):
        RULES.append(Rule(code, forces, fn))
        return fn
    return register


@rule("NO_SUCH_EXPORT", REJECTED)
def no_such_export(case):
    if case.export is None:
        return f"no export item ({case.line.invt_no}, gnum {case.line.gnum}) in the ledger"


@rule("EXPORT_VOID", REJECTED)
def export_void(case):
    if case.export is not None and case.export.void_reason:
        return f"the export list {case.export.invt_no} was {case.export.void_reason}"


@rule("CODE_NOT_ELIGIBLE", REJECTED)
def code_not_eligible(case):
    if case.export is not None and case.export.trade_mode not in case.eligible_codes:
        return (f"supervision code {case.export.trade_mode} is not one of "
                f"{', '.join(sorted(case.eligible_codes))}")


@rule("OUTSIDE_POLICY_PERIOD", REJECTED)
def outside_policy_period(case):
    if case.export is not None and case.policy is None:
        return f"export declaration date {case.export.ie_date} is in no policy version's window"


@rule("WINDOW_EXPIRED", REJECTED)
def window_expired(case):
    w = case.window
    if w is None:
        return None
    if w.known and case.return_date > w.end:
        return f"return date {case.return_date} is after the window's last day {w.end}"
    if not w.known and case.return_date > w.latest_possible_end:
        return (f"return date {case.return_date} is more than {(w.latest_possible_end - w.nominal_end).days} days "
                f"after the nominal last day {w.nominal_end}: late whatever that year's rest days turn out to be")


@rule("FOOD_EXCLUDED", REJECTED)
def food_excluded(case):
    if case.food_label is not None:
        return f"HS {case.gcode} is food: {case.food_label}"


@rule("GOODS_MISMATCH", REJECTED)
def goods_mismatch(case):
    return _differences(case, ("gcode", "unit", "unit1"))


@rule("PARTY_MISMATCH", REJECTED)
def party_mismatch(case):
    return _differences(case, ("ebc_code", "ebp_code"))


@rule("RETURN_BEFORE_EXPORT", REJECTED)
def return_before_export(case):
    if case.export_date is not None and case.return_date < case.export_date:
        left = "left the special area (zoneExitDate)" if case.export_date != case.export.ie_date else "were exported"
        return f"return date {case.return_date} is before {case.export_date}, the day the goods {left}"


@rule("QTY_EXCEEDS_EXPORT", REJECTED)
def qty_exceeds_export(case):
    if case.export is None:
        return None
    e, ln, h = case.export, case.line, case.held
    if ln.qty + h.qty > e.qty or ln.qty1 + h.qty1 > e.qty1:
        return (f"returned qty {ln.qty} + {h.qty} already held = {ln.qty + h.qty} (exported {e.qty}); qty1 "
                f"{ln.qty1} + {h.qty1} = {ln.qty1 + h.qty1} (exported {e.qty1})")


@rule("NOT_ORIGINAL_STATE", REJECTED)
def not_original_state(case):
    item = case.claim_item
    if item is None:
        return None
    why = []
    if item.accessories_added:
        why.append("accessories or parts were added")
    if item.processed:
        why.append("the goods were processed or modified")
    if item.used and not item.trial_use_evidence:
        why.append("the goods were used, without trial-use evidence")
    if why:
        return "; ".join(why)


@rule("REASON_NOT_ELIGIBLE", REJECTED)
def reason_not_eligible(case):
    if case.claim is not None and case.claim.reason_code == "OTHER":
        return "the reason is OTHER: only unsold goods (滞销) and buyer returns (退货) qualify"


@rule("CLAIM_MISSING", PENDING)
def claim_missing(case):
    if case.claim_item is None:
        return case.claim_note or "no claim for this return yet"


@rule("DOCUMENTS_MISSING", PENDING)
def documents_missing(case):
    c = case.claim
    if case.claim_item is None:
        return None
    if c.reason_code == "UNSOLD" and not c.self_declaration_no:
        return "UNSOLD without the enterprise's self-declaration (自我声明)"
    if c.reason_code == "BUYER_RETURN" and not c.return_record_no and not c.return_agreement_no:
        return "BUYER_RETURN without a return or rejection record and without a return agreement"


@rule("CERTIFICATE_MISSING", PENDING)
def certificate_missing(case):
    if case.claim_item is not None and not case.claim.certificate_type:
        return "no 出口货物已补税/未退税证明 from the tax authority"


@rule("BACKPAY_REQUIRED", PENDING)
def backpay_required(case):
    item = case.claim_item
    if _refund_granted(case) and case.claim.certificate_type != "PAID_BACK":
        return (f"export refund granted (VAT {cents(item.refunded_vat)}, CT {cents(item.refunded_ct)}) and no PAID_BACK "
                f"(已补税) certificate")


@rule("CERTIFICATE_CONFLICT", PENDING)
def certificate_conflict(case):
    if _refund_granted(case) and case.claim.certificate_type == "NOT_REFUNDED":
        return "certificate NOT_REFUNDED (未退税) while the claim shows an export refund granted"


@rule("TARIFF_UNKNOWN", PENDING)
def tariff_unknown(case):
    why = []
    if case.tariff is None:
        why.append(f"no tariff row for HS {case.gcode} on {case.return_date}")
    if case.needs_rate and case.rate is None:
        why.append(f"no exchange rate for currency {case.export.currency} in {case.return_date:%Y-%m}")
    if why:
        return "; ".join(why)


@rule("CALENDAR_UNKNOWN", PENDING)
def calendar_unknown(case):
    """LAW.md: never decide on rest days that are not known."""
    w = case.window
    if w is not None and not w.known and w.certain_until < case.return_date <= w.latest_possible_end:
        return (f"return date {case.return_date} is after {w.certain_until}, the last day surely in time (nominal last "
                f"day {w.nominal_end}), and the rest days of {w.certain_until.year} are not known yet: whether it is "
                f"in time depends on them (add them to rest_days.csv)")


FORCES = {r.code: r.forces for r in RULES}
