"""The unit of decision: an export item and the return lines that name it, decided in order.

Lines of one export item interact only through the quantity they hold (CONTRACT.md 6, "Quantity
held"); lines of different items never do. So a batch, or any engine that groups lines by (invtNo,
gnum), decides each group with `decide_item`. When a line is decided, what is held is what every *other*
line of the item holds now, whatever its date: the lines outside the group (`held`), and the lines of the
group as they stand at that moment (their earlier decision until they are decided again). Lines are taken
in contract order; should a line decided again stop holding, or hold less, quantity is released, and every
line of the group that is REJECTED with QTY_EXCEEDS_EXPORT (or waits for a release) is decided again, in
order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .decide import contract_order, decide
from .facts import Decision, ExportFacts, Held, Params

QTY = "QTY_EXCEEDS_EXPORT"


@dataclass(frozen=True, slots=True)
class Entry:
    """A line of the group: its facts and claim, what its decision in force holds (None: nothing), and
    whether it is decided only if quantity is released on the item (a QTY_EXCEEDS_EXPORT rejection)."""

    line: object
    claim: object = None
    holds: Held | None = None
    waits_for_release: bool = False


def decide_item(export: ExportFacts | None, held: Held, entries: Iterable, reference,
                params: Params = Params()) -> list[Decision]:
    """Decide the lines of one export item; `held` is what lines outside the group hold now. Entries may
    be Entry or (line, claim) pairs. Returns each decided line's final decision, in contract order; a
    line waiting for a release that none brought is not decided."""
    group = sorted((e if isinstance(e, Entry) else Entry(*e) for e in entries),
                   key=lambda e: contract_order(e.line, e.claim))
    holding = {_key(e): e.holds for e in group}
    final: dict = {}
    released = False

    def run(e: Entry) -> None:
        nonlocal released
        others = held
        for k, h in holding.items():
            if h is not None and k != _key(e):
                others = others.plus(h.qty, h.qty1)
        d = decide(export, others, e.line, e.claim, reference, params)
        now = Held(e.line.qty, e.line.qty1) if d.holds else None
        before = holding[_key(e)]
        if before is not None and (now is None or now.qty < before.qty or now.qty1 < before.qty1):
            released = True  # it holds nothing, or less than before (a CEB213 change lowered its qty)
        holding[_key(e)] = now
        final[_key(e)] = d

    for e in group:
        if not e.waits_for_release:
            run(e)
    if released:
        for e in group:
            d = final.get(_key(e))
            if (d is None and e.waits_for_release) or (d is not None and QTY in d.reasons):
                run(e)
    return [final[_key(e)] for e in group if _key(e) in final]


def _key(e: Entry) -> tuple:
    return (e.line.co_el_no, e.line.gnum)


def held_after(decisions: Iterable[Decision]) -> dict:
    """(invtNo, gnum) -> Held: what these decisions hold."""
    out: dict = {}
    for d in decisions:
        if d.holds:
            out[(d.invt_no, d.gnum)] = out.get((d.invt_no, d.gnum), Held()).plus(d.qty, d.qty1)
    return out
