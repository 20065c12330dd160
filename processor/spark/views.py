"""What the workbook and the page read from the lake at their close, as stages/report.LedgerViews reads it from
the embedded ledger: the backlog (every PENDING line in force, streamed in window-end order), the batch's
quarantine rows, and the trails of the few lines they show."""
from __future__ import annotations

from datetime import date

from ..ledger.packing import unpack
from ..stages.report import with_days_left

PENDING = ("co_el_no", "gnum", "invt_no", "return_date", "window_end", "reasons", "batch_id", "gcode", "ebc_code",
           "gname", "decision_date", "version")


class LakeViews:
    def __init__(self, tables, batch_id: str, as_of: date, started_at: dict, quarantine: list):
        self.tables, self.batch_id, self.as_of = tables, batch_id, as_of
        self.started_at = started_at  # batch_id -> started_at, the batch's own included
        self._quarantine = quarantine

    def pending(self, first: int | None = None):
        return with_days_left(self._pending(first), self.as_of)

    def pending_by_window_end(self) -> list:
        return [(r["window_end"], r["count"]) for r in self._backlog().groupBy("window_end").count().collect()]

    def _backlog(self):
        return self.tables.in_force("decisions").where("status = 'current' AND decision = 'PENDING'")

    def _pending(self, first: int | None):
        """As DecisionStore.pending: by window end, return and gnum (Spark orders strings by code point, nulls
        first, as SQLite does)."""
        from pyspark.sql import functions as F

        t = self.tables
        d = self._backlog()
        apps = t.in_force("return_apps").select("co_el_no", "ebc_code", F.col("content_hash").alias("_h"))
        lines = t.in_force("return_lines").select(F.col("co_el_no").alias("n_co"), F.col("gnum").alias("n_g"),
                                                  "gname", "head_hash")
        when = t.spark.createDataFrame(sorted(self.started_at.items()), "b string, decision_date string")
        rows = (d.join(apps, "co_el_no", "left")
                .join(lines, (F.col("n_co") == F.col("co_el_no")) & (F.col("n_g") == F.col("gnum"))
                      & (F.col("head_hash") == F.col("_h")), "left")
                .join(when, F.col("b") == F.col("batch_id"), "left")
                .orderBy("window_end", "co_el_no", "gnum").select(*PENDING))
        if first is not None:
            rows = rows.limit(first)
        for r in rows.toLocalIterator():
            yield r.asDict()

    def quarantined(self):
        return iter(self._quarantine)

    def trails(self, keys) -> dict:
        """(coElNo, gnum, version) -> the decision's trail (JSON text, unpacked), for the few keys a report shows."""
        from pyspark.sql import functions as F

        if not keys:
            return {}
        want = self.tables.spark.createDataFrame(sorted(keys), "co_el_no string, gnum long, version long")
        found = self.tables.in_force("decisions").join(F.broadcast(want), ["co_el_no", "gnum", "version"])
        return {(r["co_el_no"], r["gnum"], r["version"]): unpack(r["trail"])
                for r in found.select("co_el_no", "gnum", "version", "trail").collect()}
