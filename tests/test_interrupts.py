"""Interrupts and failed runs, through the real command line (issue 12 item 4): SIGINT to the whole process group
(as Ctrl-C sends it) or SIGTERM to the batch alone, while it reads files or while its worker decides; a batch that
fails; a batch killed outright. Each must leave one plain line, the right exit status, the log saying so, no
process behind, nothing committed, no temporary file, and INCOMPLETE.txt saying the folder's reports are not
current; the next batch that completes removes it."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import DEMO, ROOT

# The batch as `processor run`, with a pause (or a failure) put in where the test wants the signal to find it.
HOOKED = r'''
import sys, time, pathlib
from processor import batch
from processor.stages import decide
where, ready = sys.argv[1], pathlib.Path(sys.argv[2])

def pause():
    ready.write_text(str(__import__("os").getpid()))
    time.sleep(120)

if where == "commit":  # once the batch is committed, while its reports are put in place
    from processor.sinks.files import Staged
    real_publish = Staged.publish
    def hooked_publish(self):
        ready.write_text("committed")
        time.sleep(3)
        real_publish(self)
    Staged.publish = hooked_publish
elif where == "ingest":  # after the first file is stored, in the batch's own process (the readers are ahead)
    real_ingest = batch.ingest
    def hooked_ingest(*a, **k):
        real_ingest(*a, **k)
        pause()
    batch.ingest = hooked_ingest
else:  # in the decide worker (a process of its own on two cores), or here on one
    real_chunk = decide.decide_chunk
    def hooked_chunk(*a, **k):
        if where == "fail":
            raise RuntimeError("a fault put in by the test")
        pause()
        return real_chunk(*a, **k)
    decide.decide_chunk = hooked_chunk
from processor.cli import main
sys.argv = ["processor"] + sys.argv[3:]
main()
'''


def _start(where: str, out: Path, ready: Path, inbox: Path = DEMO) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", HOOKED, where, str(ready), "run", "--inbox", str(inbox), "--out",
                             str(out)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _busy_night(tmp_path: Path) -> Path:
    """A night of many files: when the batch pauses after its first, the reader processes are still at work (or
    waiting with full queues), so a signal finds them alive."""
    inbox = tmp_path / "busy"
    subprocess.run([sys.executable, "-m", "processor.cli", "synth", "--items", "30000", "--returns", "300", "--out",
                    str(inbox)], cwd=ROOT, check=True, capture_output=True)
    return inbox


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the batch never reached the point of the test"
        time.sleep(0.05)


def _processes_naming(text: str) -> list[int]:
    """Processes whose command line names `text` (the batch and its forked workers share the batch's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _batches(out: Path) -> int:
    with sqlite3.connect(out / "ledger.sqlite") as conn:
        return conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0]


