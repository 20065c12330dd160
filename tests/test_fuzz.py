"""Fuzzing every reader with mutated real records: no exception escapes, every record is accounted for.

Seeds are valid files of each kind written by processor.synth (with and without the ceb: prefix, with a
BOM, the CEB214 root spelled CEB214), plus GACC's official samples in ../shared/ceb/samples-export and the
contract's example claims when they are present. Hypothesis applies one to four mutations to a seed:

- byte level: flip, insert or delete bytes, duplicate or drop a slice, truncate, add a BOM;
- structure level: swap two leaf tags, rename one start tag, duplicate or drop a record, nest a record in
  another, splice the head of one file onto the tail of another (of any kind), insert entity and character
  references, CDATA, comments, processing instructions, a DOCTYPE or deep nesting at a tag boundary, replace
  a field value by a hostile one, change the encoding declaration (honestly re-encoding or not), renumber an
  item, re-lay the file out (squeezed, indented, CRLF), respell a value (padded, as a character reference,
  CDATA, empty, with an attribute, with its prefix bound to another namespace).

`open_input(path, name).records()` must not raise; each Parsed has a record or at least one error naming the
file; every line given is within the file. Each file is also read with the readers' fast path turned off:
records, keys, content hashes, lines and errors must be the same either way (warnings compared without their
line, see test_fast_path_warning_line_is_the_generic_one). The CLI test runs the whole batch with one mutated file beside good ones: exit 0
and balanced accounting. Example counts are printed at the end (and hypothesis `event`s show the mutations
with --hypothesis-show-statistics). FUZZ_EXAMPLES and FUZZ_CLI_EXAMPLES change the number of examples.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import os
import random
import re
import tempfile
from unittest import mock
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from processor import readers, synth
from processor.cli import main
from processor.problems import ERROR
from processor.readers import open_input

from .helpers import ceb603_text, export_list

SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLES = SHARED / "ceb" / "samples-export"
KINDS = ("CEB603", "CEB604", "CEB605", "CEB213", "CEB214", "ReturnClaims")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1500"))
CLI_EXAMPLES = int(os.environ.get("FUZZ_CLI_EXAMPLES", "250"))
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                      HealthCheck.filter_too_much])
RAN: Counter = Counter()  # examples run per test, printed by the last test
BOM = b"\xef\xbb\xbf"


# -- seeds --------------------------------------------------------------------------------------------------------
_ceb214 = synth.ceb214_text  # CEB214 receipts: (coElNo, invtNo, status)


def _unprefixed(text: str) -> str:
    return text.replace("ceb:", "").replace("xmlns:ceb=", "xmlns=")


LISTS = [export_list(1, "2026-08-10", "9610", ((0, 3), (2, 10))), export_list(2, "2026-06-01", "1210", ((1, 2),)),
         export_list(3, "2026-10-20", "9810", ((3, 1), (7, 40)), with_invt=False, party=2)]
RETURNS = [synth.ReturnSpec("BACK-20261120-0001", LISTS[0], [(1, 1), (2, 2)], datetime(2026, 11, 20, 10)),
           synth.ReturnSpec("BACK-20261120-0002", LISTS[1], [(1, 1)], datetime(2026, 11, 21, 9))]
CLAIMS = [
    synth.ClaimSpec("BACK-20261120-0001", LISTS[0].invt_no, "20261120", "BUYER_RETURN",
                    [{"gnum": 1, "used": True, "trialUseEvidence": True}, {"gnum": 2, "refundedVat": "26.00"}],
                    return_record="RMA-1", certificate=("PAID_BACK", "3301202611200002")),
    synth.ClaimSpec("BACK-20261120-0002", LISTS[1].invt_no, "20261125", "UNSOLD",
                    [{"gnum": 1, "customsValue": "1280.00", "exportDutyPaid": "0"}], self_declaration="SD-2",
                    certificate=("NOT_REFUNDED", "C2"), zone_exit_date="20260615"),
]


def _synth_seeds() -> dict:
    rng = random.Random(2026)
    seeds: dict = {k: [] for k in KINDS}
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "f.xml"
        synth.write_ceb603(p, LISTS, rng)
        seeds["CEB603"] += [p.read_text(encoding="utf-8"), ceb603_text(LISTS[:1], prefix=False, bom=True)]
        synth.write_ceb604(p, [(LISTS[2], synth.invt_no("3301", 2026, 3), "800", datetime(2026, 10, 20, 9), "放行"),
                               (LISTS[0], LISTS[0].invt_no, "100", datetime(2026, 8, 11, 9), "退单")], rng)
        seeds["CEB604"].append(p.read_text(encoding="utf-8"))
        synth.write_ceb605(p, [(LISTS[0], datetime(2026, 9, 27, 14), "订单取消"), (LISTS[1], datetime(2026, 7, 1), "撤单")],
                           rng)
        seeds["CEB605"].append(p.read_text(encoding="utf-8"))
        synth.write_ceb213(p, RETURNS, rng)
        seeds["CEB213"] += [p.read_text(encoding="utf-8"), _unprefixed(p.read_text(encoding="utf-8"))]
        seeds["CEB214"] += [_ceb214([(RETURNS[0].co_el_no, LISTS[0].invt_no, "100"),
                                     (RETURNS[1].co_el_no, LISTS[1].invt_no, "120")], rng)]
        seeds["CEB214"].append(seeds["CEB214"][0].replace("CEB214Message", "CEB214"))
        synth.write_claims(p, CLAIMS)
        seeds["ReturnClaims"].append(p.read_text(encoding="utf-8"))
    out = {k: [t.encode("utf-8") if isinstance(t, str) else t for t in v] for k, v in seeds.items()}
    out["CEB603"][1] = BOM + out["CEB603"][1].removeprefix(BOM)
    return out


OFFICIAL: set = set()  # the seeds that are GACC's samples or the contract's example


def _official_seeds(seeds: dict) -> dict:
    by_file = {"CEB603Message.xml": "CEB603", "CEB604Message.xml": "CEB604", "CEB605Message.xml": "CEB605",
               "CEB213Message.xml": "CEB213", "CEB214Message.xml": "CEB214"}
    for name, kind in by_file.items():
        if (SAMPLES / name).is_file():
            seeds[kind].append((SAMPLES / name).read_bytes())
            OFFICIAL.add(seeds[kind][-1])
    example = SHARED / "spec" / "example-claims.xml"
    if example.is_file():
        seeds["ReturnClaims"].append(example.read_bytes())
        OFFICIAL.add(seeds["ReturnClaims"][-1])
    return seeds


SEEDS = _official_seeds(_synth_seeds())
ALL_SEEDS = [s for k in KINDS for s in SEEDS[k]]
RECORD_TAG = {"CEB603": "Inventory", "CEB604": "InventoryReturn", "CEB605": "InvtCancel", "CEB213": "InvtRefund",
              "CEB214": "RefundReturn", "ReturnClaims": "Claim"}


# -- mutations ------------------------------------------------------------------------------------------------------
LEAF = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?[A-Za-z_][\w.-]*)>([^<]*)</\1>")
START_TAG = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?[A-Za-z_][\w.-]*)[\s>/]")
MARKUP = [b"&amp;", b"&lt;", b"&#x41;", b"&#0;", b"&#xD800;", b"&#x10FFFF;", b"&undefined;", b"&amp", b"&",
          b"<![CDATA[x]]>", b"<![CDATA[<ceb:gnum>1</ceb:gnum>]]>", b"]]>", b"<!-- c -->", b"<!-- a -- b -->",
          b"<?pi data?>", b"<?xml version='1.0'?>", b"<!DOCTYPE x>", b'<!ENTITY e "v">',
          b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>', b"&e;", b"<a>" * 300 + b"</a>" * 300,
          b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd"/>', b"\x00", b"\xff\xfe",
          b"<ceb:bogus>1</ceb:bogus>", b"<bogus/>", b"</ceb:InventoryHead>", b"\r", b"\r\n\r\n", "中文".encode()]
VALUES = [b"", b" ", b"-1", b"1E3", b"NaN", b"INF", b"0.0000001", b"9" * 40, "\uff19".encode(), b"20230230",
          b"99999999999999", b"true", b"maybe", b"&#x1F600;", b"x" * 300, "长".encode() * 300, b"  3  ",
          b"\t=cmd", b"@SUM(1)", b"00000000000000000001", b"1.", b".5", b"+1"]
ENCODINGS = ["UTF-8", "utf-8", "GBK", "GB18030", "GB2312", "UTF-16", "UTF-16LE", "UTF-16BE", "ISO-8859-1",
             "US-ASCII", "Big5", "EBCDIC", "x-bogus", ""]


def _at(draw, data: bytes, end: bool = True) -> int:
    return draw(st.integers(0, len(data) if end else max(len(data) - 1, 0)))


def flip(draw, data):
    if not data:
        return data
    i = _at(draw, data, end=False)
    return data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1:]


def insert_bytes(draw, data):
    i = _at(draw, data)
    return data[:i] + draw(st.binary(min_size=1, max_size=12)) + data[i:]


def delete_slice(draw, data):
    i = _at(draw, data)
    return data[:i] + data[i + draw(st.integers(1, 64)):]


def duplicate_slice(draw, data):
    i, j, k = sorted(_at(draw, data) for _ in range(2)) + [_at(draw, data)]
    return data[:k] + data[i:j] + data[k:]


def truncate(draw, data):
    return data[:_at(draw, data)]


def add_bom(draw, data):
    return draw(st.sampled_from([BOM, b"\xff\xfe", b"\xfe\xff", BOM + BOM])) + data


def _pick(draw, matches):
    return matches[draw(st.integers(0, len(matches) - 1))]


def swap_tags(draw, data):
    leaves = list(LEAF.finditer(data))
    if len(leaves) < 2:
        return data
    a, b = _pick(draw, leaves), _pick(draw, leaves)
    if a.start() == b.start():
        return data
    a, b = (a, b) if a.start() < b.start() else (b, a)
    na, nb = a.group(1), b.group(1)
    new_a = b"<" + nb + b">" + a.group(2) + b"</" + nb + b">"
    new_b = b"<" + na + b">" + b.group(2) + b"</" + na + b">"
    return data[:a.start()] + new_a + data[a.end():b.start()] + new_b + data[b.end():]


def rename_start_tag(draw, data):
    tags = list(START_TAG.finditer(data))
    if not tags:
        return data
    m = _pick(draw, tags)
    other = _pick(draw, tags).group(1)
    return data[:m.start(1)] + other + data[m.end(1):]


def record_spans(data: bytes) -> list:
    tags = "|".join(RECORD_TAG.values())
    return list(re.finditer(rb"<((?:\w+:)?(?:" + tags.encode() + rb"))>.*?</\1>", data, re.S))


def dup_or_drop_record(draw, data):
    spans = record_spans(data)
    if not spans:
        return data
    m = _pick(draw, spans)
    how = draw(st.sampled_from(["duplicate", "drop", "nest"]))
    if how == "duplicate":
        return data[:m.end()] + data[m.start():m.end()] + data[m.end():]
    if how == "drop":
        return data[:m.start()] + data[m.end():]
    close = data.rfind(b"</", m.start(), m.end())  # a copy of the record inside itself, before its end tag
    return data[:close] + data[m.start():m.end()] + data[close:]


def splice(draw, data):
    other = draw(st.sampled_from(ALL_SEEDS))
    return data[:_at(draw, data)] + other[_at(draw, other):]


def insert_markup(draw, data):
    ends = [m.end() for m in re.finditer(rb">", data)]
    i = _pick(draw, ends) if ends else 0
    return data[:i] + draw(st.sampled_from(MARKUP)) + data[i:]


def hostile_value(draw, data):
    leaves = list(LEAF.finditer(data))
    if not leaves:
        return data
    m = _pick(draw, leaves)
    return data[:m.start(2)] + draw(st.sampled_from(VALUES)) + data[m.end(2):]


def change_encoding(draw, data):
    enc = draw(st.sampled_from(ENCODINGS))
    decl = re.match(rb"(\xef\xbb\xbf)?<\?xml[^>]*\?>", data)
    new_decl = (b'<?xml version="1.0"' + (b' encoding="' + enc.encode() + b'"' if enc else b"") + b"?>")
    body = data[decl.end():] if decl else data
    if draw(st.booleans()) and enc not in ("", "x-bogus", "EBCDIC"):  # honest: re-encode the whole document
        try:
            return (new_decl + body).decode("utf-8").encode(enc, errors="xmlcharrefreplace")
        except (UnicodeError, LookupError):
            pass
    return new_decl + body


def renumber(draw, data):
    """Another item number: a gap, a repeat, a zero."""
    gnums = list(re.finditer(rb"<((?:\w+:)?gnum)>([^<]*)</\1>", data))
    if not gnums:
        return data
    m = _pick(draw, gnums)
    return data[:m.start(2)] + str(draw(st.integers(0, 9))).encode() + data[m.end(2):]


def reformat(draw, data):
    """Well-formed variations of layout: re-indent, squeeze, CRLF or tabs between elements."""
    how = draw(st.sampled_from(["squeeze", "crlf", "tabs", "indent"]))
    if how == "squeeze":
        return re.sub(rb">\s+<", b"><", data)
    if how == "crlf":
        return data.replace(b"\n", b"\r\n")
    if how == "tabs":
        return re.sub(rb"><", b">\n\t\t<", data)
    return re.sub(rb"><(?!/)", b">\n    <", data)


def respell_value(draw, data):
    """The same or nearly the same value written another way: padded, escaped, CDATA, empty, with attributes."""
    leaves = list(LEAF.finditer(data))
    if not leaves:
        return data
    m = _pick(draw, leaves)
    name, value = m.group(1), m.group(2)
    how = draw(st.sampled_from(["pad", "charref", "cdata", "empty", "selfclose", "attribute", "redeclare"]))
    if how == "pad":
        new = b"<" + name + b">" + draw(st.sampled_from([b" ", b"\t", b"\n", b"\xe3\x80\x80", b"\xc2\xa0"])) + value \
            + b" </" + name + b">"
    elif how == "charref":  # the first character as a character reference: the same value
        text = value.decode("utf-8", "replace")
        new = b"<" + name + b">" + (f"&#{ord(text[0])};{text[1:]}".encode() if text else b"") + b"</" + name + b">"
    elif how == "cdata":
        new = b"<" + name + b"><![CDATA[" + value + b"]]></" + name + b">"
    elif how == "empty":
        new = b"<" + name + b"></" + name + b">"
    elif how == "selfclose":
        new = b"<" + name + b"/>"
    elif how == "attribute":
        new = b"<" + name + b' note="x">' + value + b"</" + name + b">"
    else:  # the same prefix bound to another namespace on the field only
        new = b"<" + name + b' xmlns:ceb="urn:not-ceb" xmlns="urn:not-ceb">' + value + b"</" + name + b">"
    return data[:m.start()] + new + data[m.end():]


MUTATIONS = (flip, insert_bytes, delete_slice, duplicate_slice, truncate, add_bom, swap_tags, rename_start_tag,
             dup_or_drop_record, splice, insert_markup, hostile_value, change_encoding, renumber, reformat,
             respell_value)


@st.composite
def mutated(draw, kind: str):
    data = draw(st.sampled_from(SEEDS[kind]))
    applied = []
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(MUTATIONS))
        data = op(draw, data)
        applied.append(op.__name__)
    return data, applied


# -- properties -----------------------------------------------------------------------------------------------------
def line_count(data: bytes) -> int:
    """Lines as an XML parser counts them (CR LF and lone CR end a line); an upper bound for UTF-16 too."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1


