"""Crash safety and one batch at a time: real `processor run` processes, killed or run side by side."""
import csv
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from processor import synth

from .conftest import DEMO, ROOT

KILLS = int(os.environ.get("CRASH_KILLS", "20"))
TABLES = ("batches", "journal", "export_lists", "export_items", "return_apps", "claims", "decisions", "quarantine",
          "input_files")
REPORTS = ("decisions.csv", "reconciliation.xml", "backpay.csv", "quarantine.csv", "summary.json")


def start(inbox: Path, out: Path, *extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "processor.cli", "run", "--init", "--inbox", str(inbox), "--out", str(out),
                             "--quiet", *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def decisions(out: Path) -> dict:
    with open(out / "decisions.csv", encoding="utf-8-sig", newline="") as fh:
        return {(r["return_id"], r["gnum"]): {k: v for k, v in r.items() if k != "batch_id"}
                for r in csv.DictReader(fh)}


def ledger_state(out: Path) -> dict:
    """Rows in each ledger table; None for a table that does not exist (no ledger file, or a batch killed before it
    created that table).  Any other error, a corrupt or unreadable file, is not swallowed: it fails the test."""
    path = out / "ledger.sqlite"
    if not path.exists():
        return {t: None for t in (*TABLES, "unfinished")}
    con = sqlite3.connect(path)
    try:
        present = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        state = {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] if t in present else None for t in TABLES}
        state["unfinished"] = (con.execute("SELECT COUNT(*) FROM batches WHERE finished_at IS NULL").fetchone()[0]
                               if "batches" in present else None)
        return state
    finally:
        con.close()


def published_reports_are_whole(out: Path, expected: dict) -> None:
    """Every report in `out` under its final name is complete: a kill may keep a report from being published, never
    publish part of one."""
    if (out / "decisions.csv").exists():
        assert decisions(out) == expected
    if (out / "summary.json").exists():
        assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["batch_id"]
    if (out / "reconciliation.xml").exists():
        from lxml import etree
        etree.parse(str(out / "reconciliation.xml"))
    for name in ("backpay.csv", "quarantine.csv"):
        if (out / name).exists():
            with open(out / name, encoding="utf-8-sig", newline="") as fh:
                list(csv.reader(fh))


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    inbox = tmp_path_factory.mktemp("night")
    for f in DEMO.glob("*.xml"):
        shutil.copy(f, inbox / f.name)
    synth.synth_night(inbox / "_big", items=4000, returns=300, seed=11)
    for f in (inbox / "_big").glob("*.xml"):
        f.rename(inbox / f"big-{f.name}")
    (inbox / "_big").rmdir()
    return inbox


@pytest.fixture(scope="module")
def baseline(night, tmp_path_factory):
    out = tmp_path_factory.mktemp("baseline")
    t0 = time.monotonic()
    p = start(night, out)
    assert p.wait(120) == 0, p.stderr.read().decode()
    return out, time.monotonic() - t0


def survivors(out, wait_s: float = 5.0) -> list:
    """Processes still running for the batch writing into `out` (its readers), after up to wait_s."""
    deadline = time.monotonic() + wait_s
    while True:
        found = []
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if str(out).encode() in (proc / "cmdline").read_bytes():
                    found.append(proc.name)
            except OSError:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_kill_at_random_points_then_rerun(night, baseline, tmp_path):
    base_out, duration = baseline
    expected = decisions(base_out)
    full = ledger_state(base_out)
    assert all(full[t] for t in TABLES) and full["unfinished"] == 0, full
    rng = random.Random(int(os.environ.get("CRASH_SEED", "2026")))
    outcomes = {"before": 0, "after": 0}
    for kill in range(KILLS):
        out = tmp_path / f"k{kill}"
        p = start(night, out)
        time.sleep(rng.uniform(0.05, duration * 1.1))
        p.send_signal(signal.SIGKILL)
        p.wait(30)
        assert not survivors(out), "a reader process outlived its killed batch"
        state = ledger_state(out)
        # the ledger is as it was before the batch (no ledger, or tables without a row) or after it (complete, the
        # batch finished), never between
        committed = bool(state["batches"])
        if not committed:
            assert all(not n for n in state.values()), state
            published = [name for name in REPORTS if (out / name).exists()]
            assert not published, f"reports published for a batch that was not committed: {published}"
            outcomes["before"] += 1
        else:
            assert state == full, (state, full)
            published_reports_are_whole(out, expected)
            outcomes["after"] += 1
        leftovers = {f.name for f in out.glob(".*.tmp")}
        rerun = start(night, out)
        assert rerun.wait(120) == 0, rerun.stderr.read().decode()
        assert decisions(out) == expected
        after = ledger_state(out)
        if committed:  # a second batch of the same inbox: one more batch, nothing decided twice
            assert after["batches"] == 2 and after["unfinished"] == 0 and after["decisions"] == full["decisions"]
        else:  # the batch the kill stopped, done whole
            assert after == full, (after, full)
        # the rerun publishes every report it staged: temporary files left are only those of the kill
        assert {f.name for f in out.glob(".*.tmp")} <= leftovers
    print(f"kills={KILLS} outcomes={outcomes}")


def hold_ledger(path: Path) -> sqlite3.Connection:
    """Take the ledger's write lock as a running batch does."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    return con


def test_second_batch_on_the_same_ledger_waits_or_leaves(tmp_path):
    out = tmp_path / "out"
    assert start(DEMO, out).wait(120) == 0
    ledger = out / "ledger.sqlite"
    before = ledger_state(out)
    holder = hold_ledger(ledger)
    try:
        busy = start(DEMO, tmp_path / "second", "--ledger", f"sqlite:///{ledger}")
        assert busy.wait(60) == 75  # while the lock is still held: without --wait it does not wait for it
        err = busy.stderr.read().decode()
        assert "another batch is running" in err and "Traceback" not in err
        waiter = start(DEMO, tmp_path / "third", "--ledger", f"sqlite:///{ledger}", "--wait", "60")
        time.sleep(1.5)
        assert waiter.poll() is None  # still waiting for the lock
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert waiter.wait(120) == 0
    after = ledger_state(out)
    assert after["batches"] == before["batches"] + 1 and after["decisions"] == before["decisions"]


def test_two_real_batches_never_interleave(night, tmp_path):
    out = tmp_path / "out"
    first = start(night, out)
    time.sleep(0.3)
    second = start(night, tmp_path / "second", "--ledger", f"sqlite:///{out / 'ledger.sqlite'}", "--wait", "120")
    assert first.wait(120) == 0 and second.wait(180) == 0
    con = sqlite3.connect(out / "ledger.sqlite")
    rows = con.execute("SELECT started_at, finished_at FROM batches ORDER BY finished_at").fetchall()
    assert len(rows) == 2
    assert con.execute("SELECT MAX(version) FROM decisions").fetchone()[0] == 1  # nothing decided or held twice
    assert decisions(tmp_path / "second") == decisions(out)
