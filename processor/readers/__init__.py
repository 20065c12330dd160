"""Stream one input file record by record: dispatch by root, check, build, and never raise.

`open_input` sniffs the root element; `Reading.records()` then reads the file one record at a time
(Inventory, InventoryReturn, InvtCancel, InvtRefund, RefundReturn, Claim), so memory stays flat
whatever the file's size. Every defect becomes a Problem with file, line, record key and field; a
file that stops being well-formed keeps the complete records before the break.

A record is read one of two ways, with the same result (tests/test_fuzz.py, test_fastpath.py):
- plain, for most of a night: the scanner (plain.py) cuts a plainly written UTF-8 file of a fast kind
  into record texts, and the fast path's expressions (fastpath.py) match each text whole. A CEB603
  list is built from the matches (MatchedListBuilder: no node per item); a record of the other fast
  kinds (CEB604, CEB605, CEB213, CEB214) from the matched nodes, by its kind's builder.
- parsed, for everything else: lxml reads the file (iterparse, clearing each record and its finished
  siblings) from where the scanner stops, or all of it (a claims file, a file that is not plainly
  written); a record the expressions do not take is parsed alone with its line kept. extract.py checks
  it field by field and its kind's builder builds it, reporting every defect with its line.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from lxml import etree

from ..problems import ERROR, WARNING, Problem
from ..validation import Checker
from .extract import Defect, extract
from .fastpath import FastPath
from .messages import BY_NAME, BY_ROOT, CEB_NS, NOT_INPUTS, MatchedListBuilder, MessageKind, shapes
from .plain import PlainScan
from .xmlsafe import EncodingBreak, UnsafeXml, iterparse, sniff_root, split_tag

FILE = "FILE"  # the kind of a problem that concerns a whole file
MAX_RECORDS_PER_MESSAGE = 100
FAST_KINDS = ("CEB603", "CEB213", "CEB604", "CEB605", "CEB214")  # the claim format has enumerations: generic only


@dataclass(slots=True)
class Parsed:
    """One record read from a file: built (record set) or not (problems hold the errors)."""

    kind: str
    file: str
    record: object | None
    key: str
    line: int | None
    content_hash: str
    problems: list
    lines: int = 0  # items / return lines / claim items in the record

    def __reduce__(self):  # one call to rebuild it in another process, not a setattr per field
        return Parsed, (self.kind, self.file, self.record, self.key, self.line, self.content_hash, self.problems,
                        self.lines)


@dataclass
class Reading:
    """An input file opened for reading: its kind (None when it is not an input) and its problems."""

    path: Path
    name: str
    kind: MessageKind | None
    root: str
    problems: list = field(default_factory=list)  # file-level problems, errors and warnings
    complete: bool = True  # False when the file broke off before its end
    most_held: int = 0  # the most elements left under the root while streaming: stays at 1 or 2

    def file_problem(self, problem: str, expected: str, line=None, severity=ERROR, kind=None) -> None:
        self.problems.append(Problem(self.name, line, kind or (self.kind.name if self.kind else FILE), "", "",
                                     problem, expected, severity))

    def records(self) -> Iterator[Parsed]:
        if self.kind is None:
            return
        fast = fast_path(self.kind.name)
        if fast is None:
            yield from _read_records(self)
            return
        scan = PlainScan(self.path, self.kind.record_tag, self.kind.namespace,
                         CEB_NS if self.kind.envelope else None)
        yield from _read_plain(self, scan, fast)
        if scan.stopped:  # not plain from some record on: the parser reads the rest and words any problem
            yield from _read_records(self, skip=scan.yielded)


def open_input(path: Path, name: str) -> Reading:
    """Sniff the root and decide the kind; an unreadable or foreign file gets a file-level error."""
    reading = Reading(path, name, None, "")
    try:
        namespace, local = sniff_root(path)
    except UnsafeXml as err:
        reading.file_problem(f"refused: {err}", "a CEB message or ReturnClaims document without a DTD")
        return reading
    except (etree.XMLSyntaxError, EncodingBreak) as err:
        reading.file_problem(f"not well-formed XML: {_error_message(err)}", "a well-formed XML document",
                             _error_line(err, path))
        return reading
    except OSError as err:
        reading.file_problem(f"cannot read the file: {err.strerror or err}", "a readable file")
        return reading
    except Exception as err:  # noqa: BLE001 - whatever the parser makes of a strange file, it is reported
        reading.file_problem(f"cannot read the file: {type(err).__name__}: {err}", "a well-formed XML document")
        return reading
    reading.root = local
    kind = BY_ROOT.get(local)
    if kind is None:
        if local in NOT_INPUTS:
            what = f"{local} is {NOT_INPUTS[local]}, not an input of this processor"
        elif ":" in local and not namespace:
            what = f"the prefix {local.split(':')[0]}: of the root {local} is not declared (no xmlns:" \
                   f"{local.split(':')[0]}=...)"
        elif local.startswith("CEB"):
            what = f"{local} is not an export-return input (an import-direction or other CEB message)"
        else:
            what = f"unknown root element {local}"
        reading.file_problem(what, "root CEB603Message, CEB604Message, CEB605Message, CEB213Message, "
                                   "CEB214Message or ReturnClaims")
        return reading
    if namespace != kind.namespace:
        reading.file_problem(f"root {local} is in namespace {namespace or '(none)'!r}",
                             f"namespace {kind.namespace}")
        return reading
    reading.kind = kind
    if local != kind.roots[0]:
        reading.file_problem(f"root spelled {local}", f"root {kind.roots[0]} (read all the same)", 1, WARNING)
    return reading


def _first_logged(log):
    """The parser's own first error with a line (its private log: lxml's global one mixes in other files)."""
    for entry in log or ():
        if entry.line:
            return entry
    return None


def _error_line(err, path: Path, log=None) -> int | None:
    line = getattr(err, "lineno", 0)
    if not line:
        entry = _first_logged(log)  # e.g. an undeclared entity: lxml raises at line 0, its log knows the line
        line = entry.line if entry is not None else 0
    if not line:
        return None
    return min(line, _count_lines(path))  # at the end of a file libxml2 may name the line after the last


def _count_lines(path: Path) -> int:
    """Lines as the parser counts them: by LF alone (CR LF is one line end; a lone CR is none: libxml2's
    sourceline does not move on it, as plain.py says too)."""
    n = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n")
    return n + 1


def _error_message(err, log=None) -> str:
    msg = getattr(err, "msg", None) or str(err)
    if not getattr(err, "lineno", 0):
        entry = _first_logged(log)
        msg = entry.message if entry is not None else msg
    return " ".join(str(msg).split())  # one line, whatever the parser put in it


def _content_hash(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _parsed(reading: Reading, line, node, record, defects, warnings) -> Parsed:
    kind = reading.kind
    key = kind.key(node)
    problems = [Problem(reading.name, d.line, kind.name, key, d.path, d.problem, d.expected) for d in defects]
    problems += [Problem(reading.name, line, kind.name, key, path, text, "", WARNING) for path, line, text in warnings]
    n_lines = sum(len(v) for k, v in node.kids.items() if k in ("InventoryList", "InvtRefundList", "Item"))
    return Parsed(kind.name, reading.name, record, key, line, _content_hash(node.canonical), problems, n_lines)


@lru_cache(maxsize=None)
def fast_path(kind_name: str) -> FastPath | None:
    kind = BY_NAME[kind_name]
    if kind_name not in FAST_KINDS:
        return None
    fast = FastPath(kind_name, shapes(kind)[0][1], kind.namespace)
    return fast if fast.usable else None


def _parse_fast(reading: Reading, node, variants) -> Parsed | None:
    """A record the fast path matched, built; None when a code or date check fails (the generic extraction
    then reports it with its own line)."""
    defects: list[Defect] = []
    warnings: list = []
    record = reading.kind.build(node, Checker(defects), warnings, variants[0][0])
    if defects:
        return None
    return _parsed(reading, node.line, node, record, defects, warnings)


@lru_cache(maxsize=None)
def matched_builder(kind_name: str) -> MatchedListBuilder | None:
    """The kinds whose records the plain path builds straight from the fast path's matches."""
    if kind_name != "CEB603" or fast_path(kind_name) is None:
        return None
    shape = shapes(BY_NAME[kind_name])[0][1]
    (head, _h), (item, _i) = ((s.order, n) for n, (s, _lo, _hi) in shape.children.items())
    return MatchedListBuilder(head, item, shape.name)


