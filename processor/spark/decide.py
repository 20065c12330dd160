"""The decide stage on Spark, as stages/decide.py does it on one machine and with the same functions: which lines
come up (law/redecide.py: classify_return, per touched return), then every queued line decided with the lines
of its export item by stages/decide.decide_chunk (law/item.py decide_item), the items hash-partitioned by
(invtNo, gnum) and each partition's items taken in order, a chunk of whole items at a time: the equivalent of
groupBy(invtNo, gnum).applyInPandas without a pandas frame per item. Spark only gathers each item's facts
(the same rows the embedded ledger fetches) and stores the rows the law returns.
"""
from __future__ import annotations

import pickle

from ..law.redecide import dropped, inputs_fingerprint, why_decide
from ..ledger.decisions import RETURN_HEAD, as_tuple, previous_of
from ..ledger.tables import CLAIM_ITEMS, CLAIMS, DECISIONS, EXPORT_FACTS, LINE_FACTS
from ..law.redecide import WITHDRAWN, export_state
from ..stages.decide import DECIDE_CHUNK, ChunkRows, decide_chunk
from .frames import arrow_of, batches_of

GATHER = {"invt_no": "str", "gnum": "int", "tag": "str", "co": "str", "payload": "bin"}
RESULT = {"tag": "str", "co": "str", "gnum": "int", "invt_no": "str", "waits": "int", "payload": "bin"}
QTY = "QTY_EXCEEDS_EXPORT"


def _res(tag, **kw) -> dict:
    r = dict.fromkeys(RESULT)
    r.update(tag=tag, **kw)
    return r


# -- which lines come up ------------------------------------------------------------------------------
def classify_return(co: str, head: dict | None, lines: list, claim_hash, receipts: list, latest: list, state: str,
                    batch_id: str, reference_hash: str, reassess: bool = False):
    """As stages/decide.py _classify for one return: RESULT rows: `queue` (a line to decide), `withdrawn`
    (a withdrawal version), `superseded` and `reported` keys, `released` / `maybe` export items."""
    if head is None:
        return
    current = {}
    for row in latest:
        d = dict(zip((*DECISIONS.columns, "reference_hash"), row))
        current[d["gnum"]] = d
    if head["withdrawn"]:
        yield from _withdraw(co, current, batch_id, f"withdrawn: {head['withdrawn']}", None)
        return
    in_force = [g for g, d in current.items() if d["status"] == "current"]
    gone = dropped(in_force, [ln["gnum"] for ln in lines])
    if gone:
        yield from _withdraw(co, current, batch_id, "withdrawn: the line was dropped by a CEB213 change", set(gone))
    for ln in sorted(lines, key=lambda x: x["gnum"]):
        d = current.get(ln["gnum"])
        prev = previous_of(d) if d is not None else None
        fp = None if prev is None else inputs_fingerprint(head["content_hash"], claim_hash, sorted(receipts), state)
        why = why_decide(prev, fp, reference_hash, reassess)
        if why is None:
            continue
        yield _res("queue", co=co, gnum=ln["gnum"], invt_no=ln["invt_no"], waits=0, payload=pickle.dumps(why))
        if prev is not None and prev.holds:
            if prev.invt_no not in (None, ln["invt_no"]):
                yield _res("released", invt_no=prev.invt_no, gnum=ln["gnum"])
            yield _res("maybe", invt_no=ln["invt_no"], gnum=ln["gnum"])


def _withdraw(co, current: dict, batch_id: str, why: str, gnums):
    """As DecisionStore.withdraw: each line in force gets a `withdrawn` version repeating its decision."""
    for gnum, d in sorted(current.items()):
        if d["status"] != "current" or (gnums is not None and gnum not in gnums):
            continue
        d = {c: d[c] for c in DECISIONS.columns}
        yield _res("superseded", co=co, gnum=gnum, payload=pickle.dumps(as_tuple({**d, "status": "superseded"})))
        if d["decision"] != "REJECTED":
            yield _res("released", invt_no=d["invt_no"], gnum=gnum)
        reported = d["reported_in"] is not None
        d.update(version=d["version"] + 1, batch_id=batch_id, status="withdrawn", cause=why,
                 change=WITHDRAWN if reported else None, supersedes=d["reported_in"] if reported else None,
                 reported_in=batch_id if reported else None)
        yield _res("withdrawn", co=co, gnum=gnum, invt_no=d["invt_no"], payload=pickle.dumps(as_tuple(d)))
        if reported:
            yield _res("reported", co=co, gnum=gnum, waits=d["version"])


def classify_rows(batch_id: str, reference_hash: str):
    """mapInArrow over the touched returns gathered one per row -> RESULT rows."""
    def rows(batches):
        for b in batches:
            for r in b.to_pylist():
                head = {"content_hash": r["content_hash"], "withdrawn": r["withdrawn"]} if r["content_hash"] else None
                latest = [pickle.loads(p) for p in (r["latest"] or [])]
                state = export_state(r["l_hash"], r["l_invt"], r["l_void"])
                yield from classify_return(r["co_el_no"], head, r["lines"] or [], r["claim_hash"],
                                           r["receipts"] or [], latest, state, batch_id, reference_hash)
    return lambda batches: batches_of(rows(batches), arrow_of(RESULT))


