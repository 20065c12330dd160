"""The nightly batch on Spark (processor run --engine spark): the embedded batch's stages (batch.py) over a lake
(lake/), the data-parallel ones on the executors with the same readers, law and sinks.

intake (on the driver, as embedded), read (a task per file: spark/read.py), store (per ledger key:
spark/store.py), settle (spark/settle.py), decide (per touched return, then per export item: spark/decide.py),
report (the batch's rows streamed in report order to the driver, toLocalIterator, into the same sinks), commit
(the batch's entry in batches/, written last). The batch's rows are written to its own partitions as each stage
ends, visible to its later stages and to nobody else until the commit.
"""
from __future__ import annotations

import json
import pickle
import sys
from datetime import datetime

from .. import __version__, interrupts
from ..batch import CHINA, Batch, BatchResult, Stopwatch, publish_reports
from ..lake import Lake
from ..law.redecide import RELEASED
from ..ledger.decisions import REPORT_EXTRA
from ..ledger.tables import DECISIONS, RECORD_TABLES, REPORTED
from ..problems import ERROR, Notebook
from ..progress import Progress
from ..readers import FILE
from ..sinks import BatchHeader
from ..sinks.files import CsvOut, Staged, write_json
from ..sinks.marker import mark_incomplete
from ..stages.ingest import OUTCOME_COLUMN, RETURN_KINDS, Tally
from ..stages.intake import file_entry, open_inputs
from ..stages.report import QUARANTINE_CSV_COLUMNS, parameters, report_files, settings, summary
from ..sinks import decision_sinks, write_decisions
from .frames import Tables, schema_of, spark_schema
from .settle import settle
from .session import partitions, spark_session
from .views import LakeViews


