"""The compiled per-field checks accept and reject exactly what the schemas (via xmlschema) do."""
import re
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from processor.fields import FieldError, load_schema, record_shape

RECORDS = [
    ("ceb603-202205.xsd", "Inventory"), ("ceb603-2018.xsd", "Inventory"), ("ceb604.xsd", "InventoryReturn"),
    ("ceb605.xsd", "InvtCancel"), ("ceb213.xsd", "InvtRefund"), ("ceb214.xsd", "RefundReturn"),
    ("return-claims.xsd", "Claim"),
]


def leaf_pairs():
    """(label, FieldSpec, xmlschema simple type) for every leaf and attribute of every record we read."""
    out = []
    for schema_file, record in RECORDS:
        schema = load_schema(schema_file)

        def walk(shape, xsd_elem, path):
            for child in xsd_elem.type.content.iter_elements():
                name = getattr(child, "local_name", None)
                if name in shape.fields:
                    out.append((f"{schema_file}:{path}/{name}", shape.fields[name], child.type))
                elif name in shape.children:
                    sub = shape.children[name][0]
                    for aname, spec in sub.attributes.items():
                        out.append((f"{schema_file}:{path}/{name}@{aname}", spec, child.type.attributes[aname].type))
                    if sub.fields or sub.children:
                        walk(sub, child, f"{path}/{name}")

        walk(record_shape(schema_file, record), schema.elements[record], record)
    return out


PAIRS = leaf_pairs()
# one representative per distinct facet set keeps the property test fast without losing coverage
DISTINCT = list({(spec.kind, repr(sorted(spec.facets.items()))): (label, spec, t) for label, spec, t in PAIRS}.values())

values = st.one_of(
    st.text(alphabet="0123456789", max_size=22),
    st.text(alphabet="0123456789.-+eE ", max_size=25),
    st.from_regex(r"\A[+-]?[0-9]{0,16}(\.[0-9]{0,8})?\Z"),
    st.text(alphabet="0123456789ABCDEFabc-_ 中文\t\n", max_size=40),
    st.sampled_from(["", " ", "NaN", "INF", "-0", "+0.0", "00001", "1.", ".5", "true", "false", "1", "0",
                     "UNSOLD", "BUYER_RETURN", "OTHER", "PAID_BACK", "NOT_REFUNDED", "unsold", " 12 ", "1e5"]),
)


def test_every_field_was_compiled():
    assert len(PAIRS) > 150
    kinds = {spec.kind for _l, spec, _t in PAIRS}
    assert kinds == {"string", "decimal", "boolean"}


def xmlschema_accepts(xsd_type, value: str) -> bool:
    return xsd_type.text_is_valid(value)


def fast_accepts(spec, value: str) -> bool:
    try:
        spec.check(value)
        return True
    except FieldError:
        return False


def xmlschema_diverges_from_xsd(spec, value: str) -> bool:
    """Where xmlschema 4 departs from XSD 1.0 Part 2 3.2.3.1 (decimal lexical space), the spec wins:
    xmlschema accepts white space inside a number ('1 2') and rejects a leading point ('.5')."""
    if spec.kind != "decimal":
        return False
    core = value.strip(" \t\n\r")
    return bool(re.search(r"\s", core)) or bool(re.match(r"[+-]?\.[0-9]", core))


@pytest.mark.parametrize("label,spec,xsd_type", DISTINCT, ids=[p[0] for p in DISTINCT])
@settings(max_examples=150)
@given(value=values)
def test_fast_check_agrees_with_xmlschema(label, spec, xsd_type, value):
    assume(not xmlschema_diverges_from_xsd(spec, value))
    assert fast_accepts(spec, value) == xmlschema_accepts(xsd_type, value), (label, value, spec.facets)


@pytest.mark.parametrize("value,ok", [("1 2", False), ("1\t2", False), (".5", True), ("+.5", True),
                                      ("12345678901234.12345", True), ("123456789012345.12345", False),
                                      ("1.123456", False), ("1.12345000", True), ("-1", False), ("1E3", False),
                                      ("NaN", False), ("0007", True), ("", False), (" 3 ", True)])
def test_quantity_field(value, ok):
    spec = record_shape("ceb603-202205.xsd", "Inventory").children["InventoryList"][0].fields["qty"]
    assert fast_accepts(spec, value) is ok


def test_failure_says_what_was_expected():
    spec = record_shape("ceb603-202205.xsd", "Inventory").children["InventoryHead"][0].fields["ieDate"]
    with pytest.raises(FieldError) as err:
        spec.check("2026010")
    assert "7 characters" in err.value.problem and err.value.expected == "exactly 8 characters"


PLAIN = [(label, spec) for label, spec, _t in DISTINCT if spec.plain]


@pytest.mark.parametrize("label,spec", PLAIN, ids=[p[0] for p in PLAIN])
@settings(max_examples=100)
@given(data=st.data())
def test_plain_form_takes_only_texts_the_check_keeps_as_they_are(label, spec, data):
    """FieldSpec.plain (the fast path's form of a field): every text it matches passes the check, whose value
    is the text itself (a decimal's Decimal(text)), and holds no markup."""
    plain = re.compile(f"(?:{spec.plain})<")  # as in a record: the field's end tag follows
    if "(?=" in spec.plain:
        value = data.draw(values)
    else:
        value = data.draw(st.one_of(values, st.from_regex(spec.plain, fullmatch=True)))
    if not plain.fullmatch(value + "<"):
        return
    assert "<" not in value and "&" not in value
    assert spec.check(value) == (Decimal(value) if spec.kind == "decimal" else value), (label, value)


def test_plain_forms_cover_the_fields_of_the_fast_kinds():
    plain = {label.split(":")[0] for label, spec, _t in PAIRS if spec.plain}
    assert plain >= {"ceb603-202205.xsd", "ceb604.xsd", "ceb605.xsd", "ceb213.xsd", "ceb214.xsd"}
    assert not [label for label, spec, _t in PAIRS if spec.kind == "boolean" and spec.plain]


def test_a_field_takes_an_empty_text_exactly_when_it_says_so():
    for label, spec, _t in PAIRS:
        if spec.plain:
            assert spec.empty_ok == fast_accepts(spec, ""), label
