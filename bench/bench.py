"""make bench: the processor against a raw lxml parse of the same files, on synthetic nights.

For each size: generate a deterministic night with `processor synth` (kept in bench-out/ between
runs), then, three times each, time a raw `iterparse` + `clear()` pass over the same files and a full
`processor run` (fresh ledger) limited to one core and allowed every core. Prints items/s, MB/s, peak
RSS, the stage timings of the run and the ratio run/raw (medians of the runs), the same without the
decide stage, and once the floor (bench/floor.py): the least work this design could do for the lists.

Then, against the ledger of the largest night (all cores), `processor reassess` of its latest
100,000 return lines (--since chosen so): the cost of applying a new announcement, tariff or holiday
calendar to decisions already made (issue #11: at most 60 s for 100k lines on a 1M-item ledger).

    python bench/bench.py [--sizes 100000,1000000] [--ten-million] [--runs 3] [--modes one,all] [--work bench-out]
        [--reassess-lines 100000]
    python bench/bench.py --nights 12 [--night-items 300000] [--ledger URL | --pg SERVER_URL]    (bench/nights.py)
    python bench/bench.py --pg postgresql://user@host/db [--sizes ''] [--runs 3]    (bench/postgres.py)
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from logged import stages

ROOT = Path(__file__).resolve().parent.parent
MEASURE = r"""
import resource, sys, json, time
from processor.cli import main
t = time.perf_counter()
try:
    main(sys.argv[2:], standalone_mode=False)
finally:
    with open(sys.argv[1], "w") as fh:
        json.dump({"seconds": time.perf_counter() - t,
                   "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                   "max_child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}, fh)
"""
RAW = r"""
import glob, resource, sys, time, json
from lxml import etree
files = sorted(glob.glob(sys.argv[2] + "/*.xml"))
t = time.perf_counter()
n = 0
for f in files:
    for _ev, el in etree.iterparse(f, events=("end",)):
        el.clear()
        n += 1
