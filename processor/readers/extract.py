"""Turn one record element into checked field values, collecting every defect with its line.

Generic over the compiled shapes of processor/fields.py: leaf fields are checked against their
facets, required ones must be present, nothing unknown or repeated may appear. Element order is not
enforced: real traffic reorders fields and the business meaning does not change.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..fields import FieldError, RecordShape


TRANSMISSION_FIELDS = frozenset({"guid"})


@dataclass
class Defect:
    path: str
    line: int | None
    problem: str
    expected: str


@dataclass
class Node:
    """The checked content of one complex element."""

    name: str
    line: int | None
    values: dict = field(default_factory=dict)  # local name -> typed value (absent when empty/missing)
    raw: dict = field(default_factory=dict)  # local name -> text as sent
    lines: dict = field(default_factory=dict)  # local name -> source line
    kids: dict = field(default_factory=dict)  # local name -> list[Node]

    def canonical(self) -> list:
        """A stable, order-independent form of the business content, for content hashes.

        The guid identifies a transmission, not the content: the same list sent again with a new guid
        is the same record.
        """
        out: list = [self.name, sorted((k, v) for k, v in self.raw.items() if k not in TRANSMISSION_FIELDS)]
        for name in sorted(self.kids):
            out.append([name, [k.canonical() for k in self.kids[name]]])
        return out


def _local(tag) -> tuple[str | None, str]:
    if tag[0] == "{":
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return None, tag


def extract(elem, shape: RecordShape, namespace: str, defects: list, path: str = "") -> Node:
    node = Node(shape.name, elem.sourceline)
    for aname, spec in shape.attributes.items():
        raw = elem.get(aname)
        where = f"{path}@{aname}" if path else f"@{aname}"
        if raw is None:
            if spec.required:
                defects.append(Defect(where, elem.sourceline, "attribute missing", spec.describe()))
            continue
        node.raw["@" + aname] = raw
        try:
            node.values["@" + aname] = spec.check(raw)
        except FieldError as err:
            defects.append(Defect(where, elem.sourceline, err.problem, err.expected))
    counts: dict = {}
    for child in elem:
        tag = child.tag
        if not isinstance(tag, str):
            continue  # comments and processing instructions carry no business content
        ns, local = _local(tag)
        counts[local] = counts.get(local, 0) + 1
        where = f"{path}/{local}" if path else local
        if ns != namespace:
            defects.append(Defect(where, child.sourceline, f"element {tag} is not in namespace {namespace}",
                                  f"elements of {shape.name} in {namespace}"))
            continue
        spec = shape.fields.get(local)
        if spec is not None:
            if counts[local] > 1:
                defects.append(Defect(where, child.sourceline, f"{local} appears more than once", "at most once"))
                continue
            if len(child):
                defects.append(Defect(where, child.sourceline, f"{local} has child elements", "text only"))
                continue
            raw = child.text or ""
            node.lines[local] = child.sourceline
            if raw == "" and not spec.required:
                continue  # an empty optional element is the same as an absent one
            node.raw[local] = raw
            try:
                node.values[local] = spec.check(raw)
            except FieldError as err:
                defects.append(Defect(where, child.sourceline, err.problem, err.expected))
            continue
        sub = shape.children.get(local)
        if sub is not None:
            sub_shape, _min, max_occurs = sub
            n = counts[local]
            if max_occurs is not None and n > max_occurs:
                if n == max_occurs + 1:
                    defects.append(Defect(where, child.sourceline, f"more than {max_occurs} {local}",
                                          f"at most {max_occurs} {local}"))
                continue
            sub_path = f"{where}[{n}]" if max_occurs != 1 else where
            node.kids.setdefault(local, []).append(extract(child, sub_shape, namespace, defects, sub_path))
            continue
        defects.append(Defect(where, child.sourceline, f"unexpected element {local}",
                              f"only the elements of {shape.name}: {', '.join(shape.order)}"))
    for name, spec in shape.fields.items():
        if spec.required and name not in node.raw and name not in node.lines:
            where = f"{path}/{name}" if path else name
            defects.append(Defect(where, elem.sourceline, f"required element {name} is missing", spec.describe()))
    for name, (_sub, min_occurs, _max) in shape.children.items():
        if min_occurs and len(node.kids.get(name, ())) < min_occurs:
            where = f"{path}/{name}" if path else name
            defects.append(Defect(where, elem.sourceline, f"required element {name} is missing",
                                  f"at least {min_occurs} {name}"))
    return node
