"""Cases derived from LAW.md and CONTRACT.md section 6, decided by the pure core."""
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processor.law.decide import ExportFacts, Held, LineFacts, Params, decide
from processor.law.window import add_months, window_for
from processor.records import Claim, ClaimItem
from processor.reference import ReferenceData, TariffRow, load_reference

BUNDLED = load_reference()
CENT = D("0.01")


def tariff_row(prefix, valid_from, duty="0", duty_unit="0", ct="0", ct_unit="0", vat="0.13"):
    return TariffRow(hs_prefix=prefix, valid_from=valid_from, import_duty_rate=D(duty),
                     import_duty_per_unit=D(duty_unit), consumption_tax_rate=D(ct), consumption_tax_per_unit=D(ct_unit),
                     vat_rate=D(vat), export_duty_rate=D("0"))


def reference(**over):
    tariff = (
        tariff_row("1", date(2020, 1, 1), duty="0.10", ct="0.15"),  # worked example
        tariff_row("2208", date(2020, 1, 1), duty="0.05", duty_unit="1.50", ct="0.20", ct_unit="1.00"),  # compound
        tariff_row("0901", date(2020, 1, 1), duty="0.08", vat="0.09"),
        tariff_row("8517", date(2020, 1, 1)),
        tariff_row("8517", date(2026, 1, 1), duty="0.02"),  # dated change
        tariff_row("851713", date(2020, 1, 1), duty="0.01"),  # longer prefix
    )
    rates = {(f"{y}-{m:02d}", "502"): D("7.1000") for y in range(2023, 2029) for m in range(1, 13)}
    base = dict(tariff=tariff, exchange_rates=rates, food_prefixes=BUNDLED.food_prefixes, policies=BUNDLED.policies)
    base.update(over)
    return ReferenceData(**base)


REF = reference()


def export(**over):
    e = ExportFacts(invt_no="33012026E000000001", gnum=1, ie_date=date(2026, 3, 10), trade_mode="9610",
                    ebc_code="3301960001", ebp_code="3301980888", void_reason=None, gcode="1234567890", unit="011",
                    unit1="011", qty=D("10"), qty1=D("10"), price=D("1000"), currency="502")
    return replace(e, **over)


def line(**over):
    ln = LineFacts(co_el_no="R1", invt_no="33012026E000000001", app_time=datetime(2026, 6, 1, 10, 0),
                   ebc_code="3301960001", ebp_code="3301980888", gnum=1, gcode="1234567890", unit="011", unit1="011",
                   qty=D("1"), qty1=D("1"))
    return replace(ln, **over)


def item(**over):
    return replace(ClaimItem(gnum=1, accessories_added=False, processed=False, used=False, trial_use_evidence=False,
                             export_duty_paid=D("0"), refunded_vat=D("0"), refunded_ct=D("0"), customs_value=None),
                   **over)


def claim(items=None, **over):
    c = Claim(co_el_no="R1", invt_no="33012026E000000001", return_date=date(2026, 6, 1), reason_code="UNSOLD",
              self_declaration_no="SD-1", return_record_no=None, return_agreement_no=None,
              certificate_type="NOT_REFUNDED", certificate_no="C-1", zone_exit_date=None,
              items=tuple(items or [item()]))
    return replace(c, **over)


def run(e=None, h=Held(), ln=None, c=None, ref=REF, params=Params(), no_export=False, no_claim=False):
    return decide(export=None if no_export else (e or export()), held=h, line=ln or line(),
                  claim=None if no_claim else (c or claim()), reference=ref, params=params)


def test_worked_example_of_law_md():
    d = run()
    assert d.decision == "EXEMPT" and d.reasons == ()
    assert (d.customs_value, d.import_duty, d.consumption_tax, d.import_vat) == (
        D("7100.00"), D("710.00"), D("1378.24"), D("1194.47"))


