"""The only way this project opens XML: no entities, no DTDs, no network, bounded trees.

Every parser here refuses to resolve entities, load DTDs or touch the network; a document that
declares a DTD at all is refused before parsing (business messages never carry one, and a DTD is how
entity bombs and external-entity reads get in).
"""
from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

# Enough of the start of a file to see its XML declaration, any DOCTYPE and the root element.
_HEAD_BYTES = 64 * 1024
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_DOCTYPE_UTF16 = re.compile("<!DOCTYPE".encode("utf-16-le"), re.IGNORECASE)


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


def check_no_doctype(path: Path) -> None:
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if _DOCTYPE.search(head) or _DOCTYPE_UTF16.search(head):
        raise UnsafeXml("the document declares a DTD (<!DOCTYPE>), which business messages never carry")


def iterparse(path: Path, tags=None, events=("end",)):
    """lxml.etree.iterparse with every external access and entity expansion turned off."""
    kwargs = safe_parser_kwargs()
    return etree.iterparse(str(path), events=events, tag=tags, **kwargs)


def sniff_root(path: Path) -> tuple[str, str]:
    """(namespace, local name) of the root element, reading only as far as its start tag."""
    check_no_doctype(path)
    for _event, elem in iterparse(path, events=("start",)):
        qname = etree.QName(elem)
        return qname.namespace or "", qname.localname
    raise etree.XMLSyntaxError("no root element", None, 1, 1)  # pragma: no cover - lxml raises first


def safe_xml_parser() -> etree.XMLParser:
    """A parser for whole small documents (claims checks, tests), with the same protections."""
    return etree.XMLParser(**safe_parser_kwargs())
