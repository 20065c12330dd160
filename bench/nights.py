"""Consecutive nights on one ledger (issue #16): does a night cost more as the ledger ages?

`python bench/bench.py --nights K [--night-items N] [--ledger URL | --pg SERVER_URL]` (`make bench-nights`)
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
import time
from datetime import date
from pathlib import Path

from logged import stages

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's processor, whatever is installed
from processor.synth import DAY0, night_date  # noqa: E402
BOUND = 1.15
LAST_BOUND = 1.3
RETURNS_PER_ITEM = 0.1  # a night's return lines per export item, unless told


def _folder(items: int, days: int, returns_per_item: float, first: date = DAY0) -> str:
    return (f"nights-{items}{'' if days == 1 else f'-every-{days}-days'}"
            f"{'' if returns_per_item == RETURNS_PER_ITEM else f'-returns-{returns_per_item:g}'}"
            f"{'' if first == DAY0 else f'-from-{first:%Y%m%d}'}")


def night_inbox(work: Path, n: int, items: int, days: int = 1, returns_per_item: float = 0.1,
                first: date = DAY0) -> Path:
    inbox = work / _folder(items, days, returns_per_item, first) / f"night-{n:03d}"
    stamp = inbox.parent / f"night-{n:03d}.complete"  # beside the inbox: a file in it would be read
    if not stamp.exists():
        shutil.rmtree(inbox, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "processor.cli", "synth", "--night", str(n), "--items", str(items),
                        "--returns", str(max(1, round(items * returns_per_item))), "--out", str(inbox), "--seed", "7",
                        "--night-days", str(days), "--first-day", first.isoformat()], cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)
        stamp.write_text("ok")
    return inbox


def ledger_bytes(url: str) -> int:
    """The ledger's size on disk: the SQLite file with its WAL, or the PostgreSQL database."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def free_bytes(url: str) -> int | None:
    """Of a SQLite file, the pages free inside it (left by `processor archive`, reused by the next nights)."""
    if not url.startswith("sqlite:///"):
        return None
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(f"file:{url[len('sqlite:///'):]}?mode=ro", uri=True)) as conn:
        return conn.execute("PRAGMA freelist_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]


def bench_nights(work: Path, k: int, items: int, url: str | None, run_measured, measure_code: str,
                 pg_server: str | None = None, drop_inputs: bool = False, days: int = 1, archive: bool = False,
                 returns_per_item: float = 0.1, first: date = DAY0) -> dict:
    """`url`: the ledger (a fresh SQLite file when None); `pg_server`: instead, a fresh database on that server;
    `drop_inputs`: each night's inbox deleted after its run (30 nights of 1M items are 36 GB of XML); `days`: the
    days between nights (30: the years of a ledger in a few dozen nights); `archive`: `processor archive` as of
    each night's day before it runs (the months whose windows have closed), timed apart; `returns_per_item`:
    return lines a night per export item (0.1: one for every ten items exported); `first`: night 1's day."""
    base = work / _folder(items, days, returns_per_item, first)
    base.mkdir(parents=True, exist_ok=True)
    if pg_server:
        from postgres import fresh_database
        url = fresh_database(pg_server)
    elif url is None:
        db = base / "ledger.db"
        for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            p.unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    rows, stored = [], 0
    for n in range(1, k + 1):
        inbox = night_inbox(work, n, items, days, returns_per_item, first)
        out = base / "out"
        archive_s = None
        if archive and n > 1:
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "processor.cli", "archive", "--ledger", url, "--as-of",
                            night_date(n, days, first).isoformat()], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            archive_s = round(time.perf_counter() - t, 2)
        shutil.rmtree(out, ignore_errors=True)
        args = ["run", "--ledger", url, "--inbox", str(inbox), "--out", str(out), "--quiet"] + (
            ["--init"] if n == 1 else [])
        m = run_measured(measure_code, args, None, base / "run.json")
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        stored += summary["inputs"]["CEB603"]["items"]["stored"]
        size = ledger_bytes(url)
        free = (free_bytes(url) or 0) if archive else None
        timings, _memory = stages(out)
        row = {"night": n, "seconds": round(m["seconds"], 2), "peak_rss_mb": round(m["max_rss_mb"]),
               "ledger_mb": round(size / 1e6, 1), "items_in_ledger": stored, "bytes_per_item": round(size / stored),
               "stages_s": timings, **({"archive_s": archive_s, "free_mb": round(free / 1e6, 1),
                                        "bytes_per_item_in_use": round((size - free) / stored)} if archive else {})}
        rows.append(row)
        if drop_inputs:
            shutil.rmtree(inbox, ignore_errors=True)
            (inbox.parent / f"{inbox.name}.complete").unlink(missing_ok=True)
        shown = ("open_inputs", "storage_check", "ingest", "settle", "decide", "reports", "commit")
        print(f"  night {n:>3}: {row['seconds']:>7.2f} s  peak RSS {row['peak_rss_mb']:>5} MB  "
              f"ledger {row['ledger_mb']:>8} MB  {stored:>11,} items  {row['bytes_per_item']:>5} B/item  "
              f"({', '.join(f'{s} {timings[s]:.1f}' for s in shown if s in timings)})"
              + (f"  archive {'-' if archive_s is None else f'{archive_s} s'}, {row['bytes_per_item_in_use']} B/item "
                 "in use" if archive else ""),
              flush=True)
    early = statistics.median(r["seconds"] for r in rows[:3])
    late = statistics.median(r["seconds"] for r in rows[-3:])
    ratio = round(late / early, 3)
    print(f"  median of the last three nights / median of nights 1-3: {ratio} (bound {BOUND})")
    if k > 2:
        print(f"  last night / second night: {rows[-1]['seconds'] / rows[1]['seconds']:.3f} (bound {LAST_BOUND} "
              "over 30 nights of 1M items)")
    return {"nights": k, "items_per_night": items, "days_between": days, "first_day": first.isoformat(),
            "archive": archive,
            "returns_per_item": returns_per_item,
            "ledger": url.split("@")[-1], "rows": rows, "ratio": ratio}
