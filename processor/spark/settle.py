"""Settling a night on the lake, as ledger/settle.py does in SQL: CEB604 receipts number the lists waiting for an
invtNo, cancellations, refusals and deletes void lists, deletes and refusals withdraw returns. What holds is
the law's (law/versions.py); Spark only gathers each list's and return's facts and keeps the rows that change,
as a new rev of the batch. Returns the warnings (few: collected) and the invtNo of the lists whose state changed.
"""
from __future__ import annotations

from ..law.versions import REFUSED, invt_no_from_receipts, list_void_reason, return_withdrawal
from ..ledger.settle import number, waiting_problems
from .frames import arrow_schema, batches_of, spark_schema


def _apply(df, table: str, change):
    """mapInArrow: each row through `change(row) -> row | None`; the rows changed, in the table's schema."""
    schema = arrow_schema(table)

    def run(batches):
        for b in batches:
            yield from batches_of((out for r in b.to_pylist() if (out := change(r)) is not None), schema)
    return df.mapInArrow(run, spark_schema(table))


def settle(tables) -> tuple[list, list]:
    from pyspark.sql import functions as F

    b, seq = tables.batch_id, tables.seq
    problems = []
    # -- numbering ---------------------------------------------------------------------------------
    lists = tables.in_force("export_lists")
    receipts = tables.all_rows("list_receipts")
    waiting = (lists.where(F.col("invt_no").isNull()).select("list_key")
               .join(receipts.where("invt_no <> ''").select("list_key", "invt_no", "return_time"), "list_key"))
    wanted = dict(sorted((r["list_key"], invt_no_from_receipts([(t, i) for t, i in r["pairs"]])) for r in
                         waiting.groupBy("list_key").agg(F.collect_list(F.struct("return_time", "invt_no"))
                                                         .alias("pairs")).collect()))
    touched: list = []
    if wanted:
        taken = {r["invt_no"]: r["list_key"] for r in lists.where(F.col("invt_no").isin(list(wanted.values())))
                 .select("invt_no", "list_key").collect()}
        fills, problems = number(wanted, taken)
        rev = tables.next_rev()
        filled = tables.spark.createDataFrame(list(fills.items()), "list_key string, new_invt string")
        rows = (lists.join(filled, "list_key").withColumn("invt_no", F.col("new_invt"))
                .withColumn("invt_batch_id", F.lit(b)).withColumn("lake_seq", F.lit(seq))
                .withColumn("lake_rev", F.lit(rev)))
        tables.write("export_lists", rows)
        touched.extend(fills.values())
    # -- voiding -------------------------------------------------------------------------------------
    lists = tables.in_force("export_lists")
    cancels = tables.all_rows("list_cancels")
    by_invt = cancels.where("invt_no <> ''").select(F.col("invt_no").alias("c_invt"), F.col("batch_id").alias("c_b"))
    by_key = cancels.where("invt_no = ''").select(F.concat_ws("|", "ebc_code", "cop_no").alias("c_key"),
                                                  F.col("batch_id").alias("c_b"))
    refused = receipts.where(F.col("return_status") == REFUSED).select(F.col("list_key").alias("r_key")).distinct()
    mine = receipts.where(F.col("batch_id") == b).select(F.col("list_key").alias("m_key")).distinct()
    facts = (lists
             .join(by_invt.groupBy("c_invt").agg(F.max(F.col("c_b") == b).alias("c_mine")),
                   F.col("invt_no") == F.col("c_invt"), "left")
             .join(by_key.groupBy("c_key").agg(F.max(F.col("c_b") == b).alias("k_mine")),
                   F.col("list_key") == F.col("c_key"), "left")
             .join(refused, F.col("list_key") == F.col("r_key"), "left")
             .join(mine, F.col("list_key") == F.col("m_key"), "left")
             .where((F.col("batch_id") == b) | (F.col("invt_batch_id") == b) | F.col("c_mine")
                    | F.col("k_mine") | F.col("m_key").isNotNull())
             .withColumn("_cancelled", F.col("c_invt").isNotNull() | F.col("c_key").isNotNull())
             .withColumn("_refused", F.col("r_key").isNotNull()))
    rev = tables.next_rev()

    def void(r):
        reason = list_void_reason(r["app_type"], bool(r["_cancelled"]), bool(r["_refused"]))
        if reason == r["void_reason"]:
            return None
        return {**r, "void_reason": reason, "lake_seq": seq, "lake_rev": rev}
    tables.write("export_lists", _apply(facts, "export_lists", void))
    # read back as written: the plan, run again, would compare with the rows it has just changed
    voided = tables.all_rows("export_lists").where((F.col("lake_seq") == seq) & (F.col("lake_rev") == rev))
    touched.extend(r["invt_no"] for r in voided.select("invt_no").collect() if r["invt_no"])
    # -- returns withdrawn ---------------------------------------------------------------------------
    apps = tables.in_force("return_apps")
    rr = tables.all_rows("return_receipts")
    refused_r = rr.where(F.col("return_status") == REFUSED).select(F.col("co_el_no").alias("x_co")).distinct()
    mine_r = rr.where(F.col("batch_id") == b).select(F.col("co_el_no").alias("y_co")).distinct()
    facts = (apps.join(refused_r, F.col("co_el_no") == F.col("x_co"), "left")
             .join(mine_r, F.col("co_el_no") == F.col("y_co"), "left")
             .where((F.col("batch_id") == b) | F.col("y_co").isNotNull()))
    rev = tables.next_rev()

    def withdraw(r):
        why = return_withdrawal(r["app_type"], r["x_co"] is not None)
        return None if why == r["withdrawn"] else {**r, "withdrawn": why, "lake_seq": seq, "lake_rev": rev}
    tables.write("return_apps", _apply(facts, "return_apps", withdraw))
    return problems + waiting_warnings(tables), touched


