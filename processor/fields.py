"""Per-field checks compiled once from the project's XSDs.

Running a generic schema validator over every record costs ~30x the raw parse, so the facets of
`schemas/*.xsd` (length, minLength, maxLength, whiteSpace, pattern, enumeration, totalDigits,
fractionDigits, minInclusive) are compiled here into small closures, one per field. The schema stays
the single source of the limits; tests/test_fields.py proves the closures accept and reject exactly
what xmlschema does.

Each field also gets its plain form (`FieldSpec.plain`): a regular expression for the texts that need
no work (no white space to collapse, no sign, no escaped character), which the fast path
(readers/fastpath.py) matches a whole record part with. The code checks an XSD cannot make come
from one table too (validation.CHECKS); the fast path takes a coded field's form from there.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Callable

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
if not SCHEMA_DIR.is_dir():  # installed as a wheel: schemas are shipped inside the package
    SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

# xs:decimal lexical space: optional sign, digits, optional point; no exponent, no NaN/INF.
_DECIMAL = re.compile(r"[+-]?(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))\Z")
_XML_SPACE = re.compile(r"[ \t\n\r]+")
_BOOLEAN = {"true": True, "1": True, "false": False, "0": False}


class FieldError(ValueError):
    """A value outside its field's facets; `expected` says what would have been accepted."""

    def __init__(self, problem: str, expected: str):
        super().__init__(problem)
        self.problem = problem
        self.expected = expected


def collapse(text: str) -> str:
    """XSD whiteSpace=collapse: only #x20 #x9 #xA #xD count as white space."""
    return _XML_SPACE.sub(" ", text).strip(" ")


@dataclass(frozen=True)
class FieldSpec:
    """One leaf element (or attribute) of a record, with its facets and its compiled check."""

    name: str
    kind: str  # "string" | "decimal" | "boolean"
    required: bool
    facets: dict
    check: Callable[[str], object] = field(repr=False, compare=False)
    plain: str = field(default="", repr=False, compare=False)  # plain_pattern(kind, facets)

    def describe(self) -> str:
        return describe_facets(self.kind, self.facets)

    @property
    def empty_ok(self) -> bool:
        """An empty text passes the check (a string with no least length): the fast path takes <x/> too."""
        return self.kind == "string" and self.facets.get("length") is None and self.facets.get("minLength", 0) == 0


@dataclass(frozen=True)
class RecordShape:
    """A complex element: its leaf fields, its attributes and its child record shapes."""

    name: str
    fields: dict  # local name -> FieldSpec
    attributes: dict  # attribute name -> FieldSpec
    children: dict  # local name -> (RecordShape, min_occurs, max_occurs)
    order: tuple  # local names in schema order

    def leaf(self, name: str) -> FieldSpec | None:
        return self.fields.get(name)


def describe_facets(kind: str, f: dict) -> str:
    parts = []
    if kind == "decimal":
        if f.get("fractionDigits") == 0:
            parts.append("a whole number")
        else:
            parts.append("a plain decimal number")
        if "minInclusive" in f:
            parts.append(f">= {f['minInclusive']}")
        if "totalDigits" in f:
            parts.append(f"at most {f['totalDigits']} digits")
        if f.get("fractionDigits"):
            parts.append(f"at most {f['fractionDigits']} after the point")
        return ", ".join(parts)
    if kind == "boolean":
        return "true, false, 1 or 0"
    if "enumeration" in f:
        return "one of " + ", ".join(sorted(f["enumeration"]))
    if "pattern" in f:
        return f"text matching {f['pattern']}"
    if "length" in f:
        return f"exactly {f['length']} characters"
    lo, hi = f.get("minLength", 0), f.get("maxLength")
    if hi is not None and lo:
        return f"{lo} to {hi} characters"
    if hi is not None:
        return f"at most {hi} characters"
    return "text"


def compile_check(kind: str, facets: dict) -> Callable[[str], object]:
    """Build the fast check for one field: returns the typed value or raises FieldError."""
    expected = describe_facets(kind, facets)
    if kind == "decimal":
        total = facets.get("totalDigits")
        frac = facets.get("fractionDigits")
        minimum = facets.get("minInclusive")
        min_dec = Decimal(str(minimum)) if minimum is not None else None

        def check_decimal(raw: str) -> Decimal:
            text = raw.strip(" \t\n\r")
            m = _DECIMAL.match(text)
            if m is None:
                raise FieldError(f"{raw!r} is not a plain decimal number", expected)
            int_part = (m.group(1) or "").lstrip("0")
            frac_part = (m.group(2) or m.group(3) or "").rstrip("0")
            if total is not None and len(int_part) + len(frac_part) > total:
                raise FieldError(f"{raw!r} has more than {total} digits", expected)
            if frac is not None and len(frac_part) > frac:
                raise FieldError(f"{raw!r} has more than {frac} digits after the point", expected)
            value = Decimal(text)
            if min_dec is not None and value < min_dec:
                raise FieldError(f"{raw!r} is below {minimum}", expected)
            return value

        return check_decimal

    if kind == "boolean":

        def check_boolean(raw: str) -> bool:
            value = _BOOLEAN.get(raw.strip(" \t\n\r"))
            if value is None:
                raise FieldError(f"{raw!r} is not a boolean", expected)
            return value

        return check_boolean

    do_collapse = facets.get("whiteSpace") == "collapse"
    length = facets.get("length")
    lo = facets.get("minLength")
    hi = facets.get("maxLength")
    enum = facets.get("enumeration")
    pattern = re.compile(facets["pattern"] + r"\Z") if "pattern" in facets else None

    def check_string(raw: str) -> str:
        value = collapse(raw) if do_collapse else raw
        n = len(value)
        if length is not None and n != length:
            raise FieldError(f"{value!r} has {n} characters", expected)
        if lo is not None and n < lo:
            raise FieldError(f"{value!r} has {n} characters", expected)
        if hi is not None and n > hi:
            raise FieldError(f"{value[:40]!r}{'...' if n > 40 else ''} has {n} characters", expected)
        if enum is not None and value not in enum:
            raise FieldError(f"{value[:40]!r} is not an allowed value", expected)
        if pattern is not None and not pattern.match(value):
            raise FieldError(f"{value[:40]!r} does not match {facets['pattern']}", expected)
        return value

    return check_string


