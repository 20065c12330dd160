"""A fast path for well-formed, plainly written records: one compiled regular expression per record part.

The generic extraction (extract.py) visits every child element in Python, which costs about 30x the
raw parse. Most records in a night are written the way the specification lays them out: fields in
schema order, no escaped characters, no surplus white space. For those, a regular expression checks a
whole record part in one C-level match and hands back every field's text at once. It is assembled here
from what the checks are compiled from, and from nothing else: each field's plain form (FieldSpec.plain,
compiled from the XSD facets by fields.py) or, for a field the checks of validation.py look at, the
lexical form that their table (validation.CHECKS) declares for it.

The fast path is conservative: it only accepts what the generic extraction accepts, with the same
values and the same canonical text (tests/test_fastpath.py checks this). Anything else — another
field order, an entity, a CDATA section that needed escaping, white space the schema would collapse, a
leading-point or signed number, a defect — falls back to the generic extraction, which also gives the
precise line and field of every defect.
"""
from __future__ import annotations

import re
from decimal import Decimal
from operator import itemgetter

from ..fields import RecordShape
from ..validation import CHECKS
from .extract import TRANSMISSION_FIELDS, Node, canonical_of

# XML's white space (S): other Unicode spaces between fields are text the generic path reports. Possessive:
# the next token starts with "<", so taking all of it is the only way to match, and without it the white
# space between absent optional fields could be shared out in a cube of ways (a crafted record took minutes).
_S = "[ \t\n\r]*+"
_IS_NONE = None.__eq__  # True for None, NotImplemented for a text: a C-level test of every group at once
MAX_FORMS = 256


class _Part:
    """The expression for one leaf-only element (a head, an item, a flat record)."""

    def __init__(self, kind: str, shape: RecordShape, prefix: str, tag_attrs: bool):
        self.shape = shape
        self.names: list = []
        self.required: list = []
        self.decimal: list = []
        self.empty_ok: list = []
        pieces = []
        p = re.escape(prefix)
        checks = CHECKS.get((kind, shape.name), {})
        if not set(checks) <= set(shape.order):
            raise ValueError(f"CHECKS name fields that {shape.name} does not have")
        for name in shape.order:
            spec = shape.fields.get(name)
            if spec is None:
                raise ValueError(f"{shape.name}/{name} is not a leaf")
            check = checks.get(name)
            code = check.pattern if check is not None else None  # the checks' own form of the field
            body = code or spec.plain
            if not body:
                raise ValueError(f"{shape.name}/{name} has facets the fast path does not handle")
            self.names.append(name)
            self.required.append(spec.required)
            self.decimal.append(spec.kind == "decimal")
            full = rf"<{p}{name}>({body})</{p}{name}>"
            empty_ok = spec.empty_ok and code is None
            self.empty_ok.append(empty_ok)
            if empty_ok:
                full = rf"(?:<{p}{name}/>|{full})"
            if not spec.required:
                full = rf"(?:<{p}{name}/>|{full})?" if not empty_ok else rf"{full}?"
            pieces.append(full + _S)
        attrs = r"[^>]*" if tag_attrs else ""
        self.regex = re.compile(rf"<{p}{shape.name}{attrs}>{_S}" + "".join(pieces) + rf"</{p}{shape.name}>{_S}")
        self.finish()

    def finish(self) -> None:
        """Precompute what turning a match into a node needs: no per-record sorting or look-ups."""
        # required fields whose expression also takes <x/>: their text is "" rather than absent
        self.required_empty = [i for i, (r, e) in enumerate(zip(self.required, self.empty_ok)) if r and e]
        self.decimal_at = [(n, i) for i, (n, d) in enumerate(zip(self.names, self.decimal)) if d]
        # canonical parts sort by "name\x1f..."; with unique names that is a fixed order of the names
        order = sorted((i for i, n in enumerate(self.names) if n not in TRANSMISSION_FIELDS),
                       key=lambda i: self.names[i] + "\x1f")
        self.canonical_labels = [f"{self.names[i]}\x1f" for i in order]
        self.canonical_values = itemgetter(*order) if len(order) > 1 else lambda g: (g[order[0]],)
        self.canonical_open = self.shape.name + "{"
        self._order = order
        self._forms: dict = {}  # which fields are absent -> (format, getter) of the canonical text

    def _form(self, absent: tuple):
        """The canonical text's format for one pattern of absent fields: one C-level % per part."""
        present = [i for i in self._order if absent[i] is not True]
        fmt = self.canonical_open.replace("%", "%%") + "\x1e".join(
            self.names[i].replace("%", "%%") + "\x1f%s" for i in present) + "}"
        if not present:
            return fmt, lambda g: ()
        return fmt, (itemgetter(*present) if len(present) > 1 else lambda g: (g[present[0]],))

    def groups(self, m) -> tuple:
        """The field texts of one match, in schema order; absent optional fields are None."""
        groups = m.groups()
        if self.required_empty and None in groups:
            fixed = list(groups)
            for i in self.required_empty:
                if fixed[i] is None:
                    fixed[i] = ""  # a required field that may be empty, written <x/>
            groups = tuple(fixed)
        return groups

    def canonical(self, groups: tuple) -> str:
        """The part's canonical text (extract.py's form): labelled present fields in name order.

        A night's records share a few patterns of absent optional fields; each gets its format once
        (at most MAX_FORMS of them, so a crafted night cannot grow the table)."""
        absent = tuple(map(_IS_NONE, groups))
        form = self._forms.get(absent)
        if form is None and len(self._forms) < MAX_FORMS:
            form = self._forms[absent] = self._form(absent)
        if form is not None:
            return form[0] % form[1](groups)
        return self.canonical_open + "\x1e".join(
            [label + v for label, v in zip(self.canonical_labels, self.canonical_values(groups)) if v is not None]
        ) + "}"

    def node(self, m, line) -> Node:
        """The node of one match. Absent optional fields are None in raw and values (the builders read
        them with get), so the dictionaries come from one zip."""
        groups = self.groups(m)
        raws = dict(zip(self.names, groups))
        values = raws.copy()
        for n, i in self.decimal_at:
            t = groups[i]
            if t is not None:
                values[n] = Decimal(t)
        return Node.matched(self.shape.name, line, raws, values, self.canonical(groups))


