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

from .law.decide import Params, decide
from .ledger.decisions import DecisionStore

PENDING = "PENDING"


@dataclass
class DecisionRun:
    rows: list = field(default_factory=list)  # decision rows reported by this batch, in report order
    decided: int = 0  # made in this batch
    reported_again: int = 0  # unchanged, reported again
    withdrawn: int = 0  # lines released by a withdrawn or changed return
    calendar_notes: set = field(default_factory=set)
    final_with_new_data: list = field(default_factory=list)  # EXEMPT/REJECTED lines whose claim or receipts
    # changed: only PENDING lines are decided again (CONTRACT.md 6), so these keep their decision


def fingerprint(return_hash: str, claim_hash: str | None, receipts: list) -> str:
    text = "|".join([return_hash, claim_hash or "-", *receipts])
    return hashlib.sha256(text.encode()).hexdigest()


def decide_batch(ledger, batch_id: str, touched: set, reference, params: Params) -> DecisionRun:
    store = DecisionStore(ledger)
    run = DecisionRun()
    returns = store.returns(touched)
    claims = store.claims(returns)
    receipts = store.receipt_hashes(returns)
    current = store.current(returns)
    todo, again = [], []
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
                todo.append((return_date, co, line.gnum, line, claim, fp, ret["content_hash"], prev))
            elif prev["fingerprint"] == fp:
                again.append(prev)  # the same inputs as when it was decided: reported again as it stands
            else:
                run.final_with_new_data.append((co, line.gnum, prev["decision"]))
    # Lines decided again release what they held first; then every line is taken in order, seeing only
    # what the lines before it (in this batch or earlier ones) hold.
    store.release([prev for *_, prev in todo if prev is not None])
    todo.sort(key=lambda t: (t[0], t[1], t[2]))
    for _rd, co, _g, line, claim, fp, rhash, prev in todo:
        export = store.export(line.invt_no, line.gnum)
        held = store.held(line.invt_no, line.gnum, co)
        d = decide(export, held, line, claim, reference, params)
        if d.calendar_note:
            run.calendar_notes.add(d.calendar_note)
        run.rows.append(store.store(d, batch_id, fp, rhash, claim, prev))
        run.decided += 1
    run.rows.extend(again)
    run.reported_again = len(again)
    run.rows.sort(key=lambda r: (r["return_date"], r["co_el_no"], r["gnum"]))
    store.reported(batch_id, run.rows)
    return run
