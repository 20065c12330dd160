"""Readers: dispatch by root, namespaces, BOM, both CEB603 variants, defects with file/line/field."""
import random
from datetime import date
from decimal import Decimal

import pytest

from processor import synth
from processor.readers import open_input
from processor.records import ExportList

from .helpers import ceb603_text, export_list


def read(tmp_path, text, name="f.xml", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    reading = open_input(path, name)
    return reading, list(reading.records())


@pytest.mark.parametrize("prefix,bom", [(True, False), (False, False), (True, True), (False, True)])
def test_ceb603_any_prefix_with_or_without_bom(tmp_path, prefix, bom):
    spec = export_list(goods=((0, 3), (2, 10)))
    reading, recs = read(tmp_path, ceb603_text([spec], prefix=prefix, bom=bom))
    assert reading.kind.name == "CEB603"
    assert [p.problems for p in recs] == [[]]
    lst = recs[0].record
    assert isinstance(lst, ExportList)
    assert lst.invt_no == spec.invt_no and lst.ie_date == date(2026, 8, 10) and lst.trade_mode == "9610"
    assert [(i.gnum, i.gcode, i.qty, i.price) for i in lst.items] == [
        (1, "8517130000", Decimal("3"), Decimal("180.00")), (2, "8518300000", Decimal("10"), Decimal("25.50"))]
    assert lst.variant == "202205"


def test_2018_variant_is_read_when_only_it_fits(tmp_path):
    # ebpCode of 20 characters: too long for 202205 (18), fine for 2018 (50)
    spec = export_list()
    text = ceb603_text([spec]).replace(f"<ceb:ebpCode>{spec.ebp_code}</ceb:ebpCode>",
                                       "<ceb:ebpCode>33019800000000000001</ceb:ebpCode>")
    _, recs = read(tmp_path, text)
    assert recs[0].record is not None and recs[0].record.variant == "2018"


def test_invt_no_length_is_checked_against_both_variants(tmp_path):
    spec = export_list()
    text = ceb603_text([spec]).replace(spec.invt_no, "X" * 21)
    _, recs = read(tmp_path, text)
    assert recs[0].record is None
    assert any(p.field == "InventoryHead/invtNo" for p in recs[0].problems)


def test_defects_name_file_line_field_and_expectation(tmp_path):
    good, bad = export_list(1), export_list(2, goods=((0, 1), (1, 2)))
    text = ceb603_text([good, bad, export_list(3)])
    text = text.replace(f"<ceb:copNo>{bad.cop_no}</ceb:copNo>", f"<ceb:copNo>{bad.cop_no}</ceb:copNo>", 1)
    head, sep, tail = text.partition(f"<ceb:copNo>{bad.cop_no}</ceb:copNo>")
    tail = tail.replace("<ceb:ieFlag>E</ceb:ieFlag>", "<ceb:ieFlag>I</ceb:ieFlag>", 1)
    tail = tail.replace("<ceb:qty>2</ceb:qty>", "<ceb:qty>-2</ceb:qty>", 1)
    reading, recs = read(tmp_path, head + sep + tail, name="night.xml")
    assert [r.record is not None for r in recs] == [True, False, True]
    problems = {p.field: p for p in recs[1].problems}
    assert set(problems) == {"InventoryHead/ieFlag", "InventoryList[2]/qty"}
    p = problems["InventoryHead/ieFlag"]
    assert p.file == "night.xml" and p.line and "E (export)" in p.expected
    assert p.record_key == f"copNo={bad.cop_no} invtNo={bad.invt_no}"
    assert ">= 0" in problems["InventoryList[2]/qty"].expected


@pytest.mark.parametrize("raw,ok", [("20240229", True), ("20230229", False), ("20230230", False),
                                    ("20231301", False), ("19991231", False), ("2023-01-01", False)])
def test_real_calendar_dates(tmp_path, raw, ok):
    spec = export_list()
    text = ceb603_text([spec]).replace("<ceb:ieDate>20260810</ceb:ieDate>", f"<ceb:ieDate>{raw}</ceb:ieDate>")
    _, recs = read(tmp_path, text)
    assert (recs[0].record is not None) is ok


def test_duplicate_gnum_and_unknown_element(tmp_path):
    spec = export_list(goods=((0, 1), (1, 1)))
    text = ceb603_text([spec]).replace("<ceb:gnum>2</ceb:gnum>", "<ceb:gnum>1</ceb:gnum>")
    text = text.replace("<ceb:note>", "<ceb:note>").replace("<ceb:grossWeight>", "<ceb:colour>red</ceb:colour>"
                                                            "<ceb:grossWeight>")
    _, recs = read(tmp_path, text)
    fields = {p.field for p in recs[0].problems}
    assert "InventoryList[2]/gnum" in fields and "InventoryHead/colour" in fields


def test_truncated_file_keeps_complete_records(tmp_path):
    text = ceb603_text([export_list(i) for i in range(1, 5)])
    cut = text[: text.index("<ceb:Inventory>", text.index("<ceb:Inventory>", text.index("<ceb:Inventory>") + 1) + 1)
               + 200]
    reading, recs = read(tmp_path, cut)
    assert len(recs) == 2 and all(r.record for r in recs)
    assert not reading.complete
    assert any("breaks off" in p.problem and p.line for p in reading.problems)


@pytest.mark.parametrize("content,words", [
    (b"", "not well-formed"), (b"hello, not xml", "not well-formed"),
    (b'<?xml version="1.0"?><Foo/>', "unknown root"),
    (b'<?xml version="1.0"?><ceb:CEB621Message xmlns:ceb="http://www.chinaport.gov.cn/ceb"/>', "import-direction"),
    (b'<?xml version="1.0"?><CEB603Message xmlns="urn:other"/>', "namespace"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><ReturnClaims '
     b'xmlns="urn:cbec-returns:claim:1">&e;</ReturnClaims>', "DTD"),
])
def test_files_that_are_not_inputs(tmp_path, content, words):
    reading, recs = read(tmp_path, content)
    assert reading.kind is None and recs == []
    assert len(reading.problems) == 1 and words in reading.problems[0].problem


def test_gbk_declared_file_is_read(tmp_path):
    text = ceb603_text([export_list()]).replace('encoding="UTF-8"', 'encoding="GBK"')
    _, recs = read(tmp_path, text, encoding="gbk")
    assert recs[0].record.items[0].gname == "智能手机"


def test_ceb214_root_spelling_is_a_warning(tmp_path):
    rng = random.Random(0)
    text = synth._envelope("CEB214", ["<ceb:RefundReturn><ceb:guid>%s</ceb:guid><ceb:agentCode>A</ceb:agentCode>"
                                      "<ceb:coElNo>R1</ceb:coElNo><ceb:invtNo>I1</ceb:invtNo><ceb:returnStatus>100"
                                      "</ceb:returnStatus><ceb:returnTime>20261101120000000</ceb:returnTime>"
                                      "<ceb:returnInfo>退单</ceb:returnInfo></ceb:RefundReturn>" % synth._guid(rng)],
                           rng, transfer=False)
    reading, recs = read(tmp_path, text)
    assert recs[0].record.return_status == "100"
    assert [p.severity for p in reading.problems] == ["warning"]


def test_claims_example_of_the_contract(tmp_path):
    from tests.conftest import ROOT

    example = ROOT.parent / "shared" / "spec" / "example-claims.xml"
    if not example.exists():
        pytest.skip("shared/spec/example-claims.xml not present")
    reading = open_input(example, example.name)
    recs = list(reading.records())
    assert [r.problems for r in recs] == [[], []]
    first, second = recs[0].record, recs[1].record
    assert first.certificate_type == "PAID_BACK" and first.items[0].used and first.items[0].trial_use_evidence
    assert first.items[0].refunded_vat == Decimal("26.00") and first.items[1].refunded_vat == Decimal("0")
    assert second.zone_exit_date == date(2023, 10, 20) and second.items[0].customs_value == Decimal("1280.00")


def test_official_samples(samples_dir):
    """GACC's published samples: every CEB603 list and CEB213 return is accounted for."""
    counts = {}
    for path in sorted(samples_dir.glob("*.xml")):
        reading = open_input(path, path.name)
        recs = list(reading.records())
        counts[reading.kind.name if reading.kind else path.name] = (len(recs), sum(r.record is not None for r in recs))
    assert counts["CEB603"] == (10, 0)  # every list declares ieFlag 'a', not E: all quarantined, none lost
    assert counts["CEB213"] == (10, 10)
    assert counts["CEB604"] == (10, 10) and counts["CEB605"] == (10, 10) and counts["CEB214"] == (10, 10)