class SparkBatch:
    """One night on the lake; the same inputs, options and reports as batch.Batch."""

    def __init__(self, inbox, out_dir, lake_url: str, reference, log, params, init: bool = False,
                 master: str = "local[*]"):
        self.inbox, self.out_dir, self.url, self.reference, self.log = inbox, out_dir, lake_url, reference, log
        self.params, self.init, self.master = params, init, master
        self.notebook = Notebook(log)
        self.progress = Progress(log, sys.stderr)
        self.tally = Tally()
        self.inputs: list = []
        self.batch_id = None
        self.committed = self.published = False

    def run(self, started: datetime) -> BatchResult:
        clock = Stopwatch()
        lake = Lake(self.url)
        if self.init:
            lake.create()
        lake.check()
        stage = self.progress.stage("intake", unit="files")
        self.inputs = open_inputs(self.inbox, self.notebook, stage)
        stage.end()
        clock.lap("open_inputs")
        batch_id = self.batch_id = "B" + started.strftime("%Y%m%dT%H%M%S")
        lake.lock(batch_id)
        staged = Staged(self.out_dir)
        spark = None
        try:
            committed = lake.committed()
            n = 1
            while self.batch_id in committed:
                n += 1
                self.batch_id = f"{batch_id}-{n}"
            batch_id = self.batch_id
            swept = lake.sweep(committed)
            if swept:
                self.log.info("uncommitted_partitions_removed", partitions=swept)
            seq = max(committed.values(), default=0) + 1
            mark_incomplete(self.out_dir, started.isoformat(), batch_id,
                            "started and has not finished (if no batch is running now, it was killed)")
            self.log.say(f"batch {batch_id}: {len(self.inputs)} input files (Spark, {self.master})", "batch_started",
                         batch_id=batch_id, inbox=str(self.inbox), ledger=self.url)
            spark = spark_session(self.master)
            clock.lap("spark_session")
            tables = Tables(spark, lake, committed, batch_id, seq)
            entries = lake.entries()
            tables.references = {**{b: e.get("reference_hash") for b, e in entries.items()},
                                batch_id: self.reference.fingerprint}
            self.started_at = {**{b: e.get("started_at") for b, e in entries.items()},
                               batch_id: started.isoformat()}
            tables.files = {f.sha256: f.name for f in self.inputs}
            work = lake.work(batch_id)
            stage = self.progress.stage("ingest", sum(f.size for f in self.inputs), "bytes", len(self.inputs))
            touched_lists, returns = self._ingest(spark, tables, work, clock)
            stage.add(done=sum(f.size for f in self.inputs), files=len(self.inputs),
                      records=sum(c["read"] for c in self.tally.records.values()),
                      items=sum(c["read"] for c in self.tally.items.values()))
            stage.end()
            clock.lap("ingest_write")
            stage = self.progress.stage("settle")
            warnings, more_lists = settle(tables)
            self.notebook.note(warnings)
            stage.end()
            clock.lap("settle")
            stage = self.progress.stage("decide", unit="lines")
            decisions = self._decide(spark, tables, work, touched_lists, more_lists, returns, clock)
            stage.add(done=decisions.decided)
            stage.end()
            clock.lap("decide_write")
            finished = datetime.now(CHINA)
            stage = self.progress.stage("report", unit="rows")
            result = self._report(spark, tables, staged, batch_id, started, finished, decisions, clock)
            stage.add(done=result.summary["decisions"]["lines"])
            stage.end()
            clock.lap("report_summary")
            interrupts.hold()
            _commit(spark, lake, batch_id, seq, started, finished, self.inbox, self.reference.fingerprint,
                    parameters(self.reference, self.params))
            self.committed = True
            publish_reports(self, staged, batch_id, clock)  # peak memory: the driver's Python process
            return result
        except BaseException:
            self.progress.stop()
            staged.discard()
            raise
        finally:
            lake.drop_work(str(self.batch_id))
            lake.unlock()

    # -- read and store ------------------------------------------------------------------------------
    def _ingest(self, spark, tables, work: str, clock):
        from pyspark.sql import functions as F

        from .read import read_night
        from .store import OUT, decode_rows, store_partitions

        night_path = f"{work}/night"
        read_night(spark, self.inputs, partitions(spark)).write.mode("overwrite").parquet(night_path)
        night = spark.read.parquet(night_path)
        clock.lap("ingest_read")
        accounts = {r["idx"]: pickle.loads(r["payload"]) for r in night.where("tag = 'file'")
                    .select("idx", "payload").collect()}
        failed = [i for i, a in accounts.items() if a["failed"]]
        recs = night.where("tag = 'rec'")
        if failed:
            recs = recs.where(~F.col("idx").isin(failed))
        journal = tables.all_rows("journal").select("kind", "content_hash", F.col("batch_id").alias("known"))
        recs = recs.join(journal, ["kind", "content_hash"], "left")
        lists = tables.in_force("export_lists")
        # an invtNo belongs to the list the lake has it under, or to the first list of the night that brings it
        owners = lists.where("invt_no IS NOT NULL").select(F.col("invt_no").alias("o_invt"),
                                                           F.col("list_key").alias("o_key"))
        from pyspark.sql import Window
        firsts = (recs.where("kind = 'CEB603' AND invt_no IS NOT NULL AND known IS NULL")
                  .withColumn("_n", F.row_number().over(Window.partitionBy("invt_no").orderBy("idx", "seq")))
                  .where("_n = 1").select(F.col("invt_no").alias("f_invt"), F.col("key").alias("f_key")))
        recs = (recs.join(owners, (F.col("kind") == "CEB603") & (F.col("invt_no") == F.col("o_invt")), "left")
                .join(firsts, (F.col("kind") == "CEB603") & (F.col("invt_no") == F.col("f_invt")), "left")
                .withColumn("taken_by", F.when(F.col("o_key").isNotNull() & (F.col("o_key") != F.col("key")),
                                               F.col("o_key"))
                            .when(F.col("o_key").isNull() & F.col("f_key").isNotNull()
                                  & (F.col("f_key") != F.col("key")), F.col("f_key"))))
        heads = (lists.select(F.lit("CEB603").alias("h_kind"), F.col("list_key").alias("h_key"), "app_time",
                              "app_type", "content_hash")
                 .unionByName(tables.in_force("return_apps").select(
                     F.lit("CEB213").alias("h_kind"), F.col("co_el_no").alias("h_key"), "app_time", "app_type",
                     "content_hash"))
                 .select("h_kind", "h_key", F.col("app_time").alias("held_time"), F.col("app_type").alias("held_type"),
                         F.col("content_hash").alias("held_hash")))
        recs = (recs.join(heads, (F.col("kind") == F.col("h_kind")) & (F.col("key") == F.col("h_key")), "left")
                .withColumn("batch_id", F.lit(tables.batch_id)))
        cols = ["idx", "seq", "pos", "kind", "key", "pkey", "file", "sha256", "content_hash", "invt_no", "app_time",
                "app_type", "lines", "line", "payload", "known", "taken_by", "held_time", "held_type", "held_hash",
                "batch_id"]
        out_path = f"{work}/stored"
        (recs.select(*cols).repartition(partitions(spark), "kind", "key").sortWithinPartitions("kind", "key", "idx", "seq")
         .mapInArrow(store_partitions, schema_of(OUT)).write.mode("overwrite").parquet(out_path))
        out = spark.read.parquet(out_path)
        clock.lap("ingest_store")
        rev = tables.next_rev()
        for table in ("journal", "export_lists", "export_items", "return_apps", "return_lines", "claims",
                      "claim_items", "list_receipts", "list_cancels", "return_receipts"):
            rows = out.where((F.col("tag") == "row") & (F.col("table") == table))
            tables.write(table, rows.select("payload").mapInArrow(decode_rows(table, tables.seq, rev),
                                                                  spark_schema(table)))
        self._account(night, out, accounts)
        touched_lists = out.where("tag = 'touch_list'").select(F.col("key").alias("invt_no"))
        self.echoes = sorted(r[0] for r in out.where("tag = 'echo'").select("key").distinct().collect())
        returns = out.where((F.col("tag") == "outcome") & F.col("kind").isin(list(RETURN_KINDS))
                            & (F.col("outcome") != "quarantined")).select(F.col("key").alias("co_el_no"))
        # CEB214 records are kept under their coElNo: their key is the return they concern
        self.night, self.stored_out = night, out
        return touched_lists, returns

    def _account(self, night, out, accounts: dict) -> None:
        """Per file and per kind: read = stored + duplicates + quarantined, as stages/ingest.py counts."""
        from pyspark.sql import functions as F

        per = {}
        for r in out.where("tag IN ('outcome', 'conflict')").groupBy("idx", "kind", "outcome").agg(
                F.count("*").alias("n"), F.sum("lines").alias("items")).collect():
            per.setdefault(r["idx"], []).append((r["kind"], r["outcome"], r["n"], r["items"]))
        for r in night.where("tag = 'void'").groupBy("idx", "kind").agg(
                F.count("*").alias("n"), F.sum("lines").alias("items")).collect():
            per.setdefault(r["idx"], []).append((r["kind"], "quarantined", r["n"], r["items"]))
        for i, f in enumerate(self.inputs):
            a = accounts[i]
            kind = a["kind"]
            counts = {"read": 0, "stored": 0, "quarantined": 0, "duplicates": 0}
            if kind is None:
                counts.update(read=1, quarantined=1)
                self.tally.add(FILE, "quarantined", 0)
            elif a["failed"]:
                counts.update(read=a["read"], quarantined=a["read"])
                f.failed = True
                f.changed = a["changed"]
                self.tally.add(kind, "quarantined", a["items"], a["read"])
            else:
                for k, outcome, n, items in per.get(i, []):
                    counts["read"] += n
                    counts[OUTCOME_COLUMN[outcome]] += n
                    self.tally.add(k, outcome, items or 0, n)
            f.counts, f.kind, f.root, f.complete = counts, kind, a["root"], a["complete"]
        self.files_rows = [(f.name, f.sha256, f.size, f.kind or (f.root or "unreadable"), f.counts, f.complete)
                           for f in self.inputs]

    # -- decide --------------------------------------------------------------------------------------
    def _decide(self, spark, tables, work, touched_lists, more_lists, returns, clock):
        from pyspark.sql import functions as F

        from ..stages.decide import DecisionRun
        from .decide import GATHER, RESULT, classify_rows, decide_rows, gather_frame, pack_rows

        b = tables.batch_id
        run = DecisionRun()
        lists_touched = touched_lists.unionByName(spark.createDataFrame([(i,) for i in more_lists], "invt_no string")) \
            .distinct()
        apps = tables.in_force("return_apps")
        decisions = tables.in_force("decisions")
        latest = decisions.where("status IN ('current', 'withdrawn')")
        lists = tables.in_force("export_lists")
        refs = tables.batches_frame()
        orphans = (latest.where("status = 'current' AND export_date IS NULL")
                   .join(lists.where("invt_no IS NOT NULL").select("invt_no").distinct(), "invt_no")
                   .select("co_el_no"))
        waiting = (latest.where("status = 'current' AND waits IS NOT NULL").join(refs, "batch_id", "left")
                   .where(F.col("reference_hash").isNull() | (F.col("reference_hash") != self.reference.fingerprint))
                   .select("co_el_no"))
        touched = (returns.unionByName(apps.join(lists_touched, "invt_no").select("co_el_no"))
                   .unionByName(orphans).unionByName(waiting).distinct())
        touched.write.mode("overwrite").parquet(f"{work}/touched")  # as it is before any decision is stored
        touched = spark.read.parquet(f"{work}/touched")
        lines = tables.in_force("return_lines").drop("lake_seq", "lake_rev")
        cur_lines = (apps.select("co_el_no", F.col("content_hash").alias("_h"), F.col("invt_no").alias("a_invt"))
                     .join(lines, "co_el_no").where(F.col("head_hash") == F.col("_h"))
                     .groupBy("co_el_no").agg(F.collect_list(F.struct(F.col("gnum"), F.col("a_invt").alias("invt_no")))
                                               .alias("lines")))
        claims = tables.in_force("claims").select("co_el_no", F.col("content_hash").alias("claim_hash"))
        receipts = tables.all_rows("return_receipts").groupBy("co_el_no").agg(
            F.collect_list("content_hash").alias("receipts"))
        lat = (latest.join(refs, "batch_id", "left")
               .select("co_el_no", F.struct(*DECISIONS.columns, "reference_hash").alias("_d")))
        lat = lat.join(touched, "co_el_no")
        packed = lat.mapInArrow(_pickle_struct("_d", "co_el_no"), "co_el_no string, d binary") \
            .groupBy("co_el_no").agg(F.collect_list("d").alias("latest"))
        lst = lists.where("invt_no IS NOT NULL").select(F.col("invt_no").alias("l_invt"),
                                                        F.col("content_hash").alias("l_hash"),
                                                        F.col("void_reason").alias("l_void"))
        gathered = (touched.join(apps.select("co_el_no", "content_hash", "withdrawn", "invt_no"), "co_el_no", "left")
                    .join(cur_lines, "co_el_no", "left").join(claims, "co_el_no", "left")
                    .join(receipts, "co_el_no", "left").join(packed, "co_el_no", "left")
                    .join(lst, F.col("invt_no") == F.col("l_invt"), "left"))
        cls_path = f"{work}/classified"
        gathered.mapInArrow(classify_rows(b, self.reference.fingerprint), schema_of(RESULT)) \
            .write.mode("overwrite").parquet(cls_path)
        cls = spark.read.parquet(cls_path)
        clock.lap("decide_classify")
        # lines rejected for quantity on the items where quantity is (waits 0) or may be (1) released
        released = cls.where("tag = 'released'").select("invt_no", "gnum").distinct()
        maybe = cls.where("tag = 'maybe'").select("invt_no", "gnum").distinct().join(released, ["invt_no", "gnum"],
                                                                                    "left_anti")
        rejected = latest.where("status = 'current' AND decision = 'REJECTED'").where(
            F.array_contains(F.split("reasons", ";"), "QTY_EXCEEDS_EXPORT"))
        freed = released.withColumn("waits", F.lit(0)).unionByName(maybe.withColumn("waits", F.lit(1)))
        rq = (rejected.select("invt_no", "gnum", "co_el_no").join(freed, ["invt_no", "gnum"])
              .select("invt_no", "gnum", "co_el_no", "waits", F.lit(RELEASED).alias("cause"), F.lit(1).alias("_p")))
        todo = cls.where("tag = 'queue'").mapInArrow(_unpickle_cause, "invt_no string, gnum long, co_el_no string, "
                                                                      "waits long, cause string") \
            .withColumn("_p", F.lit(0))
        from pyspark.sql import Window
        queue = (todo.unionByName(rq)
                 .withColumn("_n", F.row_number().over(Window.partitionBy("invt_no", "gnum", "co_el_no").orderBy("_p")))
                 .where("_n = 1").drop("_n", "_p"))
        q_path = f"{work}/queue"
        queue.write.mode("overwrite").parquet(q_path)
        queue = spark.read.parquet(q_path)
        rev = tables.next_rev()
        # withdrawals are stored before the items are gathered: a withdrawn line holds nothing
        self._store_results(spark, tables, cls, rev)
        run.withdrawn += cls.where("tag = 'withdrawn'").count()
        parts = [p.mapInArrow(pack_rows(), schema_of(GATHER)) for p in gather_frame(tables, queue)]
        frame = parts[0]
        for p in parts[1:]:
            frame = frame.union(p)
        g_path = f"{work}/gathered"
        frame.write.mode("overwrite").parquet(g_path)
        gathered = spark.read.parquet(g_path)
        clock.lap("decide_gather")
        d_path = f"{work}/decided"
        (gathered.repartition(partitions(spark), "invt_no", "gnum").sortWithinPartitions("invt_no", "gnum", "tag")
         .mapInArrow(decide_rows(b, self.reference, self.params), schema_of(RESULT))
         .write.mode("overwrite").parquet(d_path))
        decided = spark.read.parquet(d_path)
        clock.lap("decide_items")
        rev = tables.next_rev()
        self._store_results(spark, tables, decided, rev)
        for r in decided.where("tag = 'stats'").select("payload").toLocalIterator():
            counts, notes, estimated = pickle.loads(r["payload"])
            for k, v in counts.items():
                setattr(run, k, getattr(run, k) + v)
            run.calendar_notes |= notes
            run.estimated_examples.extend(estimated[:3 - len(run.estimated_examples)])
        stored = sum(c["stored"] for c in self.tally.records.values())
        if stored == 0 and self.echoes:
            run.reported_again = self._report_again(tables, work, touched, lists_touched, apps)
        self._decision_warnings(run)
        return run

    def _report_again(self, tables, work, touched, lists_touched, apps) -> int:
        """A rerun writes the same rows as the first time (CONTRACT.md 6), as DecisionStore.report_again: the rows
        the night it repeats reported that no later report replaced, of the lines this batch touched."""
        from pyspark.sql import functions as F

        from ..law.redecide import REFERENCE

        origin = max(self.echoes, key=lambda b: (self.started_at.get(b) or "", b))
        bd = tables.all_rows("batch_decisions")
        decisions = tables.in_force("decisions")
        latest = decisions.where("status IN ('current', 'withdrawn')")
        later = (decisions.where("change IS NOT NULL").select("co_el_no", "gnum", F.col("version").alias("v")))
        mine = bd.where(F.col("batch_id") == tables.batch_id).select("co_el_no", "gnum")
        via_return = apps.join(touched, "co_el_no").select(F.col("invt_no").alias("t_invt")).distinct()
        first = bd.where(F.col("batch_id") == origin).select("co_el_no", "gnum", F.col("version").alias("bv"))
        cand = (first.join(latest, ["co_el_no", "gnum"])
                .join(later, ["co_el_no", "gnum"], "left")
                .groupBy("co_el_no", "gnum", "bv").agg(F.max(F.when(F.col("v") > F.col("bv"), 1)).alias("_later"),
                                                       F.first("version").alias("lv"),
                                                       F.first("invt_no").alias("invt_no"),
                                                       F.first("cause").alias("cause"))
                .where(F.col("_later").isNull())
                .join(mine, ["co_el_no", "gnum"], "left_anti")
                .join(touched.withColumn("_t", F.lit(1)), "co_el_no", "left")
                .join(lists_touched.withColumn("_l", F.lit(1)), "invt_no", "left")
                .join(via_return.withColumn("_r", F.lit(1)), F.col("invt_no") == F.col("t_invt"), "left")
                .where(F.col("_t").isNotNull() | F.col("_l").isNotNull() | F.col("_r").isNotNull()
                       | (F.col("cause") == REFERENCE))
                .select("co_el_no", "gnum", "bv", "lv").distinct())
        cand.write.mode("overwrite").parquet(f"{work}/again")  # fixed before the writes below change what it reads
        cand = tables.spark.read.parquet(f"{work}/again")
        rev = tables.next_rev()
        tables.write("batch_decisions", cand.select(F.lit(tables.batch_id).alias("batch_id"), "co_el_no", "gnum",
                                                    F.col("bv").alias("version"),
                                                    F.lit(tables.seq).cast("long").alias("lake_seq"),
                                                    F.lit(rev).cast("long").alias("lake_rev")))
        now = (decisions.join(cand.select("co_el_no", "gnum", F.col("lv").alias("version")),
                              ["co_el_no", "gnum", "version"])
               .withColumn("reported_in", F.lit(tables.batch_id))
               .withColumn("lake_seq", F.lit(tables.seq).cast("long")).withColumn("lake_rev", F.lit(rev).cast("long")))
        tables.write("decisions", now)
        return cand.count()

    def _store_results(self, spark, tables, res, rev: int) -> None:
        from pyspark.sql import functions as F

        from .store import decode_rows

        rows = res.where(F.col("tag").isin("decision", "withdrawn", "superseded")).select("payload")
        tables.write("decisions", rows.mapInArrow(decode_rows("decisions", tables.seq, rev),
                                                  spark_schema("decisions")))
        rep = res.where("tag = 'reported'").select(F.lit(tables.batch_id).alias("batch_id"),
                                                   F.col("co").alias("co_el_no"),
                                                   "gnum", F.col("waits").alias("version"),
                                                   F.lit(tables.seq).cast("long").alias("lake_seq"),
                                                   F.lit(rev).cast("long").alias("lake_rev"))
        tables.write("batch_decisions", rep)

    _decision_warnings = Batch._decision_warnings  # the same warning for estimated window ends

    # -- report --------------------------------------------------------------------------------------
    def _rows(self, tables):
        """The batch's reported rows, by name, in report order, streamed to the driver."""
        from pyspark.sql import functions as F

        b = tables.batch_id
        bd = tables.all_rows("batch_decisions").where(F.col("batch_id") == b).select("co_el_no", "gnum", "version")
        d = tables.in_force("decisions").join(bd, ["co_el_no", "gnum", "version"])
        r = tables.in_force("return_apps").select("co_el_no", "ebc_code", "ebp_code")
        c = tables.in_force("claims").select("co_el_no", F.col("reason_code").alias("claim_reason"))
        lists = tables.in_force("export_lists").where("invt_no IS NOT NULL").select("invt_no", "list_key",
                                                                                     F.col("content_hash").alias("_h"))
        items = tables.in_force("export_items").join(lists, "list_key").where(F.col("head_hash") == F.col("_h")) \
            .select("invt_no", "gnum", F.col("currency").alias("price_currency"), "gname")
        money = ("customs_value_cny", "import_duty", "consumption_tax", "import_vat", "export_duty_refund",
                 "backpay_vat", "backpay_ct")
        prev = tables.in_force("decisions").select("co_el_no", "gnum", (F.col("version") + 1).alias("version"),
                                                   F.col("decision").alias("prev_decision"),
                                                   *[F.col(m).alias("prev_" + m) for m in money])
        names = (*REPORTED, *(n for _c, n in REPORT_EXTRA))
        rows = (d.join(r, "co_el_no", "left").join(c, "co_el_no", "left").join(items, ["invt_no", "gnum"], "left")
                .join(prev, ["co_el_no", "gnum", "version"], "left")
                .orderBy("return_date", "co_el_no", "gnum").select(*names))
        for row in rows.toLocalIterator():
            yield row.asDict()

    def _problems(self, tables):
        """Every problem of the night in the order the embedded batch finds them: file by file, each record's
        problems, then the conflicts of its chunk, then the file's own."""
        probs = self.night.where("tag = 'prob'").select("idx", "pos", "seq", "payload")
        conflicts = self.stored_out.where("tag = 'conflict'").select("idx", "pos", "seq", "payload")
        for r in probs.unionByName(conflicts).orderBy("idx", "pos", "seq").select("payload").toLocalIterator():
            yield pickle.loads(r["payload"])

    def _report(self, spark, tables, staged, batch_id, started, finished, decisions, clock) -> BatchResult:
        sweep = staged.sweep((*report_files(), "report.xlsx", "report.html"))
        if sweep:
            self.log.info("stale_temporary_reports_removed", files=sweep)
        quarantine = []
        recorder = _Recorder(quarantine)
        with CsvOut(staged.path("quarantine.csv"), QUARANTINE_CSV_COLUMNS) as q_csv:
            for p in self._problems(tables):
                self.notebook.note([p], recorder, batch_id)
                if p.severity == ERROR:
                    q_csv.write({"batch_id": batch_id, "file": p.file, "line": "" if p.line is None else p.line,
                                 "kind": p.kind, "record_key": p.record_key, "field": p.field, "problem": p.problem,
                                 "expected": p.expected})
        header = BatchHeader(batch_id=batch_id, run_at=started.isoformat(), software_version=__version__,
                             reference=self.reference, settings=settings(self.params, self.reference),
                             files=(file_entry(f) for f in self.inputs),
                             views=LakeViews(tables, batch_id, started.date(), self.started_at, quarantine))
        totals = write_decisions(decision_sinks(), staged, header, self._rows(tables))
        tables.write_rows("quarantine", [(batch_id, i, *row) for i, row in enumerate(quarantine)], tables.next_rev())
        tables.write_rows("input_files", [(batch_id, n, sha, size, kind, c["read"], c["stored"], c["quarantined"],
                                           c["duplicates"], int(complete))
                                          for n, sha, size, kind, c, complete in self.files_rows], tables.next_rev())
        clock.lap("report")
        counts = _Counts(tables)
        s = summary(ledger=counts, batch_id=batch_id, started=started, finished=finished, inbox=str(self.inbox),
                    ledger_url=self.url, parameters=parameters(self.reference, self.params),
                    files=(file_entry(f) for f in self.inputs),
                    n_files_whole=sum(1 for f in self.inputs if f.kind is None or f.failed), tally=self.tally,
                    notebook=self.notebook, decisions=decisions, totals=totals)
        s["engine"] = {"name": "spark", "master": self.master}
        s["timings_s"] = clock.laps
        path = staged.path("summary.json")
        write_json(path, s)
        tables.write_rows("batch_summaries", [(batch_id, path.read_text(encoding="utf-8"))], tables.next_rev())
        del s["files"]
        return BatchResult(batch_id, self.out_dir, s)