def plain_pattern(kind: str, facets: dict) -> str:
    """The plain texts of a field, as a regular expression for the fast path: every text it matches
    passes the field's check unchanged (a string's value is the text itself, a decimal's Decimal(text)),
    and it matches no "<" or "&". "" when the facets are ones it does not express (an enumeration, a
    pattern, a boolean, a signed number...): records with such a field take the generic path."""
    if kind == "decimal":
        total, frac = facets.get("totalDigits"), facets.get("fractionDigits")
        minimum = facets.get("minInclusive")
        if total is None or minimum is None or minimum < 0:
            return ""
        if frac == 0:
            if minimum == 1:
                return rf"0*[1-9][0-9]{{0,{total - 1}}}"
            if minimum == 0:
                return rf"0*[0-9]{{1,{total}}}"
            return ""
        if frac is None or minimum != 0:
            return ""
        return rf"[0-9]{{1,{total - frac}}}(?:\.[0-9]{{0,{frac}}})?"
    if kind != "string":
        return ""
    hi = facets.get("length", facets.get("maxLength"))
    lo = max(1, facets.get("length", facets.get("minLength", 1)))
    if "enumeration" in facets or "pattern" in facets or hi is None:
        return ""
    if facets.get("whiteSpace") == "collapse":
        # already collapsed text only (single spaces between non-space characters), so collapse is identity
        return rf"(?=[^<]{{{lo},{hi}}}<)[^\s<&](?: ?[^\s<&])*"
    return rf"[^<&]{{{lo},{hi}}}"


def _facets_of(xsd_type) -> tuple[str, dict]:
    """Collect the facets of an xmlschema simple type, walking up its restrictions."""
    import xmlschema.names as nm

    primitive = xsd_type.primitive_type.local_name
    kind = {"decimal": "decimal", "boolean": "boolean"}.get(primitive, "string")
    facets: dict = {}
    t = xsd_type
    while t is not None and getattr(t, "facets", None) is not None:
        for key, facet in t.facets.items():
            if key is None or facet is None:
                continue
            name = key.split("}")[1]
            if name in facets:
                continue
            if key == nm.XSD_ENUMERATION:
                facets[name] = frozenset(facet.enumeration)
            elif key == nm.XSD_PATTERN:
                facets[name] = facet.regexps[0]
            elif key == nm.XSD_WHITE_SPACE:
                if facet.value != "preserve":
                    facets[name] = facet.value
            else:
                value = facet.value
                facets[name] = int(value) if name != "minInclusive" else value
        t = getattr(t, "base_type", None)
    if kind == "string" and facets.get("whiteSpace") == "replace":
        facets["whiteSpace"] = "collapse"  # not used by our schemas; treat as the stricter form
    return kind, facets


def _field(name: str, xsd_type, required: bool) -> FieldSpec:
    kind, facets = _facets_of(xsd_type)
    return FieldSpec(name, kind, required, facets, compile_check(kind, facets), plain_pattern(kind, facets))


def _attributes(xsd_type) -> dict:
    return {name: _field(name, attr.type, attr.use == "required")
            for name, attr in xsd_type.attributes.items() if name is not None}


def _shape(element) -> RecordShape:
    fields: dict = {}
    children: dict = {}
    order = []
    for child in element.type.content.iter_elements():
        name = getattr(child, "local_name", None)
        if name is None or child.type is None:
            continue  # xs:any wildcards (signature, envelope content)
        order.append(name)
        if child.type.is_simple():
            fields[name] = _field(name, child.type, child.min_occurs > 0)
        elif child.type.has_simple_content() or not list(child.type.content.iter_elements()):
            shape = RecordShape(name, {}, _attributes(child.type), {}, ())  # an empty element with attributes
            children[name] = (shape, child.min_occurs, child.max_occurs)
        else:
            children[name] = (_shape(child), child.min_occurs, child.max_occurs)
    return RecordShape(element.local_name, fields, _attributes(element.type), children, tuple(order))


@lru_cache(maxsize=None)
def load_schema(filename: str):
    """The xmlschema object for one of the project's schemas (never fetches anything remote)."""
    import xmlschema

    return xmlschema.XMLSchema(str(SCHEMA_DIR / filename), allow="sandbox", defuse="always")


@lru_cache(maxsize=None)
def record_shape(filename: str, element: str) -> RecordShape:
    """Compiled checks for one record element (e.g. Inventory) of one schema file."""
    schema = load_schema(filename)
    return _shape(schema.elements[element])