def _first_night(out: Path) -> str:
    """A night of the demo's export lists only: the returns, decided by the batch under test, come next."""
    inbox = out.parent / "lists"
    inbox.mkdir()
    for f in DEMO.iterdir():
        if "CEB60" in f.read_text(encoding="utf-8", errors="replace")[:400]:
            (inbox / f.name).write_bytes(f.read_bytes())
    done = subprocess.run([sys.executable, "-m", "processor.cli", "run", "--init", "--quiet", "--inbox", str(inbox),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads((out / "summary.json").read_text())["batch_id"]


def _events(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "processor.log").read_text().splitlines()]


@pytest.mark.parametrize("where,sig,to_group,status", [
    ("ingest", signal.SIGINT, True, 130),
    ("decide", signal.SIGINT, True, 130),
    ("ingest", signal.SIGTERM, False, 143),
    ("decide", signal.SIGTERM, False, 143),
    ("ingest", signal.SIGHUP, True, 129),  # the terminal closed (an ssh session dropped)
])
def test_a_signal_ends_the_batch_cleanly_and_commits_nothing(tmp_path, where, sig, to_group, status):
    out = tmp_path / "out"
    first = _first_night(out)
    before = (out / "decisions.csv").read_bytes()
    proc = _start(where, out, tmp_path / "ready", _busy_night(tmp_path) if where == "ingest" else DEMO)
    _wait_for(tmp_path / "ready", proc)
    if to_group:
        os.killpg(proc.pid, sig)  # as the terminal's Ctrl-C: the batch and every worker receive it
    else:
        proc.send_signal(sig)  # as `kill PID` or a scheduler's stop: the batch alone
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == status, stderr
    name = signal.Signals(sig).name
    lines = stderr.splitlines()
    assert lines[-1] == f"interrupted by {name}: nothing was committed"
    assert "Traceback" not in stderr and "Aborted" not in stderr and sum("interrupted" in ln for ln in lines) == 1
    assert any(e["event"] == "interrupted" and e["signal"] == name for e in _events(out))
    deadline = time.monotonic() + 10
    while _processes_naming(str(out)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_naming(str(out)) == [], "a worker was left behind"
    assert _batches(out) == 1  # nothing of the interrupted batch was committed
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    assert (out / "decisions.csv").read_bytes() == before
    marker = (out / "INCOMPLETE.txt").read_text(encoding="utf-8")
    assert "NOT those of the latest run" in marker and f"interrupted by {name}" in marker
    assert f"of batch {first}" in marker
    interrupted = next(e["batch_id"] for e in _events(out) if e["event"] == "interrupted")
    assert interrupted and interrupted != first and f"batch:          {interrupted}" in marker
    again = subprocess.run([sys.executable, "-m", "processor.cli", "run", "--quiet", "--inbox", str(DEMO), "--out",
                            str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert not (out / "INCOMPLETE.txt").exists()  # the folder's reports are current again


def test_a_failed_batch_leaves_a_marker_naming_it_and_the_reports_still_there(tmp_path):
    out = tmp_path / "out"
    first = _first_night(out)
    proc = _start("fail", out, tmp_path / "ready")
    _stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 1, stderr
    assert stderr.splitlines()[-1].startswith("error: the batch could not complete, nothing was committed: "
                                              "RuntimeError: a fault put in by the test")
    assert "Traceback" not in stderr
    marker = (out / "INCOMPLETE.txt").read_text(encoding="utf-8")
    assert "RuntimeError: a fault put in by the test" in marker and f"of batch {first}" in marker
    assert _batches(out) == 1


def test_a_batch_killed_outright_leaves_the_marker_it_began_with(tmp_path):
    out = tmp_path / "out"
    first = _first_night(out)
    proc = _start("ingest", out, tmp_path / "ready")
    _wait_for(tmp_path / "ready", proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    marker = (out / "INCOMPLETE.txt").read_text(encoding="utf-8")
    assert "started and has not finished" in marker and f"of batch {first}" in marker
    assert _batches(out) == 1


def test_the_next_batch_removes_temporary_reports_a_killed_one_left(tmp_path):
    """SIGKILL cannot be handled: a batch killed while writing leaves its hidden temporary reports; the next batch
    into the folder removes them (once it holds the ledger), and nothing else."""
    out = tmp_path / "out"
    _first_night(out)
    left = [out / ".decisions.csv.k1ll3d.tmp", out / ".reconciliation.xml.x7y8z9.tmp"]
    for f in left:
        f.write_text("half a report")
    mine = out / ".notes.txt.tmp"
    mine.write_text("the user's own")
    rows_dir = out / ".report.xlsx.k1ll3d.tmp"  # report.xlsx's row files, as a killed batch leaves them
    rows_dir.mkdir()
    (rows_dir / "tmpabc123").write_text("<row r='2'>")
    left.append(rows_dir)
    done = subprocess.run([sys.executable, "-m", "processor.cli", "run", "--quiet", "--inbox", str(DEMO), "--out",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not any(f.exists() for f in left) and mine.exists()
    swept = [e for e in _events(out) if e["event"] == "stale_temporary_reports_removed"]
    assert sorted(swept[-1]["files"]) == sorted(f.name for f in left)


def test_a_signal_during_the_commit_is_noted_and_the_batch_stands(tmp_path):
    out = tmp_path / "out"
    _first_night(out)
    proc = _start("commit", out, tmp_path / "ready")
    _wait_for(tmp_path / "ready", proc)
    os.killpg(proc.pid, signal.SIGINT)
    _stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert stderr.strip().splitlines()[-1].startswith("SIGINT received after the commit: batch ")
    assert "Traceback" not in stderr
    assert _batches(out) == 2 and not (out / "INCOMPLETE.txt").exists()
    assert json.loads((out / "summary.json").read_text())["decisions"]["lines"] == 20


def test_runs_that_do_nothing_leave_no_marker_and_quick_runs_no_worker_traceback(tmp_path):
    """Exit 2 (no ledger) and 75 (the ledger held) change nothing in --out; and a run so short that its workers
    are ended while they start (an empty inbox) never prints a worker's traceback."""
    out = tmp_path / "out"
    _first_night(out)
    missing = subprocess.run([sys.executable, "-m", "processor.cli", "run", "--inbox", str(DEMO), "--out", str(out),
                              "--ledger", f"sqlite:///{tmp_path}/nowhere.sqlite"], cwd=ROOT, capture_output=True,
                             text=True, timeout=300)
    assert missing.returncode == 2 and not (out / "INCOMPLETE.txt").exists()
    with sqlite3.connect(out / "ledger.sqlite") as holder:
        holder.execute("BEGIN IMMEDIATE")
        busy = subprocess.run([sys.executable, "-m", "processor.cli", "run", "--inbox", str(DEMO), "--out", str(out)],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        holder.rollback()
    assert busy.returncode == 75 and not (out / "INCOMPLETE.txt").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    for _ in range(8):
        done = subprocess.run([sys.executable, "-m", "processor.cli", "run", "--quiet", "--inbox", str(empty), "--out",
                               str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr


def test_ctrl_c_while_waiting_for_the_ledger_acts_at_once(tmp_path):
    """--wait 300 on a ledger another batch holds: a Ctrl-C ends the wait within a moment, with one line and exit
    130 (SQLite's own wait is one call Python cannot interrupt: the batch waits in short steps)."""
    out = tmp_path / "out"
    _first_night(out)
    with sqlite3.connect(out / "ledger.sqlite") as holder:
        holder.execute("BEGIN IMMEDIATE")
        proc = subprocess.Popen([sys.executable, "-m", "processor.cli", "run", "--inbox", str(DEMO), "--out",
                                 str(out), "--wait", "300"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        time.sleep(3)  # well into the wait
        sent = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        _stdout, stderr = proc.communicate(timeout=60)
        took = time.monotonic() - sent
        holder.rollback()
    assert proc.returncode == 130, stderr
    assert took < 5, took
    assert stderr.strip().splitlines()[-1] == "interrupted by SIGINT: nothing was committed"
    assert "Traceback" not in stderr and _batches(out) == 1
