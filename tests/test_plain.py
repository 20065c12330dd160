"""The plain scanner reads what it can, stops where the parser must take over, and never changes a result.

Each case is read twice: as configured (scanner and fast path), and by the parser with the generic
extraction only; records, keys, hashes, lines and problems must be the same (as in test_fuzz.py,
which does the same on random damage). The cases here name the situations the scanner must notice.
"""
import re
from pathlib import Path

import pytest

from processor import readers
from processor.problems import ERROR
from processor.readers import open_input
from processor.readers.messages import BY_NAME, CEB_NS
from processor.readers.plain import PlainScan

from .helpers import ceb603_text, export_list
from .test_fuzz import comparable, read_both_ways

BASE = ceb603_text([export_list(i) for i in range(1, 6)])
END = "</ceb:Inventory>"


def after_record(n: int, insert: str):
    """Insert text after the n-th record's end tag."""
    def edit(text: str) -> str:
        pos = -1
        for _ in range(n):
            pos = text.index(END, pos + 1)
        pos += len(END)
        return text[:pos] + insert + text[pos:]
    return edit


def in_record(n: int, old: str, new: str):
    """Replace the first `old` inside the n-th record."""
    def edit(text: str) -> str:
        starts = [m.start() for m in re.finditer("<ceb:Inventory>", text)]
        start = starts[n - 1]
        pos = text.index(old, start)
        return text[:pos] + new + text[pos + len(old):]
    return edit


# name: (edit of the file's text, whether the scanner stops, records it reads before stopping)
CASES = {
    "plain": (lambda t: t, False, 5),
    "CR LF line ends": (lambda t: t.replace("\n", "\r\n"), False, 5),
    "byte-order mark": (lambda t: "\ufeff" + t, False, 5),
    "no declaration": (lambda t: t[t.index("?>") + 2:].lstrip(), False, 5),
    "default namespace, no prefix": (lambda t: t.replace("ceb:", "").replace("xmlns:ceb=", "xmlns="), False, 5),
    "records on separate lines, indented": (lambda t: t.replace("><ceb:", ">\n    <ceb:"), False, 5),
    "an entity in a record (parsed alone)": (in_record(2, "<ceb:gmodel>", "<ceb:gmodel>A &amp; "), False, 5),
    "a defect in a record (parsed alone)": (in_record(3, "<ceb:ieDate>2026", "<ceb:ieDate>1999"), False, 5),
    "a comment in a record (parsed alone)": (in_record(4, "<ceb:gname>", "<!-- note --><ceb:gname>"), False, 5),
    "lone CR line ends": (lambda t: t.replace("\n", "\r"), True, 0),
    "a comment between records": (after_record(2, "<!-- batch 2 -->"), True, 2),
    "another element between records": (after_record(3, "<ceb:Note>x</ceb:Note>"), True, 3),
    "a record tag with an attribute": (lambda t: t.replace("<ceb:Inventory>", '<ceb:Inventory id="1">', 1), True, 0),
    "a record inside a record": (in_record(2, "<ceb:InventoryList>", "<ceb:Inventory><ceb:InventoryList>"), True, 1),
    "a record not well-formed": (in_record(3, "</ceb:gname>", "</ceb:gnam>"), True, 2),
    "a control character": (in_record(2, "<ceb:gmodel>", "<ceb:gmodel>\x01"), True, 0),
    "]]> in a value": (in_record(2, "<ceb:gmodel>", "<ceb:gmodel>]]>"), True, 0),
    "U+FFFF in a value": (in_record(5, "<ceb:gmodel>", "<ceb:gmodel>\uffff"), True, 0),
    "declared ASCII": (lambda t: t.replace('encoding="UTF-8"', 'encoding="US-ASCII"'), True, 0),
    "declared GBK": (lambda t: t.replace('encoding="UTF-8"', 'encoding="GBK"'), True, 0),
    "a DTD": (lambda t: t.replace("?>", '?><!DOCTYPE x [<!ENTITY a "b">]>', 1), True, 0),
    "breaks off in a record": (lambda t: t[:t.index("<ceb:Inventory>", t.index(END)) + 300], True, 1),
    "breaks off after the records": (lambda t: t[:t.rindex(END) + len(END)], True, 5),
    "text after the root": (lambda t: t + "trailing", True, 5),
    "no BaseTransfer": (lambda t: re.sub(r"<ceb:BaseTransfer>.*?</ceb:BaseTransfer>", "", t, flags=re.S), False, 5),
    "two BaseTransfers": (lambda t: re.sub(r"(<ceb:BaseTransfer>.*?</ceb:BaseTransfer>)", r"\1\1", t, flags=re.S),
                          False, 5),
}


@pytest.mark.parametrize("name", CASES)
def test_scanner_stops_where_it_must_and_changes_nothing(tmp_path: Path, name: str):
    edit, stops, read = CASES[name]
    text = edit(BASE)
    encoding = "gbk" if "GBK" in name else "utf-8"
    path = tmp_path / "CEB603.xml"
    path.write_bytes(text.encode(encoding, "surrogatepass"))
    kind = BY_NAME["CEB603"]
    scan = PlainScan(path, kind.record_tag, kind.namespace, CEB_NS)
    opened = open_input(path, path.name)
    if opened.kind is None:  # refused before any reading (a DTD): the scanner never runs
        assert stops and read == 0
    else:
        for _ in readers._read_plain(opened, scan, readers.fast_path("CEB603")):
            pass
        assert (scan.stopped, scan.yielded) == (stops, read)
    reading, parsed, generic, parsed_generic = read_both_ways(path, path.name)
    assert comparable(parsed) == comparable(parsed_generic)
    assert reading.problems == generic.problems
    assert reading.complete == generic.complete


def test_a_defect_keeps_its_line_after_a_record_parsed_alone(tmp_path: Path):
    text = in_record(4, "<ceb:ieDate>2026", "<ceb:ieDate>1999")(
        in_record(2, "<ceb:gmodel>", "<ceb:gmodel>A &amp; ")(BASE.replace("><ceb:", ">\r\n<ceb:")))
    path = tmp_path / "CEB603.xml"
    path.write_bytes(text.encode("utf-8"))
    reading, parsed, _generic, _parsed_generic = read_both_ways(path, path.name)
    errors = [(q.line, q.field) for p in parsed for q in p.problems if q.severity == ERROR]
    expected = text.replace("\r\n", "\n")
    line = expected[:expected.index("<ceb:ieDate>1999")].count("\n") + 1
    assert errors == [(line, "InventoryHead/ieDate")]
