"""The fast path only accepts what the generic extraction accepts, with the same values and hash."""
import random
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from processor import synth
from processor.readers import fast_path
from processor.readers.extract import extract
from processor.fields import FieldError
from processor.readers.messages import BY_NAME, shapes
from processor.validation import CHECKS, Code, OneOf

from .conftest import DEMO

KINDS = ("CEB603", "CEB213", "CEB604", "CEB605", "CEB214")


def records(kind_name: str, text: str):
    kind = BY_NAME[kind_name]
    root = etree.fromstring(text.encode("utf-8"))
    return [el for el in root if isinstance(el.tag, str) and el.tag.endswith("}" + kind.record_tag)]


def fast_node(kind_name: str, elem):
    """The fast path's node of a record's text (as the plain scanner hands it over), or None."""
    prefix = f"{elem.prefix}:" if elem.prefix else ""
    if not elem.tag.startswith(f"{{{BY_NAME[kind_name].namespace}}}"):
        return None
    return fast_path(kind_name).match_text(etree.tostring(elem, encoding=str, with_tail=False), elem.sourceline,
                                           prefix)


def both(kind_name: str, elem):
    kind = BY_NAME[kind_name]
    fast = fast_node(kind_name, elem)
    defects: list = []
    slow = extract(elem, shapes(kind)[0][1], kind.namespace, defects)
    return fast, slow, defects


def present(values: dict) -> dict:
    """The fast path keeps absent optional fields as None; the generic extraction leaves them out."""
    return {k: v for k, v in values.items() if v is not None}


def same(fast, slow) -> bool:
    if fast.canonical != slow.canonical or present(fast.raw) != slow.raw or present(fast.values) != slow.values:
        return False
    return all(len(fast.kids.get(k, [])) == len(v) and all(same(a, b) for a, b in zip(fast.kids[k], v))
               for k, v in slow.kids.items())


def test_the_builders_run_only_the_declared_checks():
    """One table (validation.CHECKS) declares the code and date checks: the builders run it, not checks of
    their own, so the fast path, which compiles the same table, cannot miss one."""
    src = Path(__file__).resolve().parent.parent.joinpath("processor", "readers", "messages.py").read_text()
    assert not re.findall(r"ck\.(?:code|one_of|date8|timestamp)\(", src)
    assert len(re.findall(r"ck\.fields\(", src)) == len(CHECKS)  # one call per declared part


def _declared():
    """(kind, part shape, field name, check) of every declared check of a kind the fast path reads that gives the
    field's form (a quantity's sign is checked after the match, on the facets' own form)."""
    for kind in KINDS:
        shape = shapes(BY_NAME[kind])[0][1]
        parts = [shape] + [sub for sub, _lo, _hi in shape.children.values()]
        for part in parts:
            for name, check in CHECKS.get((kind, part.name), {}).items():
                if check.pattern is not None:
                    yield kind, part, name, check


def test_every_declared_check_is_in_the_fast_expressions():
    seen = 0
    for kind, part, name, check in _declared():
        form, head, item, _extra = fast_path(kind)._compile("ceb:")
        regex = head.regex if form == "flat" or part.name == head.shape.name else item.regex
        assert f"<ceb:{name}>({check.pattern})</ceb:{name}>" in regex.pattern, (kind, part.name, name)
        seen += 1
    assert seen == sum(1 for (k, _p), v in CHECKS.items() if k in KINDS for c in v.values() if c.pattern) == 32


@settings(max_examples=40)
@given(data=st.data())
def test_a_declared_form_passes_the_field_facets_and_its_check(data):
    """What the fast path matches in place of a field's facets: every such text passes them unchanged and,
    for a code, passes the code check (a date's calendar is checked after the match)."""
    for kind, part, name, check in _declared():
        text = data.draw(st.from_regex(check.pattern, fullmatch=True), label=f"{kind} {part.name}/{name}")
        try:
            assert part.fields[name].check(text) == text
        except FieldError as err:
            raise AssertionError((kind, part.name, name, text, err.problem)) from None
        if isinstance(check, Code):
            assert check.regex.match(text)
        elif isinstance(check, OneOf):
            assert text in check.allowed


