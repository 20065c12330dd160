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
from dataclasses import dataclass, field

from decimal import Decimal

from .law.decide import Held, Params, decide
from .ledger.decisions import DecisionStore

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


def decide_batch(ledger, batch_id: str, reference, params: Params) -> DecisionRun:
    """Decide the lines of the returns this batch read. Memory holds one chunk of lines at a time: the
    lines to decide wait in a queue in the ledger, and their data is read again in decision order."""
    store = DecisionStore(ledger)
    run = DecisionRun()
    store.queue_open()
    _classify(store, ledger, batch_id, run)
    _decide_queued(store, batch_id, reference, params, run)
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


def _decide_queued(store: DecisionStore, batch_id: str, reference, params: Params, run: DecisionRun) -> None:
    """Every queued line in order (return date, coElNo, gnum), seeing what the lines before it hold, in this
    batch or earlier ones."""
    for part in store.queue(DECIDE_CHUNK):
        cos = {co for _rd, co, _g, _v in part}
        returns = store.returns(cos)
        claims = store.claims(cos)
        receipts = store.receipt_hashes(cos)
        lines = {(co, ln.gnum): ln for co, ret in returns.items() for ln in ret["lines"]}
        keys = {(ln.invt_no, ln.gnum) for ln in lines.values()}
        exports = store.exports(keys)
        before = store.held(keys)  # by every line decided before this chunk, in earlier batches or this one
        added: dict = {}  # by the lines of this chunk decided so far
        rows, made = [], []
        for _rd, co, gnum, prev_version in part:
            ret = returns[co]
            claim, claim_hash = claims.get(co, (None, None))
            fp = fingerprint(ret["content_hash"], claim_hash, receipts.get(co, []))
            line = lines[(co, gnum)]
            key = (line.invt_no, line.gnum)
            q, q1 = before.get(key, (ZERO, ZERO))
            aq, aq1 = added.get(key, (ZERO, ZERO))
            d = decide(exports.get(key), Held(q + aq, q1 + aq1), line, claim, reference, params)
            if d.decision != REJECTED:
                added[key] = (aq + line.qty, aq1 + line.qty1)
            if d.calendar_note:
                run.calendar_notes.add(d.calendar_note)
            rows.append(store.row(d, batch_id, fp, ret["content_hash"], claim, prev_version + 1))
            made.append((co, gnum, prev_version + 1))
        store.insert(rows)
        store.reported(batch_id, made)
