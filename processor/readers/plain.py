"""Split a plainly written UTF-8 file into record texts without building a tree.

A night's files are written by programs, the same way every time: an XML declaration, the root's
start tag, records one after another with only white space between them, a BaseTransfer, the root's
end tag. For such a file the parser's work (a tree per record, and visiting its every field in
Python) is most of the cost of reading it. This scanner finds each record's text by its end tag and
leaves the checking to the fast path's expressions, which accept only plain, well-formed fields.

It is conservative in the same way as the fast path. It takes the XML's own end-of-line handling
(CR LF becomes LF; a lone CR stops it, as the parser counts lines by LF alone) and checks what an
XML parser would refuse and a regular expression would not see: bytes that are not UTF-8, characters XML forbids, "]]>" in text. Anything it does not
expect (a DTD, a comment or other element between records, a record start tag with attributes, a
file that ends early) makes it stop; the caller then reads the rest of the file with the parser,
which words the problem, skipping the records already read. A record that is not plain (an entity,
a CDATA section, fields out of order, a defect) is parsed on its own, with its line kept, and takes
the generic path.
"""
from __future__ import annotations

import codecs
import re
from pathlib import Path

from lxml import etree

from .xmlsafe import DECLARATION, PROLOG_PART, ROOT_TAG, safe_parser_kwargs

BLOCK = 1 << 20
MAX_RECORD = 10_000_000  # characters: a longer record is the parser's (its own limit on a text node is 10 MB)
MAX_FRAGMENT_LINE = 65_535  # libxml2 keeps exact element lines up to here; beyond, a record that is not
# plain is left to the parser (a record parsed alone would need as many padding lines)
# the sniff's patterns (xmlsafe.py) over text: no CR is left and control characters stop the scan, so their
# ASCII \s is XML's white space here; a self-closing root is refused by the parser's check of the prolog
_PROLOG = re.compile(f"(?:{PROLOG_PART})*", re.ASCII)
_DECLARATION = re.compile(DECLARATION, re.ASCII)
_ROOT_TAG = re.compile(ROOT_TAG, re.ASCII)
_LONE_CR = re.compile(r"\r(?!\n)")
_SPACE = re.compile(r"[ \t\n]*")
# what XML 1.0 forbids in a document: control characters (checked a byte at a time: bytes below 0x20 are
# those characters in UTF-8), U+FFFE and U+FFFF, and "]]>" outside a CDATA section
_CONTROL = bytes(0 if b < 0x20 and b not in b"\t\n\r" else 1 for b in range(256))
_FORBIDDEN = ("\ufffe", "\uffff", "]")  # one character each: a fast search; "]" then looks for "]]>"
PLAIN_ENCODINGS = ("utf-8", "utf8")  # ASCII and the rest: the parser (bytes over 127 must fail there)


class _Stop(Exception):
    """The file is not plain from here on: the parser reads the rest."""


