"""Faults outside the XML's business content (issue 13), through the real command line: quantities of nothing,
signals other than SIGINT, temporary reports left by a killed run, passwords in ledger URLs, a committed batch
whose reports could not all be written, and its reports written again."""
from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

from .conftest import DEMO, ROOT


def cli(*args, timeout=300, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "processor.cli", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, **kw)


def quarantine(out: Path) -> list[dict]:
    return list(csv.DictReader((out / "quarantine.csv").open(encoding="utf-8-sig")))


def test_a_quantity_not_above_zero_is_quarantined_on_an_export_item_and_on_a_return_line(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    for f in DEMO.iterdir():
        (inbox / f.name).write_bytes(f.read_bytes())
    lists = inbox / "01-CEB603-2025Q4-2026Q1.xml"
    text = lists.read_text(encoding="utf-8")
    first_qty = re.search(r"<ceb:qty>[0-9.]+</ceb:qty>", text).group(0)
    lists.write_text(text.replace(first_qty, "<ceb:qty>0</ceb:qty>", 1), encoding="utf-8")
    returns = inbox / "06-CEB213-returns.xml"
    text = returns.read_text(encoding="utf-8")
    first_qty1 = re.search(r"<ceb:qty1>[0-9.]+</ceb:qty1>", text).group(0)
    returns.write_text(text.replace(first_qty1, "<ceb:qty1>0.000</ceb:qty1>", 1), encoding="utf-8")
    done = cli("run", "--init", "--quiet", "--inbox", inbox, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    rows = [(r["file"], r["field"], r["problem"]) for r in quarantine(tmp_path / "out")]
    assert ("01-CEB603-2025Q4-2026Q1.xml", "InventoryList[1]/qty",
            "quantity 0 is not above zero: a declaration of nothing") in rows
    assert ("06-CEB213-returns.xml", "InvtRefundList[1]/qty1",
            "quantity 0.000 is not above zero: a declaration of nothing") in rows
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["inputs"]["CEB213"]["records"]["quarantined"] == 1 and s["accounting_balanced"]