# -- deciding, an export item at a time ---------------------------------------------------------------
def decide_rows(batch_id: str, reference, params):
    """mapInArrow over GATHER rows sorted by (invtNo, gnum): whole items, a chunk of about DECIDE_CHUNK lines at a
    time, decided by decide_chunk; RESULT rows: `decision`, `superseded`, `reported`, `stats`."""
    schema = arrow_of(RESULT)

    def run(batches):
        buf: dict = _empty()
        key = None
        for b in batches:
            for r in b.to_pylist():
                k = (r["invt_no"], r["gnum"])
                if k != key and len(buf["part"]) >= DECIDE_CHUNK:
                    yield from batches_of(_decide(buf, batch_id, reference, params), schema)
                    buf = _empty()
                key = k
                buf[r["tag"]][pickle.loads(r["payload"])] = None  # ordered, each row once
        if buf["part"]:
            yield from batches_of(_decide(buf, batch_id, reference, params), schema)
    return run


TAGS = ("part", "head", "line", "claim", "citem", "receipt", "export", "state", "holder", "prev")


def _empty() -> dict:
    return {t: {} for t in TAGS}


def _decide(buf: dict, batch_id: str, reference, params):
    part = sorted(buf["part"], key=lambda q: (q[0], q[1], q[2]))
    rows = ChunkRows(part, (list(buf["head"]), list(buf["line"])), (list(buf["claim"]), list(buf["citem"])),
                     list(buf["receipt"]), list(buf["export"]), list(buf["state"]), list(buf["holder"]),
                     list(buf["prev"]))
    previous = {(p[0], p[1]): p for p in buf["prev"]}
    out = decide_chunk(rows, batch_id, reference, params)
    for row in out.rows:
        yield _res("decision", co=row[0], gnum=row[1], payload=pickle.dumps(row))
    for co, gnum, version in out.superseded:
        p = previous[(co, gnum)]
        d = dict(zip(DECISIONS.columns, p))
        yield _res("superseded", co=co, gnum=gnum, payload=pickle.dumps(as_tuple({**d, "status": "superseded"})))
    for co, gnum, version in out.reported:
        yield _res("reported", co=co, gnum=gnum, waits=version)
    yield _res("stats", payload=pickle.dumps((out.counts, out.notes, out.estimated)))