def comparable(parsed: list) -> list:
    return [(p.kind, p.file, p.record, p.key, p.line, p.content_hash, p.lines,
             [q if q.severity == ERROR else dataclasses.replace(q, line=None) for q in p.problems]) for p in parsed]


def read_both_ways(path: Path, name: str):
    """Read with the reader as configured (fast path on), then with the generic extraction only."""
    reading = open_input(path, name)  # nothing may escape
    parsed = list(reading.records())
    with mock.patch.object(readers, "fast_path", lambda kind_name: None):
        generic = open_input(path, name)
        parsed_generic = list(generic.records())
    return reading, parsed, generic, parsed_generic


def check_reading(data: bytes, name: str) -> tuple[int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        reading, parsed, generic, parsed_generic = read_both_ways(path, name)
    # the fast path is an optimisation: records, keys, hashes, lines and problems as the generic extraction's
    # (warnings compared without their line: see test_fast_path_warning_line_is_the_generic_one)
    assert comparable(parsed) == comparable(parsed_generic)
    assert reading.problems == generic.problems
    lines = line_count(data)
    if reading.kind is None:
        assert parsed == []
        assert [p for p in reading.problems if p.severity == ERROR], "a refused file without an error"
    for p in parsed:
        assert p.file == name and p.kind == reading.kind.name
        errors = [q for q in p.problems if q.severity == ERROR]
        assert p.record is not None or errors, p
        if p.record is not None:
            assert errors == [], errors
        if p.line is not None:
            assert 1 <= p.line <= lines, (p.line, lines)
    for q in [q for p in parsed for q in p.problems] + reading.problems:
        assert q.file == name, q
        if q.line is not None:
            assert 1 <= q.line <= lines, (q, lines)
    return len(parsed), sum(p.record is not None for p in parsed)


def fuzz_reader(kind: str):
    @settings(max_examples=EXAMPLES, **SETTINGS)
    @given(case=mutated(kind))
    def test(case):
        data, applied = case
        for name in applied:
            event(f"mutation {name}")
        note(f"mutations: {applied}")
        n, built = check_reading(data, f"fuzz-{kind}.xml")
        event(f"records read: {'0' if n == 0 else '1-3' if n <= 3 else 'more'}; all built: {n == built}")
        RAN[kind] += 1
    test.__name__ = f"test_fuzz_{kind}"
    return test


test_fuzz_CEB603 = fuzz_reader("CEB603")
test_fuzz_CEB604 = fuzz_reader("CEB604")
test_fuzz_CEB605 = fuzz_reader("CEB605")
test_fuzz_CEB213 = fuzz_reader("CEB213")
test_fuzz_CEB214 = fuzz_reader("CEB214")
test_fuzz_ReturnClaims = fuzz_reader("ReturnClaims")


@pytest.mark.parametrize("kind", KINDS)
def test_seeds_are_valid(kind, tmp_path):
    """The synthetic seeds read cleanly, so the mutations start from real, valid records."""
    for i, data in enumerate(SEEDS[kind]):
        path = tmp_path / f"seed{i}.xml"
        path.write_bytes(data)
        reading = open_input(path, path.name)
        parsed = list(reading.records())
        assert reading.kind is not None and reading.kind.name == kind and parsed
        if data not in OFFICIAL:  # GACC's samples carry their own defects (e.g. ieFlag 'a')
            assert all(p.record is not None for p in parsed), [p.problems for p in parsed]


def test_fast_path_warning_line_is_the_generic_one(tmp_path):
    text = ceb603_text([export_list(1, goods=((0, 1), (2, 1)))])
    text = text.replace("<ceb:gnum>2</ceb:gnum>", "<ceb:gnum>3</ceb:gnum>")  # items 1 and 3: a gap, a warning
    text = text.replace("<ceb:InventoryHead>", "\n<ceb:InventoryHead>")  # the head on the line after the record
    path = tmp_path / "gap.xml"
    path.write_text(text, encoding="utf-8")
    reading, parsed, generic, parsed_generic = read_both_ways(path, path.name)
    assert parsed_generic[0].record is not None and parsed_generic[0].problems[0].line == 4
    assert parsed == parsed_generic


# -- the whole batch -------------------------------------------------------------------------------------------------
def _good_inbox(inbox: Path) -> None:
    rng = random.Random(7)
    inbox.mkdir()
    synth.write_ceb603(inbox / "00-lists.xml", LISTS[:2], rng)
    synth.write_ceb213(inbox / "00-returns.xml", RETURNS, rng)
    synth.write_claims(inbox / "00-claims.xml", CLAIMS)


@settings(max_examples=CLI_EXAMPLES, **SETTINGS)
@given(case=st.sampled_from(KINDS).flatmap(mutated))
def test_fuzz_cli_batch(case):
    data, applied = case
    note(f"mutations: {applied}")
    with tempfile.TemporaryDirectory() as tmp:
        inbox, out = Path(tmp) / "inbox", Path(tmp) / "out"
        _good_inbox(inbox)
        (inbox / "zz-mutated.xml").write_bytes(data)
        result = CliRunner().invoke(main, ["run", "--init", "--inbox", str(inbox), "--out", str(out), "--quiet"])
        assert result.exit_code == 0, (result.output, result.exception)
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        with open(out / "quarantine.csv", encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    assert summary["accounting_balanced"] is True
    for kind, counts in summary["inputs"].items():
        for what in ("records", "items"):
            c = counts[what]
            assert c["read"] == c["stored"] + c["quarantined"] + c["duplicates"], (kind, what, c)
    files = {f["name"]: f for f in summary["files"]}
    for f in files.values():
        assert f["read"] == f["stored"] + f["quarantined"] + f["duplicates"], f
    for good in ("00-lists.xml", "00-returns.xml", "00-claims.xml"):
        assert files[good]["quarantined"] == 0 and files[good]["complete"], files[good]
    assert {r["file"] for r in rows} <= {"zz-mutated.xml"}, rows
    mutated_file = files["zz-mutated.xml"]
    if mutated_file["quarantined"] or not mutated_file["complete"]:
        assert rows, "a quarantined record or a broken file without a quarantine row"
    assert summary["quarantine_rows"] == len(rows)
    event(f"mutated file: {'stored' if mutated_file['stored'] else ''} {'quarantined' if rows else 'clean'}")
    RAN["CLI"] += 1


def test_zz_report_examples(capsys):
    """Print how many examples each fuzz test ran (this test runs last in the file)."""
    if RAN:
        with capsys.disabled():
            print(f"\nfuzz examples run: {sum(RAN.values())} ({', '.join(f'{k} {v}' for k, v in sorted(RAN.items()))})")