def _parse_matched(reading: Reading, builder: MatchedListBuilder, text: str, line: int, parts,
                   variants) -> Parsed | None:
    """A list built from its matches (MatchedListBuilder); None when a check fails (the generic
    extraction then reports it with its own line)."""
    head, item, hm, items = parts

    def line_of(i: int) -> int:  # only for a warning: the line of the head (0) or of item i
        start = (items[i - 1] if i else hm).start()
        return line + text.count("\n", 0, start)

    built = builder.build(head, item, head.groups(hm), [item.groups(im) for im in items], variants[0][0], line_of)
    if built is None:
        return None
    record, key, canonical, warnings = built
    kind = reading.kind.name
    problems = [Problem(reading.name, wline, kind, key, path, what, "", WARNING) for path, wline, what in warnings]
    return Parsed(kind, reading.name, record, key, line, _content_hash(canonical), problems, len(items))


def _parse_record(reading: Reading, elem, variants) -> Parsed:
    """A record the parser read (a file or a record that is not plain): the generic extraction."""
    kind = reading.kind
    best = None
    for variant, shape in variants:
        defects: list[Defect] = []
        node = extract(elem, shape, kind.namespace, defects)
        if not defects:
            best = (variant, node, defects)
            break
        if best is None:
            best = (variant, node, defects)  # report against the preferred (newest) specification
    variant, node, defects = best
    warnings = []
    # The code and date checks run even when a facet failed, so one reading reports every defect.
    try:
        record = kind.build(node, Checker(defects), warnings, variant)
    except (KeyError, IndexError, TypeError):
        if not defects:
            raise  # a builder that fails on a clean record is a bug, not bad input
        record = None
    return _parsed(reading, elem.sourceline, node, record, defects, warnings)