def test_compound_duty_and_consumption_tax():
    # spirits: duty 5 % + 1.50/L, CT 20 % + 1.00/L; 12 bottles, 9 L, USD 10 each at 7.1000
    e = export(gcode="2208600000", price=D("10"))
    d = run(e=e, ln=line(gcode="2208600000", qty=D("12"), qty1=D("9")))
    v = D("852.00")  # 12 x 10 x 7.1
    duty = (v * D("0.05") + 9 * D("1.50")).quantize(CENT, ROUND_HALF_UP)  # 42.60 + 13.50 = 56.10
    ct = ((v + duty + 9 * D("1.00")) / (1 - D("0.20")) * D("0.20") + 9 * D("1.00")).quantize(CENT, ROUND_HALF_UP)
    vat = ((v + duty + ct) * D("0.13")).quantize(CENT, ROUND_HALF_UP)
    assert (d.customs_value, d.import_duty, d.consumption_tax, d.import_vat) == (v, duty, ct, vat)
    assert duty == D("56.10") and ct == D("238.28") and vat == D("149.03")


def test_food_is_excluded_whatever_else():
    d = run(e=export(gcode="0901210000"), ln=line(gcode="0901210000"))
    assert d.decision == "REJECTED" and d.reasons == ("FOOD_EXCLUDED",)
    assert d.import_vat is not None  # amounts are computed whatever the decision


def test_tariff_row_longest_prefix_and_latest_valid_from():
    # 8517130000 on 2026-06-01: rows 8517 (2020), 8517 (2026), 851713 (2020): the longest prefix wins
    d = run(e=export(gcode="8517130000"), ln=line(gcode="8517130000"))
    assert d.import_duty == D("71.00")  # 1 %
    d = run(e=export(gcode="8517620000"), ln=line(gcode="8517620000"))
    assert d.import_duty == D("142.00")  # 2 %, the row valid from 2026-01-01
    d = run(e=export(gcode="8517620000", ie_date=date(2025, 10, 1)), ln=line(gcode="8517620000"),
            c=claim(return_date=date(2025, 12, 20)))
    assert d.import_duty == D("0.00")  # on 2025-12-20 only the 2020 row is valid


@pytest.mark.parametrize("start,nominal", [("2025-03-15", "2025-09-15"), ("2025-08-31", "2026-02-28"),
                                           ("2023-08-31", "2024-02-29"), ("2026-04-01", "2026-10-01"),
                                           ("2024-02-29", "2024-08-29"), ("2023-12-31", "2024-06-30")])
def test_six_months_by_the_civil_code(start, nominal):
    assert add_months(date.fromisoformat(start), 6) == date.fromisoformat(nominal)


def test_window_end_on_a_holiday_moves_to_the_next_working_day():
    w = window_for(date(2026, 4, 1))
    assert w.nominal_end == date(2026, 10, 1) and w.end == date(2026, 10, 8)
    assert [d for d, _ in w.rest_days][0] == "2026-10-01"
    assert window_for(date(2026, 4, 1), extend_over_rest_days=False).end == date(2026, 10, 1)


def test_adjusted_working_day_counts_as_working_day():
    # 2025-09-28 (Sunday) was an adjusted working day before National Day 2025
    w = window_for(date(2025, 3, 28))
    assert w.nominal_end == date(2025, 9, 28) and w.end == date(2025, 9, 28)


def test_weekend_fallback_beyond_the_calendar():
    w = window_for(date(2027, 3, 20))  # 2027-09-20 is a Monday
    assert w.end == date(2027, 9, 20)
    w = window_for(date(2027, 3, 18))  # 2027-09-18 Saturday -> Monday 20th, with a note
    assert w.end == date(2027, 9, 20) and w.calendar_note and "2027" in w.calendar_note


@pytest.mark.parametrize("ret,ok", [("2026-10-08", True), ("2026-10-09", False), ("2026-10-01", True)])
def test_return_on_the_last_day_is_in_time(ret, ok):
    d = run(e=export(ie_date=date(2026, 4, 1)), c=claim(return_date=date.fromisoformat(ret)))
    assert d.window_end == date(2026, 10, 8)
    assert ("WINDOW_EXPIRED" not in d.reasons) is ok


def test_without_extension_the_nominal_day_is_last():
    d = run(e=export(ie_date=date(2026, 4, 1)), c=claim(return_date=date(2026, 10, 8)),
            params=Params(extend_over_rest_days=False))
    assert d.window_end == date(2026, 10, 1) and d.reasons == ("WINDOW_EXPIRED",)


