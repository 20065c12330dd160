"""The ledger as a lake: a directory of Parquet tables, for the Spark engine (processor/spark/).

The tables are the embedded ledger's (ledger/schema.sql: the same names, the same columns), each row also
carrying `lake_seq` (the order of its batch among the committed ones) and `lake_rev` (the step of the batch that wrote
it). Nothing is updated in place: a batch writes the rows whose state it changed, under
`TABLE/b=BATCH/`, and a row in force is the latest of its key (IN_FORCE_KEY) by lake_seq, then lake_rev. A batch
becomes visible all at once when its entry is written in `batches/` (the batch table, written last, through Spark's
file commit); readers take only the partitions of committed batches, so a batch killed part-way leaves the lake as it was
and its partitions are swept by the next batch. One batch at a time: `_lock`, created exclusively.

    DIR/_lake.json                       what this directory is (written by --init)
    DIR/_lock                            the running batch (pid, start)
    DIR/batches/b=BATCH/part-*.json      committed batches, with their seq
    DIR/TABLE/b=BATCH/part-*.parquet     the rows a batch wrote
"""
from __future__ import annotations

import json
import os
import re
import shutil
from functools import lru_cache
from importlib import resources
from pathlib import Path
from urllib.parse import urlparse

from ..ledger.base import LedgerBusy, LedgerMissing

FORMAT = "processor-lake"
VERSION = 1
# What makes a row the same row as an older one (the latest, by seq then rev, is in force); tables absent
# here only grow (receipts, the journal, each batch's own records).
IN_FORCE_KEY = {
    "export_lists": ("list_key",),
    "export_items": ("list_key", "gnum", "head_hash"),
    "return_apps": ("co_el_no",),
    "return_lines": ("co_el_no", "gnum", "head_hash"),
    "claims": ("co_el_no",),
    "claim_items": ("co_el_no", "gnum", "head_hash"),
    "decisions": ("co_el_no", "gnum", "version"),
}
# The rows of a record's parts belong to the version of the record whose content hash they carry.
PARTS = {"export_items": "export_lists", "return_lines": "return_apps", "claim_items": "claims"}
LAKE_ONLY = ("lake_seq", "lake_rev")


class LakeMissing(LedgerMissing):
    """No lake at the URL, or one this release cannot read: handled as a missing ledger (exit 2)."""


class LakeBusy(LedgerBusy):
    """Another batch holds the lake (exit 75)."""


@lru_cache(maxsize=None)
def sql_columns() -> dict:
    """table -> ((column, 'TEXT' | 'INTEGER'), ...), as ledger/schema.sql declares them."""
    text = resources.files("processor.ledger").joinpath("schema.sql").read_text(encoding="utf-8")
    out = {}
    for name, body in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\);", text, re.S):
        cols = []
        for raw in body.splitlines():
            line = raw.split("--")[0].strip().rstrip(",")
            m = re.match(r"(\w+)\s+(TEXT|INTEGER)\b", line)
            if m and m.group(1) not in ("PRIMARY", "UNIQUE"):
                cols.append((m.group(1), m.group(2)))
        out[name] = tuple(cols)
    return out


def columns(table: str) -> tuple:
    """The lake's columns of a table: the ledger's, then head_hash for a record's parts, then lake_seq and lake_rev."""
    cols = tuple(c for c, _t in sql_columns()[table])
    return cols + (("head_hash",) if table in PARTS else ()) + LAKE_ONLY


def is_integer(table: str, column: str) -> bool:
    return column in LAKE_ONLY or dict(sql_columns()[table]).get(column) == "INTEGER"


def lake_path(url: str) -> Path:
    """The directory of a `file:///ABS/DIR` URL (here; on a cluster `s3a://` and `hdfs://` name it, and the
    metadata steps below go through Hadoop's FileSystem instead: docs/scale.md)."""
    u = urlparse(url)
    if u.scheme != "file" or not u.path.startswith("/"):
        raise ValueError(f"a lake is named file:///ABSOLUTE/DIR here, not {url!r}")
    return Path(u.path)


def is_lake_url(url: str) -> bool:
    return urlparse(url).scheme in ("file", "s3a", "hdfs", "abfss", "gs")


class Lake:
    """The lake's directory: what is committed, the lock, and where a batch writes its rows."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.root = lake_path(url)

    # -- existence ---------------------------------------------------------------------------------
    def exists(self) -> bool:
        return (self.root / "_lake.json").is_file()

    def create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        meta = self.root / "_lake.json"
        if not meta.exists():
            tmp = self.root / "._lake.json.tmp"
            tmp.write_text(json.dumps({"format": FORMAT, "version": VERSION}) + "\n", encoding="utf-8")
            os.replace(tmp, meta)

    def check(self) -> None:
        if not self.exists():
            raise LakeMissing(f"no ledger at {self.url} (run with --init to create it)")
        meta = json.loads((self.root / "_lake.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("version", 0) > VERSION:
            raise LakeMissing(f"{self.url} is not a ledger lake this release can read ({meta})")

    # -- one batch at a time -----------------------------------------------------------------------
    def lock(self, batch_hint: str) -> None:
        path = self.root / "_lock"
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = path.read_text(encoding="utf-8", errors="replace").strip() if path.exists() else ""
            pid = holder.split(" ", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                path.unlink(missing_ok=True)  # its batch was killed: the lake is as it was before it
                return self.lock(batch_hint)
            raise LakeBusy(f"another batch holds the ledger at {self.url} ({holder or 'unknown'})") from None
        with os.fdopen(fd, "w") as f:
            f.write(f"{os.getpid()} {batch_hint}\n")

    def unlock(self) -> None:
        (self.root / "_lock").unlink(missing_ok=True)

    # -- batches -----------------------------------------------------------------------------------
    def entries(self) -> dict:
        """batch_id -> its entry in batches/ (seq, started_at, reference_hash...), for the committed batches:
        those whose entry is complete."""
        out = {}
        base = self.root / "batches"
        if not base.is_dir():
            return out
        for part in base.iterdir():
            if not part.name.startswith("b=") or not (part / "_SUCCESS").exists():
                continue
            for f in part.glob("part-*"):
                for line in f.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        row = json.loads(line)
                        out[row["batch_id"]] = row
        return out

    def committed(self) -> dict:
        """batch_id -> its seq, for the committed batches."""
        return {b: int(e["seq"]) for b, e in self.entries().items()}

    def table_dir(self, table: str) -> Path:
        return self.root / table

    def partition(self, table: str, batch_id: str) -> str:
        return f"{self.url}/{table}/b={batch_id}"

    def sweep(self, committed: dict) -> list:
        """Remove the partitions of batches that never committed (a killed batch's): only under the lock."""
        gone = []
        if not self.root.is_dir():
            return gone
        for table in self.root.iterdir():
            if not table.is_dir() or table.name.startswith(("_", ".")):
                continue
            for part in table.iterdir():
                if part.name.startswith("b=") and part.name[2:] not in committed:
                    shutil.rmtree(part, ignore_errors=True)
                    gone.append(f"{table.name}/{part.name}")
        return gone

    def tables_present(self) -> set:
        return {p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))} \
            if self.root.is_dir() else set()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