class PlainScan:
    """Record texts of one file, with their first lines; `stopped` says whether the parser must take over."""

    def __init__(self, path: Path, record_tag: str, namespace: str, transfer_namespace: str | None):
        self.path = path
        self.record_tag = record_tag
        self.namespace = namespace
        self.transfer_namespace = transfer_namespace
        self.stopped = False  # True: the caller reads the file with the parser, skipping `yielded` records
        self.yielded = 0
        self.n_transfer = 0
        self.root = None  # the root element (its start tag only), for its attributes
        self.prefix = ""  # the prefix of the records, with its colon ("ceb:"), or "" for the default namespace
        self._root_open = ""

    # -- the stream of decoded, newline-normalised text ------------------------------------------
    def _open(self):
        self._fh = open(self.path, "rb")
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._eof = False
        self._carry = ""  # a CR at the end of a block, which may begin a CR LF
        self._tail = ""  # the last two characters read, for a "]]>" across blocks

    def _more(self) -> str:
        """The next block of text; "" at the end of the file."""
        if self._eof:
            return ""
        data = self._fh.read(BLOCK)
        if 0 in data.translate(_CONTROL):
            raise _Stop()
        try:
            text = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError:
            raise _Stop() from None
        if not data:
            self._eof = True
        seam = self._tail + text
        if any(f in seam for f in _FORBIDDEN) and ("\ufffe" in seam or "\uffff" in seam or "]]>" in seam):
            raise _Stop()
        self._tail = text[-2:]
        text = self._carry + text
        self._carry = ""
        if text.endswith("\r") and not self._eof:
            text, self._carry = text[:-1], "\r"
        if "\r" in text:
            if _LONE_CR.search(text):
                raise _Stop()  # values would read it as LF, but the parser counts lines by LF only
            text = text.replace("\r\n", "\n")
        if not text and not self._eof:
            return self._more()
        return text

    # -- records ------------------------------------------------------------------------------------
    def records(self):
        """Yield (record text, line) until the root's end tag; set `stopped` where the file is not plain."""
        self._open()
        try:
            yield from self._records()
        except _Stop:
            self.stopped = True
        finally:
            self._fh.close()

    def _start(self) -> tuple[str, int]:
        buf = ""
        while len(buf) < 65536 and not self._eof:
            buf += self._more()
        if buf.startswith("\ufeff"):
            buf = buf[1:]
        decl = _DECLARATION.match(buf)
        if decl is not None and decl.group(1).lower() not in PLAIN_ENCODINGS:
            raise _Stop()
        pos = _PROLOG.match(buf).end()
        m = _ROOT_TAG.match(buf, pos)
        if m is None:
            raise _Stop()
        qname = m.group(1)
        try:  # the prolog and the root's start tag, checked by the parser itself
            self.root = etree.fromstring(f"{buf[:m.end()]}</{qname}>".encode("utf-8"),
                                         etree.XMLParser(**safe_parser_kwargs()))
        except (etree.XMLSyntaxError, ValueError):
            raise _Stop() from None
        tag = m.group(0)
        prefixes = [p for p, ns in self.root.nsmap.items() if ns == self.namespace]
        if len(prefixes) != 1:
            raise _Stop()
        self.prefix = f"{prefixes[0]}:" if prefixes[0] else ""
        if self.transfer_namespace is not None and self.root.nsmap.get(prefixes[0]) != self.transfer_namespace:
            raise _Stop()
        self._root_open = tag
        self._root_close = f"</{qname}>"
        # inside a record, what the parser must see in the whole document: another record or a BaseTransfer (in
        # any namespace, under any prefix), or an xml:id (unique across the document)
        names = "|".join(re.escape(n) for n in (self.record_tag, "BaseTransfer"))
        self._nested = re.compile(rf"<(?:[^\s<>/!?:=\"']+:)?(?:{names})[ \t\n/>]|xml:id")
        return buf[m.end():], buf.count("\n", 0, m.end()) + 1  # the line on which the root's start tag ends

    def _records(self):
        buf, line = self._start()
        p = self.prefix
        opening, closing = f"<{p}{self.record_tag}>", f"</{p}{self.record_tag}>"
        transfer_open, transfer_close = f"<{p}BaseTransfer>", f"</{p}BaseTransfer>"
        pos = 0
        while True:
            m = _SPACE.match(buf, pos)
            line += buf.count("\n", pos, m.end())
            pos = m.end()
            if len(buf) - pos < 256 and not self._eof:
                buf = buf[pos:] + self._more()
                pos = 0
                continue
            if buf.startswith(opening, pos):
                end_tag = closing
            elif self.transfer_namespace is not None and buf.startswith(transfer_open, pos):
                end_tag = transfer_close
            elif buf.startswith(self._root_close, pos):
                rest = buf[pos + len(self._root_close):]
                while True:
                    if rest.strip(" \t\n"):
                        raise _Stop()  # something after the root: the parser says what
                    if self._eof:
                        return
                    rest = self._more()
            else:
                raise _Stop()
            end = buf.find(end_tag, pos)
            while end < 0:
                if self._eof or len(buf) - pos > MAX_RECORD:
                    raise _Stop()  # the file breaks off inside a record, or the record is huge
                searched = len(buf) - pos - len(end_tag)
                buf = buf[pos:] + self._more()
                pos = 0
                end = buf.find(end_tag, max(0, searched))
            end += len(end_tag)
            text = buf[pos:end]
            if end_tag is closing:
                self.yielded += 1
                yield text, line
            else:
                if self.fragment(text, line) is None:  # a BaseTransfer must be well-formed; its content is not
                    raise _Stop()                         # checked
                self.n_transfer += 1
            line += text.count("\n")
            pos = end

    def give_back(self) -> None:
        """The record just yielded is not well-formed: the parser reads it, and the rest, and words it."""
        self.yielded -= 1
        self.stopped = True

    def fragment(self, text: str, line: int):
        """Parse one record's text on its own, inside the root's start tag, so that its elements keep the
        lines they have in the file; None when it is not well-formed, or holds another element of the
        record's name in any namespace (the parser then reads the file, and reports a misplaced record)."""
        if self._nested.search(text, 1) or line > MAX_FRAGMENT_LINE:
            return None
        pad = "\n" * max(0, line - 1 - self._root_open.count("\n"))
        try:
            root = etree.fromstring(f"{self._root_open}{pad}{text}{self._root_close}".encode("utf-8"),
                                    etree.XMLParser(**safe_parser_kwargs()))
        except etree.XMLSyntaxError:
            return None
        return root[0] if len(root) == 1 else None