def test_1210_counts_from_zone_exit_date():
    e = export(trade_mode="1210", ie_date=date(2026, 1, 5))
    d = run(e=e, c=claim(zone_exit_date=date(2026, 2, 20), return_date=date(2026, 8, 15)))
    assert d.export_date == date(2026, 2, 20) and d.window_end == date(2026, 8, 20) and d.decision == "EXEMPT"
    d = run(e=e, c=claim(return_date=date(2026, 8, 15)))  # no zoneExitDate: ieDate
    assert d.export_date == date(2026, 1, 5) and "WINDOW_EXPIRED" in d.reasons


def test_return_date_falls_back_to_app_time_without_claim():
    d = run(no_claim=True, ln=line(app_time=datetime(2026, 7, 2, 23, 59)))
    assert d.return_date == date(2026, 7, 2) and d.reasons == ("CLAIM_MISSING",) and d.decision == "PENDING"


@pytest.mark.parametrize("ie,policy,outside", [
    ("2023-01-29", None, True), ("2023-01-30", "2023-34", False), ("2024-01-29", "2023-34", False),
    ("2025-12-31", "2023-34", False), ("2026-01-01", "2026-16", False), ("2027-12-31", "2026-16", False),
    ("2028-01-01", None, True)])
def test_policy_versions(ie, policy, outside):
    day = date.fromisoformat(ie)
    d = run(e=export(ie_date=day), c=claim(return_date=day + timedelta(days=10)))
    assert d.policy == policy
    assert ("OUTSIDE_POLICY_PERIOD" in d.reasons) is outside


CASES = {
    # code: (export overrides, line overrides, claim overrides, claim item overrides, held)
    "NO_SUCH_EXPORT": dict(no_export=True),
    "EXPORT_VOID": dict(e=dict(void_reason="cancelled (CEB605)")),
    "CODE_NOT_ELIGIBLE": dict(e=dict(trade_mode="0110")),
    "GOODS_MISMATCH": dict(ln=dict(unit1="035")),
    "PARTY_MISMATCH": dict(ln=dict(ebp_code="4403980777")),
    "QTY_EXCEEDS_EXPORT": dict(held=Held(qty=D("9.5"), qty1=D("9.5"))),
    "NOT_ORIGINAL_STATE": dict(i=dict(used=True)),
    "REASON_NOT_ELIGIBLE": dict(c=dict(reason_code="OTHER")),
    "CLAIM_MISSING": dict(no_claim=True),
    "DOCUMENTS_MISSING": dict(c=dict(self_declaration_no=None)),
    "CERTIFICATE_MISSING": dict(c=dict(certificate_type=None, certificate_no=None)),
    "CERTIFICATE_CONFLICT": dict(i=dict(refunded_vat=D("26.00"))),
    "TARIFF_UNKNOWN": dict(e=dict(gcode="9999999999"), ln=dict(gcode="9999999999")),
}
FORCED = {"CLAIM_MISSING": "PENDING", "DOCUMENTS_MISSING": "PENDING", "CERTIFICATE_MISSING": "PENDING",
          "CERTIFICATE_CONFLICT": "PENDING", "TARIFF_UNKNOWN": "PENDING"}


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_reason_code(code):
    spec = CASES[code]
    c = claim(items=[item(**spec.get("i", {}))], **spec.get("c", {}))
    d = run(e=export(**spec.get("e", {})), ln=line(**spec.get("ln", {})), c=c, h=spec.get("held", Held()),
            no_export=spec.get("no_export", False), no_claim=spec.get("no_claim", False))
    expected = {code} | ({"BACKPAY_REQUIRED"} if code == "CERTIFICATE_CONFLICT" else set())
    assert set(d.reasons) == expected
    assert d.decision == FORCED.get(code, "REJECTED")
    assert any(step.get("code") == code and step["reference"] for step in d.trail)


def test_backpay_required_without_certificate_and_example_row_of_the_contract():
    d = run(c=claim(certificate_type=None, items=[item(refunded_vat=D("26"))]))
    assert d.reasons == ("BACKPAY_REQUIRED", "CERTIFICATE_MISSING") and d.backpay_vat == D("26.00")


def test_paid_back_certificate_exempts_and_still_reports_the_pay_back():
    d = run(c=claim(certificate_type="PAID_BACK", items=[item(refunded_vat=D("26.00"), refunded_ct=D("3.10"),
                                                              export_duty_paid=D("15.60"))]))
    assert d.decision == "EXEMPT" and (d.backpay_vat, d.backpay_ct, d.export_duty_refund) == (
        D("26.00"), D("3.10"), D("15.60"))


