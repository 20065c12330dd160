"""The decision stage of a batch: which return lines to decide, in which order, with which inputs.

Lines come up when their return, claim or receipts were read in this batch. A line with no decision
yet is decided; a PENDING one is decided again when its claim or receipts changed; any line is decided
again when its return was changed (CEB213 appType 2); a withdrawn return releases what it held. A
line whose inputs have not changed keeps its decision and is reported again as it stands, so a rerun
of the same inbox writes the same decisions and holds nothing twice. An EXEMPT or REJECTED line whose
claim changed keeps its decision and is not reported; the log says so. Lines decided again release
their quantity first; then all are decided in order of return date, coElNo, gnum, each seeing the
quantity held by the ones before it.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
import traceback
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from .law.decide import Held, Params, decide
from .ledger.decisions import (DecisionStore, build_claims, build_exports, build_held, build_receipt_hashes,
                               build_returns, decision_row)
from .readers.ahead import WorkerFailed, WorkerGone, _orphan_watch

PENDING = "PENDING"
REJECTED = "REJECTED"
ZERO = Decimal(0)
DECIDE_CHUNK = 500  # lines decided per round of look-ups


@dataclass
class DecisionRun:
    decided: int = 0  # made in this batch
    reported_again: int = 0  # unchanged, reported again
    withdrawn: int = 0  # lines released by a withdrawn or changed return
    calendar_notes: set = field(default_factory=set)
    final_with_new_data: list = field(default_factory=list)  # EXEMPT/REJECTED lines whose claim or receipts
    # changed: only PENDING lines are decided again (CONTRACT.md 6), so these keep their decision


def fingerprint(return_hash: str, claim_hash: str | None, receipts: list) -> str:
    text = "|".join([return_hash, claim_hash or "-", *receipts])
    return hashlib.sha256(text.encode()).hexdigest()


def decide_batch(ledger, batch_id: str, reference, params: Params, worker: "DecideWorker | None" = None
                 ) -> DecisionRun:
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
    """Which touched lines to decide (queued), to report again as they stand, or to release. Lines decided
    again release what they held now, before any line is decided, so every line sees only what the lines
    before it hold."""
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
            fp = fingerprint(ret["content_hash"], claim_hash, receipts.get(co, []))
            gnums = {ln.gnum for ln in ret["lines"]}
            dropped = [g for (c, g) in current if c == co and g not in gnums]
            if dropped:
                run.withdrawn += store.withdraw(co, dropped)
            for line in ret["lines"]:
                prev = current.get((co, line.gnum))
                if prev is None or (prev["fingerprint"] != fp and (prev["decision"] == PENDING or
                                                                    prev["return_hash"] != ret["content_hash"])):
                    return_date = claim.return_date if claim is not None else line.app_time.date()
                    todo.append((return_date, co, line.gnum, prev["version"] if prev else 0))
                    if prev is not None:
                        release.append(prev)
                elif prev["fingerprint"] == fp:
                    again.append((co, line.gnum, prev["version"]))  # same inputs: reported again as it stands
                else:
                    run.final_with_new_data.append((co, line.gnum, prev["decision"]))
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
    invts = list(dict.fromkeys(h[1] for h in heads))
    return ChunkRows(part, (heads, lines), store.fetch_claims(cos), store.fetch_receipts(cos),
                     store.fetch_exports(invts), store.fetch_held(invts))


def decide_chunk(rows: ChunkRows, carry: dict, batch_id: str, reference, params: Params) -> tuple:
    """Decide one chunk of lines, in order, each seeing what the lines before it hold: the ledger's
    figure (rows.held), `carry` (what the previous chunk added, when it was not yet stored as the
    ledger was read) and what this chunk's earlier lines added. Pure: no I/O.

    Returns (decision rows, (coElNo, gnum, version) made, calendar notes, what this chunk added)."""
    returns = build_returns(*rows.returns)
    claims = build_claims(*rows.claims)
    receipts = build_receipt_hashes(rows.receipts)
    lines = {(co, ln.gnum): ln for co, ret in returns.items() for ln in ret["lines"]}
    keys = {(ln.invt_no, ln.gnum) for ln in lines.values()}
    exports = build_exports(rows.exports, keys)
    before = build_held(rows.held, keys)
    added: dict = {}  # by the lines of this chunk decided so far
    out, made, notes = [], [], set()
    for _rd, co, gnum, prev_version in rows.part:
        ret = returns[co]
        claim, claim_hash = claims.get(co, (None, None))
        fp = fingerprint(ret["content_hash"], claim_hash, receipts.get(co, []))
        line = lines[(co, gnum)]
        key = (line.invt_no, line.gnum)
        q, q1 = before.get(key, (ZERO, ZERO))
        if key in carry:
            cq, cq1 = carry[key]
            q, q1 = q + cq, q1 + cq1
        aq, aq1 = added.get(key, (ZERO, ZERO))
        d = decide(exports.get(key), Held(q + aq, q1 + aq1), line, claim, reference, params)
        if d.decision != REJECTED:
            added[key] = (aq + line.qty, aq1 + line.qty1)
        if d.calendar_note:
            notes.add(d.calendar_note)
        out.append(decision_row(d, batch_id, fp, ret["content_hash"], claim, prev_version + 1))
        made.append((co, gnum, prev_version + 1))
    return out, made, notes, added


def _store_chunk(store: DecisionStore, batch_id: str, run: DecisionRun, decided: tuple) -> None:
    rows, made, notes = decided[:3]
    store.insert(rows)
    store.reported(batch_id, made)
    run.calendar_notes |= notes


def _decide_queued(store: DecisionStore, batch_id: str, reference, params: Params, run: DecisionRun,
                   worker: "DecideWorker | None") -> None:
    """Every queued line in order (return date, coElNo, gnum), seeing what the lines before it hold, in this
    batch or earlier ones.

    With a worker, this process reads chunk k+1 from the ledger and stores chunk k while the worker
    decides: the worker adds what chunk k added to chunk k+1's held figures (the ledger did not have
    them yet), so every line sees exactly what it would in the serial order. Should the worker die,
    the chunks it had are read again and decided here. The worker is forked when the batch starts,
    before the readers and while this process is small (batch.py)."""
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


def _decide_work(inbox, results, parent: int, batch_id: str, reference, params: Params) -> None:
    threading.Thread(target=_orphan_watch, args=(parent,), daemon=True).start()
    carry: dict = {}
    while (job := inbox.get()) is not None:
        rows, use_carry = job
        try:
            decided = decide_chunk(rows, carry if use_carry else {}, batch_id, reference, params)
        except BaseException as err:  # noqa: BLE001 - named to the batch, which fails as a serial run would
            results.send(("failed", (type(err).__name__, str(err), traceback.format_exc())))
            break
        carry = decided[3]
        results.send(("decided", decided[:3]))
    results.close()


class DecideWorker:
    """A forked process that builds the facts and decides chunks sent to it, in order (decide_chunk).

    Chunks go to it through a queue (this process must not wait while the worker sends a result back);
    results come back through a pipe whose only writer is the worker, so a worker that dies, even half-way
    through a result, reads as the end of the pipe rather than a wait for ever."""

    def __init__(self, batch_id: str, reference, params: Params):
        context = multiprocessing.get_context("fork")  # reference data and the law come along; no ledger use
        self._inbox = context.Queue()  # at most two chunks are ever outstanding (_decide_queued)
        self._results, writer = context.Pipe(duplex=False)
        self._proc = context.Process(target=_decide_work, args=(self._inbox, writer, os.getpid(), batch_id,
                                                                reference, params), daemon=True)
        self._proc.start()
        writer.close()  # the worker's copy is the only one left
        self._closed = False

    def send(self, rows: ChunkRows, carry: bool) -> None:
        self._inbox.put((rows, carry))

    def receive(self) -> tuple:
        while not self._results.poll(1.0):
            if not self._proc.is_alive() and not self._results.poll(0):
                raise WorkerGone()
        try:
            what, payload = self._results.recv()
        except (EOFError, OSError):
            raise WorkerGone() from None
        if what == "failed":
            raise WorkerFailed(*payload)  # the batch fails as a serial run would
        return payload

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join()
        self._inbox.cancel_join_thread()  # a chunk still on its way to a worker that has ended is worth nothing
        self._inbox.close()
        self._results.close()
