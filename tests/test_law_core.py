"""The law core as pure functions: every rule alone, the clauses each decision cites under its policy
version, versions in force, which lines a batch decides, an export item's lines decided in order, and
the declarations the ledger derives its SQL from."""
import json
import re
import sqlite3
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal as D

import pytest
from lxml import etree

from processor.fields import SCHEMA_DIR
from processor.law import redecide, versions
from processor.law.clauses import STEP_KEYS, ClauseRow, Clauses
from processor.law.decide import contract_order, decide, return_date
from processor.law.facts import ExportFacts, Held, LineFacts, Params
from processor.law.item import decide_item, held_after
from processor.law.rules import FORCES, RULES
from processor.records import Claim, ClaimItem
from processor.reference import ReferenceError, load_reference

REF = load_reference()


def export(**over):
    return replace(ExportFacts(invt_no="33012026E000000001", gnum=1, ie_date=date(2026, 3, 10), trade_mode="9610",
                               ebc_code="3301960001", ebp_code="3301980888", void_reason=None, gcode="8517130000",
                               unit="011", unit1="011", qty=D("10"), qty1=D("10"), price=D("100"), currency="502"),
                   **over)


def line(**over):
    return replace(LineFacts(co_el_no="R1", invt_no="33012026E000000001", app_time=datetime(2026, 6, 1, 10, 0),
                             ebc_code="3301960001", ebp_code="3301980888", gnum=1, gcode="8517130000", unit="011",
                             unit1="011", qty=D("1"), qty1=D("1")), **over)


def item(**over):
    return replace(ClaimItem(gnum=1, accessories_added=False, processed=False, used=False, trial_use_evidence=False,
                             export_duty_paid=D("0"), refunded_vat=D("0"), refunded_ct=D("0"), customs_value=None),
                   **over)


def claim(items=None, **over):
    return replace(Claim(co_el_no="R1", invt_no="33012026E000000001", return_date=date(2026, 6, 1),
                         reason_code="UNSOLD", self_declaration_no="SD-1", return_record_no=None,
                         return_agreement_no=None, certificate_type="NOT_REFUNDED", certificate_no="C-1",
                         zone_exit_date=None, items=tuple(items or [item()])), **over)


# Each reason code, made to apply by one change to an EXEMPT line: (export, held, line, claim, reference).
ONE_CHANGE = {
    "NO_SUCH_EXPORT": lambda: (None, Held(), line(), claim(), REF),
    "EXPORT_VOID": lambda: (export(void_reason="cancelled (CEB605)"), Held(), line(), claim(), REF),
    "CODE_NOT_ELIGIBLE": lambda: (export(trade_mode="0110"), Held(), line(), claim(), REF),
    "OUTSIDE_POLICY_PERIOD": lambda: (export(ie_date=date(2022, 12, 1)), Held(), line(),
                                      claim(return_date=date(2023, 1, 5)), REF),
    "WINDOW_EXPIRED": lambda: (export(), Held(), line(), claim(return_date=date(2026, 9, 11)), REF),
    "FOOD_EXCLUDED": lambda: (export(gcode="0901210000"), Held(), line(gcode="0901210000"), claim(), REF),
    "GOODS_MISMATCH": lambda: (export(), Held(), line(unit="007"), claim(), REF),
    "PARTY_MISMATCH": lambda: (export(), Held(), line(ebp_code="3301980999"), claim(), REF),
    "RETURN_BEFORE_EXPORT": lambda: (export(), Held(), line(), claim(return_date=date(2026, 3, 9)), REF),
    "QTY_EXCEEDS_EXPORT": lambda: (export(), Held(D("10"), D("10")), line(), claim(), REF),
    "NOT_ORIGINAL_STATE": lambda: (export(), Held(), line(), claim([item(used=True)]), REF),
    "REASON_NOT_ELIGIBLE": lambda: (export(), Held(), line(), claim(reason_code="OTHER"), REF),
    "CLAIM_MISSING": lambda: (export(), Held(), line(), None, REF),
    "DOCUMENTS_MISSING": lambda: (export(), Held(), line(), claim(self_declaration_no=None), REF),
    "CERTIFICATE_MISSING": lambda: (export(), Held(), line(), claim(certificate_type=None, certificate_no=None),
                                    REF),
    "BACKPAY_REQUIRED": lambda: (export(), Held(), line(),
                                 claim([item(refunded_vat=D("5"))], certificate_type=None, certificate_no=None), REF),
    "CERTIFICATE_CONFLICT": lambda: (export(), Held(), line(), claim([item(refunded_vat=D("5"))]), REF),
    "TARIFF_UNKNOWN": lambda: (export(), Held(), line(), claim(), replace(REF, tariff=())),
    # 2026-09-06 + 6 months = Saturday 2027-03-06, a year no calendar covers: three days later is unknown
    "CALENDAR_UNKNOWN": lambda: (export(ie_date=date(2026, 9, 6)), Held(), line(),
                                 claim(return_date=date(2027, 3, 9)), REF),
}


