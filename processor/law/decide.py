"""The pure decision core: one return line in, one decision with its reasons, taxes, clauses and trail out.

`decide(export, held, line, claim, reference, params)` does no I/O: whoever drives it (the nightly batch,
another engine) gathers its inputs and stores what it returns. `return_date` and `claim_for` are the one
place that says which claim and which date belong to a line; the export-item group (item.py) and the
order of lines (CONTRACT.md 6) use them too.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from . import taxes as tx
from .clauses import announcement_of
from .facts import (EXEMPT, PENDING, REJECTED, Decision, ExportFacts, Held, LineFacts,  # noqa: F401 - re-exported
                    Params)
from .rules import FORCES, RULES
from .window import Window, window_for


@dataclass(frozen=True, slots=True)
class ClaimMatch:
    """The claim of a line's return as it applies to the line: the claim (None when there is none or it
    names another export list), its Item for the line's gnum, and a note when it does not apply."""

    claim: object | None
    item: object | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Case:
    """The facts one rule may look at; built once per line by `decide`, by keyword."""

    export: ExportFacts | None
    line: LineFacts
    held: Held
    claim: object | None
    claim_item: object | None
    claim_note: str | None
    return_date: date
    export_date: date | None
    policy: str | None
    eligible_codes: frozenset
    window: Window | None
    gcode: str
    food_label: str | None
    tariff: object | None
    rate: object | None
    needs_rate: bool


def claim_for(line: LineFacts, claim) -> ClaimMatch:
    """A claim applies to a return's lines only when it names the return's export list (CONTRACT.md 2:
    invtNo must equal the CEB213's); its Item for the line's gnum carries the line's facts."""
    if claim is None:
        return ClaimMatch(None, None, None)
    if claim.invt_no != line.invt_no:
        return ClaimMatch(None, None, f"the claim for {line.co_el_no} names invtNo {claim.invt_no}, the return "
                                      f"{line.invt_no}: it is not a claim for this return")
    item = next((i for i in claim.items if i.gnum == line.gnum), None)
    if item is None:
        return ClaimMatch(claim, None, f"the claim for {line.co_el_no} has no Item for gnum {line.gnum}")
    return ClaimMatch(claim, item, None)


def return_date(line: LineFacts, claim) -> date:
    """The date the goods were declared back (LAW.md, window): the claim's returnDate when the claim
    applies to the line, else the CEB213 appTime date."""
    return _return_date(line, claim_for(line, claim))


def _return_date(line: LineFacts, match: ClaimMatch) -> date:
    return match.claim.return_date if match.claim is not None else line.app_time.date()


def contract_order(line: LineFacts, claim) -> tuple:
    """The order lines are decided in within a batch (CONTRACT.md 6): return date, coElNo, gnum."""
    return (return_date(line, claim), line.co_el_no, line.gnum)


def policy_for(policies, day: date):
    """The latest-issued policy version whose export window holds the day (LAW.md: 2023-34 for 2023..2025)."""
    covering = [p for p in policies if p.export_from <= day <= p.export_to]
    return max(covering, key=lambda p: (p.issued, p.version)) if covering else None


def food_label(food_prefixes, gcode: str) -> str | None:
    best = None
    for prefix, label in food_prefixes:
        if gcode.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, label)
    return f"{best[1]} (HS {best[0]})" if best else None


def export_date_of(export: ExportFacts, claim) -> tuple[date, str]:
    """The day the window starts from, and the key of its clause: for 1210 the claim's zoneExitDate
    when given (left the special area or bonded centre B), else the list's ieDate (LAW.md, clause 1)."""
    if export.trade_mode == "1210" and claim is not None and claim.zone_exit_date is not None:
        return claim.zone_exit_date, "EXPORT_DATE_1210"
    return export.ie_date, "EXPORT_DATE"


class _Trail:
    """The steps of a decision, each with the clause it rests on, cited under the line's policy version."""

    def __init__(self, reference, policy: str | None, announcement: str, on: date):
        self.steps: list = []
        self._cite = reference.clauses.cite
        self._texts = reference.clauses.texts(policy, announcement)  # the undated texts, found once a night
        self._policy, self._announcement, self._on = policy, announcement, on

    def cite(self, key: str) -> str:
        text = self._texts.get(key)
        return text if text is not None else self._cite(key, self._policy, self._announcement, self._on)

    def add(self, step: str, detail: str, key: str) -> None:
        self.steps.append({"step": step, "detail": detail, "reference": self.cite(key)})

    def reason(self, code: str, rule: str, detail: str) -> str:
        text = self.cite(code)
        self.steps.append({"step": "reason", "code": code, "rule": rule, "detail": detail, "reference": text})
        return text


