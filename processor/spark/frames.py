"""The lake's tables as Spark DataFrames: their schemas (from ledger/schema.sql), the rows in force, and a
batch's rows written under its own partition. Rows travel between Python and Spark as Arrow record batches
(`batches_of`), the ledger's row tuples by column name, so None stays None and whole numbers stay whole."""
from __future__ import annotations

from ..lake import IN_FORCE_KEY, Lake, columns, is_integer


def spark_schema(table: str):
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    return StructType([StructField(c, LongType() if is_integer(table, c) else StringType(), True)
                       for c in columns(table)])


def arrow_schema(table: str):
    import pyarrow as pa

    return pa.schema([(c, pa.int64() if is_integer(table, c) else pa.string()) for c in columns(table)])


def schema_of(fields: dict):
    """A StructType for an intermediate frame: {name: 'str' | 'int' | 'bin'}."""
    from pyspark.sql.types import BinaryType, LongType, StringType, StructField, StructType

    kinds = {"str": StringType(), "int": LongType(), "bin": BinaryType()}
    return StructType([StructField(n, kinds[t], True) for n, t in fields.items()])


def arrow_of(fields: dict):
    import pyarrow as pa

    kinds = {"str": pa.string(), "int": pa.int64(), "bin": pa.binary()}
    return pa.schema([(n, kinds[t]) for n, t in fields.items()])


def batches_of(rows, schema, size: int = 2000):
    """Arrow record batches of dict rows, `size` at a time (what mapInArrow and applyInArrow return)."""
    import pyarrow as pa

    chunk = []
    for r in rows:
        chunk.append(r)
        if len(chunk) >= size:
            yield pa.RecordBatch.from_pylist(chunk, schema=schema)
            chunk = []
    if chunk:
        yield pa.RecordBatch.from_pylist(chunk, schema=schema)


def table_rows(table: str, rows, seq: int, rev: int) -> list:
    """Ledger row tuples (the SQL table's column order, then head_hash for parts) as lake dicts."""
    cols = columns(table)
    return [dict(zip(cols, (*r, seq, rev))) for r in rows]


class Tables:
    """The lake as this batch sees it: the committed batches and its own rows."""

    def __init__(self, spark, lake: Lake, committed: dict, batch_id: str, seq: int):
        self.spark, self.lake, self.batch_id, self.seq = spark, lake, batch_id, seq
        self.visible = {**committed, batch_id: seq}
        self.rev = 0
        self.references: dict = {}  # batch_id -> the reference data's fingerprint it ran with
        self.files: dict = {}  # sha256 -> the name of the batch's input file
        self._present: dict = {}  # table -> the batches with a partition of it

    def batches_frame(self):
        return batches_frame_of(self)

    def count_in_force(self, table: str) -> int:
        """Rows in force, as the embedded ledger's COUNT(*): a record's parts only those of its version in force."""
        from ..lake import PARTS

        if table in PARTS:
            from pyspark.sql import functions as F
            head = self.in_force(PARTS[table]).select(F.col("content_hash").alias("_h"))
            return self.in_force(table).join(head, F.col("head_hash") == F.col("_h")).count()
        return self.in_force(table).count()

    def all_rows(self, table: str):
        """Every visible row of a table (each batch's partition, the batch's own included)."""
        from pyspark.sql import functions as F

        schema = spark_schema(table)
        if table not in self._present:  # the committed batches' partitions do not change under the lock
            self._present[table] = self.lake.batches_in(table)
        parts = [self.lake.partition(table, b) for b in self.visible if b in self._present[table]]
        if not parts:
            return self.spark.createDataFrame([], schema)
        return self.spark.read.schema(schema).parquet(*parts).select(*[F.col(c) for c in columns(table)])

    def in_force(self, table: str):
        """The rows in force: the latest of each key (by seq, then rev); tables without a key: every row."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        df = self.all_rows(table)
        key = IN_FORCE_KEY.get(table)
        if key is None:
            return df
        w = Window.partitionBy(*key).orderBy(F.col("lake_seq").desc(), F.col("lake_rev").desc())
        return df.withColumn("_n", F.row_number().over(w)).where("_n = 1").drop("_n")

    def write(self, table: str, df) -> None:
        """Rows of this batch (a DataFrame with the table's columns) appended to its partition: invisible to
        every other reader until the batch commits."""
        df.select(*columns(table)).write.mode("append").parquet(self.lake.partition(table, self.batch_id))
        self._present.setdefault(table, self.lake.batches_in(table)).add(self.batch_id)

    def write_rows(self, table: str, rows: list, rev: int) -> None:
        """Rows made on the driver (few: the batch's own bookkeeping)."""
        if rows:
            self.write(table, self.spark.createDataFrame([(*r, self.seq, rev) for r in rows], spark_schema(table)))

    def next_rev(self) -> int:
        self.rev += 1
        return self.rev


def batches_frame_of(tables):
    """(batch_id, reference_hash) of the visible batches, for the reference data each decision was made under."""
    rows = [(b, h) for b, h in tables.references.items()]
    return tables.spark.createDataFrame(rows, "batch_id string, reference_hash string")