def gather_frame(tables, queue):
    """GATHER rows for the queued lines (invt_no, gnum, co_el_no, waits, cause): what decide_chunk needs of each
    export item, keyed by the item (a return's rows repeat under each of its items queued)."""
    from pyspark.sql import functions as F

    def pack(df, tag, cols, co="co_el_no"):
        return df.select("invt_no", "gnum", F.lit(tag).alias("tag"), F.col(co).alias("co"),
                         F.struct(*cols).alias("_p"))

    q = queue.select("invt_no", "gnum", "co_el_no").distinct()
    qc = q.select(F.col("invt_no"), F.col("gnum"), F.col("co_el_no"))
    apps = tables.in_force("return_apps")
    lines_all = apps.join(tables.in_force("return_lines").drop("lake_seq", "lake_rev"), ["co_el_no"]) \
        .where(F.col("head_hash") == apps["content_hash"])
    claims = tables.in_force("claims")
    citems = claims.select("co_el_no", F.col("content_hash").alias("_h")).join(
        tables.in_force("claim_items"), "co_el_no").where(F.col("head_hash") == F.col("_h"))
    lists = tables.in_force("export_lists").where(F.col("invt_no").isNotNull())
    items = lists.select("list_key", F.col("content_hash").alias("_h"), *[F.col(c.split(".")[1]).alias("l_" + c[2:])
                                                                          for c in EXPORT_FACTS if c[0] == "l"]) \
        .join(tables.in_force("export_items"), "list_key").where(F.col("head_hash") == F.col("_h"))
    decisions = tables.in_force("decisions")
    latest = _latest(decisions)
    batches = tables.batches_frame()
    latest_ref = latest.join(batches, "batch_id", "left")
    holders = latest.where("status = 'current' AND decision IN ('EXEMPT', 'PENDING')")
    moved = queue.select(F.col("co_el_no").alias("m_co"), F.col("gnum").alias("m_g"), F.col("invt_no").alias("m_i"))
    holders = holders.join(moved, (F.col("co_el_no") == F.col("m_co")) & (F.col("gnum") == F.col("m_g"))
                           & (F.col("invt_no") != F.col("m_i")), "left_anti")
    per_co = qc.select("invt_no", "gnum", F.col("co_el_no").alias("q_co"))
    qkeys = q.select("invt_no", "gnum").distinct()
    parts = [
        pack(queue, "part", ["invt_no", "gnum", "co_el_no", "waits", "cause"]),
        pack(per_co.join(apps, F.col("q_co") == apps["co_el_no"]).drop(apps["invt_no"]), "head",
             list(RETURN_HEAD)),
        pack(per_co.join(lines_all.select(*[F.col(c.split(".")[1]).alias("f_" + c.split(".")[1]) for c in LINE_FACTS]),
                         (F.col("q_co") == F.col("f_co_el_no")) & (F.col("gnum") == F.col("f_gnum"))),
             "line", ["f_" + c.split(".")[1] for c in LINE_FACTS], co="q_co"),
    ]
    claim_rows = per_co.join(claims.withColumnRenamed("invt_no", "c_invt_no"), F.col("q_co") == F.col("co_el_no"))
    parts.append(claim_rows.select("invt_no", "gnum", F.lit("claim").alias("tag"), F.col("co_el_no").alias("co"),
                                   F.struct(*[F.col("c_invt_no" if c == "invt_no" else c) for c in CLAIMS.columns])
                                   .alias("_p")))
    ci = per_co.join(citems.withColumnRenamed("gnum", "ci_gnum"), F.col("q_co") == F.col("co_el_no"))
    parts.append(ci.select("invt_no", "gnum", F.lit("citem").alias("tag"), F.col("co_el_no").alias("co"),
                           F.struct(*[F.col("ci_gnum" if c == "gnum" else c) for c in CLAIM_ITEMS.columns])
                           .alias("_p")))
    rr = per_co.join(tables.all_rows("return_receipts").select(F.col("co_el_no").alias("r_co"),
                                                               F.col("content_hash").alias("r_h")),
                     F.col("q_co") == F.col("r_co"))
    parts.append(rr.select("invt_no", "gnum", F.lit("receipt").alias("tag"), F.col("r_co").alias("co"),
                           F.struct("r_co", "r_h").alias("_p")))
    ex = qkeys.join(items.withColumnRenamed("gnum", "i_gnum"), (F.col("invt_no") == F.col("l_invt_no"))
                    & (F.col("gnum") == F.col("i_gnum")))
    parts.append(ex.select("invt_no", "gnum", F.lit("export").alias("tag"), F.lit(None).cast("string").alias("co"),
                           F.struct(*[F.col("l_" + c[2:]) if c[0] == "l" else
                                      F.col("i_gnum" if c == "i.gnum" else c[2:]) for c in EXPORT_FACTS]).alias("_p")))
    st = qkeys.join(lists.select(F.col("invt_no").alias("s_invt"), F.col("content_hash").alias("s_h"),
                                 F.col("void_reason").alias("s_v")), F.col("invt_no") == F.col("s_invt"))
    parts.append(st.select("invt_no", "gnum", F.lit("state").alias("tag"), F.lit(None).cast("string").alias("co"),
                           F.struct("s_invt", "s_h", "s_v").alias("_p")))
    ho = qkeys.join(holders.select(F.col("co_el_no").alias("h_co"), F.col("invt_no").alias("h_invt"),
                                   F.col("gnum").alias("h_g"), "qty", "qty1"),
                    (F.col("invt_no") == F.col("h_invt")) & (F.col("gnum") == F.col("h_g")))
    parts.append(ho.select("invt_no", "gnum", F.lit("holder").alias("tag"), F.col("h_co").alias("co"),
                           F.struct("h_co", "h_invt", "h_g", "qty", "qty1").alias("_p")))
    pv = qc.join(latest_ref.select(*[F.col(c).alias("p_" + c) for c in (*DECISIONS.columns, "reference_hash")]),
                 (F.col("co_el_no") == F.col("p_co_el_no")) & (F.col("gnum") == F.col("p_gnum")))
    parts.append(pv.select("invt_no", "gnum", F.lit("prev").alias("tag"), F.col("co_el_no").alias("co"),
                           F.struct(*[F.col("p_" + c) for c in (*DECISIONS.columns, "reference_hash")]).alias("_p")))
    return parts


def _latest(decisions):
    """Each line's latest decision version (current or withdrawn)."""
    return decisions.where("status IN ('current', 'withdrawn')")


def pack_rows(tag_transform=None):
    """mapInArrow: (invt_no, gnum, tag, co, _p struct) -> GATHER rows with the struct pickled as a tuple; the
    state struct becomes (invtNo, export_state)."""
    schema = arrow_of(GATHER)

    def run(batches):
        for b in batches:
            out = []
            for r in b.to_pylist():
                p = tuple(r["_p"].values())
                if r["tag"] == "state":
                    p = (p[0], export_state(p[1], p[0], p[2]))
                elif r["tag"] == "holder":
                    p = (p[0], p[1], p[2], p[3], p[4])
                out.append({"invt_no": r["invt_no"], "gnum": r["gnum"], "tag": r["tag"], "co": r["co"],
                            "payload": pickle.dumps(p)})
            yield from batches_of(out, schema)
    return run


