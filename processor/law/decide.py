"""The pure decision core: one return line in, one decision with its reasons, taxes and trail out.

`decide(export, held, line, claim, reference, params)` does no I/O: the batch gathers its inputs from
the ledger and stores what it returns, so the same function can run anywhere.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from . import taxes as tx
from .rules import CLAUSES, EXEMPT, FORCES, PENDING, REJECTED, RULES
from .window import CIVIL_CODE, Window, window_for

ZERO = Decimal("0")


@dataclass(frozen=True)
class ExportFacts:
    """The original export item with what its list says (from the ledger)."""

    invt_no: str
    gnum: int
    ie_date: date
    trade_mode: str
    ebc_code: str
    ebp_code: str
    void_reason: str | None
    gcode: str
    unit: str
    unit1: str
    qty: Decimal
    qty1: Decimal
    price: Decimal
    currency: str


@dataclass(frozen=True)
class LineFacts:
    """One return line (CEB213 InvtRefundList) with its application's head."""

    co_el_no: str
    invt_no: str
    app_time: datetime
    ebc_code: str
    ebp_code: str
    gnum: int
    gcode: str
    unit: str
    unit1: str
    qty: Decimal
    qty1: Decimal


@dataclass(frozen=True)
class Held:
    """Quantity of the export item already held by other EXEMPT or PENDING return lines."""

    qty: Decimal = ZERO
    qty1: Decimal = ZERO


@dataclass(frozen=True)
class Params:
    extend_over_rest_days: bool = True


@dataclass(frozen=True)
class Decision:
    co_el_no: str
    gnum: int
    invt_no: str
    return_date: date
    gcode: str
    qty: Decimal
    qty1: Decimal
    export_date: date | None
    trade_mode: str | None
    window_end: date | None
    policy: str | None
    decision: str
    reasons: tuple
    customs_value: Decimal | None
    import_duty: Decimal | None
    consumption_tax: Decimal | None
    import_vat: Decimal | None
    export_duty_refund: Decimal
    backpay_vat: Decimal
    backpay_ct: Decimal
    trail: tuple = field(compare=False)
    calendar_note: str | None = field(default=None, compare=False)


@dataclass
class Case:
    """The facts one rule may look at; built once per line by `decide`."""

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
    rate: Decimal | None
    needs_rate: bool


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


def _claim_for(line: LineFacts, claim):
    """The claim and its item for this line, or a note saying why there is none."""
    if claim is None:
        return None, None, None
    if claim.invt_no != line.invt_no:
        return None, None, (f"the claim for {line.co_el_no} names invtNo {claim.invt_no}, the return "
                            f"{line.invt_no}: it is not a claim for this return")
    item = next((i for i in claim.items if i.gnum == line.gnum), None)
    if item is None:
        return claim, None, f"the claim for {line.co_el_no} has no Item for gnum {line.gnum}"
    return claim, item, None


