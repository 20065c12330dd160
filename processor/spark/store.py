"""Storing the night on the lake: each record's outcome (stored, duplicate, quarantined) decided per ledger key,
in the batch's order, by the law's precedence of versions (law/versions.py), as ledger/store.py does row by
row. A group holds one key's records of the night, in file and record order, and what the lake holds for it
(the version in force, the batch that first stored each content hash). Pure per group: it runs anywhere.
"""
from __future__ import annotations

import pickle

from ..law.versions import CONFLICT, REPLACES, SUPERSEDED, in_force, version_of
from ..ledger.store import LIST_KINDS, item_rows, list_row
from ..ledger.tables import (CLAIM_ITEMS, CLAIMS, LIST_CANCELS, LIST_RECEIPTS, RETURN_APPS, RETURN_LINES,
                             RETURN_RECEIPTS, to_row)
from ..problems import Problem
from .frames import arrow_of, batches_of

OUT = {"tag": "str", "table": "str", "idx": "int", "seq": "int", "pos": "int", "kind": "str", "key": "str",
       "outcome": "str", "lines": "int", "payload": "bin"}
VERSIONED = {"CEB603": "export_lists", "CEB213": "return_apps"}
PLAIN = {"CEB604": LIST_RECEIPTS, "CEB605": LIST_CANCELS, "CEB214": RETURN_RECEIPTS}


def _out(tag, **kw) -> dict:
    row = dict.fromkeys(OUT)
    row.update(tag=tag, **kw)
    return row


def store_partitions(batches):
    """mapInArrow over the night's records partitioned by (kind, key) and sorted by (kind, key, idx, seq): each
    key's records (with `known`: the batch that first stored the same content, `taken_by`: the list holding
    its invtNo) and the lake's version in force (`held_*`) taken a key at a time, in one Python call per
    partition rather than one per key."""
    return batches_of(_keys_stored(batches), arrow_of(OUT))


def _keys_stored(batches):
    group: list = []
    for b in batches:
        for r in b.to_pylist():
            if group and (r["kind"], r["key"]) != (group[0]["kind"], group[0]["key"]):
                yield from store_key(group, batch_id=group[0]["batch_id"])
                group = []
            group.append(r)
    if group:
        yield from store_key(group, batch_id=group[0]["batch_id"])


def store_key(rows: list, batch_id: str):
    """OUT rows: each record's outcome, the conflicts as problems, and the rows its key's tables get."""
    first = rows[0]
    kind, key = first["kind"], first["key"]
    held = (version_of(first["held_time"], first["held_type"]), first["held_hash"]) if first["held_hash"] else None
    seen: set = set()
    current = None  # the record in force after this night, if the night brings one
    journal = []
    for r in rows:
        n = r["lines"]
        if r["known"] is not None or r["content_hash"] in seen:
            yield _out("outcome", idx=r["idx"], seq=r["seq"], kind=kind, key=key, outcome="duplicate", lines=n)
            if r["known"] is not None:
                yield _out("echo", key=r["known"])
            if kind in LIST_KINDS and r["invt_no"]:
                yield _out("touch_list", key=r["invt_no"])
            continue
        seen.add(r["content_hash"])
        if kind == "CEB603" and r["taken_by"] is not None:
            yield _conflict(r, n, Problem(r["file"], r["line"], kind, r["pkey"], "InventoryHead/invtNo",
                                          f"invtNo {r['invt_no']} already belongs to list {r['taken_by']}",
                                          "an invtNo not used by another list"))
            continue
        outcome = "current"
        if kind in VERSIONED:
            version = version_of(r["app_time"], r["app_type"])
            verdict = in_force(held[0] if held else None, version)
            if verdict == SUPERSEDED:
                outcome = "superseded"
            elif verdict == CONFLICT:
                yield _conflict(r, n, Problem(
                    r["file"], r["line"], kind, r["pkey"], "",
                    f"a different record with the same key, appTime and appType is already stored "
                    f"(content {held[1][:12]})", "a change sent as appType 2 with a later appTime"))
                continue
            else:
                if verdict == REPLACES and kind == "CEB603":
                    yield _out("touch_list", key=r["invt_no"])
                held = (version, r["content_hash"])
                current = r
        elif kind == "ReturnClaims":
            current = r  # a later claim replaces the earlier one, whatever it says (CONTRACT.md 2)
        yield _out("outcome", idx=r["idx"], seq=r["seq"], kind=kind, key=key, outcome="stored", lines=n)
        journal.append([kind, r["content_hash"], key, batch_id, r["sha256"], r["line"], outcome, r])
        if kind in PLAIN:
            rec = pickle.loads(r["payload"])
            yield _out("row", table=PLAIN[kind].name,
                       payload=pickle.dumps(to_row(PLAIN[kind], rec, content_hash=r["content_hash"],
                                                   batch_id=batch_id)))
    for j in journal:
        r = j.pop()
        if kind in VERSIONED or kind == "ReturnClaims":
            j[6] = "current" if r is current else "superseded"
        yield _out("row", table="journal", payload=pickle.dumps(tuple(j)))
    if current is not None:
        yield from _record_rows(kind, key, current, batch_id)


def _conflict(r: dict, n: int, problem: Problem) -> dict:
    return _out("conflict", idx=r["idx"], seq=r["seq"], pos=r["pos"], kind=r["kind"], key=r["key"], lines=n,
                outcome="quarantined", payload=pickle.dumps(problem))


def _record_rows(kind: str, key: str, r: dict, batch_id: str):
    """The rows of the version in force of a list, a return or a claim (its head, then its parts)."""
    rec = pickle.loads(r["payload"])
    h = r["content_hash"]
    if kind == "CEB603":
        class P:  # list_row reads a parsed record's record and hash
            record, content_hash = rec, h
        yield _out("row", table="export_lists", payload=pickle.dumps((*list_row(P, batch_id), None, None)))
        for item in item_rows(rec, key):
            yield _out("row", table="export_items", payload=pickle.dumps((*item, h)))
    elif kind == "CEB213":
        yield _out("row", table="return_apps",
                   payload=pickle.dumps((*to_row(RETURN_APPS, rec, content_hash=h, batch_id=batch_id), None)))
        for ln in rec.lines:
            yield _out("row", table="return_lines", payload=pickle.dumps((*to_row(RETURN_LINES, ln, co_el_no=key), h)))
    else:
        yield _out("row", table="claims", payload=pickle.dumps(to_row(CLAIMS, rec, content_hash=h, batch_id=batch_id)))
        for it in rec.items:
            yield _out("row", table="claim_items",
                       payload=pickle.dumps((*to_row(CLAIM_ITEMS, it, co_el_no=rec.co_el_no), h)))


def decode_rows(table: str, seq: int, rev: int):
    """mapInArrow: OUT rows of one table (pickled ledger rows) -> the table's lake rows."""
    from ..lake import columns
    from .frames import arrow_schema

    cols = columns(table)
    schema = arrow_schema(table)

    def run(batches):
        for batch in batches:
            yield from batches_of((dict(zip(cols, (*pickle.loads(p), seq, rev)))
                                   for p in batch.column("payload").to_pylist()), schema)
    return run
