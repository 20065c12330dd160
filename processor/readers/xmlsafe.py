"""The only way this project opens XML: no entities, no DTDs, no network, bounded trees.

Every parser here refuses to resolve entities, load DTDs or touch the network; a document that
declares a DTD at all is refused before parsing (business messages never carry one, and a DTD is how
entity bombs and external-entity reads get in).
"""
from __future__ import annotations

import codecs
import re
from pathlib import Path

from lxml import etree

# Encodings libxml2 reads itself, byte by byte, stopping exactly at a bad byte. Others (GBK, GB18030...)
# it decodes in blocks ahead of the parser, so a bad byte would lose the complete records before it and
# report the wrong line: those files are decoded here, in Python, and handed to the parser as UTF-8.
NATIVE_ENCODINGS = {"utf-8", "utf8", "us-ascii", "ascii", "utf-16", "utf-16le", "utf-16be"}
# GB2312 and GBK are subsets of GB18030: a file declared GB2312 often carries GBK characters.
CODEC_FOR = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030"}
# The prolog's parts, the XML declaration's encoding and a plain root start tag, as pattern texts: compiled
# here over bytes (the sniff) and in plain.py over decoded text (the scanner), ASCII classes in both.
DECLARATION = r"\A\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']"
PROLOG_PART = r"\s+|<\?[^?]*(?:\?(?!>)[^?]*)*\?>|<!--(?:[^-]|-(?!-))*-->"
ROOT_TAG = (r"<([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*"
            r"(?:\"[^\"<&]*\"|'[^'<&]*'))*)\s*/?>")
