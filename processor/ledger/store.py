"""Storing a chunk of records of one kind: duplicates by content hash, versions by the law's precedence.

Each stored record is journalled by the hash of its content, so reading the same record again changes
nothing. Keyed records that later versions replace (export lists, returns) go through `in_force`
(law/versions.py); claims replace the claim of their return whatever they say (CONTRACT.md 2).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from ..law.versions import CONFLICT, NEW, REPLACES, SUPERSEDED, in_force, version_of
from ..problems import Problem
from .archive import bring_back
from .tables import (CLAIM_ITEMS, CLAIMS, EXPORT_ITEMS, EXPORT_LISTS, JOURNAL, LIST_CANCELS, LIST_RECEIPTS,
                     RETURN_APPS, RETURN_LINES, RETURN_RECEIPTS, Table, to_ledger, to_row)

CHUNK_KEYS = 500  # keys per IN (...) look-up: well under every backend's parameter limit


@dataclass
class StoreResult:
    """What became of each record of a chunk: stored, duplicate, or quarantined (a conflict)."""

    outcomes: list = field(default_factory=list)  # aligned with the chunk: "stored" | "duplicate" | "quarantined"
    problems: list = field(default_factory=list)  # the conflicts, as quarantine problems
    lists: set = field(default_factory=set)  # invtNo of lists replaced, or read again, whose lines come up
    echoes: set = field(default_factory=set)  # the batches that first stored the records read again


def ledger_key(kind: str, record) -> str:
    """The key a record is kept under: the list, the cancelled invtNo, or the return it concerns."""
    if kind in ("CEB603", "CEB604"):
        return record.list_key
    if kind == "CEB605":
        return cancel_key(record.invt_no, record.ebc_code, record.cop_no)
    return record.co_el_no


def cancel_key(invt_no: str | None, ebc_code: str, cop_no: str) -> str:
    """The list a CEB605 cancels: its invtNo, or ebcCode|copNo for a list not numbered yet."""
    return invt_no or f"{ebc_code}|{cop_no}"


def store(ledger, kind: str, parsed: list, batch_id: str, file_sha: str) -> StoreResult:
    """Store a chunk of built records of one kind; recognise duplicates; report conflicts."""
    result = StoreResult()
    keys = [ledger_key(kind, p.record) for p in parsed]  # each record's, once: the look-up and the journal
    # an archived list (or return) these records speak of is put back first, as it was
    invts = [getattr(p.record, "invt_no", None) for p in parsed]
    if kind in LIST_KINDS:  # keys: list keys (CEB605: the invtNo, else the list key)
        bring_back(ledger, list_keys=keys, invt_nos=invts + keys if kind == "CEB605" else invts)
    else:  # keys: coElNos
        bring_back(ledger, invt_nos=invts, co_el_nos=keys)
    known = _known_hashes(ledger, kind, [(key, p.content_hash) for key, p in zip(keys, parsed)])
    fresh = []
    for p in parsed:
        if p.content_hash in known:
            result.outcomes.append("duplicate")
            if known[p.content_hash] is not None:
                result.echoes.add(known[p.content_hash])
            if kind in LIST_KINDS:
                result.lists.add(p.record.invt_no)
        else:
            known[p.content_hash] = None  # a second copy within the chunk: a duplicate of this batch's
            fresh.append(p)
            result.outcomes.append(None)
    if not fresh:
        return result
    outcomes = iter(STORERS[kind](ledger, fresh, batch_id, result))
    journal = []
    for i, p in enumerate(parsed):
        if result.outcomes[i] is not None:
            continue
        outcome = next(outcomes)
        if outcome is None:
            result.outcomes[i] = "quarantined"
            continue
        result.outcomes[i] = "stored"
        journal.append((kind, p.content_hash, keys[i], batch_id, file_sha, p.line, outcome))
    ledger.append(JOURNAL, journal)
    return result


LIST_KINDS = ("CEB603", "CEB604", "CEB605")  # records that say something of an export list, by invtNo


def _known_hashes(ledger, kind: str, keyed: list) -> dict:
    """content hash -> the batch that first stored it, for the (record key, content hash) the journal has."""
    found = journalled(ledger, "SELECT record_key, content_hash, batch_id FROM journal WHERE kind = ?", kind, keyed)
    return {h: batch for h, (batch,) in found.items()}


def journalled(ledger, select: str, kind: str, keyed: list, params=()) -> dict:
    """content hash -> the columns after the first two of each row of `select` (record_key, content_hash, ...:
    journal rows of `kind`), for the (record key, content hash) pairs given: looked up by key, the journal's order."""
    wanted = {h for _k, h in keyed}
    return {h: tuple(rest) for _k, h, *rest in ledger._lookup(select, "record_key", [k for k, _h in keyed],
                                                              (kind, *params)) if h in wanted}