with open(sys.argv[1], "w") as fh:
    json.dump({"seconds": time.perf_counter() - t, "elements": n,
               "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}, fh)
"""


def run_measured(code: str, args: list, cores: set | None, result: Path) -> dict:
    def limit():
        if cores is not None:
            os.sched_setaffinity(0, cores)
    subprocess.run([sys.executable, "-c", code, str(result), *args], cwd=ROOT, check=True, preexec_fn=limit,
                   stdout=subprocess.DEVNULL)
    return json.loads(result.read_text())


def night(work: Path, items: int) -> Path:
    inbox = work / f"night-{items}"
    stamp = work / f"night-{items}.complete"  # beside the inbox: a file in it would be read (and quarantined)
    if (inbox / ".complete").exists():  # where earlier versions kept it
        (inbox / ".complete").replace(stamp)
    if not stamp.exists():
        shutil.rmtree(inbox, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "processor.cli", "synth", "--items", str(items), "--returns",
                        str(max(1, items // 10)), "--out", str(inbox), "--seed", "7"], cwd=ROOT, check=True)
        stamp.write_text("ok")
    return inbox


def bench_size(work: Path, items: int, runs: int, modes=("one core", "all cores")) -> dict:
    inbox = night(work, items)
    size_mb = sum(f.stat().st_size for f in inbox.glob("*.xml")) / 1e6
    cpus = sorted(os.sched_getaffinity(0))
    one, every = {cpus[0]}, set(cpus)
    out = {"items": items, "input_mb": round(size_mb, 1), "files": len(list(inbox.glob("*.xml")))}
    raw, single, multi = [], [], []
    for i in range(runs):
        raw.append(run_measured(RAW, [str(inbox)], one, work / "raw.json"))
        for cores, bucket, label in ((one, single, "one core"), (every, multi, "all cores")):
            if label not in modes:
                continue
            target = work / "run-out"
            shutil.rmtree(target, ignore_errors=True)
            m = run_measured(MEASURE, ["run", "--init", "--inbox", str(inbox), "--out", str(target), "--quiet"], cores,
                             work / "run.json")
            summary = json.loads((target / "summary.json").read_text())
            m["timings"], m["memory"] = stages(target)
            m["decisions"] = summary["decisions"]["lines"]
            bucket.append(m)
    med = lambda rows, k: statistics.median(r[k] for r in rows)  # noqa: E731
    raw_s = med(raw, "seconds")
    for label, rows in (("one core", single), ("all cores", multi)):
        if not rows:
            continue
        s = med(rows, "seconds")
        out[label] = {"seconds": round(s, 2), "items_per_s": round(items / s), "mb_per_s": round(size_mb / s, 1),
                      "peak_rss_mb": round(max(r["max_rss_mb"] for r in rows)),
                      "reader_rss_mb": round(max(r.get("max_child_rss_mb", 0) for r in rows)),
                      "ratio_to_raw": round(s / raw_s, 2),
                      "decisions": rows[0]["decisions"],
                      "stages_s": {k: round(statistics.median(r["timings"].get(k, 0) for r in rows), 2)
                                   for k in rows[0]["timings"]},
                      "peak_rss_mb_by_stage": {k: max(r.get("memory", {}).get(k, 0) for r in rows)
                                               for k in rows[0].get("memory", {})}}
    floor = subprocess.run([sys.executable, str(ROOT / "bench" / "floor.py"), str(inbox)], cwd=ROOT, check=True,
                           capture_output=True, text=True, preexec_fn=lambda: os.sched_setaffinity(0, one))
    f = json.loads(floor.stdout)
    f["seconds"] = round(f["parse_s"] + f["sqlite_s"] + f["commit_s"], 2)
    f["ratio_to_raw"] = round(f["seconds"] / raw_s, 2)
    out["floor"] = f
    out["raw"] = {"seconds": round(raw_s, 2), "items_per_s": round(items / raw_s), "mb_per_s": round(size_mb / raw_s, 1),
                  "peak_rss_mb": round(max(r["max_rss_mb"] for r in raw))}
    return out


def bench_reassess(work: Path, lines: int) -> dict:
    """`processor reassess` of the latest `lines` return lines of the ledger the last timed run left."""
    import sqlite3

    ledger = work / "run-out" / "ledger.sqlite"
    con = sqlite3.connect(ledger)
    total = con.execute("SELECT COUNT(*) FROM decisions WHERE status = 'current'").fetchone()[0]
    items = con.execute("SELECT COUNT(*) FROM export_items").fetchone()[0]
    row = con.execute("SELECT return_date FROM decisions WHERE status = 'current' ORDER BY return_date DESC "
                      "LIMIT 1 OFFSET ?", (max(0, min(lines, total) - 1),)).fetchone()
    since = row[0]
    covered = con.execute("SELECT COUNT(*) FROM decisions WHERE status = 'current' AND return_date >= ?",
                          (since,)).fetchone()[0]
    con.close()
    target = work / "reassess-out"
    shutil.rmtree(target, ignore_errors=True)
    m = run_measured(MEASURE, ["reassess", "--ledger", f"sqlite:///{ledger.resolve()}", "--out", str(target),
                               "--since", since, "--quiet"], None, work / "reassess.json")
    summary = json.loads((target / "summary.json").read_text())
    return {"ledger_items": items, "lines": covered, "since": since, "seconds": round(m["seconds"], 2),
            "peak_rss_mb": round(m["max_rss_mb"]), "decided": summary["decisions"]["decided_now"],
            "revised": summary["decisions"]["revised"]}


def bench_readable(work: Path) -> dict:
    """What report.xlsx and report.html cost: `processor report --batch` of the last timed run's batch, with them
    and without them (PROCESSOR_READABLE_REPORTS), the difference and the peak memory of the run with them."""
    import sqlite3

    ledger = work / "run-out" / "ledger.sqlite"
    with sqlite3.connect(ledger) as con:
        batch_id = con.execute("SELECT MAX(batch_id) FROM batches").fetchone()[0]
        lines = con.execute("SELECT COUNT(*) FROM batch_decisions WHERE batch_id = ?", (batch_id,)).fetchone()[0]
    out = {"lines": lines}
    for label, flag in (("with", "1"), ("without", "0")):
        target = work / f"report-{label}"
        shutil.rmtree(target, ignore_errors=True)
        os.environ["PROCESSOR_READABLE_REPORTS"] = flag
        try:
            m = run_measured(MEASURE, ["report", "--batch", batch_id, "--ledger", f"sqlite:///{ledger.resolve()}",
                                       "--out", str(target)], None, work / "report.json")
        finally:
            os.environ.pop("PROCESSOR_READABLE_REPORTS", None)
        out[label] = {"seconds": round(m["seconds"], 2), "peak_rss_mb": round(m["max_rss_mb"])}
    out["readable_s"] = round(out["with"]["seconds"] - out["without"]["seconds"], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--ten-million", action="store_true", help="also 10,000,000 items (about 10 GB of XML)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default=str(ROOT / "bench-out"))
    ap.add_argument("--modes", default="one,all", help="one, all or one,all: the core limits to time")
    ap.add_argument("--reassess-lines", type=int, default=100_000,
                    help="lines of the largest night's ledger to reassess (0: skip)")
    ap.add_argument("--nights", type=int, default=0,
                    help="instead: this many consecutive nights on one ledger (bench/nights.py)")
    ap.add_argument("--night-items", type=int, default=300_000, help="export items per night, with --nights")
    ap.add_argument("--drop-inputs", action="store_true",
                    help="with --nights: delete each night's inbox after its run (1M items: 1.2 GB a night)")
    ap.add_argument("--night-days", type=int, default=1,
                    help="with --nights: days between nights (30: a month of exports a night)")
    ap.add_argument("--returns-per-item", type=float, default=0.1,
                    help="with --nights: return lines a night per export item (0.1: one for every ten exported)")
    ap.add_argument("--first-day", default=None, metavar="YYYY-MM-DD",
                    help="with --nights: night 1's day (2026-05-01 unless set; rates and policies run to 2027-12)")
    ap.add_argument("--archive", action="store_true",
                    help="with --nights: `processor archive` as of each night's day before it runs")
    ap.add_argument("--ledger", default=None, help="with --nights: the ledger's URL (a fresh SQLite file unless set)")
    ap.add_argument("--pg", default=None, metavar="URL",
                    help="a PostgreSQL server (postgresql://user@host/db): also the 100k night on it against SQLite "
                         "(bench/postgres.py; it creates and drops the database processor_bench)")
    args = ap.parse_args()
    if args.nights:
        from nights import DAY0, _folder, bench_nights
        first = date.fromisoformat(args.first_day) if args.first_day else DAY0
        work = Path(args.work)
        print(f"{args.nights} consecutive nights of {args.night_items:,} export items on one ledger")
        r = bench_nights(work, args.nights, args.night_items, args.ledger, run_measured, MEASURE, args.pg,
                         args.drop_inputs, args.night_days, args.archive, args.returns_per_item, first)
        name = (f"{_folder(args.night_items, args.night_days, args.returns_per_item, first)}"
                f"{'-archived' if args.archive else ''}{'-pg' if args.pg else ''}.json")
        (work / name).write_text(json.dumps(r, indent=2))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.ten_million:
        sizes.append(10_000_000)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for items in sizes:
        t = time.perf_counter()
        modes = tuple(f"{m.strip()} core{'s' if m.strip() == 'all' else ''}" for m in args.modes.split(","))
        r = bench_size(work, items, args.runs, modes)
        results.append(r)
        print(f"\n{items:,} export items, {r['files']} files, {r['input_mb']} MB "
              f"(median of {args.runs} runs, {time.perf_counter() - t:.0f} s in all)")
        raw = r["raw"]
        print(f"  raw lxml iterparse+clear  {raw['seconds']:>8.2f} s {raw['items_per_s']:>9,} items/s "
              f"{raw['mb_per_s']:>7} MB/s  peak RSS {raw['peak_rss_mb']} MB")
        for label in ("one core", "all cores"):
            if label not in r:
                continue
            x = r[label]
            print(f"  processor run, {label:<9} {x['seconds']:>8.2f} s {x['items_per_s']:>9,} items/s "
                  f"{x['mb_per_s']:>7} MB/s  peak RSS {x['peak_rss_mb']} MB (largest reader process "
                  f"{x['reader_rss_mb']} MB)  ratio run/raw {x['ratio_to_raw']}")
            no_decide = x["seconds"] - x["stages_s"].get("decide", 0)
            print(f"      without the decide stage (ingest, settle, reports, commit) {no_decide:.2f} s, "
                  f"ratio {no_decide / raw['seconds']:.2f}")
            print(f"      stages: {', '.join(f'{k} {v}' for k, v in x['stages_s'].items())}; "
                  f"{x['decisions']} return lines decided")
            if x["peak_rss_mb_by_stage"]:
                print(f"      peak RSS (MB) at the end of each stage: "
                      f"{', '.join(f'{k} {v}' for k, v in x['peak_rss_mb_by_stage'].items())}")
        f = r["floor"]
        print(f"  floor (bench/floor.py, one core: the lists only, scanned, matched, rows and hashes, SQLite "
              f"inserts and commit, nothing checked or decided) {f['seconds']:.2f} s (parse {f['parse_s']}, "
              f"SQLite {f['sqlite_s']}, commit {f['commit_s']})  ratio floor/raw {f['ratio_to_raw']}")
    if args.reassess_lines and results:
        r = bench_reassess(work, args.reassess_lines)
        results[-1]["reassess"] = r
        print(f"\nreassess of {r['lines']:,} lines (return date on or after {r['since']}) on a ledger of "
              f"{r['ledger_items']:,} export items: {r['seconds']:.2f} s, peak RSS {r['peak_rss_mb']} MB "
              f"({r['decided']} decided, {r['revised']} revised)")
    if args.pg:
        from postgres import bench_postgres, show
        r = bench_postgres(work, night(work, 100_000), args.runs, args.pg, run_measured, MEASURE)
        show(r, 100_000, args.runs)
        (work / "postgres.json").write_text(json.dumps(r, indent=2))
    if results:
        r = bench_readable(work)
        results[-1]["readable_reports"] = r
        print(f"\nreport.xlsx and report.html for {r['lines']:,} lines: {r['readable_s']:.2f} s more "
              f"(processor report --batch: {r['with']['seconds']:.2f} s with them, {r['without']['seconds']:.2f} s "
              f"without), peak RSS {r['with']['peak_rss_mb']} MB")
    (work / "results.json").write_text(json.dumps(results, indent=2))
    print(f"\nresults in {work / 'results.json'}")


if __name__ == "__main__":
    main()
