"""Corruption: one bad field in one record quarantines that record only, and says exactly where.

A valid file of three records is written by processor.synth (or, for CEB214, by lxml here); the middle
record gets exactly one hypothesis-chosen corruption (over-long text, a non-digit or unknown code, an
impossible date, an exponent, NaN, INF, a negative number, too many digits or fraction digits, a missing,
duplicated or unknown element, a child in a foreign namespace, a bad certificate attribute); the file is
re-indented so that every element stands on its own line, and read back. Nothing may escape as an
exception; the corrupted record is not built and has an error naming the element path and its line; its
two neighbours are built exactly as from the clean file. The last test runs a whole night with one such
file per kind through the command line and checks quarantine.csv and the accounting of summary.json, on
each ledger backend (SQLite, and PostgreSQL when PROCESSOR_TEST_PG_URL is set: a database per example).
"""
from __future__ import annotations

import copy
import csv
import json
import os
import random
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from processor import synth
from processor.cli import main
from processor.problems import ERROR
from processor.readers import open_input
from processor.readers.messages import BY_NAME, shapes

from .helpers import BACKENDS, fresh_ledger

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
KINDS = ("CEB603", "CEB604", "CEB605", "CEB213", "CEB214", "ReturnClaims")
WRONG_NS = "urn:example:not-ceb"
BOM = b"\xef\xbb\xbf"

# Code and date fields checked by processor/validation.py (restated here, not imported).
DIGIT_CODES = {
    "CEB603": {"tradeMode", "customsCode", "portCode", "country", "fCurrency", "iCurrency", "gcode", "currency",
               "unit", "unit1", "unit2"},
    "CEB213": {"tradeMode", "customsCode", "gcode", "unit", "unit1", "unit2"},
}
ONE_OF = {"CEB603": {"ieFlag", "appType", "appStatus"}, "CEB213": {"ieFlag", "appType", "appStatus"},
          "CEB605": {"appType", "appStatus"}}
DATES = {"CEB603": {"ieDate", "appTime"}, "CEB604": {"returnTime"}, "CEB605": {"appTime"}, "CEB213": {"appTime"},
         "CEB214": {"returnTime"}, "ReturnClaims": {"returnDate", "zoneExitDate"}}
IMPOSSIBLE_DATES = ("20230230", "20231301", "20230000", "20230431", "19991231", "21000101", "20230a01")


# -- valid inputs ---------------------------------------------------------------------------------------------
@st.composite
def export_spec(draw, serial: int, with_invt=None):
    ie = draw(st.dates(date(2001, 1, 1), date(2098, 12, 31)))
    goods = draw(st.lists(st.sampled_from(synth.CATALOGUE), min_size=1, max_size=5, unique_by=lambda g: g.gcode))
    items = [synth.Item(i + 1, g, Decimal(draw(st.integers(1, 60)))) for i, g in enumerate(goods)]
    if with_invt is None:
        with_invt = draw(st.booleans())
    return synth.ExportListSpec(f"COP{ie:%Y%m%d}{serial:06d}", synth.invt_no("3301", ie.year, serial) if with_invt
                                else None, ie, draw(st.sampled_from(("9610", "1210", "9710", "9810", "0110"))),
                                draw(st.sampled_from(synth.PARTIES)), items)


WHEN = st.datetimes(datetime(2001, 1, 1), datetime(2098, 12, 31)).map(lambda d: d.replace(microsecond=0))


def ceb214_text(receipts, rng: random.Random) -> str:
    """CEB214 receipts (synth writes none): (coElNo, invtNo, status, when, info)."""
    def guid():
        return str(uuid.UUID(int=rng.getrandbits(128))).upper()

    ns = synth.CEB_NS
    root = etree.Element(f"{{{ns}}}CEB214Message", nsmap={"ceb": ns}, guid=guid(), version="1.0")
    for co, invt, status, when, info in receipts:
        rec = etree.SubElement(root, f"{{{ns}}}RefundReturn")
        for tag, text in (("guid", guid()), ("ebpCode", "3301980888"), ("ebcCode", "3301960001"),
                          ("agentCode", synth.AGENT[0]), ("coElNo", co), ("invtNo", invt), ("returnStatus", status),
                          ("returnTime", when.strftime("%Y%m%d%H%M%S") + "123"), ("returnInfo", info)):
            etree.SubElement(rec, f"{{{ns}}}{tag}").text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


