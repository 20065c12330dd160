"""The lake's metadata (processor/lake): what exists, the lock, the committed batches and the sweep of a killed
batch's partitions, through pyarrow's file system as on object storage. No Spark needed; pyarrow is (the
[spark] extra)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("pyarrow")

from processor.lake import Lake, LakeBusy, LakeMissing, lake_path  # noqa: E402


def _commit(root, batch_id: str, seq: int, success: bool = True) -> None:
    part = root / "batches" / f"b={batch_id}"
    part.mkdir(parents=True)
    (part / "part-00000.json").write_text(json.dumps({"batch_id": batch_id, "seq": seq, "started_at": "x"}) + "\n")
    if success:
        (part / "_SUCCESS").write_text("")


def test_missing_lake_is_refused_and_create_makes_it(tmp_path):
    lake = Lake(f"file://{tmp_path}/lake")
    assert not lake.exists()
    with pytest.raises(LakeMissing):
        lake.check()
    lake.create()
    lake.check()
    assert json.loads((tmp_path / "lake" / "_lake.json").read_text())["format"] == "processor-lake"


def test_urls_that_cannot_name_a_lake(tmp_path):
    for url in ("file://relative/dir", "http://host/x", "sqlite:///x.db", "file://otherhost/abs"):
        with pytest.raises(ValueError):
            lake_path(url)
    assert lake_path("s3a://bucket/ledger") == "/ledger"


def test_one_batch_at_a_time_and_a_dead_holder_taken_over(tmp_path):
    a, b = Lake(f"file://{tmp_path}"), Lake(f"file://{tmp_path}")
    a.create()
    a.lock("B1")
    with pytest.raises(LakeBusy, match="B1"):
        b.lock("B2")
    a.unlock()
    b.lock("B2")
    b.unlock()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    import socket
    (tmp_path / "_lock").write_text(f"{dead.stdout.strip()} {socket.gethostname()} B3\n")
    a.lock("B4")  # the holder's process is gone: its batch was killed
    assert (tmp_path / "_lock").read_text().startswith(f"{os.getpid()} ")
    a.unlock()


def test_committed_batches_only_and_the_sweep(tmp_path):
    lake = Lake(f"file://{tmp_path}")
    lake.create()
    _commit(tmp_path, "B1", 1)
    _commit(tmp_path, "B2", 2, success=False)  # its entry was being written when it died
    for b in ("B1", "B2", "B3"):
        (tmp_path / "decisions" / f"b={b}").mkdir(parents=True)
        (tmp_path / "decisions" / f"b={b}" / "part-0.parquet").write_bytes(b"x")
    committed = lake.committed()
    assert committed == {"B1": 1}
    assert lake.batches_in("decisions") == {"B1", "B2", "B3"}
    assert lake.sweep(committed) == ["batches/b=B2", "decisions/b=B2", "decisions/b=B3"]
    assert lake.batches_in("decisions") == {"B1"} and lake.committed() == {"B1": 1}
