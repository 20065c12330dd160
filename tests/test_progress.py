"""Progress as a user sees it (issue 12 item 1), through the real command line: on a terminal (a pseudo-terminal
here) a live line per stage, redrawn in place, with files, records, items/s, elapsed time and an estimate; not on
a terminal, one line per stage; with --quiet, none."""
from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios

from .conftest import DEMO, ROOT

STAGES = ("intake", "ingest", "settle", "decide", "report")


def _on_a_terminal(args: list[str], columns: int = 100) -> tuple[int, str]:
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, columns, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "processor.cli", *args], cwd=ROOT, stdin=follower,
                            stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
    out = b""
    while True:
        try:
            block = os.read(leader, 65536)
        except OSError:  # the other end closed: the batch has ended
            break
        if not block:
            break
        out += block
    os.close(leader)
    return proc.wait(timeout=300), out.decode("utf-8", errors="replace")


def test_on_a_terminal_each_stage_has_a_live_line_then_its_figures(tmp_path):
    status, seen = _on_a_terminal(["run", "--init", "--inbox", str(DEMO), "--out", str(tmp_path / "out")])
    assert status == 0, seen
    draws = [d for d in seen.replace("\r\n", "\n").split("\r") if d.strip()]
    live = [d for d in draws if " elapsed" in d]
    for stage in ("intake", "ingest", "report"):  # those with a total: a bar, a percentage and an estimate
        assert any(re.search(rf"^  {stage}\s+\d+% \|.*\| \d\d:\d\d elapsed, about .* left \| ", d) for d in live), stage
    assert any(re.search(r"^  ingest .*\d+/7 files, [\d,]+ records, [\d,]+ items, [\d,]+ items/s", d) for d in live)
    lines = seen.replace("\r\n", "\n").split("\n")
    for stage in STAGES:  # each live line is replaced by the stage's figures when it ends
        assert any(re.search(rf"^\r?\s*\r?  {stage}\s+.*\d+\.\d s$", ln) for ln in lines), stage


def test_not_on_a_terminal_one_line_per_stage_and_quiet_means_none(tmp_path):
    done = subprocess.run([sys.executable, "-m", "processor.cli", "run", "--init", "--inbox", str(DEMO), "--out",
                           str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr
    for stage in STAGES:
        assert len([ln for ln in done.stderr.splitlines() if ln.startswith(f"  {stage} ")]) == 1, stage
    assert re.search(r"^  ingest  7/7 files, 136 records, 305 items, [\d,]+ items/s; \d+\.\d s$", done.stderr, re.M)
    assert re.search(r"^  decide  20/20 lines, [\d,]+ lines/s; \d+\.\d s$", done.stderr, re.M)
    quiet = subprocess.run([sys.executable, "-m", "processor.cli", "run", "--quiet", "--inbox", str(DEMO), "--out",
                            str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert quiet.returncode == 0 and quiet.stderr == ""
    status, seen = _on_a_terminal(["run", "--quiet", "--inbox", str(DEMO), "--out", str(tmp_path / "out")])
    assert status == 0 and seen.strip() == ""
    log = (tmp_path / "out" / "processor.log").read_text()
    assert log.count('"event": "stage_done"') == 3 * len(STAGES)  # the log has every stage, quiet or not