_DECLARATION = re.compile(DECLARATION.encode())
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class EncodingBreak(ValueError):
    """A byte sequence the declared encoding cannot decode: where, and which bytes."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.msg = message
        self.lineno = line


class _Transcoder:
    """A file declared in a non-UTF encoding, read as UTF-8; stops cleanly at the first bad byte sequence."""

    def __init__(self, path: Path, encoding: str, codec: str):
        self.fh = open(path, "rb")
        self.encoding = encoding
        self.codec = codec
        self.decoder = codecs.getincrementaldecoder(codec)("strict")
        self.pending = b""
        self.lines = 1
        self.error: EncodingBreak | None = None
        self.checked = False

    def _check_not_utf8(self, raw: bytes) -> None:
        """UTF-8 text declared as GBK decodes without error into nonsense (GB18030 maps almost every byte
        pair), so look at the first non-ASCII bytes: when they form several UTF-8 characters, the
        declaration lies, and reading stops there instead of storing garbled names."""
        pos = next((i for i, b in enumerate(raw) if b >= 0x80), None)
        if pos is None:
            return
        self.checked = True
        sample = raw[pos:pos + 240]
        try:
            text = codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=False)
        except UnicodeDecodeError:
            return
        if sum(1 for ch in text if ord(ch) >= 0x80) >= 3:
            line = self.lines + raw[:pos].count(b"\n")
            self.fh.seek(0, 2)  # nothing after this point is handed to the parser
            self.stop_at = pos
            self.error = EncodingBreak(f"the file declares encoding {self.encoding} but its bytes are UTF-8 "
                                       f"(first non-ASCII text at line {line}): refusing to read garbled names", line)

    def read(self, n: int = -1) -> bytes:
        if not self.pending:
            if self.error is not None:
                self.fh.close()
                raise self.error
            raw = self.fh.read(1 << 16)
            if not self.checked:
                self._check_not_utf8(raw)
            if self.error is not None:
                raw = raw[:self.stop_at]  # the ASCII before the lie is still read, up to the break
            try:
                text = self.decoder.decode(raw, final=not raw)
            except UnicodeDecodeError as err:
                # the bytes before the bad sequence (with any partial character the decoder held) decode
                text = codecs.decode(err.object[:err.start], self.codec, "strict")
                line = self.lines + text.count("\n")
                bad = err.object[err.start:err.end + 1]
                self.error = EncodingBreak(f"bytes {bad.hex(' ')} cannot be read as {self.encoding} (declared "
                                           f"encoding), line {line}", line)
            self.lines += text.count("\n")
            self.pending = text.encode("utf-8")
            if not self.pending:
                self.fh.close()
                if self.error is not None:
                    raise self.error  # never an empty read here: the parser would take it for the end
                return b""
        if n is None or n < 0:
            out, self.pending = self.pending, b""
        else:
            out, self.pending = self.pending[:n], self.pending[n:]
        return out


def declared_encoding(path: Path) -> str | None:
    """The encoding named by the XML declaration, when the file has no byte-order mark."""
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if head.startswith(_BOMS):
        return None
    m = _DECLARATION.match(head)
    return m.group(1).decode("ascii") if m else None


class UnsafeXml(ValueError):
    """The document carries a construct this project never parses (a DTD, an entity declaration)."""


def safe_parser_kwargs() -> dict:
    return dict(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def split_tag(tag) -> tuple[str | None, str]:
    """(namespace, local name) of a Clark tag, by string: never raises on a strange name."""
    if not isinstance(tag, str):
        return None, ""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return None, tag


def check_no_doctype(elem) -> None:
    """Refuse a document whose prolog declares a DTD; called at the root's start tag, where the parser has
    read the prolog (and, with entities and DTD loading off, resolved nothing in it)."""
    info = elem.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.system_url:
        raise UnsafeXml("the document declares a DTD (<!DOCTYPE>), which business messages never carry")


def iterparse(path: Path, tags=None, events=("end",)):
    """lxml.etree.iterparse with every external access and entity expansion turned off."""
    kwargs = safe_parser_kwargs()
    encoding = declared_encoding(path)
    if encoding is not None and encoding.lower() not in NATIVE_ENCODINGS:
        codec = CODEC_FOR.get(encoding.lower(), encoding.lower())
        try:
            codecs.lookup(codec)
        except LookupError:
            pass  # an encoding Python does not know: libxml2 reports it
        else:
            return etree.iterparse(_Transcoder(path, encoding, codec), events=events, tag=tags, encoding="utf-8",
                                   **kwargs)
    return etree.iterparse(str(path), events=events, tag=tags, **kwargs)


_PROLOG_PART = re.compile(PROLOG_PART.encode())
_ROOT_TAG = re.compile(ROOT_TAG.encode())
_XMLNS = re.compile(rb"xmlns(?::([A-Za-z_][\w.-]*))?\s*=\s*[\"']([^\"']*)[\"']")


def _sniff_bytes(path: Path) -> tuple[str, str] | None:
    """The root from the file's first bytes, for the plain case: a UTF-8 or ASCII file whose prolog holds only
    the XML declaration, comments and processing instructions, and whose root start tag is complete and
    plain. Anything else (a DTD above all) returns None, and the parser decides."""
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    enc = _DECLARATION.match(head)
    if enc is not None and enc.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        return None
    pos = 0
    while True:
        m = _PROLOG_PART.match(head, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
    root = _ROOT_TAG.match(head, pos)
    if root is None:
        return None
    try:
        qname = root.group(1).decode("ascii")
        declared = {(p.decode("ascii") if p else ""): ns.decode("utf-8")
                    for p, ns in _XMLNS.findall(root.group(2))}
    except UnicodeDecodeError:
        return None
    prefix, _, local = qname.rpartition(":")
    if prefix not in declared:
        return None  # an undeclared prefix, or no namespace at all: the parser words the problem
    return declared[prefix], local


def sniff_root(path: Path) -> tuple[str, str]:
    """(namespace, local name) of the root element, reading only as far as its start tag."""
    quick = _sniff_bytes(path)
    if quick is not None:
        return quick
    for _event, elem in iterparse(path, events=("start",)):
        check_no_doctype(elem)
        namespace, local = split_tag(elem.tag)
        return namespace or "", local
    raise etree.XMLSyntaxError("no root element", None, 1, 1)  # pragma: no cover - lxml raises first