def test_the_baseline_line_is_exempt():
    d = decide(export(), Held(), line(), claim(), REF)
    assert d.decision == "EXEMPT" and d.reasons == ()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_each_rule_applies_and_forces_its_decision(rule):
    """Every rule of the table: one change makes its code apply, the decision it forces wins, and the trail
    names the rule and cites a clause."""
    e, h, ln, c, ref = ONE_CHANGE[rule.code]()
    d = decide(e, h, ln, c, ref)
    assert rule.code in d.reasons
    assert d.decision == ("REJECTED" if "REJECTED" in {FORCES[x] for x in d.reasons} else "PENDING")
    assert FORCES[rule.code] == rule.forces and (rule.forces != "REJECTED" or d.decision == "REJECTED")
    step = next(s for s in d.trail if s.get("code") == rule.code)
    assert step["rule"] == rule.test.__name__ and step["reference"] and step["detail"]
    assert d.citations["reasons"][rule.code] == step["reference"]


def test_every_rule_has_a_case_here():
    assert set(ONE_CHANGE) == {r.code for r in RULES}


def test_the_published_xsd_enumerates_exactly_the_rule_table():
    xsd = etree.parse(str(SCHEMA_DIR / "reconciliation.xsd"))
    ns = {"xs": "http://www.w3.org/2001/XMLSchema"}
    codes = xsd.xpath("//xs:simpleType[@name='ReasonCode']//xs:enumeration/@value", namespaces=ns)
    assert sorted(codes) == sorted(r.code for r in RULES) and len(codes) == len(set(codes))


# -- clauses cited under the line's policy version ---------------------------------------------------------
def _texts(d) -> str:
    return json.dumps([s["reference"] for s in d.trail] + [d.citations], ensure_ascii=False)


def test_a_2026_16_line_cites_no_16_and_never_no_4():
    for build in ONE_CHANGE.values():
        e, h, ln, c, ref = build()
        d = decide(e, h, ln, c, ref)
        if d.policy != "2026-16":
            continue
        assert "2023年第4号" not in _texts(d) and "2023年第34号" not in _texts(d), d.reasons
    d = decide(export(), Held(), line(), claim([item(refunded_vat=D("5"))]), REF)
    assert d.policy == "2026-16" and all("公告2026年第16号" in t for t in d.citations["reasons"].values())


def test_a_2023_34_line_cites_no_34_with_no_4():
    e = export(ie_date=date(2025, 3, 10), invt_no="33012025E000000001")
    ln = line(invt_no=e.invt_no, app_time=datetime(2025, 6, 1, 9))
    d = decide(e, Held(), ln, claim(invt_no=e.invt_no, return_date=date(2025, 6, 1), reason_code="OTHER"), REF)
    assert d.policy == "2023-34"
    clause = d.citations["reasons"]["REASON_NOT_ELIGIBLE"]
    assert "公告2023年第34号" in clause and "公告2023年第4号" in clause and "2026" not in clause
    assert d.citations["announcement"].startswith("财政部 海关总署 税务总局公告2023年第34号")