def _read_plain(reading: Reading, scan: PlainScan, fast: FastPath) -> Iterator[Parsed]:
    """Records of a plainly written file from their text; the first one that is not well-formed stops it."""
    variants = shapes(reading.kind)
    builder = matched_builder(reading.kind.name)
    records = scan.records()
    for text, line in records:
        if builder is not None:
            parts = fast.match_parts(text, scan.prefix)
            parsed = _parse_matched(reading, builder, text, line, parts, variants) if parts is not None else None
        else:
            node = fast.match_text(text, line, scan.prefix)
            parsed = _parse_fast(reading, node, variants) if node is not None else None
        if parsed is None:
            elem = scan.fragment(text, line)
            if elem is None:
                scan.give_back()
                records.close()
                return
            parsed = _parse_record(reading, elem, variants)
        yield parsed
    if scan.stopped:
        return
    if scan.yielded or scan.n_transfer:  # as the parser: it meets the root through its first record or transfer
        _check_root(reading, scan.root)
    _check_envelope(reading, scan.n_transfer, scan.yielded)


def _misplaced(reading: Reading, elem, problem: str, expected: str) -> Parsed:
    line = elem.sourceline
    return Parsed(reading.kind.name, reading.name, None, "", line, "",
                  [Problem(reading.name, line, reading.kind.name, "", split_tag(elem.tag)[1], problem, expected)])


ENVELOPE_PARTS = ("BaseTransfer", "BaseSubscribe", "Signature", "ExtendMessage")  # beside a CEB root's records


def _stray(elem, kind: MessageKind) -> bool:
    """An element under the root that is neither a record (nor holds one: a record inside it is reported as
    misplaced) nor a part of the message's envelope, in the message's own namespace or in none, or a part of a
    record in any namespace. An element of another namespace (a trace an exchange adds) is what the schemas'
    xs:any namespace="##other" allows: it is not read, and not a defect."""
    if not isinstance(elem.tag, str):
        return False  # a comment or processing instruction
    namespace, local = split_tag(elem.tag)
    if local == kind.record_tag or (kind.envelope and local in ENVELOPE_PARTS):
        return False
    if namespace and namespace != kind.namespace and local not in shapes(kind)[0][1].children:
        return False
    return next(elem.iter(f"{{*}}{kind.record_tag}"), None) is None


