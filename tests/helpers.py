"""Small builders shared by the tests: a CEB603 file from synth specs, an inbox, a batch run."""
import json
import random
from datetime import date
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from processor import synth
from processor.cli import main


def export_list(serial=1, ie="2026-08-10", mode="9610", goods=((0, 3),), with_invt=True, party=0):
    items = [synth.Item(i + 1, synth.CATALOGUE[g], Decimal(q)) for i, (g, q) in enumerate(goods)]
    ie_date = date.fromisoformat(ie)
    return synth.ExportListSpec(f"COP{ie_date:%Y%m%d}{serial:06d}",
                                synth.invt_no("3301", ie_date.year, serial) if with_invt else None,
                                ie_date, mode, synth.PARTIES[party], items)


def ceb603_text(specs, prefix=True, bom=False, extra=""):
    rng = random.Random(1)
    body = "".join(synth.inventory_xml(s, rng) for s in specs) + extra
    text = synth._envelope("CEB603Message", [body], rng)
    if not prefix:
        text = text.replace("ceb:", "").replace('xmlns:ceb=', 'xmlns=')
    return ("\ufeff" if bom else "") + text


def run_batch(inbox: Path, out: Path, *extra) -> tuple[int, dict, str]:
    result = CliRunner().invoke(main, ["run", "--inbox", str(inbox), "--out", str(out), "--quiet", *extra])
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8")) if (out / "summary.json").exists() else {}
    return result.exit_code, summary, result.output


def quarantine_rows(out: Path) -> list[dict]:
    import csv

    with open(out / "quarantine.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))
