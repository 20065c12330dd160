"""The only way this project opens XML: no entities, no DTDs, no network, bounded trees.

Every parser here refuses to resolve entities, load DTDs or touch the network; a document that
declares a DTD at all is refused before parsing (business messages never carry one, and a DTD is how
entity bombs and external-entity reads get in).
"""
from __future__ import annotations

from pathlib import Path

from lxml import etree

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
    return etree.iterparse(str(path), events=events, tag=tags, **kwargs)


def sniff_root(path: Path) -> tuple[str, str]:
    """(namespace, local name) of the root element, reading only as far as its start tag."""
    for _event, elem in iterparse(path, events=("start",)):
        check_no_doctype(elem)
        namespace, local = split_tag(elem.tag)
        return namespace or "", local
    raise etree.XMLSyntaxError("no root element", None, 1, 1)  # pragma: no cover - lxml raises first


def safe_xml_parser() -> etree.XMLParser:
    """A parser for whole small documents (claims checks, tests), with the same protections."""
    return etree.XMLParser(**safe_parser_kwargs())
