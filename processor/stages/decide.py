"""The decide stage of a batch: the lines the law says to decide (law/redecide.py), queued in contract
order, fetched a chunk at a time, grouped by export item and decided by law/item.py.

Lines come up when their return, claim or receipts were read in this batch. Lines decided again release
their quantity first; then all are decided in order of return date, coElNo, gnum, each seeing the
quantity held by the ones before it. The deciding itself may run in a worker process (decide_worker.py)
beside this one's queries.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from ..law.decide import return_date
from ..law.facts import Held, Params
from ..law.item import decide_item, held_after
from ..law.redecide import DECIDE, REPORT_AGAIN, dropped, inputs_fingerprint, next_step
from ..ledger.decisions import (DecisionStore, build_claims, build_exports, build_held, build_receipt_hashes,
                                build_returns, ledger_row)
from ..ledger.tables import LINE_FACTS
from ..readers.ahead import WorkerGone

DECIDE_CHUNK = 500  # lines decided per round of look-ups
LINE_INVT_NO = LINE_FACTS.index("a.invt_no")  # where a fetched line row names its export list


@dataclass
class DecisionRun:
    decided: int = 0  # made in this batch
    reported_again: int = 0  # unchanged, reported again
    withdrawn: int = 0  # lines released by a withdrawn or changed return
    calendar_notes: set = field(default_factory=set)
    final_with_new_data: list = field(default_factory=list)  # EXEMPT/REJECTED lines whose claim or receipts
    # changed: only PENDING lines are decided again (CONTRACT.md 6), so these keep their decision


def decide_batch(ledger, batch_id: str, reference, params: Params, worker=None) -> DecisionRun:
    """Decide the lines of the returns this batch read. Memory holds one chunk of lines at a time: the
    lines to decide wait in a queue in the ledger, and their data is read again in decision order.
    With a `worker` (DecideWorker, the caller's to close), the deciding itself runs in that process
    beside the ledger's queries."""
    store = DecisionStore(ledger)
    run = DecisionRun()
    store.queue_open()
    _classify(store, ledger, batch_id, run)
    _decide_queued(store, batch_id, reference, params, run, worker)
    store.queue_close()  # on a failure the batch's rollback takes the queue with it (and the error stays clear)
    return run


def _classify(store: DecisionStore, ledger, batch_id: str, run: DecisionRun) -> None:
    """Which touched lines to decide (queued), to report again as they stand, or to release, as
    law/redecide.py says. Lines decided again release what they held now, before any line is decided,
    so every line sees only what the lines before it hold."""
    for chunk in ledger.touched(batch_id):
        todo, again, release = [], [], []
        returns = store.returns(chunk)
        claims = store.claims(returns)
        receipts = store.receipt_hashes(returns)
        current = store.current(returns)
        for co, ret in returns.items():
            if ret["withdrawn"]:
                run.withdrawn += store.withdraw(co)
                continue
            claim, claim_hash = claims.get(co, (None, None))
            fp = inputs_fingerprint(ret["content_hash"], claim_hash, receipts.get(co, []))
            gone = dropped([g for (c, g) in current if c == co], [ln.gnum for ln in ret["lines"]])
            if gone:
                run.withdrawn += store.withdraw(co, gone)
            for line in ret["lines"]:
                prev = current.get((co, line.gnum))
                step = next_step(prev, fp, ret["content_hash"])
                if step == DECIDE:
                    todo.append((return_date(line, claim), co, line.gnum, prev.version if prev else 0))
                    if prev is not None:
                        release.append((co, line.gnum, prev.version))
                elif step == REPORT_AGAIN:
                    again.append((co, line.gnum, prev.version))  # same inputs: reported again as it stands
                else:
                    run.final_with_new_data.append((co, line.gnum, prev.decision))
        store.release(release)
        store.queue_add(todo)
        store.reported(batch_id, again)
        run.decided += len(todo)
        run.reported_again += len(again)


class ChunkRows(NamedTuple):
    """What one chunk of queued lines needs from the ledger, as fetched: plain rows, cheap to send to
    another process; the facts are built where the chunk is decided (decide_chunk)."""

    part: list  # (return date, coElNo, gnum, version of the decision it replaces or 0), in decision order
    returns: tuple  # (head rows, line rows)
    claims: tuple  # (head rows, item rows)
    receipts: list
    exports: list
    held: list  # by the lines decided before, as far as the ledger holds them


def _gather(store: DecisionStore, part: list) -> ChunkRows:
    cos = list(dict.fromkeys(co for _rd, co, _g, _v in part))
    heads, lines = store.fetch_returns(cos)
    invts = list(dict.fromkeys(row[LINE_INVT_NO] for row in lines))
    return ChunkRows(part, (heads, lines), store.fetch_claims(cos), store.fetch_receipts(cos),
                     store.fetch_exports(invts), store.fetch_held(invts))


def decide_chunk(rows: ChunkRows, carry: dict, batch_id: str, reference, params: Params) -> tuple:
    """Decide one chunk of lines: grouped by export item, each group decided in order by the law
    (decide_item), seeing what the ledger holds (rows.held) and `carry` (what the previous chunk added,
    when it was not yet stored as the ledger was read). Pure: no I/O.

    Returns (decision rows, (coElNo, gnum, version) made, calendar notes, what this chunk added: Held by
    export item)."""
    returns = build_returns(*rows.returns)
    claims = build_claims(*rows.claims)
    receipts = build_receipt_hashes(rows.receipts)
    lines = {(co, ln.gnum): ln for co, ret in returns.items() for ln in ret["lines"]}
    groups: dict = {}  # (invtNo, gnum) -> [(line, claim)], in the queue's order (contract order)
    version: dict = {}
    for _rd, co, gnum, prev_version in rows.part:
        line = lines[(co, gnum)]
        groups.setdefault(line.export_key, []).append((line, claims.get(co, (None, None))[0]))
        version[(co, gnum)] = prev_version + 1
    exports = build_exports(rows.exports, set(groups))
    before = build_held(rows.held, set(groups))
    out, made, notes, decided = [], [], set(), []
    for key, group in groups.items():
        held = before.get(key, Held())
        if key in carry:
            held = held.plus(carry[key].qty, carry[key].qty1)
        decided.extend(decide_item(exports.get(key), held, group, reference, params))
    for d in decided:
        co, gnum = d.co_el_no, d.gnum
        claim, claim_hash = claims.get(co, (None, None))
        fp = inputs_fingerprint(returns[co]["content_hash"], claim_hash, receipts.get(co, []))
        out.append(ledger_row(d, batch_id, fp, returns[co]["content_hash"], claim, version[(co, gnum)]))
        made.append((co, gnum, version[(co, gnum)]))
        if d.calendar_note:
            notes.add(d.calendar_note)
    added = held_after(decided)
    return out, made, notes, added


def _store_chunk(store: DecisionStore, batch_id: str, run: DecisionRun, decided: tuple) -> None:
    rows, made, notes = decided[:3]
    store.insert(rows)
    store.reported(batch_id, made)
    run.calendar_notes |= notes


def _decide_queued(store: DecisionStore, batch_id: str, reference, params: Params, run: DecisionRun, worker) -> None:
    """Every queued line in order (return date, coElNo, gnum), seeing what the lines before it hold, in this
    batch or earlier ones.

    With a worker, this process reads chunk k+1 from the ledger and stores chunk k while the worker
    decides: the worker adds what chunk k added to chunk k+1's held figures (the ledger did not have
    them yet), so every line sees exactly what it would in the serial order. Should the worker die,
    the chunks it had are read again and decided here. The worker is forked when the batch starts,
    before the readers and while this process is small (batch.py, decide_worker.py)."""
    sent: list = []  # parts with the worker, oldest first (at most two)
    for part in store.queue(DECIDE_CHUNK):
        rows = _gather(store, part)
        if worker is None:
            _store_chunk(store, batch_id, run, decide_chunk(rows, {}, batch_id, reference, params))
            continue
        worker.send(rows, carry=bool(sent))
        sent.append(part)
        if len(sent) == 2:
            worker = _receive_or_decide_here(worker, store, batch_id, reference, params, run, sent)
    if worker is not None and sent:
        _receive_or_decide_here(worker, store, batch_id, reference, params, run, sent)


def _receive_or_decide_here(worker, store, batch_id, reference, params, run, sent: list):
    """Store the oldest chunk the worker had; the worker to go on with, or None once it has gone."""
    try:
        _store_chunk(store, batch_id, run, worker.receive())
        sent.pop(0)
        return worker
    except WorkerGone:
        worker.close()
        for part in sent:  # what the ledger holds now is all that came before: no carry
            _store_chunk(store, batch_id, run, decide_chunk(_gather(store, part), {}, batch_id, reference, params))
        sent.clear()
        return None
