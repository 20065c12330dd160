"""The Spark session of a batch: the master named by --spark-master, the Python workers on this very
interpreter (without it they start another Python, one that lacks pyarrow or this package), Arrow on."""
from __future__ import annotations

import os
import sys


def spark_session(master: str = "local[*]", app: str = "processor"):
    """A session for one batch. `sc://` is Spark Connect; any other master starts (or joins) a classic
    driver in this process."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    import warnings

    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    os.environ.setdefault("PYTHONWARNINGS", "ignore::FutureWarning")  # the workers' own warning of it
    from pyspark.sql import SparkSession

    if master.startswith("sc://"):
        return SparkSession.builder.remote(master).appName(app).getOrCreate()
    shuffle = os.environ.get("PROCESSOR_SPARK_PARTITIONS", "8")
    builder = (SparkSession.builder.master(master).appName(app)
               .config("spark.sql.shuffle.partitions", shuffle)
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.driver.memory", os.environ.get("PROCESSOR_SPARK_DRIVER_MEMORY", "1g"))
               .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
               .config("spark.python.worker.reuse", "true"))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def partitions(spark) -> int:
    """How many pieces a stage's work is cut into (PROCESSOR_SPARK_PARTITIONS, 8 unless set): the shuffle
    partitions, and the tasks that read the inbox."""
    return int(spark.conf.get("spark.sql.shuffle.partitions"))