def test_export_duty_refund_only_when_exempt():
    d = run(c=claim(reason_code="OTHER", items=[item(export_duty_paid=D("15.60"))]))
    assert d.decision == "REJECTED" and d.export_duty_refund == D("0.00")


def test_trial_use_keeps_the_original_state():
    assert run(c=claim(items=[item(used=True, trial_use_evidence=True)])).decision == "EXEMPT"
    assert run(c=claim(items=[item(processed=True)])).reasons == ("NOT_ORIGINAL_STATE",)
    assert run(c=claim(items=[item(accessories_added=True)])).reasons == ("NOT_ORIGINAL_STATE",)


def test_buyer_return_documents():
    base = dict(reason_code="BUYER_RETURN", self_declaration_no=None)
    assert run(c=claim(**base)).reasons == ("DOCUMENTS_MISSING",)
    assert run(c=claim(**base, return_record_no="RMA-1")).decision == "EXEMPT"
    assert run(c=claim(**base, return_agreement_no="RA-1")).decision == "EXEMPT"


def test_rejected_wins_over_pending_and_codes_accumulate():
    d = run(e=export(trade_mode="0110"), c=claim(certificate_type=None, reason_code="OTHER"))
    assert d.decision == "REJECTED" and d.reasons == ("CERTIFICATE_MISSING", "CODE_NOT_ELIGIBLE",
                                                      "REASON_NOT_ELIGIBLE")


def test_customs_value_of_the_claim_overrides_and_needs_no_rate():
    d = run(e=export(currency="303"), c=claim(items=[item(customs_value=D("1280.00"))]))
    assert d.customs_value == D("1280.00") and d.decision == "EXEMPT"
    d = run(e=export(currency="303"))  # GBP: no rate in this reference
    assert d.customs_value is None and d.import_duty is None and d.reasons == ("TARIFF_UNKNOWN",)


def test_cny_needs_no_rate():
    d = run(e=export(currency="142", price=D("88.88")))
    assert d.customs_value == D("88.88")


def test_claim_for_another_list_is_no_claim():
    d = run(c=claim(invt_no="33012026E000000999"))
    assert d.reasons == ("CLAIM_MISSING",)
    assert any("not a claim for this return" in s["detail"] for s in d.trail)


def test_claim_without_item_for_the_line():
    d = run(c=claim(items=[replace(item(), gnum=2)]))
    assert d.reasons == ("CLAIM_MISSING",)


def test_quantity_at_exactly_the_exported_amount_is_fine():
    assert run(h=Held(qty=D("9"), qty1=D("9"))).decision == "EXEMPT"
    assert run(h=Held(qty=D("9"), qty1=D("9.5")), ln=line(qty1=D("1"))).reasons == ("QTY_EXCEEDS_EXPORT",)


# -- half-up rounding at each step (LAW taxes: "CNY rounded half-up to 0.01 (分) at each step") -----------------
HALF = reference(tariff=REF.tariff + (
    tariff_row("4202", date(2020, 1, 1), duty="0.10", vat="0"),     # duty alone
    tariff_row("3303", date(2020, 1, 1), ct="0.20", vat="0"),       # consumption tax alone: C = V / 0.8 x 0.2
    tariff_row("8528", date(2020, 1, 1)),                           # VAT 13 % alone
))


def _goods(gcode, price, currency="142"):
    return dict(e=export(gcode=gcode, price=D(price), currency=currency), ln=line(gcode=gcode), ref=HALF)


HALF_CENTS = [
    ("V from a CNY price of 100.005", _goods("8528720000", "100.005"), "customs_value", "100.01"),
    ("V = 1 x USD 0.35 x 7.1000 = 2.485", _goods("8528720000", "0.35", "502"), "customs_value", "2.49"),
    ("V = the claim's customsValue 12.345",
     dict(c=claim(items=[item(customs_value=D("12.345"))])), "customs_value", "12.35"),
    ("D = 10.05 x 10 % = 1.005", _goods("4202210000", "10.05"), "import_duty", "1.01"),
    ("C = 10.10 / 0.8 x 0.2 = 2.525", _goods("3303000000", "10.10"), "consumption_tax", "2.53"),
    ("T = 100.50 x 13 % = 13.065", _goods("8528720000", "100.50"), "import_vat", "13.07"),
    ("export duty refund 15.605", dict(c=claim(items=[item(export_duty_paid=D("15.605"))])), "export_duty_refund",
     "15.61"),
    ("pay-back VAT 26.125", dict(c=claim(certificate_type="PAID_BACK", items=[item(refunded_vat=D("26.125"))])),
     "backpay_vat", "26.13"),
    ("pay-back CT 3.105", dict(c=claim(certificate_type="PAID_BACK", items=[item(refunded_ct=D("3.105"))])),
     "backpay_ct", "3.11"),
]