def _misplaced_part(reading: Reading, elem) -> Parsed:
    """A stray element under the root: counted as a record read, and quarantined."""
    kind = reading.kind
    local = split_tag(elem.tag)[1]
    part = local in shapes(kind)[0][1].children
    where = f"outside any {kind.record_tag}" if part else "where only records and the envelope may stand"
    expected = (f"{local} inside an {kind.record_tag}" if part else f"{kind.record_tag} records" +
                (" and the envelope (" + ", ".join(ENVELOPE_PARTS) + ")" if kind.envelope else "") + " under the root")
    return _misplaced(reading, elem, f"{local} directly under the root, {where}: not read", expected)


def _read_records(reading: Reading, skip: int = 0) -> Iterator[Parsed]:
    """Records of a file, from the parser; the first `skip` were read already (by the scanner)."""
    kind = reading.kind
    variants = shapes(kind)
    ns = kind.namespace
    record_tag = f"{{{ns}}}{kind.record_tag}"
    tags = [f"{{*}}{kind.record_tag}"]
    if kind.envelope:
        tags.append(f"{{{CEB_NS}}}BaseTransfer")
    n_records = 0
    n_transfer = 0
    root = None
    context = None
    try:
        context = iterparse(reading.path, tags=tags)
        for _event, elem in context:
            parent = elem.getparent()
            if root is None:  # the document's root, however deep the first matched element is
                root = elem
                while root.getparent() is not None:
                    root = root.getparent()
                _check_root(reading, root)
            if elem.tag.endswith("}BaseTransfer") and parent is root:
                n_transfer += 1
            elif elem.tag.endswith("}BaseTransfer"):
                continue  # inside a record: the record's own checks report it, tail and all, when it ends
            elif parent is not root or elem.tag != record_tag:
                # a record out of place is still a record read: it is counted and quarantined, never lost
                n_records += 1
                where = (f"found inside {split_tag(parent.tag)[1]}" if parent is not root else
                         f"in namespace {split_tag(elem.tag)[0] or '(none)'!r}")
                if n_records > skip:
                    yield _misplaced(reading, elem, f"{kind.record_tag} {where}",
                                     f"{kind.record_tag} in namespace {ns}, directly under the root")
            else:
                n_records += 1
                if n_records > skip:
                    yield _parse_record(reading, elem, variants)
            # Free what has been read: this record's subtree and everything before it under the root, where
            # an element that belongs in no record (a stray InventoryHead, say) is quarantined, never skipped.
            elem.clear(keep_tail=False)
            if parent is root and parent is not None:
                while elem.getprevious() is not None:
                    if _stray(parent[0], kind):
                        yield _misplaced_part(reading, parent[0])
                    del parent[0]
                if len(root) > reading.most_held:
                    reading.most_held = len(root)
        if root is None:
            root = context.root  # no record and no BaseTransfer: what the root holds is still looked at
        for elem in root if root is not None else ():
            if _stray(elem, kind):
                yield _misplaced_part(reading, elem)
    except (etree.XMLSyntaxError, EncodingBreak) as err:
        reading.complete = False
        log = context.error_log if context is not None else None
        line = _error_line(err, reading.path, log)
        reading.file_problem(f"the file breaks off or is not well-formed XML after {n_records} complete "
                             f"records: {_error_message(err, log)}", "a well-formed XML document; records after the "
                             "break are not read", line)
        return
    _check_envelope(reading, n_transfer, n_records)


def _check_envelope(reading: Reading, n_transfer: int, n_records: int) -> None:
    kind = reading.kind
    if kind.envelope:
        if kind.transfer and n_transfer != 1:
            reading.file_problem(f"envelope: BaseTransfer appears {n_transfer} times",
                                 "exactly one BaseTransfer (records read all the same)", None, WARNING)
        if n_records > MAX_RECORDS_PER_MESSAGE:
            reading.file_problem(f"envelope: {n_records} {kind.record_tag} records in one message",
                                 f"at most {MAX_RECORDS_PER_MESSAGE} (records read all the same)", None, WARNING)
    if n_records == 0:
        reading.file_problem(f"no {kind.record_tag} record in the file", f"at least one {kind.record_tag}",
                             None, WARNING)


def _check_root(reading: Reading, root) -> None:
    if not reading.kind.envelope:
        return
    guid = root.get("guid")
    if guid is None or len(guid) != 36:
        reading.file_problem(f"envelope: root guid {guid!r}", "a 36-character guid attribute (records read all "
                             "the same)", root.sourceline, WARNING)
