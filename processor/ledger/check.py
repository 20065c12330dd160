"""`processor check`: the ledger's storage checked thoroughly, and the invariants its decisions must keep.

A batch runs the backend's quick check before it writes (Ledger.check_storage); this is the slow, thorough
one, for a broker to run weekly or after a scare: SQLite's integrity_check, then what no storage check sees:
quantities held within what was exported (in the archive too: each archived list with its lines' decisions), and
every revision in force pointing at a batch that reported its line, and the rows kept for each record table
(summary.json's ledger_totals) as many as the table has.
"""
from __future__ import annotations

from decimal import Decimal

from .archive import archived_documents, archived_items, has_archive
from .bookkeeping import ROWS

HOLDING = ("EXEMPT", "PENDING")  # decisions that hold their quantity against the export item (CONTRACT.md 6)


def storage_problems(ledger) -> list[str]:
    if ledger.dialect.full_check is None:
        return []
    found = [" ".join(str(r[0]).split()) for r in ledger.query(ledger.dialect.full_check)]
    return [] if found == ["ok"] else [f"storage: {f}" for f in found]


def held_beyond_export(ledger, limit: int = 100) -> list[str]:
    """Export items whose lines in force hold more than was exported (qty or qty1)."""
    out = []
    sums: dict = {}
    exported: dict = {}
    for invt, gnum, qty, qty1, eq, eq1 in ledger.stream(
            "SELECT d.invt_no, d.gnum, d.qty, d.qty1, i.qty, i.qty1 FROM decisions d "
            "JOIN export_lists l ON l.invt_no = d.invt_no JOIN export_items i ON i.list_key = l.list_key "
            "AND i.gnum = d.gnum WHERE d.status = 'current' AND d.decision IN ('EXEMPT', 'PENDING')"):
        held = sums.setdefault((invt, gnum), [Decimal(0), Decimal(0)])
        held[0] += Decimal(qty)
        held[1] += Decimal(qty1)
        exported[(invt, gnum)] = (Decimal(eq), Decimal(eq1))
    if has_archive(ledger):  # lines holding on archived export lists: their items read where they are
        archived = set()
        for invt, gnum, qty, qty1 in ledger.stream(
                "SELECT d.invt_no, d.gnum, d.qty, d.qty1 FROM decisions d WHERE d.status = 'current' AND d.decision "
                "IN ('EXEMPT', 'PENDING') AND EXISTS (SELECT 1 FROM archived_lists a WHERE a.invt_no = d.invt_no)"):
            held = sums.setdefault((invt, gnum), [Decimal(0), Decimal(0)])
            held[0] += Decimal(qty)
            held[1] += Decimal(qty1)
            archived.add(invt)
        for key, item in archived_items(ledger, archived).items():
            exported[key] = (Decimal(item["qty"]), Decimal(item["qty1"]))
    _beyond(sums, exported, out, limit)
    for doc in archived_documents(ledger):  # an archived list with the decisions of its returns' lines
        if len(out) >= limit:
            break
        invt = doc["export_lists"][0]["invt_no"]
        sums, exported = {}, {(invt, i["gnum"]): (Decimal(i["qty"]), Decimal(i["qty1"]))
                              for i in doc.get("export_items", ())}
        for d in doc.get("decisions", ()):
            if d["status"] == "current" and d["decision"] in HOLDING and d["invt_no"] == invt:
                held = sums.setdefault((invt, d["gnum"]), [Decimal(0), Decimal(0)])
                held[0] += Decimal(d["qty"])
                held[1] += Decimal(d["qty1"])
        _beyond(sums, exported, out, limit)
    return out


def _beyond(sums: dict, exported: dict, out: list, limit: int) -> None:
    """Into `out`, the export items of `exported` ((invtNo, gnum) -> qty, qty1) whose `sums` held exceed them."""
    for key, (q, q1) in sorted(sums.items()):
        if key not in exported or len(out) >= limit:
            continue
        eq, eq1 = exported[key]
        if q > eq or q1 > eq1:
            out.append(f"export item invtNo {key[0]} gnum {key[1]}: lines in force hold {q} ({q1}) of {eq} ({eq1}) "
                       "exported")


def revisions_unanchored(ledger, limit: int = 100) -> list[str]:
    """REVISED and WITHDRAWN versions whose `supersedes` names no batch that reported that line."""
    rows = ledger.query(
        "SELECT d.co_el_no, d.gnum, d.version, d.supersedes FROM decisions d WHERE d.supersedes IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM batch_decisions b WHERE b.batch_id = d.supersedes "
        f"AND b.co_el_no = d.co_el_no AND b.gnum = d.gnum) ORDER BY d.co_el_no, d.gnum, d.version LIMIT {int(limit)}")
    return [f"return {co} gnum {gnum} version {v}: supersedes batch {b}, which never reported that line"
            for co, gnum, v, b in rows]


def counts_astray(ledger) -> list[str]:
    """Record tables whose rows kept in ledger_meta (Bookkeeping.counted) are not the rows they have."""
    return [f"ledger_meta {ROWS}{table}: {kept} rows kept, the table has {n}"
            for table, kept in ledger.rows_kept().items() if (n := ledger.count(table)) != kept]


def check(ledger) -> list[str]:
    """Every problem found, storage first (the invariants are not looked at in a damaged ledger)."""
    problems = storage_problems(ledger)
    if problems:
        return problems
    return held_beyond_export(ledger) + revisions_unanchored(ledger) + counts_astray(ledger)