class _Recorder:
    """Where the notebook puts the quarantine rows of a Spark batch: kept for the lake's quarantine table."""

    def __init__(self, rows: list):
        self.rows = rows

    def record_quarantine(self, batch_id, problems, first_seq):
        for p in problems:
            self.rows.append((p.file, p.line, p.kind, p.record_key, p.field, p.problem, p.expected))
        return first_seq + len(problems)


class _Counts:
    def __init__(self, tables):
        self.tables = tables

    def count(self, table: str) -> int:
        return self.tables.count_in_force(table)

    def rows_in_force(self, tables=RECORD_TABLES) -> dict:
        """summary.json's ledger_totals: the lake counts its rows in force (a partition per batch, no counter)."""
        return {t: self.count(t) for t in tables}


def _pickle_struct(column: str, key: str):
    import pyarrow as pa

    def run(batches):
        for b in batches:
            rows = b.to_pylist()
            yield pa.RecordBatch.from_pylist(
                [{"co_el_no": r[key], "d": pickle.dumps(tuple(r[column].values()))} for r in rows],
                schema=pa.schema([("co_el_no", pa.string()), ("d", pa.binary())]))
    return run


def _unpickle_cause(batches):
    import pyarrow as pa

    schema = pa.schema([("invt_no", pa.string()), ("gnum", pa.int64()), ("co_el_no", pa.string()),
                        ("waits", pa.int64()), ("cause", pa.string())])
    for b in batches:
        yield pa.RecordBatch.from_pylist([{"invt_no": r["invt_no"], "gnum": r["gnum"], "co_el_no": r["co"],
                                           "waits": r["waits"], "cause": pickle.loads(r["payload"])}
                                          for r in b.to_pylist()], schema=schema)


def _commit(spark, lake, batch_id, seq, started, finished, inbox, reference_hash, params) -> None:
    """The batch's entry in batches/: written last; once it is complete the batch is in the lake."""
    row = (batch_id, seq, started.isoformat(), finished.isoformat(), __version__,
           json.dumps(params, sort_keys=True), str(inbox), reference_hash)
    df = spark.createDataFrame([row], "batch_id string, seq long, started_at string, finished_at string, "
                                      "software_version string, parameters string, inbox string, "
                                      "reference_hash string")
    df.coalesce(1).write.mode("overwrite").json(f"{lake.url}/batches/b={batch_id}")

