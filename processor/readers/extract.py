"""Turn one record element into checked field values, collecting every defect with its line.

Generic over the compiled shapes of processor/fields.py: leaf fields are checked against their
facets, required ones must be present, nothing unknown or repeated may appear. Element order is not
enforced: real traffic reorders fields and the business meaning does not change.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..fields import FieldError, RecordShape


TRANSMISSION_FIELDS = frozenset({"guid"})
_NO_ELEMS: dict = {}  # shared by matched nodes, which never look an element up (nothing may add to it)


@dataclass
class Defect:
    path: str
    line: int | None
    problem: str
    expected: str


class Node:
    """The checked content of one complex element."""

    __slots__ = ("name", "line", "values", "raw", "elems", "kids", "canonical", "coded")

    def __init__(self, name: str, line: int | None):
        self.name = name
        self.line = line
        self.values: dict = {}  # local name -> typed value (absent when empty or missing)
        self.raw: dict = {}  # local name -> text as sent
        self.elems: dict = {}  # local name -> its element, for the line of a defect
        self.kids: dict = {}  # local name -> list[Node]
        self.canonical = ""  # the business content in a stable, order-independent text, for content hashes
        self.coded = False  # True when the fast path already checked the code values (validation.py)

    @classmethod
    def matched(cls, name: str, line: int | None, raw: dict, values: dict, canonical: str) -> "Node":
        """A node whose fields a compiled expression already checked (fastpath.py): no elements, no kids."""
        node = cls.__new__(cls)
        node.name, node.line, node.raw, node.values, node.canonical = name, line, raw, values, canonical
        node.elems, node.kids, node.coded = _NO_ELEMS, {}, True
        return node

    def line_of(self, name: str) -> int | None:
        elem = self.elems.get(name)
        return elem.sourceline if elem is not None else self.line


def _local(tag) -> tuple[str | None, str]:
    if tag[0] == "{":
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return None, tag


_TABLES: dict = {}


def _tables(shape: RecordShape, namespace: str):
    """Clark tag -> field or child shape, so one dict look-up classifies each child element."""
    key = (id(shape), namespace)
    t = _TABLES.get(key)
    if t is None:
        fields = {f"{{{namespace}}}{name}": (name, spec) for name, spec in shape.fields.items()}
        kids = {f"{{{namespace}}}{name}": (name, sub) for name, sub in shape.children.items()}
        t = _TABLES[key] = (fields, kids, shape)  # the shape is kept so its id stays unique
    return t


def extract(elem, shape: RecordShape, namespace: str, defects: list, path: str = "") -> Node:
    """Check one complex element against its shape. The guid identifies a transmission, not content,
    so it is left out of the canonical text: a list sent again with a new guid is the same record."""
    node = Node(shape.name, elem.sourceline)
    fields, kids, _ = _tables(shape, namespace)
    values, raws, elems = node.values, node.raw, node.elems
    parts = []
    for aname, spec in shape.attributes.items():
        raw = elem.get(aname)
        where = f"{path}@{aname}" if path else f"@{aname}"
        if raw is None:
            if spec.required:
                defects.append(Defect(where, elem.sourceline, "attribute missing", spec.describe()))
            continue
        raws["@" + aname] = raw
        parts.append(f"@{aname}\x1f{raw}")
        try:
            values["@" + aname] = spec.check(raw)
        except FieldError as err:
            defects.append(Defect(where, elem.sourceline, err.problem, err.expected))
    counts: dict = {}
    if elem.text and not elem.text.isspace():
        defects.append(Defect(path or shape.name, elem.sourceline, f"text {elem.text.strip()[:40]!r} outside the "
                              "fields", f"only elements inside {shape.name}"))
    for child in elem:
        tail = child.tail
        if tail and not tail.isspace():
            local = _local(child.tag)[1] if isinstance(child.tag, str) else "a comment"
            defects.append(Defect(f"{path}/{local}" if path else local, child.sourceline,
                                  f"text {tail.strip()[:40]!r} after {local}, outside any field",
                                  f"only elements inside {shape.name}"))
        tag = child.tag
        entry = fields.get(tag)
        if entry is not None:
            local, spec = entry
            if local in elems:
                defects.append(Defect(f"{path}/{local}" if path else local, child.sourceline,
                                      f"{local} appears more than once", "at most once"))
                continue
            elems[local] = child
            if len(child):
                defects.append(Defect(f"{path}/{local}" if path else local, child.sourceline,
                                      f"{local} has child elements", "text only"))
                continue
            raw = child.text or ""
            if raw == "" and not spec.required:
                continue  # an empty optional element is the same as an absent one
            raws[local] = raw
            if local not in TRANSMISSION_FIELDS:
                parts.append(f"{local}\x1f{raw}")
            try:
                values[local] = spec.check(raw)
            except FieldError as err:
                defects.append(Defect(f"{path}/{local}" if path else local, child.sourceline, err.problem,
                                      err.expected))
            continue
        if not isinstance(tag, str):
            continue  # comments and processing instructions carry no business content
        sub = kids.get(tag)
        if sub is not None:
            local, (sub_shape, _min, max_occurs) = sub
            n = counts[local] = counts.get(local, 0) + 1
            where = f"{path}/{local}" if path else local
            if max_occurs is not None and n > max_occurs:
                if n == max_occurs + 1:
                    defects.append(Defect(where, child.sourceline, f"more than {max_occurs} {local}",
                                          f"at most {max_occurs} {local}"))
                continue
            sub_path = f"{where}[{n}]" if max_occurs != 1 else where
            kid = extract(child, sub_shape, namespace, defects, sub_path)
            node.kids.setdefault(local, []).append(kid)
            parts.append(kid.canonical)
            continue
        ns, local = _local(tag)
        where = f"{path}/{local}" if path else local
        if ns != namespace:
            defects.append(Defect(where, child.sourceline, f"element {tag} is not in namespace {namespace}",
                                  f"elements of {shape.name} in {namespace}"))
        else:
            defects.append(Defect(where, child.sourceline, f"unexpected element {local}",
                                  f"only the elements of {shape.name}: {', '.join(shape.order)}"))
    for name, spec in shape.fields.items():
        if spec.required and name not in elems:
            where = f"{path}/{name}" if path else name
            defects.append(Defect(where, elem.sourceline, f"required element {name} is missing", spec.describe()))
    for name, (_sub, min_occurs, _max) in shape.children.items():
        if min_occurs and len(node.kids.get(name, ())) < min_occurs:
            where = f"{path}/{name}" if path else name
            defects.append(Defect(where, elem.sourceline, f"required element {name} is missing",
                                  f"at least {min_occurs} {name}"))
    node.canonical = canonical_of(shape.name, parts)
    return node


def canonical_of(name: str, parts: list) -> str:
    """A complex element's canonical text from its parts' (fields and child elements): order-independent."""
    return name + "{" + "\x1e".join(sorted(parts)) + "}"
