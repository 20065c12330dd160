"""The shared ledger against the embedded one (issue 16: PostgreSQL within 1.5x of SQLite on the 100k-item night).

`python bench/bench.py --pg postgresql://user@host/db` (or `make bench PG_URL=...`): the same synthetic night on a
fresh SQLite ledger and on a fresh database of that server (`processor_bench`, dropped and created for each run:
the URL's own database is only connected to), in turn, RUNS times each with every core. Prints the medians, their
ratio, the stages of each, and the time per CEB603 file over the first and the last 30 files (flat: a look-up
planned for an empty table had made each file slower than the one before).
"""
from __future__ import annotations

import shutil
import statistics
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from logged import file_seconds, stages

BOUND = 1.5
DATABASE = "processor_bench"


def fresh_database(server_url: str) -> str:
    """The URL of an empty database DATABASE on the server of `server_url`."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{DATABASE}", parts.query, parts.fragment))


def bench_postgres(work: Path, inbox: Path, runs: int, server_url: str, run_measured, measure_code: str) -> dict:
    results: dict = {"sqlite": [], "postgresql": []}
    for _ in range(runs):
        for backend in results:
            out = work / f"{backend}-out"
            shutil.rmtree(out, ignore_errors=True)
            url = fresh_database(server_url) if backend == "postgresql" else f"sqlite:///{(out / 'l.sqlite').resolve()}"
            m = run_measured(measure_code, ["run", "--init", "--ledger", url, "--inbox", str(inbox), "--out", str(out),
                                            "--quiet"], None, work / "run.json")
            m["timings"], _memory = stages(out)
            per_file = file_seconds(out)
            m["first_files_s"] = statistics.mean(per_file[:30])
            m["last_files_s"] = statistics.mean(per_file[-30:])
            results[backend].append(m)
    out = {}
    for backend, rows in results.items():
        out[backend] = {"seconds": round(statistics.median(r["seconds"] for r in rows), 2),
                        "stages_s": {k: round(statistics.median(r["timings"].get(k, 0) for r in rows), 2)
                                     for k in rows[0]["timings"]},
                        "first_30_files_s": round(statistics.median(r["first_files_s"] for r in rows), 3),
                        "last_30_files_s": round(statistics.median(r["last_files_s"] for r in rows), 3),
                        "peak_rss_mb": round(max(r["max_rss_mb"] for r in rows))}
    out["ratio"] = round(out["postgresql"]["seconds"] / out["sqlite"]["seconds"], 2)
    return out


def show(r: dict, items: int, runs: int) -> None:
    print(f"\nPostgreSQL against SQLite, {items:,} export items, every core, median of {runs} runs each:")
    for backend in ("sqlite", "postgresql"):
        x = r[backend]
        print(f"  {backend:<10} {x['seconds']:>8.2f} s  peak RSS {x['peak_rss_mb']} MB  per CEB603 file: first 30 "
              f"{x['first_30_files_s']:.3f} s, last 30 {x['last_30_files_s']:.3f} s")
        print(f"      stages: {', '.join(f'{k} {v}' for k, v in x['stages_s'].items())}")
    print(f"  PostgreSQL / SQLite: {r['ratio']} (bound {BOUND})")