class FastPath:
    """Match a whole record (a leaf-only record, or a head plus repeated items) in compiled expressions."""

    def __init__(self, kind: str, shape: RecordShape, namespace: str):
        self.kind = kind
        self.shape = shape
        self.namespace = namespace
        self._by_prefix: dict = {}
        self.usable = True
        try:
            self._compile("ceb:")
        except ValueError:
            self.usable = False

    def _compile(self, prefix: str):
        compiled = self._by_prefix.get(prefix)
        if compiled is not None:
            return compiled
        shape = self.shape
        if not shape.children:
            compiled = ("flat", _Part(self.kind, shape, prefix, tag_attrs=True), None, None)
        else:
            if shape.fields or len(shape.children) != 2:
                raise ValueError("only a head and a list of items are handled")
            (head_name, (head_shape, hmin, hmax)), (item_name, (item_shape, imin, imax)) = shape.children.items()
            if (hmin, hmax) != (1, 1) or shape.order != (head_name, item_name):
                raise ValueError("only one head before the items is handled")
            p = re.escape(prefix)
            opening = re.compile(rf"<{p}{shape.name}[^>]*>{_S}")
            closing = re.compile(rf"</{p}{shape.name}>{_S}\Z")
            compiled = ("nested", _Part(self.kind, head_shape, prefix, False), _Part(self.kind, item_shape, prefix,
                                                                                     False), (opening, closing, imin,
                                                                                              imax, item_name,
                                                                                              head_name))
        self._by_prefix[prefix] = compiled
        return compiled

    def match_text(self, text: str, line: int, prefix: str) -> Node | None:
        """The checked node of one record's text as the file has it, whose start tag is on `line` and whose
        elements are written with `prefix`; None when the generic extraction must decide."""
        compiled = self._compiled_for(text, prefix)
        if compiled is None:
            return None
        form, head, item, extra = compiled
        if form == "flat":
            m = head.regex.fullmatch(text)
            return head.node(m, line) if m else None
        matched = self._nested(text, extra, head, item)
        if matched is None:
            return None
        hm, items = matched
        item_name, head_name = extra[4], extra[5]
        if "\n" in text:  # each part's own line, for warnings about it
            head_node = head.node(hm, line + text.count("\n", 0, hm.start()))
            kids = [item.node(im, line + text.count("\n", 0, im.start())) for im in items]
        else:
            head_node = head.node(hm, line)
            kids = [item.node(im, line) for im in items]
        node = Node.matched(self.shape.name, line, {}, {},
                            canonical_of(self.shape.name, [head_node.canonical] + [k.canonical for k in kids]))
        node.kids = {head_name: [head_node], item_name: kids}
        return node

    def match_parts(self, text: str, prefix: str):
        """(head part, item part, head match, item matches) of a head-and-items record's text, or None when
        the generic extraction must decide; the caller builds the record from the matches' groups."""
        compiled = self._compiled_for(text, prefix)
        if compiled is None or compiled[0] != "nested":
            return None
        _form, head, item, extra = compiled
        matched = self._nested(text, extra, head, item)
        return None if matched is None else (head, item, matched[0], matched[1])

    def _compiled_for(self, text: str, prefix: str):
        """The expressions for a record written with `prefix`, or None when the generic extraction must read it."""
        if "&" in text:
            return None  # escaped characters change lengths: the generic path counts them right
        try:
            return self._compile(prefix)
        except ValueError:
            return None

    @staticmethod
    def _nested(text: str, extra, head: _Part, item: _Part):
        opening, closing, imin, imax = extra[:4]
        m = opening.match(text)
        if not m:
            return None
        hm = head.regex.match(text, m.end())
        if not hm:
            return None
        pos = hm.end()
        items = []
        while True:
            im = item.regex.match(text, pos)
            if not im:
                break
            items.append(im)
            pos = im.end()
        if not closing.match(text, pos) or not (imin <= len(items) <= (imax or len(items))):
            return None
        return hm, items