def test_exempt_lines_carry_their_legal_basis():
    d = decide(export(), Held(), line(), claim(), REF)
    assert d.decision == "EXEMPT"
    assert d.citations["basis"].startswith("财政部 海关总署 税务总局公告2026年第16号 第一条")
    assert "免征进口关税和进口环节增值税、消费税" in d.citations["basis"]
    assert any(s["step"] == "legal basis" and s["reference"] == d.citations["basis"] for s in d.trail)
    rejected = decide(export(trade_mode="0110"), Held(), line(), claim(), REF)
    assert "basis" not in rejected.citations


def test_the_vat_article_is_dated_data():
    """增值税法 from 2026-01-01, the provisional regulations before: chosen by the return date, from clauses.csv."""
    def vat_clause(d):
        return next(s["reference"] for s in d.trail if s["step"] == "import VAT")
    new = decide(export(), Held(), line(), claim(), REF)
    e = export(ie_date=date(2025, 9, 10), invt_no="33012025E000000001")
    old = decide(e, Held(), line(invt_no=e.invt_no), claim(invt_no=e.invt_no, return_date=date(2025, 12, 31)), REF)
    assert vat_clause(new).startswith("增值税法 第十四条") and vat_clause(old).startswith("增值税暂行条例")
    # a row valid from 2025-12-31 is a data change, not a code change
    rows = REF.clauses.rows + (ClauseRow("IMPORT_VAT", "", date(2025, 12, 31), "a new article"),)
    moved = decide(e, Held(), line(invt_no=e.invt_no), claim(invt_no=e.invt_no, return_date=date(2025, 12, 31)),
                   replace(REF, clauses=Clauses(rows)))
    assert vat_clause(moved) == "a new article"


def test_a_policy_row_of_its_own_wins_over_the_generic_row():
    rows = REF.clauses.rows + (ClauseRow("CODE_NOT_ELIGIBLE", "2026-16", None, "No. 16's own words"),)
    d = decide(export(trade_mode="0110"), Held(), line(), claim(), replace(REF, clauses=Clauses(rows)))
    assert d.citations["reasons"]["CODE_NOT_ELIGIBLE"] == "No. 16's own words"


