"""The unit of decision: an export item and the return lines that name it, decided in order.

Lines of one export item interact only through the quantity they hold (CONTRACT.md 6, "Quantity
held"); lines of different items never do. So a batch, or any engine that groups lines by (invtNo,
gnum), decides each group with `decide_item`: the lines in contract order, each seeing what the other
holding lines hold — those outside the group (`held`) and the earlier ones of the group that hold.
"""
from __future__ import annotations

from typing import Iterable

from .decide import contract_order, decide
from .facts import Decision, ExportFacts, Held, Params


def decide_item(export: ExportFacts | None, held: Held, lines: Iterable[tuple], reference,
                params: Params = Params()) -> list[Decision]:
    """Decide the (line, claim) pairs of one export item, in contract order; `held` is what lines outside
    this group hold now. Returns the decisions in the order they were made."""
    out = []
    for line, claim in sorted(lines, key=lambda pair: contract_order(*pair)):
        d = decide(export, held, line, claim, reference, params)
        if d.holds:
            held = held.plus(line.qty, line.qty1)
        out.append(d)
    return out


def held_after(decisions: Iterable[Decision]) -> dict:
    """(invtNo, gnum) -> Held: what these decisions hold, for whoever decides the next lines of the items."""
    out: dict = {}
    for d in decisions:
        if d.holds:
            out[(d.invt_no, d.gnum)] = out.get((d.invt_no, d.gnum), Held()).plus(d.qty, d.qty1)
    return out
