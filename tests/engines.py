"""Running a sequence of nights through both engines and comparing what they report (tests/test_spark.py).

Batch ids differ between the engines (each is the time its batch started), so every batch id a report names
(batch_id, supersedes) is replaced by the number of the night that made it before the files are compared."""
from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
PROCESSOR = [sys.executable, "-m", "processor.cli"]
COMPARED = ("decisions.csv", "backpay.csv", "quarantine.csv")


def run_night(engine: str, inbox: Path, out: Path, ledger: Path, reference: Path | None, init: bool,
              master: str = "local[2]", readable: bool = False) -> subprocess.CompletedProcess:
    if engine == "spark":
        cmd = [*PROCESSOR, "run", "--engine", "spark", "--spark-master", master, "--ledger",
               f"file://{ledger.resolve()}"]
    else:
        cmd = [*PROCESSOR, "run", "--ledger", f"sqlite:///{ledger.resolve()}"]
    cmd += ["--inbox", str(inbox), "--out", str(out), "--quiet"] + (["--init"] if init else [])
    if reference is not None:
        cmd += ["--reference", str(reference)]
    env = {**os.environ, "PROCESSOR_READABLE_REPORTS": "1" if readable else "0"}
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)


def batch_of(out: Path) -> str:
    import json
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))["batch_id"]


def _csv(path: Path, names: dict) -> list:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return [[names.get(v, v) for v in row] for row in rows]


def _xml_decisions(path: Path, names: dict) -> list:
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    out = []
    for el in root.iter():
        if isinstance(el.tag, str) and etree.QName(el).localname == "Decision":
            text = etree.tostring(el, encoding="unicode")
            for b, n in names.items():
                text = text.replace(b, n)
            out.append(text)
    return out


def differences(a: Path, b: Path, names: dict) -> dict:
    """file -> (rows only in a, rows only in b), for the files that differ once batch ids are named by night."""
    found = {}
    for name in COMPARED:
        x, y = _csv(a / name, names), _csv(b / name, names)
        if x != y:
            found[name] = ([r for r in x if r not in y][:5], [r for r in y if r not in x][:5], len(x), len(y))
    x, y = _xml_decisions(a / "reconciliation.xml", names), _xml_decisions(b / "reconciliation.xml", names)
    if x != y:
        found["reconciliation.xml"] = ([r for r in x if r not in y][:3], [r for r in y if r not in x][:3], len(x),
                                       len(y))
    if (a / "report.html").exists() or (b / "report.html").exists():
        x, y = _page(a / "report.html", names), _page(b / "report.html", names)
        if x != y:
            found["report.html"] = ([r for r in x if r not in y][:3], [r for r in y if r not in x][:3], len(x),
                                    len(y))
    return found


def _page(path: Path, names: dict) -> list:
    """report.html's text, tag by tag, with batch ids named by night and the run's time left out."""
    if not path.exists():
        return ["(missing)"]
    text = path.read_text(encoding="utf-8")
    for b, n in names.items():
        text = text.replace(b, n)
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00", "(run time)", text).split(">")


def both(nights: list, base: Path, master: str = "local[2]", readable: bool = False) -> list:
    """nights: (name, inbox, reference); each run on both engines in turn, one ledger each (`readable`: with
    report.html, compared too). Returns, per night, (name, differences, embedded run, spark run)."""
    names: dict = {}
    results = []
    for i, (name, inbox, reference) in enumerate(nights):
        runs = {}
        for engine in ("embedded", "spark"):
            out = base / engine / name
            runs[engine] = run_night(engine, inbox, out, base / engine / "ledger", reference, init=(i == 0),
                                     master=master, readable=readable)
            if runs[engine].returncode == 0:
                names[batch_of(out)] = f"night:{name}"
        if any(r.returncode != 0 for r in runs.values()):
            results.append((name, {"exit": (runs["embedded"].returncode, runs["spark"].returncode,
                                            runs["spark"].stderr[-2000:])}, runs["embedded"], runs["spark"]))
            continue
        results.append((name, differences(base / "embedded" / name, base / "spark" / name, names),
                        runs["embedded"], runs["spark"]))
    return results