def test_demo_records_take_the_fast_path_with_the_same_result():
    taken = 0
    for path in sorted(DEMO.glob("*.xml")):
        root = etree.parse(str(path)).getroot()
        kind = next((k for k in KINDS if root.tag.endswith("}" + k + "Message")), None)
        if kind is None:
            continue
        for el in records(kind, etree.tostring(root, encoding=str)):
            fast, slow, defects = both(kind, el)
            if fast is not None:
                taken += 1
                assert not defects and same(fast, slow), path.name
    assert taken > 90


def _sample_texts():
    rng = random.Random(5)
    specs = [synth._random_list(rng, i, synth.date(2026, 5, 1 + i), synth.ELIGIBLE[i % 4], i % 3 > 0)
             for i in range(1, 5)]
    ceb603 = synth._envelope("CEB603Message", [synth.inventory_xml(s, rng) for s in specs], rng)
    rets = [synth.ReturnSpec(f"R-{i}", s, [(1, 1)], synth.datetime(2026, 9, 1, 10)) for i, s in enumerate(specs)
            if s.invt_no]
    ceb213 = synth._envelope("CEB213Message", [synth.refund_xml(r, rng) for r in rets], rng)
    return {"CEB603": ceb603, "CEB213": ceb213}


TEXTS = _sample_texts()
EDITS = st.sampled_from(["space", "newline", "value", "empty", "swap", "entity", "cdata", "drop", "prefix"])


def mutate(text: str, edit: str, pick: int, junk: str) -> str:
    fields = list(re.finditer(r"<ceb:(\w+)>([^<]*)</ceb:\1>", text))
    if not fields:
        return text
    m = fields[pick % len(fields)]
    a, b = m.span(2)
    if edit == "space":
        return text[:a] + " " + text[a:b] + junk[:1] + text[b:]
    if edit == "newline":
        return text[:a] + text[a:b] + "\n" + text[b:]
    if edit == "value":
        return text[:a] + junk + text[b:]
    if edit == "empty":
        return text[:m.start()] + f"<ceb:{m.group(1)}/>" + text[m.end():]
    if edit == "swap" and pick % len(fields) + 1 < len(fields):
        n = fields[pick % len(fields) + 1]
        return text[:m.start()] + n.group(0) + text[m.end():n.start()] + m.group(0) + text[n.end():]
    if edit == "entity":
        return text[:a] + "&#x41;" + text[a:b] + text[b:]
    if edit == "cdata":
        return text[:a] + "<![CDATA[" + text[a:b] + "]]>" + text[b:]
    if edit == "drop":
        return text[:m.start()] + text[m.end():]
    if edit == "prefix":
        return text.replace("ceb:", "c:").replace("xmlns:ceb=", "xmlns:c=")
    return text


@settings(max_examples=300)
@given(kind=st.sampled_from(sorted(TEXTS)), edits=st.lists(st.tuples(EDITS, st.integers(0, 400),
                                                                   st.text("0123456789.-E aZ中 ", max_size=25)),
                                                         max_size=3))
def test_fast_path_accepts_only_what_the_generic_extraction_accepts(kind, edits):
    text = TEXTS[kind]
    for edit, pick, junk in edits:
        text = mutate(text, edit, pick, junk)
    try:
        els = records(kind, text)
    except etree.XMLSyntaxError:
        return
    for el in els:
        fast, slow, defects = both(kind, el)
        if fast is not None:
            assert not defects, [d.problem for d in defects]
            assert same(fast, slow)


