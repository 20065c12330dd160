"""make bench-spark: the Spark engine's rate per executor core and its memory, for docs/scale.md (issue #15).

For each size and each master: a deterministic synthetic night (`processor synth`, kept in bench-out/ between
runs), run once with `processor run --engine spark --init` on a fresh lake. A `local[N]` run is held to N
cores (its JVM's own threads and its Python workers included), so its rate per core is one core's. Prints the
wall time, items/s and items/s per core, the time of each stage (summary.json timings_s), and the peak
resident memory of the driver's Python process, of the JVM (in local mode the driver and the executors share
it) and of the Python workers together, sampled from /proc every half second (Linux).

    python bench/spark.py [--sizes 100000,1000000] [--masters 'local[1],local[2]'] [--work bench-out]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import night  # noqa: E402  (the same synthetic nights as make bench)


def _children() -> dict:
    """pid -> parent pid, for every process."""
    out = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
                out[int(d.name)] = int(stat[stat.rindex(")") + 2:].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    return out


def _hwm_mb(pid: int) -> tuple[str, float]:
    """(command line, VmHWM in MB: the process's peak resident set so far)."""
    try:
        cmd = (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        m = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
        return cmd, int(m.group(1)) / 1024 if m else 0.0
    except OSError:
        return "", 0.0


class Sampler(threading.Thread):
    """The peak memory of a process tree by role: driver (the root), jvm, workers (pyspark.daemon, summed
    over the workers alive at one sample), taken every `every` seconds."""

    def __init__(self, root: int, every: float = 0.5):
        super().__init__(daemon=True)
        self.root, self.every = root, every
        self.peak = {"driver": 0.0, "jvm": 0.0, "workers": 0.0}
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            parents = _children()
            tree, frontier = set(), {self.root}
            while frontier:
                tree |= frontier
                frontier = {p for p, pp in parents.items() if pp in frontier} - tree
            workers = 0.0
            for pid in tree:
                cmd, mb = _hwm_mb(pid)
                if pid == self.root:
                    self.peak["driver"] = max(self.peak["driver"], mb)
                elif "java" in cmd.split(" ")[0]:
                    self.peak["jvm"] = max(self.peak["jvm"], mb)
                elif "pyspark.daemon" in cmd:
                    workers += mb
            self.peak["workers"] = max(self.peak["workers"], workers)
            self.done.wait(self.every)


def bench_one(inbox: Path, work: Path, master: str, items: int) -> dict:
    m = re.fullmatch(r"local\[(\d+)\]", master)
    cores = min(int(m.group(1)), os.cpu_count() or 1) if m else None  # local[N]: held to N cores, JVM and workers
    target = work / f"spark-{items}-{master.replace('[', '').replace(']', '')}"
    subprocess.run(["rm", "-rf", str(target)], check=True)
    target.mkdir(parents=True)
    cmd = [sys.executable, "-m", "processor.cli", "run", "--engine", "spark", "--spark-master", master, "--init",
           "--ledger", f"file://{(target / 'lake').resolve()}", "--inbox", str(inbox), "--out", str(target / "out"),
           "--quiet"]
    env = {**os.environ, "PROCESSOR_READABLE_REPORTS": "0"}
    t = time.perf_counter()
    with open(target / "stderr.txt", "w") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err,
                                preexec_fn=(lambda: os.sched_setaffinity(0, set(range(cores)))) if cores else None)
        sampler = Sampler(proc.pid)
        sampler.start()
        rc = proc.wait()
    seconds = time.perf_counter() - t
    sampler.done.set()
    sampler.join()
    if rc != 0:
        raise SystemExit(f"{master} {items}: exit {rc}, see {target / 'stderr.txt'}")
    summary = json.loads((target / "out" / "summary.json").read_text(encoding="utf-8"))
    return {"items": items, "master": master, "seconds": round(seconds, 1),
            "items_per_s": round(items / seconds), "items_per_s_per_core": round(items / seconds / cores)
            if cores else None, "timings_s": summary.get("timings_s", {}),
            "peak_mb": {k: round(v) for k, v in sampler.peak.items()},
            "decided": summary["decisions"]["decided_now"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--masters", default="local[1],local[2]")
    ap.add_argument("--work", default="bench-out")
    a = ap.parse_args()
    work = (ROOT / a.work).resolve()
    results = []
    for items in (int(s) for s in a.sizes.split(",")):
        inbox = night(work, items)
        for master in a.masters.split(","):
            r = bench_one(inbox, work, master, items)
            results.append(r)
            stages = ", ".join(f"{k} {v:.1f}" for k, v in r["timings_s"].items())
            print(f"{items:>9,} items  {master:<9} {r['seconds']:>8.1f} s  {r['items_per_s']:>7,} items/s  "
                  f"({r['items_per_s_per_core'] or '-'} per core)  peak MB: driver {r['peak_mb']['driver']}, "
                  f"JVM {r['peak_mb']['jvm']}, workers {r['peak_mb']['workers']}\n    stages (s): {stages}",
                  flush=True)
    (work / "spark-bench.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