def waiting_warnings(tables) -> list:
    """As ledger/settle.py waiting(): what this batch stored that names nothing in the ledger yet, and
    certificates presented for more than one return, each named by its file and line."""
    from pyspark.sql import functions as F

    b = tables.batch_id
    lists = tables.in_force("export_lists")
    journal = tables.all_rows("journal").where(F.col("batch_id") == b)
    files = tables.files  # sha256 -> file name (the batch's)

    def where(kind, hashes):
        rows = journal.where((F.col("kind") == kind) & F.col("content_hash").isin(list(hashes))) \
            .select("content_hash", "file_sha256", "line").collect() if hashes else []
        at = {r["content_hash"]: (files.get(r["file_sha256"], ""), r["line"]) for r in rows}
        return lambda h: at.get(h, ("", None))

    found = tables.all_rows("list_receipts").where(F.col("batch_id") == b).join(
        lists.select("list_key"), "list_key", "left_anti").select("content_hash", "list_key", "invt_no").collect()
    at = where("CEB604", [r[0] for r in found])
    receipts = [(at(h), key, invt) for h, key, invt in found]
    known = lists.select(F.col("invt_no").alias("l_invt"), F.col("list_key").alias("l_key"))
    found = (tables.all_rows("list_cancels").where(F.col("batch_id") == b)
             .join(known, (F.col("invt_no") == F.col("l_invt")) |
                   (F.concat_ws("|", "ebc_code", "cop_no") == F.col("l_key")), "left_anti")
             .select("content_hash", "cop_no", "ebc_code", "invt_no").collect())
    at = where("CEB605", [r[0] for r in found])
    cancels = [(at(h), cop, ebc, invt) for h, cop, ebc, invt in found]
    claims = tables.in_force("claims")
    mine = claims.where(F.col("batch_id") == b)
    found = mine.join(tables.in_force("return_apps").select("co_el_no"), "co_el_no", "left_anti") \
        .select("content_hash", "co_el_no").collect()
    at = where("ReturnClaims", [r[0] for r in found])
    orphans = [(at(h), co) for h, co in sorted(found, key=lambda r: r[1])]
    nos = mine.where("certificate_no IS NOT NULL AND certificate_no <> ''").select("certificate_no").distinct()
    presented = claims.join(nos, "certificate_no").select("certificate_no", "co_el_no")
    shared = presented.groupBy("certificate_no").count().where("count > 1").select("certificate_no")
    # only the certificates presented for more than one return reach the driver, not every claim of the night
    certificates = sorted(tuple(r) for r in presented.join(shared, "certificate_no").collect())
    return waiting_problems(receipts, cancels, orphans, certificates)