@st.composite
def valid_file(draw, kind: str, serial: int):
    """Text of a valid file of exactly three records of `kind` (distinct keys, for the ledger)."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    serials = [serial, serial + 1, serial + 2]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.xml"
        if kind == "CEB603":
            synth.write_ceb603(path, [draw(export_spec(s)) for s in serials], rng)
        elif kind == "CEB604":
            synth.write_ceb604(path, [(draw(export_spec(s)), synth.invt_no("3301", 2026, s),
                                       draw(st.sampled_from(("800", "100", "120", "399"))), draw(WHEN), "放行")
                                      for s in serials], rng)
        elif kind == "CEB605":
            synth.write_ceb605(path, [(draw(export_spec(s, with_invt=True)), draw(WHEN), "订单取消 撤单")
                                      for s in serials], rng)
        elif kind == "CEB213":
            rets = []
            for s in serials:
                exp = draw(export_spec(s, with_invt=True))
                gn = draw(st.lists(st.sampled_from([it.gnum for it in exp.items]), min_size=1, unique=True))
                rets.append(synth.ReturnSpec(f"BACK-{s:012d}", exp, [(g, draw(st.integers(1, 5))) for g in gn],
                                             draw(WHEN), app_type=draw(st.sampled_from("12"))))
            synth.write_ceb213(path, rets, rng)
        elif kind == "CEB214":
            path.write_text(ceb214_text([(f"BACK-{s:012d}", synth.invt_no("3301", 2026, s),
                                          draw(st.sampled_from(("100", "120", "800"))), draw(WHEN), "ok")
                                         for s in serials], rng), encoding="utf-8")
        else:
            claims = []
            for s in serials:
                items = [{"gnum": g, **draw(st.fixed_dictionaries({}, optional={
                    "used": st.booleans(), "processed": st.booleans(),
                    "refundedVat": st.sampled_from(["0", "12.50", "130.00"]),
                    "customsValue": st.sampled_from(["2950.00", "1"])}))}
                    for g in draw(st.lists(st.integers(1, 9), min_size=1, max_size=4, unique=True))]
                claims.append(synth.ClaimSpec(
                    f"BACK-{s:012d}", synth.invt_no("3301", 2026, s), draw(WHEN).strftime("%Y%m%d"),
                    draw(st.sampled_from(("UNSOLD", "BUYER_RETURN", "OTHER"))), items,
                    self_declaration=draw(st.none() | st.just("SD-1")), return_record=draw(st.none() | st.just("R-1")),
                    certificate=draw(st.none() | st.sampled_from([("NOT_REFUNDED", "3301202611200001"),
                                                                   ("PAID_BACK", "C2")])),
                    zone_exit_date=draw(st.none() | WHEN.map(lambda d: d.strftime("%Y%m%d")))))
            synth.write_claims(path, claims)
        return path.read_text(encoding="utf-8")


# -- corruptions ----------------------------------------------------------------------------------------------
@dataclass
class Target:
    path: str  # the element path the processor must name
    elem: object  # the lxml element
    parent: object
    spec: object = None  # FieldSpec of a leaf (preferred variant)
    specs: tuple = ()  # the same leaf in every variant
    child: tuple = None  # (RecordShape, min, max) of a complex child


def _walk(elem, shape_list, path, out):
    counts: dict = {}
    for child in elem:
        if not isinstance(child.tag, str):
            continue
        local = etree.QName(child).localname
        counts[local] = counts.get(local, 0) + 1
        where = f"{path}/{local}" if path else local
        if local in shape_list[0].fields:
            out.append(Target(where, child, elem, shape_list[0].fields[local],
                              tuple(s.fields[local] for s in shape_list if local in s.fields)))
        elif local in shape_list[0].children:
            sub, lo, hi = shape_list[0].children[local]
            sub_path = f"{where}[{counts[local]}]" if hi != 1 else where
            out.append(Target(sub_path, child, elem, child=(sub, lo, hi)))
            _walk(child, [s.children[local][0] for s in shape_list], sub_path, out)


def _limit(specs) -> int | None:
    sizes = [s.facets.get("maxLength") or s.facets.get("length") for s in specs]
    return max(sizes) if all(sizes) else None


def candidates(kind: str, record) -> list[tuple[str, str]]:
    """(target path, corruption) pairs that make this record invalid under every variant."""
    variants = [s for _v, s in shapes(BY_NAME[kind])]
    targets: list[Target] = []
    _walk(record, variants, "", targets)
    out = []
    for t in targets:
        local = etree.QName(t.elem).localname
        if t.spec is not None:
            f = t.spec
            out += [(t.path, "duplicated"), (t.path, "wrong namespace")]
            if all(s.required for s in t.specs):
                out.append((t.path, "missing"))
            if f.kind == "string":
                out.append((t.path, "over-long"))
                if local in DIGIT_CODES.get(kind, ()):
                    out.append((t.path, "non-digit code"))
                if local in ONE_OF.get(kind, ()):
                    out.append((t.path, "unknown code"))
                if local in DATES.get(kind, ()):
                    out += [(t.path, f"impossible date {d}") for d in IMPOSSIBLE_DATES]
            elif f.kind == "decimal":
                out += [(t.path, c) for c in ("exponent", "NaN", "INF", "negative", "too many fraction digits",
                                              "too many digits", "comma decimal")]
            elif f.kind == "boolean":
                out.append((t.path, "not a boolean"))
        else:
            sub, lo, hi = t.child
            out += [(t.path, "unknown element"), (t.path, "wrong namespace")]
            if lo >= 1:
                out.append((t.path, "missing"))
            out.append((t.path, "duplicated"))
            for a in sub.attributes:
                out += [(t.path, f"@{a} over-long"), (t.path, f"@{a} missing"), (t.path, f"@{a} bad value")]
    out.append(("", "unknown element"))  # directly in the record
    return out


def corrupt(kind: str, record, target_path: str, how: str):
    """Apply one corruption; return (expected field path, element whose line the problem must carry)."""
    ns = BY_NAME[kind].namespace
    if target_path == "":
        bogus = etree.SubElement(record, f"{{{ns}}}bogusField")
        bogus.text = "1"
        return "bogusField", bogus
    variants = [s for _v, s in shapes(BY_NAME[kind])]
    targets: list[Target] = []
    _walk(record, variants, "", targets)
    t = next(x for x in targets if x.path == target_path)
    elem, parent = t.elem, t.parent
    local = etree.QName(elem).localname
    unindexed = target_path.rsplit("[", 1)[0] if target_path.endswith("]") else target_path

    if how == "wrong namespace":
        foreign = copy.deepcopy(elem)
        foreign.tag = f"{{{WRONG_NS}}}{local}"
        parent.replace(elem, foreign)
        return unindexed, foreign
    if how == "duplicated":
        twin = copy.deepcopy(elem)
        elem.addnext(twin)
        if t.child is not None and t.child[2] != 1:  # a second item with the same gnum
            index = int(target_path.rsplit("[", 1)[1][:-1]) + 1
            return f"{unindexed}[{index}]/gnum", next(k for k in twin if etree.QName(k).localname == "gnum")
        return unindexed, twin
    if how == "missing":
        if t.child is not None:  # every instance of a required complex child
            for sib in [k for k in parent if isinstance(k.tag, str) and k.tag == elem.tag]:
                parent.remove(sib)
        else:
            parent.remove(elem)
        return unindexed, parent
    if how == "unknown element":
        bogus = etree.SubElement(elem, f"{{{ns}}}bogusField")
        bogus.text = "x"
        return f"{target_path}/bogusField", bogus
    if how.startswith("@"):
        attr, what = how[1:].split(" ", 1)
        if what == "missing":
            del elem.attrib[attr]
        elif what == "over-long":
            elem.set(attr, "9" * ((_limit([t.child[0].attributes[attr]]) or 60) + 1))
        else:
            elem.set(attr, "MAYBE" if attr == "type" else "")
        return f"{target_path}@{attr}", elem

    text = elem.text or ""
    f = t.spec
    if how == "over-long":
        limit = _limit(t.specs)
        new = text + "9" * (limit + 1 - len(text)) if limit is not None else text + "9"
    elif how == "non-digit code":
        new = text[:-1] + "A"
    elif how == "unknown code":
        new = "X"
    elif how.startswith("impossible date"):
        day = how.rsplit(" ", 1)[1]
        new = day + ("120000" if len(text) == 14 else "120000123" if len(text) == 17 else "")
    elif how == "exponent":
        new = "1E+3"
    elif how == "NaN":
        new = "NaN"
    elif how == "INF":
        new = "INF"
    elif how == "negative":
        new = "-1"
    elif how == "too many fraction digits":
        frac = f.facets.get("fractionDigits", 0)
        new = "2.5" if frac == 0 else "1." + "1" * (frac + 1)
    elif how == "too many digits":
        new = "1" * (f.facets["totalDigits"] + 1)
    elif how == "comma decimal":
        new = "1,5"
    elif how == "not a boolean":
        new = "yes"
    else:  # pragma: no cover
        raise AssertionError(how)
    elem.text = new
    return unindexed, elem


# -- reading ------------------------------------------------------------------------------------------------
def records_of(root, kind):
    tag = f"{{{BY_NAME[kind].namespace}}}{BY_NAME[kind].record_tag}"
    return [k for k in root if k.tag == tag]


def serialise(tree, bom: bool) -> bytes:
    etree.indent(tree, space="  ")
    data = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    return (BOM if bom else b"") + data


@dataclass
class Case:
    kind: str
    clean: bytes
    bad: bytes
    field: str
    line: int
    how: str


@st.composite
def cases(draw, kind=None, serial=None):
    kind = kind or draw(st.sampled_from(KINDS))
    serial = serial if serial is not None else draw(st.integers(1, 10**6))
    text = draw(valid_file(kind, serial))
    tree = etree.ElementTree(etree.fromstring(text.encode("utf-8")))
    bom = draw(st.booleans())
    clean = serialise(copy.deepcopy(tree), bom)
    record = records_of(tree.getroot(), kind)[1]
    by_class: dict = {}
    for target, how in candidates(kind, record):  # every class of corruption equally likely, then its target
        by_class.setdefault(how.split(" 2")[0].split(" 1")[0], []).append((target, how))
    target, how = draw(st.sampled_from(by_class[draw(st.sampled_from(sorted(by_class)))]))
    field, anchor = corrupt(kind, record, target, how)
    etree.indent(tree, space="  ")
    where = tree.getelementpath(anchor)
    bad = serialise(tree, bom)
    again = etree.ElementTree(etree.fromstring(bad.removeprefix(BOM))).find(where)
    return Case(kind, clean, bad, field, again.sourceline, f"{target or '(record)'}: {how}")


def read_bytes(data: bytes, name: str):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        reading = open_input(path, name)
        return reading, list(reading.records())


@settings(max_examples=int(os.environ.get("CORRUPTION_EXAMPLES", "400")), **SETTINGS)
@given(case=cases())
def test_one_corrupted_field_quarantines_only_its_record(case):
    _, clean = read_bytes(case.clean, "clean.xml")
    assert [p.record is not None for p in clean] == [True, True, True]

    reading, parsed = read_bytes(case.bad, "bad.xml")  # no exception may escape
    assert reading.kind.name == case.kind
    assert [p for p in reading.problems if p.severity == ERROR] == []
    assert len(parsed) == 3
    first, bad, last = parsed
    for good, ref in ((first, clean[0]), (last, clean[2])):
        assert [p for p in good.problems if p.severity == ERROR] == []
        assert good.record == ref.record
    assert bad.record is None, case.how
    errors = [p for p in bad.problems if p.severity == ERROR]
    assert errors, case.how
    assert all(p.line is not None and p.file == "bad.xml" and p.kind == case.kind for p in errors)
    assert (case.field, case.line) in [(p.field, p.line) for p in errors], (case.how, errors)


# -- the whole night through the command line ------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)  # a parameter, not a fixture: each example gets its own ledger
@settings(max_examples=int(os.environ.get("CLI_EXAMPLES", "8")), **SETTINGS)
@given(night=st.tuples(*(cases(kind=k, serial=100 + 10 * i) for i, k in enumerate(KINDS))))
def test_cli_quarantines_and_accounts_for_every_record(backend, night):
    with tempfile.TemporaryDirectory() as tmp, fresh_ledger(backend, Path(tmp) / "ledger") as ledger_url:
        inbox, out = Path(tmp) / "inbox", Path(tmp) / "out"
        inbox.mkdir()
        names = {}
        for i, case in enumerate(night):
            name = f"{i:02d}-{case.kind}.xml"
            (inbox / name).write_bytes(case.bad)
            names[name] = case
        result = CliRunner().invoke(main, ["run", "--init", "--inbox", str(inbox), "--out", str(out), "--quiet",
                                           "--ledger", ledger_url])
        assert result.exit_code == 0, (result.output, result.exception)
        with open(out / "quarantine.csv", encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))

    for name, case in names.items():
        mine = [(r["line"], r["field"], r["kind"]) for r in rows if r["file"] == name]
        assert (str(case.line), case.field, case.kind) in mine, (case.how, mine)
    assert summary["accounting_balanced"] is True
    assert set(summary["inputs"]) == set(KINDS)
    for kind, counts in summary["inputs"].items():
        for what in ("records", "items"):
            c = counts[what]
            assert c["read"] == c["stored"] + c["quarantined"] + c["duplicates"], (kind, what, c)
        # distinct keys in a fresh ledger: the two neighbours are stored, the corrupted record quarantined
        assert (counts["records"]["read"], counts["records"]["stored"], counts["records"]["quarantined"]) == (3, 2, 1)
    by_file = {f["name"]: f for f in summary["files"]}
    for name, case in names.items():
        f = by_file[name]
        assert (f["read"], f["stored"], f["quarantined"], f["duplicates"]) == (3, 2, 1, 0)
        assert not f["quarantined_whole"] and f["complete"]
    assert summary["quarantine_rows"] == len(rows)


# How a record is read and counted: the default SQLite ledger is enough (the CLI test above covers storing).
def test_record_in_foreign_namespace_is_counted_as_read_and_quarantined(tmp_path):
    rng = random.Random(3)
    specs = [synth.ExportListSpec(f"COP2026081000000{i}", synth.invt_no("3301", 2026, i), date(2026, 8, 10), "9610",
                                  synth.PARTIES[0], [synth.Item(1, synth.CATALOGUE[0], Decimal(3))]) for i in range(3)]
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    synth.write_ceb603(inbox / "lists.xml", specs, rng)
    text = (inbox / "lists.xml").read_text(encoding="utf-8")
    middle = text.index("<ceb:Inventory>", text.index("<ceb:Inventory>") + 1)
    end = text.index("</ceb:Inventory>", middle)
    text = (text[:middle] + f'<x:Inventory xmlns:x="{WRONG_NS}">' + text[middle + len("<ceb:Inventory>"):end]
            + "</x:Inventory>" + text[end + len("</ceb:Inventory>"):])
    (inbox / "lists.xml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "--init", "--inbox", str(inbox), "--out", str(out), "--quiet"])
    assert result.exit_code == 0
    with open(out / "quarantine.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["file"], r["line"]) for r in rows] == [("lists.xml", "4")]  # reported, with its line ...
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    records = summary["inputs"]["CEB603"]["records"]
    assert (records["read"], records["stored"], records["quarantined"]) == (3, 2, 1)  # ... but not counted