@pytest.mark.parametrize("what,kw,field,half_up", HALF_CENTS, ids=[c[0] for c in HALF_CENTS])
def test_an_amount_on_a_half_cent_rounds_up(what, kw, field, half_up):
    """Exactly half a fen rounds up, with the digit before it even, where banker's (half-even) rounding would
    round down: every step of LAW's taxes, and the claim's amounts as reported."""
    d = run(**kw)
    assert d.decision == "EXEMPT", d.reasons
    assert getattr(d, field) == D(half_up), (what, getattr(d, field))


# -- the tariff row (CONTRACT §3): longest prefix among rows with valid_from <= the return date, latest of those ---
DATED_ROWS = (
    tariff_row("6109", date(2026, 6, 1), duty="0.05"),
    tariff_row("610910", date(2020, 1, 1), duty="0.06"),
    tariff_row("6109", date(2020, 1, 1), duty="0.12"),
    tariff_row("9102", date(2026, 6, 2), duty="0.20"),
)


@pytest.mark.parametrize("rows", [DATED_ROWS, DATED_ROWS[::-1]], ids=["later-row-first", "later-row-last"])
@pytest.mark.parametrize("gcode,ret,duty,why", [
    ("6109909000", "2026-06-01", "355.00", "a row valid from the return date itself applies (5 %)"),
    ("6109909000", "2026-05-31", "852.00", "a row valid only from the next day does not (12 %)"),
    ("6109909000", "2026-07-01", "355.00", "of two rows of the same prefix, the latest valid_from wins (5 %)"),
    ("6109100011", "2026-07-01", "426.00", "the longest prefix wins over a later row of a shorter one (6 %)"),
    ("6109100011", "2026-05-31", "426.00", "the longest prefix wins over an earlier row of a shorter one (6 %)"),
], ids=["valid-from-equals-return-date", "valid-from-next-day", "latest-valid-from", "longest-over-later",
        "longest-over-earlier"])
def test_tariff_row_on_the_return_date(rows, gcode, ret, duty, why):
    """V = USD 1,000 x 7.1000 = 7,100.00; the duty shows which row was used, whatever the rows' order in the file."""
    d = run(e=export(gcode=gcode), ln=line(gcode=gcode), c=claim(return_date=date.fromisoformat(ret)),
            ref=reference(tariff=rows))
    assert d.customs_value == D("7100.00")
    assert d.import_duty == D(duty), why


def test_no_tariff_row_until_its_valid_from():
    """The only row for 9102 is valid from 2026-06-02: on 06-01 there is none (TARIFF_UNKNOWN), on 06-02 there is."""
    kw = dict(e=export(gcode="9102110000"), ln=line(gcode="9102110000"), ref=reference(tariff=DATED_ROWS))
    d = run(c=claim(return_date=date(2026, 6, 1)), **kw)
    assert d.reasons == ("TARIFF_UNKNOWN",) and d.import_duty is None and d.customs_value == D("7100.00")
    d = run(c=claim(return_date=date(2026, 6, 2)), **kw)
    assert d.decision == "EXEMPT" and d.import_duty == D("1420.00")


# -- zoneExitDate starts the window for 1210 only (LAW window) ---------------------------------------------------
@pytest.mark.parametrize("mode", ["9610", "9710", "9810"])
def test_zone_exit_date_is_ignored_outside_1210(mode):
    """A claim carrying zoneExitDate for a 9610/9710/9810 export still counts from ieDate: 2026-01-05 -> 2026-07-05,
    a Sunday -> 2026-07-06; a return on 2026-08-15 is late although it is within six months of the zone date."""
    d = run(e=export(trade_mode=mode, ie_date=date(2026, 1, 5)),
            c=claim(zone_exit_date=date(2026, 2, 20), return_date=date(2026, 8, 15)))
    assert d.export_date == date(2026, 1, 5) and d.window_end == date(2026, 7, 6)
    assert d.decision == "REJECTED" and d.reasons == ("WINDOW_EXPIRED",)


