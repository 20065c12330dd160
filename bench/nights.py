"""Consecutive nights on one ledger (issue #16): does a night cost more as the ledger ages?

`python bench/bench.py --nights K [--night-items N] [--ledger URL]` (or `make bench BENCH_ARGS='--nights 12'`)
writes K synthetic nights with `processor synth --night n` (keys unique across nights, each night's returns
drawn from the exports of the 60 nights before it; kept in bench-out/ between runs), runs them in turn on
one fresh ledger with every core, and prints each night's time, peak memory, the ledger's size and its bytes
per export item; then the median of the last three nights over the median of nights 1-3 (the issue's bound:
1.15 over 12 nights of 300,000 items).
"""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOUND = 1.15


def night_inbox(work: Path, n: int, items: int) -> Path:
    inbox = work / f"nights-{items}" / f"night-{n:03d}"
    stamp = inbox.parent / f"night-{n:03d}.complete"  # beside the inbox: a file in it would be read
    if not stamp.exists():
        shutil.rmtree(inbox, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "processor.cli", "synth", "--night", str(n), "--items", str(items),
                        "--returns", str(max(1, items // 10)), "--out", str(inbox), "--seed", "7"], cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)
        stamp.write_text("ok")
    return inbox


def ledger_bytes(url: str) -> int | None:
    """The SQLite ledger's size on disk (with its WAL); None for a server's ledger (docs/performance.md)."""
    if not url.startswith("sqlite:///"):
        return None
    path = Path(url[len("sqlite:///"):])
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def bench_nights(work: Path, k: int, items: int, url: str | None, run_measured, measure_code: str) -> dict:
    base = work / f"nights-{items}"
    base.mkdir(parents=True, exist_ok=True)
    if url is None:
        db = base / "ledger.db"
        for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            p.unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    rows, stored = [], 0
    for n in range(1, k + 1):
        inbox = night_inbox(work, n, items)
        out = base / "out"
        shutil.rmtree(out, ignore_errors=True)
        args = ["run", "--ledger", url, "--inbox", str(inbox), "--out", str(out), "--quiet"] + (
            ["--init"] if n == 1 else [])
        m = run_measured(measure_code, args, None, base / "run.json")
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        stored += summary["inputs"]["CEB603"]["items"]["stored"]
        size = ledger_bytes(url)
        row = {"night": n, "seconds": round(m["seconds"], 2), "peak_rss_mb": round(m["max_rss_mb"]),
               "ledger_mb": None if size is None else round(size / 1e6, 1), "items_in_ledger": stored,
               "bytes_per_item": None if size is None else round(size / stored),
               "stages_s": summary.get("timings_s", {})}
        rows.append(row)
        print(f"  night {n:>3}: {row['seconds']:>7.2f} s  peak RSS {row['peak_rss_mb']:>5} MB  "
              f"ledger {row['ledger_mb'] if size is not None else '-':>8} MB  {stored:>11,} items  "
              f"{row['bytes_per_item'] if size is not None else '-':>5} B/item", flush=True)
    first = statistics.median(r["seconds"] for r in rows[:3])
    last = statistics.median(r["seconds"] for r in rows[-3:])
    ratio = round(last / first, 3)
    print(f"  median of the last three nights / median of nights 1-3: {ratio} (bound {BOUND})")
    return {"nights": k, "items_per_night": items, "ledger": url.split("@")[-1], "rows": rows, "ratio": ratio}
