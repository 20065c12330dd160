"""The Spark engine decides as the embedded one does (issue #15): the same nights through both, one ledger each,
and decisions.csv, backpay.csv, quarantine.csv and the Decisions of reconciliation.xml compared, every batch id
named by its night (tests/engines.py). Skipped where PySpark or Java is missing (the [spark] extra; CI installs
both)."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

from tests.engines import ROOT, both, run_night

pytestmark = [pytest.mark.spark,
              pytest.mark.skipif(importlib.util.find_spec("pyspark") is None, reason="pyspark not installed"),
              pytest.mark.skipif(shutil.which("java") is None, reason="no Java runtime for Spark")]


def _same(results):
    bad = {name: diff for name, diff, _e, _s in results if diff}
    assert not bad, bad


def test_demo_night_identical(tmp_path):
    """With the readable reports: report.html (the backlog and trails read from the lake) compared too."""
    _same(both([("demo", ROOT / "fixtures" / "demo", None)], tmp_path, readable=True))


def test_casebook_nights_identical(tmp_path):
    """The casebook's nights in turn on one ledger per engine (tests/casebook: every rule, versions, voids,
    withdrawals, claims replaced, re-decisions when an input changes, the follow-up nights), and the rerun of
    night 2, whose CEB605 voids a list a return holds."""
    from tests.casebook.cases import NIGHTS
    from tests.test_casebook import reference_dir, write_inbox

    nights = []
    for n in NIGHTS:
        write_inbox(n, tmp_path / f"inbox-{n}")
        nights.append((f"night{n}", tmp_path / f"inbox-{n}", reference_dir(n)))
        if n == 2:
            nights.append(("night2-rerun", tmp_path / "inbox-2", reference_dir(2)))
    _same(both(nights, tmp_path))


def test_synthetic_night_identical(tmp_path):
    """A synthetic night of 100,000 export items (PROCESSOR_SPARK_SYNTH_ITEMS to change it) with a return for
    one item in ten: about two minutes for both engines."""
    items = int(os.environ.get("PROCESSOR_SPARK_SYNTH_ITEMS", "100000"))
    inbox = tmp_path / "inbox"
    subprocess.run([sys.executable, "-m", "processor.cli", "synth", "--out", str(inbox), "--items", str(items),
                    "--returns", str(items // 10)], cwd=ROOT, check=True, capture_output=True)
    _same(both([("synth", inbox, None)], tmp_path))


def test_missing_lake_refused_and_init_creates_it(tmp_path):
    r = run_night("spark", ROOT / "fixtures" / "demo", tmp_path / "out", tmp_path / "lake", None, init=False)
    assert r.returncode == 2 and "no ledger at file://" in r.stderr
    assert not (tmp_path / "lake").exists()


def test_killed_batch_leaves_the_lake_as_before(tmp_path):
    """A batch killed part-way: its partitions are not read (no entry in batches/), the next batch sweeps them,
    and its reports equal a run on a lake that never saw it."""
    demo = ROOT / "fixtures" / "demo"
    lake = tmp_path / "lake"
    assert run_night("spark", demo, tmp_path / "first", lake, None, init=True).returncode == 0
    committed = sorted(p.name for p in (lake / "batches").iterdir())
    # a batch that wrote its rows and died before its commit: its partitions, no entry in batches/
    ghost = "b=B20991231T000000"
    for table in ("decisions", "return_apps", "journal"):
        src = next(p for p in (lake / table).iterdir() if p.name.startswith("b="))
        shutil.copytree(src, lake / table / ghost)
    again = run_night("spark", demo, tmp_path / "again", lake, None, init=False)
    assert again.returncode == 0, again.stderr[-2000:]
    assert not any((lake / t / ghost).exists() for t in ("decisions", "return_apps", "journal"))
    assert sorted(p.name for p in (lake / "batches").iterdir())[:len(committed)] == committed