def _store_versioned(ledger, fresh, batch_id, result, *, head: Table, child: Table, key_column: str, head_row,
                     child_rows, unique_check=None):
    """Keyed records that later versions replace: the version in force is the law's (versions.in_force).

    An older version is journalled as superseded; a different record with the same key, time
    and type is a conflict and quarantined (the sender must send a change, appType 2).
    """
    keys = [getattr(p.record, key_column) for p in fresh]
    current = {k: (version_of(t, a), h) for k, t, a, h in ledger._lookup(
        f"SELECT {key_column}, app_time, app_type, content_hash FROM {head.name}", key_column, keys)}
    owners = unique_check(ledger, fresh) if unique_check else {}
    pending: dict = {}
    replace: set = set()
    outcomes = []
    for p, key in zip(fresh, keys):
        rec = p.record
        if unique_check and rec.invt_no and owners.get(rec.invt_no, key) != key:
            result.problems.append(Problem(p.file, p.line, p.kind, p.key, "InventoryHead/invtNo",
                                           f"invtNo {rec.invt_no} already belongs to list {owners[rec.invt_no]}",
                                           "an invtNo not used by another list"))
            outcomes.append(None)
            continue
        version = version_of(to_ledger(rec.app_time), rec.app_type)
        held = current.get(key)
        verdict = in_force(held[0] if held else None, version)
        if verdict == SUPERSEDED:
            outcomes.append("superseded")
            continue
        if verdict == CONFLICT:
            result.problems.append(Problem(
                p.file, p.line, p.kind, p.key, "",
                f"a different record with the same key, appTime and appType is already stored "
                f"(content {held[1][:12]})", "a change sent as appType 2 with a later appTime"))
            outcomes.append(None)
            continue
        if verdict == REPLACES and key not in pending:
            replace.add(key)
        if verdict == REPLACES and head is EXPORT_LISTS:
            result.lists.add(rec.invt_no)
        assert verdict in (NEW, REPLACES)
        current[key] = (version, p.content_hash)
        if unique_check and rec.invt_no:
            owners[rec.invt_no] = key
        pending[key] = p
        outcomes.append("current")
    gone = [0, 0]
    for k in replace:  # superseded in-force versions: their rows go (their journal entries stay as stored)
        gone[0] += ledger.execute(f"DELETE FROM {child.name} WHERE {key_column} = ?", (k,)).rowcount
        gone[1] += ledger.execute(f"DELETE FROM {head.name} WHERE {key_column} = ?", (k,)).rowcount
    ledger.counted(child.name, -gone[0])
    ledger.counted(head.name, -gone[1])
    ledger.append(head, [head_row(p, batch_id) for p in pending.values()])
    ledger.append(child, [row for key, p in pending.items() for row in child_rows(p.record, key)])
    # records replaced later in the same chunk are superseded
    return ["superseded" if outcome == "current" and pending.get(key) is not p else outcome
            for p, key, outcome in zip(fresh, keys, outcomes)]


class ListRows(NamedTuple):
    """An export list as its ledger rows: the form in which a list read in a reader process travels to
    the batch. Strings and tuples only, so pickling is all C; the rows are made where reading runs in
    parallel, and the writer only inserts them."""

    list_key: str
    invt_no: str | None
    app_type: str
    app_time: str  # as the ledger keeps it (ISO)
    head: tuple  # EXPORT_LISTS columns but content_hash and batch_id
    items: tuple  # EXPORT_ITEMS rows


def as_rows(parsed) -> None:
    """Give a parsed export list its travelling form (ListRows); other records travel as they are."""
    rec = parsed.record
    if parsed.kind == "CEB603" and rec is not None and type(rec) is not ListRows:
        key = rec.list_key
        parsed.record = ListRows(key, rec.invt_no, rec.app_type, rec.app_time.isoformat(),
                                 list_row(parsed, None)[:-2], tuple(item_rows(rec, key)))


