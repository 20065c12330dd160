"""What a timed run's processor.log says of it: the time of each stage and the peak memory at its end (the log's
last word: it includes the reports and the commit, which summary.json cannot), and the time each input file took."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path


def stages(out: Path) -> tuple[dict, dict]:
    """(seconds by stage, peak RSS in MB at the end of each stage) of the run whose --out is `out`."""
    timings, memory = {}, {}
    for line in (out / "processor.log").read_text(encoding="utf-8").splitlines():
        if '"timings"' in line:
            timings = {k: v for k, v in json.loads(line).items() if isinstance(v, (int, float))}
        elif '"peak_memory_mb"' in line:
            memory = {k: v for k, v in json.loads(line).items() if isinstance(v, (int, float))}
    return timings, memory


def file_seconds(out: Path, kind: str = "CEB603") -> list[float]:
    """Seconds between one file's `file_read` line and the next's, for the files of `kind`, in reading order."""
    times = []
    for line in (out / "processor.log").read_text(encoding="utf-8").splitlines():
        if '"file_read"' in line:
            event = json.loads(line)
            times.append((datetime.fromisoformat(event["timestamp"].rstrip("Z")), event.get("kind")))
    return [(b - a).total_seconds() for (a, _k), (b, k) in zip(times, times[1:]) if k == kind]