def test_reference_data_without_a_clause_are_refused(tmp_path):
    text = (REF.sources["clauses.csv"]["path"])
    kept = [ln for ln in open(text, encoding="utf-8").read().splitlines() if not ln.startswith("EXEMPTION,")]
    (tmp_path / "clauses.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    with pytest.raises(ReferenceError, match="EXEMPTION under"):
        load_reference(tmp_path)
    assert set(STEP_KEYS) <= {r.key for r in REF.clauses.rows}


# -- versions in force ----------------------------------------------------------------------------------------
def test_the_latest_version_is_in_force():
    held = versions.version_of("2026-05-01T10:00:00", "1")
    assert versions.in_force(None, held) == versions.NEW
    assert versions.in_force(held, versions.version_of("2026-05-02T10:00:00", "2")) == versions.REPLACES
    assert versions.in_force(held, versions.version_of("2026-04-30T10:00:00", "2")) == versions.SUPERSEDED
    assert versions.in_force(held, versions.version_of("2026-05-01T10:00:00", "1")) == versions.CONFLICT
    assert versions.in_force(held, versions.version_of("2026-05-01T10:00:00", "2")) == versions.REPLACES


@pytest.mark.parametrize("app_type,cancelled,refused,reason", [
    ("1", False, False, None), ("3", False, False, "deleted by the sender (appType 3)"),
    ("1", False, True, "refused by customs (CEB604 status 100)"), ("3", True, True, "cancelled (CEB605)")])
def test_why_a_list_is_void(app_type, cancelled, refused, reason):
    assert versions.list_void_reason(app_type, cancelled, refused) == reason


def test_why_a_return_is_withdrawn_and_which_receipt_numbers_a_list():
    assert versions.return_withdrawal("1", False) is None
    assert versions.return_withdrawal("1", True) == "refused by customs (CEB214 status 100)"
    assert versions.return_withdrawal("3", True) == "deleted by the sender (appType 3)"
    assert versions.invt_no_from_receipts([("2026-05-02T00:00:00", "B"), ("2026-05-01T00:00:00", ""),
                                           ("2026-05-01T12:00:00", "A")]) == "A"
    assert versions.invt_no_from_receipts([("2026-05-01T00:00:00", "")]) is None


# -- which lines a batch decides ------------------------------------------------------------------------------
def test_why_a_line_is_decided_again():
    fp = redecide.inputs_fingerprint("ret", "claim", ["r2", "r1"], "list|I|")
    assert fp == redecide.inputs_fingerprint("ret", "claim", ["r1", "r2"], "list|I|")  # receipts in any order
    assert redecide.why_decide(None, fp, "ref") == redecide.FIRST
    same = redecide.Previous(version=1, decision="EXEMPT", reasons="", fingerprint=fp, status="current",
                             reported_in="B1", reference="ref")
    assert redecide.why_decide(same, fp, "ref") is None  # nothing changed
    assert redecide.why_decide(same, fp, "ref", reassess=True) == redecide.REASSESS
    assert redecide.why_decide(same, fp, "other ref") is None  # EXEMPT does not wait for reference data
    waiting = replace(same, decision="PENDING", reasons="CALENDAR_UNKNOWN")
    assert redecide.why_decide(waiting, fp, "other ref") == redecide.REFERENCE
    assert redecide.why_decide(waiting, fp, "ref") is None
    new_claim = redecide.inputs_fingerprint("ret", "claim2", ["r1", "r2"], "list|I|")
    assert redecide.why_decide(same, new_claim, "ref") == "new data: claim"  # EXEMPT, REJECTED or PENDING alike
    late_export = redecide.inputs_fingerprint("ret", "claim", ["r1", "r2"], "-")
    assert redecide.why_decide(replace(same, decision="REJECTED"), fp.replace(fp.split(".")[3], "x" * 12), "ref") \
        == "new data: export list"
    assert redecide.what_changed(late_export, fp) == "new data: export list"
    assert redecide.why_decide(replace(same, status="withdrawn"), fp, "ref") == redecide.FIRST
    assert redecide.dropped([1, 2, 3], [1, 3]) == [2]


def test_what_is_reported_of_a_decision():
    row = {c: "x" for c in redecide.ROW_COLUMNS}
    prev = redecide.Previous(1, "EXEMPT", "", "fp", "current", "B1")
    assert redecide.change_of(None, row, None) == redecide.NEW
    assert redecide.change_of(prev, row, dict(row)) is None  # decided again, the same row: not written
    assert redecide.change_of(prev, row, {**row, "import_vat": "1.00"}) == redecide.REVISED
    assert redecide.change_of(replace(prev, status="withdrawn"), row, dict(row)) == redecide.NEW  # back again


def test_quantity_released_by_a_later_line_frees_an_earlier_rejected_one():
    """Five exported. R1 (returned first) was rejected for quantity while R2 held all five; R2 is decided again
    and no longer holds (its claim now says OTHER): R1 is decided again and fits (CONTRACT.md 6)."""
    from processor.law.item import Entry

    e = export(qty=D("5"), qty1=D("5"))
    r1 = line(co_el_no="R1", qty=D("5"), qty1=D("5"))
    r2 = line(co_el_no="R2", qty=D("5"), qty1=D("5"), app_time=datetime(2026, 6, 2, 9))
    out = decide_item(e, Held(), [Entry(r1, claim(co_el_no="R1"), None),
                                  Entry(r2, claim(co_el_no="R2", return_date=date(2026, 6, 2), reason_code="OTHER"),
                                        Held(D("5"), D("5")))], REF)
    assert [(d.co_el_no, d.decision) for d in out] == [("R1", "EXEMPT"), ("R2", "REJECTED")]
    # a line waiting for a release that none brings is not decided at all
    out = decide_item(e, Held(), [Entry(r1, claim(co_el_no="R1"), None, waits_for_release=True),
                                  Entry(r2, claim(co_el_no="R2", return_date=date(2026, 6, 2)), Held(D("5"), D("5")))],
                      REF)
    assert [(d.co_el_no, d.decision) for d in out] == [("R2", "EXEMPT")]


def test_the_return_date_ignores_a_claim_for_another_export_list():
    ln = line()
    assert return_date(ln, claim(return_date=date(2026, 5, 20))) == date(2026, 5, 20)
    assert return_date(ln, claim(invt_no="OTHER", return_date=date(2026, 5, 20))) == date(2026, 6, 1)
    assert return_date(ln, None) == date(2026, 6, 1)
    assert contract_order(ln, None) == (date(2026, 6, 1), "R1", 1)
    d = decide(export(), Held(), ln, claim(invt_no="OTHER", return_date=date(2026, 5, 20)), REF)
    assert d.return_date == date(2026, 6, 1) and "CLAIM_MISSING" in d.reasons


# -- an export item's lines, in order -------------------------------------------------------------------------
def test_an_export_item_decided_in_contract_order_carrying_the_quantity_held():
    """Ten exported; four held elsewhere; lines of 3, 2 (no claim: PENDING holds too), 5 and 1 come in out of
    order: by return date the 3 and the 2 fit, the 5 does not (rejected, holds nothing), the 1 does."""
    e = export()
    lines = [(line(co_el_no="R4", qty=D("1"), qty1=D("1")), claim(co_el_no="R4", return_date=date(2026, 6, 4))),
             (line(co_el_no="R3", qty=D("5"), qty1=D("5")), claim(co_el_no="R3", return_date=date(2026, 6, 3))),
             (line(co_el_no="R1", qty=D("3"), qty1=D("3")), claim(co_el_no="R1", return_date=date(2026, 6, 1))),
             (line(co_el_no="R2", qty=D("2"), qty1=D("2"), app_time=datetime(2026, 6, 2, 8)), None)]
    out = decide_item(e, Held(D("4"), D("4")), lines, REF, Params())
    assert [(d.co_el_no, d.decision, d.reasons) for d in out] == [
        ("R1", "EXEMPT", ()), ("R2", "PENDING", ("CLAIM_MISSING",)), ("R3", "REJECTED", ("QTY_EXCEEDS_EXPORT",)),
        ("R4", "EXEMPT", ())]
    assert held_after(out) == {(e.invt_no, e.gnum): Held(D("6"), D("6"))}
    assert decide_item(e, Held(D("10"), D("10")), lines[:1], REF)[0].reasons == ("QTY_EXCEEDS_EXPORT",)


# -- the ledger's declarations --------------------------------------------------------------------------------
def test_declared_columns_are_the_schema_columns(tmp_path):
    from processor.ledger import open_ledger, tables

    ledger = open_ledger(f"sqlite:///{tmp_path / 'l.sqlite'}", create=True)
    try:
        for name in dir(tables):
            t = getattr(tables, name)
            if isinstance(t, tables.Table):
                cols = [r[1] for r in ledger.query(f"PRAGMA table_info({t.name})")]
                assert set(t.columns) <= set(cols), (t.name, set(t.columns) - set(cols))
                if t.name not in ("export_lists", "return_apps"):  # settle's columns are not a record's
                    assert list(t.columns) == cols, t.name
    finally:
        ledger.close()


def test_a_ledger_written_by_the_previous_release_is_upgraded_in_place(tmp_path):
    """tests/data/ledger-v1-demo.sqlite: the demo night's ledger as release 9bb8759 (schema 1, no citations)
    wrote it. It opens, is upgraded, and the same night run again writes the same decisions, its old
    decisions reported with the clauses of their policy version."""
    import shutil

    from processor.ledger import open_ledger
    from processor.ledger.base import SCHEMA_VERSION

    from .conftest import DEMO, ROOT
    from .helpers import run_batch

    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(ROOT / "tests" / "data" / "ledger-v1-demo.sqlite", out / "ledger.sqlite")
    con = sqlite3.connect(out / "ledger.sqlite")
    assert con.execute("SELECT value FROM ledger_meta WHERE name = 'schema_version'").fetchone() == ("1",)
    con.close()
    code, s, output = run_batch(DEMO, out)
    assert code == 0, output
    # its lines are decided again (their inputs' fingerprint was kept in an older form), with the same rows:
    # nothing is revised, and the rerun reports the rows of the first run as they were
    d = s["decisions"]
    assert (d["decided_now"], d["new"], d["revised"], d["reported_again"]) == (20, 0, 0, 20)
    ledger = open_ledger(f"sqlite:///{out / 'ledger.sqlite'}")
    try:
        assert ledger.schema_version() == SCHEMA_VERSION
        assert ledger.query("SELECT COUNT(*) FROM decisions WHERE citations IS NULL")[0][0] == 20
        assert ledger.query("SELECT COUNT(*) FROM decisions WHERE status = 'current' AND change IS NULL")[0][0] == 20
    finally:
        ledger.close()
    xml = (out / "reconciliation.xml").read_text(encoding="utf-8")
    assert xml.count("<announcement>财政部 海关总署 税务总局公告2026年第16号</announcement>") >= 10
    assert re.search(r'code="CLAIM_MISSING" clause="CONTRACT.md 2', xml)
    assert "no clause in the reference data" not in xml
    import xmlschema

    xmlschema.XMLSchema(str(SCHEMA_DIR / "reconciliation.xsd")).validate(str(out / "reconciliation.xml"))


def test_a_ledger_written_by_a_newer_release_is_refused(tmp_path):
    from processor.ledger import LedgerVersionError, open_ledger

    path = tmp_path / "new.sqlite"
    open_ledger(f"sqlite:///{path}", create=True).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE ledger_meta SET value = '99' WHERE name = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(LedgerVersionError, match="newer"):
        open_ledger(f"sqlite:///{path}")


def test_an_old_decision_with_a_code_no_longer_known_is_still_reported(tmp_path):
    """A decision stored without citations, whose reason code the reference data no longer know, is reported
    again with what the reference data can say, never a KeyError."""
    from processor.sinks import BatchHeader
    from processor.sinks.reconciliation import ReconciliationXml

    sink = ReconciliationXml()
    sink.open(tmp_path / "r.xml", BatchHeader("B1", "2026-11-29T02:00:00+08:00", "0", REF, {}, iter(())))
    row = {"batch_id": "B0", "co_el_no": "R1", "return_date": "2026-06-01", "invt_no": "I", "gnum": 1,
           "gcode": "8517130000", "qty": "1", "export_date": None, "trade_mode": None, "window_end": None,
           "policy": "2026-16", "decision": "REJECTED", "reasons": "CODE_RENAMED;WINDOW_EXPIRED", "citations": None,
           **{m: "0.00" for m in ("customs_value_cny", "import_duty", "consumption_tax", "import_vat",
                                  "export_duty_refund", "backpay_vat", "backpay_ct")}}
    sink.decision(row)
    from processor.sinks import Totals

    totals = Totals()
    totals.add(row)
    sink.close(totals.by_key)
    text = (tmp_path / "r.xml").read_text(encoding="utf-8")
    assert 'code="CODE_RENAMED" clause="CODE_RENAMED (no clause in the reference data)"' in text
    assert re.search(r'code="WINDOW_EXPIRED" clause="财政部 海关总署 税务总局公告2026年第16号 第一条', text)


def test_a_clause_text_with_an_unquoted_comma_is_refused_not_cut(tmp_path):
    (tmp_path / "clauses.csv").write_text("key,policy,valid_from,text\nWINDOW,,,Arts. 201, 202 and 203\n",
                                          encoding="utf-8")
    with pytest.raises(ReferenceError, match="clauses.csv:2: more fields than the header"):
        load_reference(tmp_path)
    d = decide(export(), Held(), line(), claim(), REF)
    duty = next(s["reference"] for s in d.trail if s["step"] == "import duty")
    assert duty.endswith("ad valorem, specific, compound")


def test_a_1210_return_before_it_left_the_special_area_is_rejected():
    e = export(trade_mode="1210")
    d = decide(e, Held(), line(), claim(zone_exit_date=date(2026, 6, 5), return_date=date(2026, 6, 1)), REF)
    assert d.decision == "REJECTED" and d.reasons == ("RETURN_BEFORE_EXPORT",)
    assert "zoneExitDate" in next(s["detail"] for s in d.trail if s.get("code") == "RETURN_BEFORE_EXPORT")
    assert decide(e, Held(), line(), claim(zone_exit_date=date(2026, 6, 1)), REF).decision == "EXEMPT"