def decide(export: ExportFacts | None, held: Held, line: LineFacts, claim, reference, params: Params = Params()
           ) -> Decision:
    claim, item, claim_note = _claim_for(line, claim)
    valid_claim = claim if item is not None or claim_note is None else None
    return_date = claim.return_date if claim is not None else line.app_time.date()
    trail = []
    export_date = None
    if export is not None:
        export_date = export.ie_date
        if export.trade_mode == "1210" and claim is not None and claim.zone_exit_date is not None:
            export_date = claim.zone_exit_date
            trail.append({"step": "export date", "detail": f"1210: the claim's zoneExitDate {export_date} (left the "
                          f"special area), not ieDate {export.ie_date}", "reference": "公告2023年第4号 第一条"})
        else:
            trail.append({"step": "export date", "detail": f"ieDate {export_date} of list {export.invt_no}",
                          "reference": "公告2023年第4号 第一条: 自出口之日起"})
    trail.append({"step": "return date", "detail": (f"the claim's returnDate {return_date}" if claim is not None
                                                   else f"the CEB213 appTime date {return_date} (no claim)"),
                  "reference": "CONTRACT.md 2: returnDate, else appTime"})
    # The policy windows filter the export declaration date (LAW.md): ieDate, also for 1210, whose
    # six-month window alone counts from zoneExitDate.
    policy = policy_for(reference.policies, export.ie_date) if export is not None else None
    latest = max(reference.policies, key=lambda p: (p.issued, p.version)) if reference.policies else None
    eligible = policy.eligible_codes if policy else frozenset().union(*(p.eligible_codes for p in reference.policies))
    if export_date is not None:
        trail.append({"step": "policy", "detail": (f"{policy.version}: exports declared {policy.export_from} to "
                                                   f"{policy.export_to} hold ieDate {export.ie_date}" if policy else
                                                   f"no policy version covers the declaration date "
                                                   f"{export.ie_date}"),
                      "reference": policy.reference if policy else "policies.csv"})
    window = None
    if export_date is not None:
        months = (policy or latest).window_months if (policy or latest) else 6
        window = window_for(export_date, months, params.extend_over_rest_days)
        ext = (f", a statutory rest day ({'; '.join(f'{d} {n}' for d, n in window.rest_days)}), so extended to "
               f"{window.end}" if window.rest_days else "")
        trail.append({"step": "window", "detail": f"start {window.start} (not counted) + {months} months = nominal "
                      f"end {window.nominal_end}{ext}; last day {window.end}"
                      + ("" if params.extend_over_rest_days else " (rest-day extension switched off)"),
                      "reference": CIVIL_CODE})
        if window.calendar_note:
            trail.append({"step": "calendar", "detail": window.calendar_note, "reference": CIVIL_CODE})
    gcode = export.gcode if export is not None else line.gcode
    declared = item.customs_value if item is not None else None
    rate = tx.exchange_rate(reference.exchange_rates, export.currency, return_date) if export is not None else None
    row = tx.tariff_row(reference.tariff, gcode, return_date)
    case = Case(export, line, held, valid_claim, item, claim_note, return_date, export_date,
                policy.version if policy else None, eligible, window, gcode,
                food_label(reference.food_prefixes, gcode), row, rate,
                needs_rate=export is not None and declared is None)
    reasons = []
    for r in RULES:
        detail = r.test(case)
        if detail:
            reasons.append(r.code)
            trail.append({"step": "reason", "code": r.code, "rule": r.name, "detail": detail,
                          "reference": r.reference})
    forced = {FORCES[c] for c in reasons}
    decision = REJECTED if REJECTED in forced else PENDING if PENDING in forced else EXEMPT
    taxes = tx.compute(line.qty, line.qty1, export.price if export is not None else None, rate, declared, row,
                       return_date)
    for label, formula, ref in taxes.steps:
        trail.append({"step": label, "detail": formula, "reference": ref})
    refund = tx.cents(item.export_duty_paid) if item is not None and decision == EXEMPT else tx.ZERO
    backpay_vat = tx.cents(item.refunded_vat) if item is not None else tx.ZERO
    backpay_ct = tx.cents(item.refunded_ct) if item is not None else tx.ZERO
    trail.append({"step": "export duty refund", "detail": f"{refund} (the claim's exportDutyPaid, only when EXEMPT)",
                  "reference": "公告2023年第4号 第一条: 出口环节已征收的出口关税准予退还"})
    if backpay_vat or backpay_ct:
        trail.append({"step": "pay-back", "detail": f"export refund to pay back: VAT {backpay_vat}, CT {backpay_ct}",
                      "reference": CLAUSES["BACKPAY_REQUIRED"]})
    trail.append({"step": "decision", "detail": decision + (f": {';'.join(sorted(reasons))}" if reasons else ""),
                  "reference": "CONTRACT.md 6: REJECTED wins over PENDING; EXEMPT means no code at all"})
    return Decision(
        co_el_no=line.co_el_no, gnum=line.gnum, invt_no=line.invt_no, return_date=return_date, gcode=line.gcode,
        qty=line.qty, qty1=line.qty1, export_date=export_date, trade_mode=export.trade_mode if export else None,
        window_end=window.end if window else None, policy=policy.version if policy else None, decision=decision,
        reasons=tuple(sorted(reasons)), customs_value=taxes.customs_value, import_duty=taxes.import_duty,
        consumption_tax=taxes.consumption_tax, import_vat=taxes.import_vat, export_duty_refund=refund,
        backpay_vat=backpay_vat, backpay_ct=backpay_ct, trail=tuple(trail),
        calendar_note=window.calendar_note if window else None)
