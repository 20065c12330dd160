"""The decide stage of a batch: which lines come up (law/redecide.py), queued by export item, fetched a
chunk of whole items at a time, decided by law/item.py, stored and reported as law/redecide.py says.

Lines come up when their return, claim or receipts were read in this batch, when an export list they name
was stored, replaced, numbered or voided, when they wait for an export that has now arrived, when they are
PENDING for reference data that changed, when quantity is released on their export item, or when
`processor reassess` covers them. A rerun reports again what the first run reported (report_again). The
deciding itself may run in a worker process (decide_worker.py) beside this one's queries.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from ..law.facts import Held, Params
from ..law.item import Entry, decide_item
from ..law.redecide import (NEW, RELEASED, REVISED, change_of, dropped, inputs_fingerprint, waits_for_reference,
                            why_decide)
from ..ledger.decisions import (DecisionStore, as_tuple, build_claims, build_exports, build_holders,
                                build_receipt_hashes, build_returns, ledger_row, previous_of)
from ..ledger.tables import DECISIONS
from ..readers.ahead import WorkerGone
from ..problems import EXAMPLES

DECIDE_CHUNK = 500  # lines decided per round of look-ups (whole export items: a chunk may hold a few more)


@dataclass
class DecisionRun:
    decided: int = 0  # lines decided in this batch
    new: int = 0  # reported NEW
    revised: int = 0  # reported REVISED
    unchanged: int = 0  # decided again, row unchanged: not reported
    withdrawn: int = 0  # lines withdrawn (reported WITHDRAWN when they had been reported)
    reported_again: int = 0  # a rerun's rows reported again as they were
    estimated_windows: int = 0  # lines whose window end is an estimate (no calendar for its year)
    calendar_notes: set = field(default_factory=set)
    stage: object = field(default=None, repr=False, compare=False)  # progress.Stage: told of each chunk stored
    estimated_examples: list = field(default_factory=list)  # the first few such lines: (coElNo, gnum, window_end)


def decide_batch(ledger, batch_id: str, reference, params: Params, worker=None, reassess: bool = False,
                 since: str | None = None, rerun: bool = False, stage=None) -> DecisionRun:
    """Decide the lines that come up in this batch (all lines on or after `since` when `reassess`). Memory
    holds one chunk of lines at a time: the lines to decide wait in a queue in the ledger. With a `worker`
    (DecideWorker, the caller's to close), the deciding itself runs in that process. `rerun`: the batch
    stored no new record (everything it read was read before), so it reports again what the night it
    repeats reported."""
    store = DecisionStore(ledger)
    run = DecisionRun(stage=stage)
    store.queue_open()
    run.withdrawn += store.report_upgrade_withdrawals(batch_id)
    if reassess:
        store.touch_all(batch_id, since)
    else:
        store.touch_affected(batch_id, reference.fingerprint)
    _classify(store, ledger, batch_id, run, reference.fingerprint, reassess)
    store.bring_back_queued()
    if stage is not None:
        stage.expect(store.queued())
    _decide_queued(store, batch_id, reference, params, run, worker)
    if rerun and not reassess:
        echoes = ledger.echoes()
        if echoes:
            run.reported_again = store.report_again(batch_id, echoes)
    store.queue_close()  # on a failure the batch's rollback takes the queue with it (and the error stays clear)
    return run


def _classify(store: DecisionStore, ledger, batch_id: str, run: DecisionRun, reference_hash: str,
              reassess: bool) -> None:
    """Queue the touched lines to decide, withdraw those of withdrawn returns (and those a change dropped),
    and queue the lines rejected for quantity on the export items where quantity is, or may be, released."""
    released, maybe = set(), set()
    for chunk in ledger.touched(batch_id):
        todo = []
        returns = store.returns(chunk)
        claims = store.claims(returns)
        receipts = store.receipt_hashes(returns)
        latest = store.current(returns)
        # a line decided before is compared by its inputs' fingerprint; a line decided for the first time
        # needs none here (a night of new returns asks nothing of its export lists at this point)
        states = store.export_states({ln.invt_no for co, r in returns.items() for ln in r["lines"]
                                      if (co, ln.gnum) in latest})
        in_force: dict = {}
        for (co, gnum), prev in latest.items():
            if prev.status == "current":
                in_force.setdefault(co, []).append(gnum)
        for co, ret in returns.items():
            if ret["withdrawn"]:
                n, freed = store.withdraw(batch_id, co, f"withdrawn: {ret['withdrawn']}")
                released.update(freed)
                run.withdrawn += n
                continue
            gone = dropped(in_force.get(co, []), [ln.gnum for ln in ret["lines"]])
            if gone:
                n, freed = store.withdraw(batch_id, co, "withdrawn: the line was dropped by a CEB213 change",
                                          set(gone))
                released.update(freed)
                run.withdrawn += n
            claim_hash = claims.get(co, (None, None))[1]
            for line in ret["lines"]:
                prev = latest.get((co, line.gnum))
                fp = None if prev is None else inputs_fingerprint(ret["content_hash"], claim_hash,
                                                                  receipts.get(co, []), states.get(line.invt_no, "-"))
                why = why_decide(prev, fp, reference_hash, reassess)
                if why is None:
                    continue
                todo.append((line.invt_no, line.gnum, co, 0, why))
                if prev is not None and prev.holds:
                    if prev.invt_no not in (None, line.invt_no):  # it leaves the item it held on
                        released.add((prev.invt_no, line.gnum))
                    maybe.add((line.invt_no, line.gnum))
        store.queue_add(todo)
    for items, waits in ((released, 0), (maybe - released, 1)):
        if items:
            store.queue_add([(i, g, co, waits, RELEASED) for i, g, co, _v in store.qty_rejected(items)])


class ChunkRows(NamedTuple):
    """What one chunk of queued lines needs from the ledger, as fetched: plain rows, cheap to send to
    another process; the facts are built where the chunk is decided (decide_chunk)."""

    part: list  # QUEUE rows (invtNo, gnum, coElNo, waits, cause), whole export items
    returns: tuple  # (head rows, line rows)
    claims: tuple  # (head rows, item rows)
    receipts: list
    exports: list
    states: list  # (invtNo, export_state) of the lists named
    holders: list  # the lines holding quantity on the items, as the ledger has them
    previous: list  # the latest decision rows of the lines (DECISIONS columns, then the reference hash)


def _gather(store: DecisionStore, part: list) -> ChunkRows:
    cos = list(dict.fromkeys(co for _i, _g, co, _w, _c in part))
    invts = list(dict.fromkeys(i for i, _g, _co, _w, _c in part))
    heads, lines = store.fetch_returns(cos)
    return ChunkRows(part, (heads, lines), store.fetch_claims(cos), store.fetch_receipts(cos),
                     store.fetch_exports(invts), list(store.export_states(invts).items()),
                     store.fetch_holders(invts), store.fetch_previous(cos))


class Decided(NamedTuple):
    rows: list  # decision rows to insert (DECISIONS tuples)
    superseded: list  # (coElNo, gnum, version) the new rows replace
    reported: list  # (coElNo, gnum, version) the batch reports
    counts: dict  # decided, new, revised, unchanged, estimated_windows
    notes: set  # calendar notes
    estimated: list  # the first few lines decided on an estimated window end: (coElNo, gnum, window_end)


def decide_chunk(rows: ChunkRows, batch_id: str, reference, params: Params) -> Decided:
    """Decide one chunk of lines: grouped by export item, each group decided by the law (decide_item), seeing
    what the other lines of the item hold; each decision compared with the one reported last. Pure: no I/O."""
    reference_hash = reference.fingerprint
    returns = build_returns(*rows.returns)
    claims = build_claims(*rows.claims)
    receipts = build_receipt_hashes(rows.receipts)
    states = dict(rows.states)
    previous = {}  # (coElNo, gnum) -> (the latest decision row by name, Previous)
    for r in rows.previous:
        d = dict(zip(DECISIONS.columns, r))
        d["reference_hash"] = r[-1]
        previous[(d["co_el_no"], d["gnum"])] = (d, previous_of(d))
    lines = {(co, ln.gnum): ln for co, ret in returns.items() for ln in ret["lines"]}
    groups: dict = {}  # (invtNo, gnum) -> [Entry]
    causes: dict = {}
    for _invt, gnum, co, waits, cause in rows.part:
        line = lines.get((co, gnum))
        if line is None:  # not a line of the return in force (a stale queue entry): nothing to decide
            continue
        prev_row, prev = previous.get((co, gnum), (None, None))
        holds = None
        if prev is not None and prev.holds and prev.invt_no == line.invt_no:  # held on another item: not here
            holds = Held(Decimal(prev_row["qty"]), Decimal(prev_row["qty1"]))
        groups.setdefault(line.export_key, []).append(Entry(line, claims.get(co, (None, None))[0], holds,
                                                            bool(waits)))
        causes[(co, gnum)] = cause
    exports = build_exports(rows.exports, set(groups))
    holders = build_holders(rows.holders, set(groups))
    out = Decided([], [], [], {"decided": 0, "new": 0, "revised": 0, "unchanged": 0, "estimated_windows": 0},
                  set(), [])
    for key, entries in groups.items():
        mine = {e.line.co_el_no for e in entries}
        outside = Held()
        for co, h in holders.get(key, {}).items():
            if co not in mine:
                outside = outside.plus(h.qty, h.qty1)
        for d in decide_item(exports.get(key), outside, entries, reference, params):
            _record(out, d, batch_id, returns, claims, receipts, states,
                    *previous.get((d.co_el_no, d.gnum), (None, None)), causes[(d.co_el_no, d.gnum)], reference_hash)
    return out


def _record(out: Decided, d, batch_id, returns, claims, receipts, states, prev: dict | None, before,
            cause: str, reference_hash: str) -> None:
    """A decision made: stored as a new version unless nothing at all changed, reported when its row did."""
    co, gnum = d.co_el_no, d.gnum
    claim, claim_hash = claims.get(co, (None, None))
    ret_hash = returns[co]["content_hash"]
    fp = inputs_fingerprint(ret_hash, claim_hash, receipts.get(co, []), states.get(d.invt_no, "-"))
    row = ledger_row(d, batch_id, fp, ret_hash, claim, (prev["version"] if prev else 0) + 1, cause=cause)
    change = change_of(before, row, prev)
    out.counts["decided"] += 1
    if d.calendar_note:
        out.notes.add(d.calendar_note)
        out.counts["estimated_windows"] += 1
        if len(out.estimated) < EXAMPLES:
            out.estimated.append((co, gnum, d.window_end.isoformat()))
    if change is None:
        out.counts["unchanged"] += 1
        waiting = waits_for_reference(d.decision, d.reasons)
        if fp == before.fingerprint and not (waiting and before.reference != reference_hash):
            return  # nothing it depends on changed: the version in force stands
        row.update(reported_in=before.reported_in)
    else:
        out.counts["new" if change == NEW else "revised"] += 1
        row.update(change=change, reported_in=batch_id,
                   supersedes=before.reported_in if change == REVISED else None)
        out.reported.append((co, gnum, row["version"]))
    if prev is not None:
        out.superseded.append((co, gnum, prev["version"]))
    out.rows.append(as_tuple(row))


def _store_chunk(store: DecisionStore, run: DecisionRun, decided: Decided, batch_id: str) -> None:
    store.supersede(decided.superseded)
    store.insert(decided.rows)
    store.reported(batch_id, decided.reported)
    for k, v in decided.counts.items():
        setattr(run, k, getattr(run, k) + v)
    run.calendar_notes |= decided.notes
    if run.stage is not None:
        run.stage.add(done=decided.counts["decided"])
    run.estimated_examples.extend(decided.estimated[:EXAMPLES - len(run.estimated_examples)])


def _decide_queued(store: DecisionStore, batch_id: str, reference, params: Params, run: DecisionRun, worker) -> None:
    """Every queued line, a chunk of whole export items at a time. Chunks are independent (lines of
    different items never interact), so with a worker this process reads chunk k+1 and stores chunk k while
    the worker decides. Should the worker die, the chunks it had are read again and decided here. The worker
    is forked when the batch starts, before the readers and while this process is small (batch.py)."""
    sent: list = []  # parts with the worker, oldest first (at most two)
    for part in store.queue(DECIDE_CHUNK):
        rows = _gather(store, part)
        if worker is None:
            _store_chunk(store, run, decide_chunk(rows, batch_id, reference, params), batch_id)
            continue
        worker.send(rows)
        sent.append(part)
        if len(sent) == 2:
            worker = _receive_or_decide_here(worker, store, batch_id, reference, params, run, sent)
    while worker is not None and sent:
        worker = _receive_or_decide_here(worker, store, batch_id, reference, params, run, sent)


def _receive_or_decide_here(worker, store, batch_id, reference, params, run, sent: list):
    """Store the oldest chunk the worker had; the worker to go on with, or None once it has gone (then the
    chunks it had are decided here)."""
    try:
        _store_chunk(store, run, Decided(*worker.receive()), batch_id)
        sent.pop(0)
        return worker
    except WorkerGone:
        worker.close()
        for part in sent:
            _store_chunk(store, run, decide_chunk(_gather(store, part), batch_id, reference, params), batch_id)
        sent.clear()
        return None