def _d(value) -> str | None:
    """A Decimal as the text it was declared with (None stays NULL)."""
    return None if value is None else str(value)


def list_row(p, batch_id: str) -> tuple:
    """EXPORT_LISTS, written out by name: this runs once per export list of the night, and the generic
    to_row costs a third more here (tests/test_ledger.py holds the two equal)."""
    r = p.record
    if type(r) is ListRows:
        return r.head + (p.content_hash, batch_id)
    return (r.list_key, r.cop_no, r.invt_no, r.pre_no, r.ebc_code, r.ebp_code, r.agent_code, r.owner_code,
            r.customs_code, r.port_code, r.trade_mode, r.ie_flag, r.ie_date.isoformat(), r.app_type,
            r.app_time.isoformat(), r.app_status, r.statistics_flag, r.iac_code, r.ems_no, r.order_no,
            r.logistics_no, r.variant, p.content_hash, batch_id)


def item_rows(rec, key: str) -> list:
    """EXPORT_ITEMS, written out by name: this runs once per export item of the night."""
    if type(rec) is ListRows:
        return rec.items
    return [(key, it.gnum, it.item_no, it.item_name, it.gcode, it.gname, it.gmodel, it.country, it.currency,
             str(it.qty), str(it.qty1), _d(it.qty2), it.unit, it.unit1, it.unit2, str(it.price), str(it.total_price))
            for it in rec.items]


def _invt_owners(ledger, fresh) -> dict:
    invts = [p.record.invt_no for p in fresh if p.record.invt_no]
    return {i: k for i, k in ledger._lookup("SELECT invt_no, list_key FROM export_lists", "invt_no", invts)}


def store_export_lists(ledger, fresh, batch_id, result):
    return _store_versioned(ledger, fresh, batch_id, result, head=EXPORT_LISTS, child=EXPORT_ITEMS,
                            key_column="list_key", head_row=list_row, child_rows=item_rows, unique_check=_invt_owners)


def store_returns(ledger, fresh, batch_id, result):
    return _store_versioned(
        ledger, fresh, batch_id, result, head=RETURN_APPS, child=RETURN_LINES, key_column="co_el_no",
        head_row=lambda p, b: to_row(RETURN_APPS, p.record, content_hash=p.content_hash, batch_id=b),
        child_rows=lambda rec, key: [to_row(RETURN_LINES, ln, co_el_no=key) for ln in rec.lines])


def store_claims(ledger, fresh, batch_id, result):
    """A later claim for a coElNo replaces the earlier one, whatever it says (CONTRACT.md 2)."""
    latest: dict = {}
    for p in fresh:
        latest[p.record.co_el_no] = p
    keys = list(latest)
    for i in range(0, len(keys), CHUNK_KEYS):
        part = keys[i:i + CHUNK_KEYS]
        marks = ",".join("?" * len(part))
        ledger.counted("claim_items", -ledger.execute(f"DELETE FROM claim_items WHERE co_el_no IN ({marks})",
                                                      part).rowcount)
        ledger.counted("claims", -ledger.execute(f"DELETE FROM claims WHERE co_el_no IN ({marks})", part).rowcount)
    ledger.append(CLAIMS, [to_row(CLAIMS, p.record, content_hash=p.content_hash, batch_id=batch_id)
                           for p in latest.values()])
    ledger.append(CLAIM_ITEMS, [to_row(CLAIM_ITEMS, it, co_el_no=p.record.co_el_no)
                                for p in latest.values() for it in p.record.items])
    return ["current" if latest[p.record.co_el_no] is p else "superseded" for p in fresh]


def _plain_store(table: Table):
    """Records kept as they came (receipts, cancellations): their row is their fields, by name."""
    def storer(ledger, fresh, batch_id, result):
        ledger.append(table, [to_row(table, p.record, content_hash=p.content_hash, batch_id=batch_id) for p in fresh])
        return ["current"] * len(fresh)
    return storer


STORERS = {
    "CEB603": store_export_lists,
    "CEB604": _plain_store(LIST_RECEIPTS),
    "CEB605": _plain_store(LIST_CANCELS),
    "CEB213": store_returns,
    "CEB214": _plain_store(RETURN_RECEIPTS),
    "ReturnClaims": store_claims,
}