def decide(export: ExportFacts | None, held: Held, line: LineFacts, claim, reference, params: Params = Params()
           ) -> Decision:
    match = claim_for(line, claim)
    claim, item = match.claim, match.item
    valid_claim = claim if item is not None or match.note is None else None
    day = _return_date(line, match)
    # The policy windows filter the export declaration date (LAW.md): ieDate, also for 1210, whose
    # six-month window alone counts from zoneExitDate.
    policy = policy_for(reference.policies, export.ie_date) if export is not None else None
    version = policy.version if policy else None
    trail = _Trail(reference, version, announcement_of(policy, reference.policies), day)
    export_date = window = None
    if export is not None:
        export_date, key = export_date_of(export, claim)
        trail.add("export date", f"1210: the claim's zoneExitDate {export_date} (left the special area), not ieDate "
                  f"{export.ie_date}" if key == "EXPORT_DATE_1210" else
                  f"ieDate {export_date} of list {export.invt_no}", key)
    trail.add("return date", f"the claim's returnDate {day}" if claim is not None else
              f"the CEB213 appTime date {day} (no claim)", "RETURN_DATE")
    latest = max(reference.policies, key=lambda p: (p.issued, p.version)) if reference.policies else None
    eligible = policy.eligible_codes if policy else frozenset().union(*(p.eligible_codes for p in reference.policies))
    if export is not None:
        trail.add("policy", f"{policy.version}: exports declared {policy.export_from} to {policy.export_to} hold "
                  f"ieDate {export.ie_date}" if policy else
                  f"no policy version covers the declaration date {export.ie_date}", "POLICY")
        months = (policy or latest).window_months if (policy or latest) else 6
        window = window_for(export_date, months, params.extend_over_rest_days, reference.calendar)
        ext = (f", a statutory rest day ({'; '.join(f'{d} {n}' for d, n in window.rest_days)}), so extended to "
               f"{window.end}" if window.rest_days else "")
        trail.add("window", f"start {window.start} (not counted) + {months} months = nominal end "
                  f"{window.nominal_end}{ext}; last day {window.end}"
                  + ("" if window.known else " (an estimate)")
                  + (f"; rest days from {window.calendar}" if window.calendar else "")
                  + ("" if params.extend_over_rest_days else " (rest-day extension switched off)"), "WINDOW")
        if window.calendar_note:
            trail.add("calendar", window.calendar_note, "WINDOW")
    gcode = export.gcode if export is not None else line.gcode
    declared = item.customs_value if item is not None else None
    rate = tx.exchange_rate(reference.exchange_rates, export.currency, day) if export is not None else None
    row = tx.tariff_row(reference.tariff, gcode, day)
    case = Case(export=export, line=line, held=held, claim=valid_claim, claim_item=item, claim_note=match.note,
                return_date=day, export_date=export_date, policy=version, eligible_codes=eligible, window=window,
                gcode=gcode, food_label=food_label(reference.food_prefixes, gcode), tariff=row, rate=rate,
                needs_rate=export is not None and declared is None)
    reasons, cited = [], {}
    for r in RULES:
        detail = r.test(case)
        if detail:
            reasons.append(r.code)
            cited[r.code] = trail.reason(r.code, r.name, detail)
    forced = {FORCES[c] for c in reasons}
    decision = REJECTED if REJECTED in forced else PENDING if PENDING in forced else EXEMPT
    taxes = tx.compute(line.qty, line.qty1, export.price if export is not None else None, rate, declared, row)
    for label, formula, key in taxes.steps:
        trail.add(label, formula, key)
    refund = tx.cents(item.export_duty_paid) if item is not None and decision == EXEMPT else tx.ZERO
    backpay_vat = tx.cents(item.refunded_vat) if item is not None else tx.ZERO
    backpay_ct = tx.cents(item.refunded_ct) if item is not None else tx.ZERO
    trail.add("export duty refund", f"{refund} (the claim's exportDutyPaid, only when EXEMPT)", "EXPORT_DUTY_REFUND")
    if backpay_vat or backpay_ct:
        trail.add("pay-back", f"export refund to pay back: VAT {backpay_vat}, CT {backpay_ct}", "BACKPAY")
    citations = {"reasons": cited}
    if policy is not None:
        citations["announcement"] = policy.announcement
    if decision == EXEMPT:
        citations["basis"] = trail.cite("EXEMPTION")
        trail.add("legal basis", "exempt from import duty, import VAT and consumption tax; export duty refunded",
                  "EXEMPTION")
    trail.add("decision", decision + (f": {';'.join(sorted(reasons))}" if reasons else ""), "DECISION")
    return Decision(
        co_el_no=line.co_el_no, gnum=line.gnum, invt_no=line.invt_no, return_date=day, gcode=line.gcode,
        qty=line.qty, qty1=line.qty1, export_date=export_date, trade_mode=export.trade_mode if export else None,
        window_end=window.end if window else None, policy=version, decision=decision,
        reasons=tuple(sorted(reasons)), customs_value=taxes.customs_value, import_duty=taxes.import_duty,
        consumption_tax=taxes.consumption_tax, import_vat=taxes.import_vat, export_duty_refund=refund,
        backpay_vat=backpay_vat, backpay_ct=backpay_ct, citations=citations, trail=tuple(trail.steps),
        calendar_note=window.calendar_note if window else None)
