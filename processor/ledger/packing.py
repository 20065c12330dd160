"""A decision's trail of rules and its citations, kept packed: compressed (Zstandard) against a fixed dictionary of
their usual words (the clauses cited, the steps' phrasing), then base64, so that the column stays text on every
backend.

The trail is what `explain` prints years later, so it is kept whole; but as JSON it was 3 KB a decision, most of
the ledger's bytes (docs/performance.md, session 9). Packed it is about 220 bytes, in about 25 microseconds (zlib
with the same dictionary packs it a fifth smaller but takes 300 microseconds: the decide stage a third slower). A
packed text begins with "z1:" (dictionary 1); a text without the prefix is a row from before schema 6, read as it is.

Dictionary 1 (data/trail_words_1.txt: the clause texts, the references and a few whole trails of the demo, the
casebook and a synthetic night) is frozen: rows packed against it must read back for as long as the ledger is
kept (tests/test_ledger.py holds its hash). A better dictionary is a new file and a new prefix, never an edit.
"""
from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

import zstandard

_DATA = Path(__file__).resolve().parent.parent / "data"
PREFIX = "z1:"
LEVEL = 3


@lru_cache(maxsize=None)
def words(n: int = 1) -> bytes:
    return (_DATA / f"trail_words_{n}.txt").read_bytes()


@lru_cache(maxsize=None)
def _dictionary(n: int = 1) -> zstandard.ZstdCompressionDict:
    found = zstandard.ZstdCompressionDict(words(n), dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    found.precompute_compress(level=LEVEL)
    return found


@lru_cache(maxsize=None)
def _packer() -> zstandard.ZstdCompressor:  # one per process: decide workers each make their own
    return zstandard.ZstdCompressor(dict_data=_dictionary(1), write_checksum=False, write_dict_id=False)


@lru_cache(maxsize=None)
def _unpacker() -> zstandard.ZstdDecompressor:
    return zstandard.ZstdDecompressor(dict_data=_dictionary(1))


def pack(text: str | None) -> str | None:
    """The text as the ledger keeps it (None stays NULL)."""
    if text is None:
        return None
    return PREFIX + base64.b64encode(_packer().compress(text.encode("utf-8"))).decode("ascii")


def unpack(stored: str | None) -> str | None:
    """The text a stored value holds: packed (by its prefix) or, from before schema 6, as it was written."""
    if stored is None or not stored.startswith(PREFIX):
        return stored
    return _unpacker().decompress(base64.b64decode(stored[len(PREFIX):])).decode("utf-8")


def unpacked(row: dict) -> dict:
    """A decisions row, by name, with its trail and citations as text."""
    for column in ("trail", "citations"):
        if column in row:
            row[column] = unpack(row[column])
    return row
