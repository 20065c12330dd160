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
from functools import lru_cache
from importlib import resources
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
    for name, body in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\)(?: WITHOUT ROWID)?;", text, re.S):
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


SCHEMES = ("file", "s3a", "s3", "hdfs", "gs", "abfss")


def lake_fs(url: str):
    """(pyarrow FileSystem, path in it) of a lake URL: `file:///ABS/DIR` here; `s3a://` (Spark's name for S3,
    `s3://` to pyarrow), `hdfs://`, `gs://` and `abfss://` on a cluster, with the credentials of the
    environment. The metadata steps (the lock, the batch entries, sweeping) go through it; the rows through
    Spark, under the same URL."""
    u = urlparse(url)
    if u.scheme not in SCHEMES:
        raise ValueError(f"a lake is named file:///ABSOLUTE/DIR (or s3a://, hdfs://, gs://, abfss://), not {url!r}")
    if u.scheme == "file":
        if not u.path.startswith("/") or u.netloc not in ("", "localhost"):
            raise ValueError(f"a lake is named file:///ABSOLUTE/DIR here, not {url!r}")
        from pyarrow import fs
        return fs.LocalFileSystem(), u.path.rstrip("/") or "/"
    from pyarrow import fs
    return fs.FileSystem.from_uri(url.replace("s3a://", "s3://", 1))


def lake_path(url: str) -> str:
    """The lake's path in its file system; raises ValueError for a URL that cannot name a lake."""
    u = urlparse(url)
    if u.scheme not in SCHEMES or (u.scheme == "file" and (not u.path.startswith("/")
                                                           or u.netloc not in ("", "localhost"))):
        raise ValueError(f"a lake is named file:///ABSOLUTE/DIR (or s3a://, hdfs://, gs://, abfss://), not {url!r}")
    return u.path


def is_lake_url(url: str) -> bool:
    return urlparse(url).scheme in SCHEMES


class Lake:
    """The lake's directory: what is committed, the lock, and where a batch writes its rows."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.fs, self.root = lake_fs(self.url)
        self.local = urlparse(self.url).scheme == "file"

    def _at(self, *parts: str) -> str:
        return "/".join((self.root, *parts))

    def _kind(self, path: str):
        from pyarrow import fs
        t = self.fs.get_file_info(path).type
        return "file" if t == fs.FileType.File else "dir" if t == fs.FileType.Directory else None

    def _read(self, path: str) -> str:
        with self.fs.open_input_stream(path) as f:
            return f.read().decode("utf-8", errors="replace")

    def _write(self, path: str, text: str) -> None:
        with self.fs.open_output_stream(path) as f:
            f.write(text.encode("utf-8"))

    def _listdir(self, path: str) -> list:
        """(name, kind) of a directory's entries; [] for a missing directory."""
        from pyarrow import fs
        if self._kind(path) != "dir":
            return []
        return [(i.base_name, "dir" if i.type == fs.FileType.Directory else "file")
                for i in self.fs.get_file_info(fs.FileSelector(path, allow_not_found=True))]

    # -- existence ---------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self._kind(self._at("_lake.json")) == "file"

    def create(self) -> None:
        self.fs.create_dir(self.root, recursive=True)
        if not self.exists():
            tmp = self._at("._lake.json.tmp")
            self._write(tmp, json.dumps({"format": FORMAT, "version": VERSION}) + "\n")
            self.fs.move(tmp, self._at("_lake.json"))

    def check(self) -> None:
        if not self.exists():
            raise LakeMissing(f"no ledger at {self.url} (run with --init to create it)")
        meta = json.loads(self._read(self._at("_lake.json")))
        if meta.get("format") != FORMAT or meta.get("version", 0) > VERSION:
            raise LakeMissing(f"{self.url} is not a ledger lake this release can read ({meta})")

    # -- one batch at a time -----------------------------------------------------------------------
    def lock(self, batch_hint: str) -> None:
        """Take `_lock` or raise LakeBusy. Here it is created exclusively (O_EXCL), and a holder whose process
        is gone is taken over. On object storage there is no exclusive create through pyarrow: the lock is
        written if absent and read back, which keeps two batches apart unless they start within the same
        moment; one scheduler per lake is the rule there (docs/scale.md)."""
        me = f"{os.getpid()} {_host()} {batch_hint}"
        path = self._at("_lock")
        if self.local:
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                return self._held(path, batch_hint)
            with os.fdopen(fd, "w") as f:
                f.write(me + "\n")
            return None
        if self._kind(path) is not None:
            return self._held(path, batch_hint)
        self._write(path, me + "\n")
        if self._read(path).strip() != me:
            return self._held(path, batch_hint)
        return None

    def _held(self, path: str, batch_hint: str) -> None:
        holder = self._read(path).strip() if self._kind(path) else ""
        pid, host = (holder.split(" ") + ["", ""])[:2]
        if pid.isdigit() and host == _host() and not _alive(int(pid)):
            self.fs.delete_file(path)  # its batch was killed: the lake is as it was before it
            return self.lock(batch_hint)
        raise LakeBusy(f"another batch holds the ledger at {self.url} ({holder or 'unknown'})") from None

    def unlock(self) -> None:
        if self._kind(self._at("_lock")):
            self.fs.delete_file(self._at("_lock"))

    # -- batches -----------------------------------------------------------------------------------
    def entries(self) -> dict:
        """batch_id -> its entry in batches/ (seq, started_at, reference_hash...), for the committed batches:
        those whose entry is complete."""
        out = {}
        for part, kind in self._listdir(self._at("batches")):
            if kind != "dir" or not part.startswith("b="):
                continue
            files = dict(self._listdir(self._at("batches", part)))
            if "_SUCCESS" not in files:
                continue
            for name in sorted(files):
                if name.startswith("part-"):
                    for line in self._read(self._at("batches", part, name)).splitlines():
                        if line.strip():
                            row = json.loads(line)
                            out[row["batch_id"]] = row
        return out

    def committed(self) -> dict:
        """batch_id -> its seq, for the committed batches."""
        return {b: int(e["seq"]) for b, e in self.entries().items()}

    def batches_in(self, table: str) -> set:
        """The batches that have a partition of `table` (committed or not)."""
        return {name[2:] for name, kind in self._listdir(self._at(table)) if kind == "dir" and name.startswith("b=")}

    def partition(self, table: str, batch_id: str) -> str:
        return f"{self.url}/{table}/b={batch_id}"

    def work(self, batch_id: str) -> str:
        """Where a batch keeps its stages' results: removed when it ends, whatever the end."""
        return f"{self.url}/_work/{batch_id}"

    def drop_work(self, batch_id: str) -> None:
        path = self._at("_work", batch_id)
        if self._kind(path) == "dir":
            self.fs.delete_dir(path)

    def sweep(self, committed: dict) -> list:
        """Remove the partitions of batches that never committed (a killed batch's): only under the lock."""
        gone = []
        for table in sorted(self.tables_present()):
            for b in sorted(self.batches_in(table)):
                if b not in committed:
                    self.fs.delete_dir(self._at(table, f"b={b}"))
                    gone.append(f"{table}/b={b}")
        return gone

    def tables_present(self) -> set:
        return {n for n, kind in self._listdir(self.root) if kind == "dir" and not n.startswith(("_", "."))}


def _host() -> str:
    import socket
    return socket.gethostname()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