def test_zone_exit_date_starts_the_window_for_1210_whatever_the_policy_date():
    """The same claim on a 1210 export: the window runs from the zone exit (2026-08-20), the policy still from ieDate."""
    d = run(e=export(trade_mode="1210", ie_date=date(2025, 12, 20)),
            c=claim(zone_exit_date=date(2026, 2, 20), return_date=date(2026, 8, 15)))
    assert d.export_date == date(2026, 2, 20) and d.window_end == date(2026, 8, 20)
    assert d.decision == "EXEMPT" and d.policy == "2023-34"


# -- the exchange rate of the RETURN date's month (CONTRACT §3) --------------------------------------------------
MONTHLY = reference(exchange_rates={("2026-03", "502"): D("7.0000"), ("2026-04", "502"): D("7.2000"),
                                    ("2026-05", "502"): D("7.3000")})


@pytest.mark.parametrize("ie,ret,app,value", [
    ("2026-03-31", "2026-04-01", None, "7200.00"),       # exported in March, returned in April: April's rate
    ("2026-04-15", "2026-04-30", None, "7200.00"),       # last day of the month
    ("2026-04-15", "2026-05-01", None, "7300.00"),       # first day of the next
    ("2026-03-20", "2026-03-31", "2026-04-02", "7000.00"),  # the claim's returnDate, not the CEB213 appTime
    ("2026-03-31", None, "2026-04-01", "7200.00"),       # no claim: the appTime date is the return date
])
def test_exchange_rate_of_the_return_month(ie, ret, app, value):
    """V = USD 1,000 at the rate of the month of the return date (claim returnDate, else appTime date), whatever the
    export date's month."""
    ln = line(app_time=datetime.fromisoformat(app + "T00:30")) if app else line()
    c = claim(return_date=date.fromisoformat(ret)) if ret else None
    d = run(e=export(ie_date=date.fromisoformat(ie)), ln=ln, c=c, no_claim=ret is None, ref=MONTHLY)
    assert d.customs_value == D(value)
    assert "TARIFF_UNKNOWN" not in d.reasons


@pytest.mark.parametrize("mode,zone", [("9610", None), ("1210", date(2026, 3, 20))])
def test_return_before_export_is_rejected(mode, zone):
    """The goods cannot come back before they left: before ieDate, or for 1210 before zoneExitDate."""
    d = run(e=export(trade_mode=mode, ie_date=date(2026, 3, 10)),
            c=claim(zone_exit_date=zone, return_date=date(2026, 3, 15) if zone else date(2026, 3, 9)))
    assert d.decision == "REJECTED" and d.reasons == ("RETURN_BEFORE_EXPORT",)


# -- properties ----------------------------------------------------------------------------------------
days = st.dates(min_value=date(2004, 1, 1), max_value=date(2030, 12, 31))


@given(days)
def test_window_end_bounds(start):
    w = window_for(start)
    same_day = add_months(start, 6)
    assert same_day <= w.end <= same_day + timedelta(days=10)
    assert w.nominal_end == same_day


money_fields = ("customs_value", "import_duty", "consumption_tax", "import_vat", "export_duty_refund",
                "backpay_vat", "backpay_ct")


@given(qty=st.decimals(min_value=D("0.00001"), max_value=D("100"), places=5),
       held=st.decimals(min_value=D("0"), max_value=D("100"), places=5),
       price=st.decimals(min_value=D("0"), max_value=D("99999"), places=5),
       refunded=st.decimals(min_value=D("0"), max_value=D("9999"), places=2))
def test_held_never_exceeds_exported_and_money_is_decimal_cents(qty, held, price, refunded):
    d = run(e=export(price=price), ln=line(qty=qty, qty1=qty), h=Held(qty=held, qty1=held),
            c=claim(items=[item(refunded_vat=refunded)], certificate_type="PAID_BACK"))
    if d.decision != "REJECTED":
        assert qty + held <= D("10")
    for f in money_fields:
        v = getattr(d, f)
        assert v is None or (type(v) is D and v == v.quantize(D("0.01")) and v.as_tuple().exponent == -2), (f, v)