def _matched_and_generic(elem):
    """A list built from the fast path's matches (as the plain scanner builds it) and by the generic path."""
    from processor.readers import Reading, _parse_matched, _parse_record, fast_path, matched_builder
    kind = BY_NAME["CEB603"]
    reading = Reading(Path("x.xml"), "x.xml", kind, "CEB603Message")
    variants = shapes(kind)
    prefix = f"{elem.prefix}:" if elem.prefix else ""
    text = etree.tostring(elem, encoding=str, with_tail=False)
    parts = fast_path("CEB603").match_parts(text, prefix)
    matched = None if parts is None else _parse_matched(reading, matched_builder("CEB603"), text, elem.sourceline,
                                                        parts, variants)
    return matched, _parse_record(reading, elem, variants)


def _fields(p):
    return (p.kind, p.file, p.record, p.key, p.line, p.content_hash, p.lines,
            [(q.line, q.field, q.problem, q.severity) for q in p.problems])


def test_lists_built_from_matches_are_the_lists_the_generic_path_builds():
    """Every list of the demo night and of a synthetic night, including 1210 lists and their warnings."""
    rng = random.Random(11)
    specs = [synth._random_list(rng, i, synth.date(2026, 5, 1 + i % 27), synth.ELIGIBLE[i % 4], i % 3 > 0)
             for i in range(1, 60)]
    texts = [synth._envelope("CEB603Message", [synth.inventory_xml(s, rng) for s in specs], rng)]
    texts += [p.read_text(encoding="utf-8") for p in sorted(DEMO.glob("*.xml")) if "CEB603Message" in
              p.read_text(encoding="utf-8")[:300]]
    bonded = re.sub(r"<ceb:tradeMode>\d+</ceb:tradeMode>", "<ceb:tradeMode>1210</ceb:tradeMode>", texts[0])
    bonded = re.sub(r"<ceb:(iacCode|itemRecordNo)>[^<]*</ceb:\1>\s*", "", bonded, count=40)
    texts.append(re.sub(r"<ceb:totalPrice>(\d+)", r"<ceb:totalPrice>9\1", bonded, count=30))
    built = warned = 0
    for text in texts:
        for el in records("CEB603", text):
            matched, generic = _matched_and_generic(el)
            if matched is not None:
                built += 1
                warned += bool(matched.problems)
                assert _fields(matched) == _fields(generic)
    assert built > 150 and warned > 20, (built, warned)


EDITS_603 = st.sampled_from(["space", "newline", "value", "empty", "swap", "drop", "bonded", "gnum", "date"])


@settings(max_examples=300)
@given(edits=st.lists(st.tuples(EDITS_603, st.integers(0, 400), st.text("0123456789.-E aZ中 ", max_size=25)),
                      max_size=3))
def test_a_list_is_built_from_its_matches_only_as_the_generic_path_builds_it(edits):
    text = TEXTS["CEB603"]
    for edit, pick, junk in edits:
        if edit == "bonded":
            text = re.sub(r"<ceb:tradeMode>\d+</ceb:tradeMode>", "<ceb:tradeMode>1210</ceb:tradeMode>", text,
                          count=1 + pick % 3)
        elif edit == "gnum":
            found = list(re.finditer(r"<ceb:gnum>(\d+)</ceb:gnum>", text))
            m = found[pick % len(found)]
            text = text[:m.start(1)] + str(pick % 5) + text[m.end(1):]
        elif edit == "date":
            found = list(re.finditer(r"<ceb:(ieDate|appTime)>(\d+)</ceb:\1>", text))
            m = found[pick % len(found)]
            text = text[:m.start(2)] + ("20260230", "19991231", "20991231", "20260229235959")[pick % 4][
                :len(m.group(2))].ljust(len(m.group(2)), "0") + text[m.end(2):]
        else:
            text = mutate(text, edit, pick, junk)
    try:
        els = records("CEB603", text)
    except etree.XMLSyntaxError:
        return
    for el in els:
        matched, generic = _matched_and_generic(el)
        if matched is not None:
            assert not [q for q in generic.problems if q.severity == "error"], generic.problems
            assert _fields(matched) == _fields(generic)
