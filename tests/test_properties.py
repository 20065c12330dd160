"""Batch-level properties: decisions do not depend on the order of input files; across nights the
quantity held against an export item never exceeds what was exported."""
import csv
import random
import shutil
import sqlite3
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from processor import synth

from .conftest import DEMO
from .helpers import ceb603_text, export_list, run_batch

NAMES = sorted(p.name for p in DEMO.glob("*.xml"))


def decisions(out):
    with open(out / "decisions.csv", encoding="utf-8-sig", newline="") as fh:
        return sorted(tuple(v for k, v in r.items() if k != "batch_id") for r in csv.DictReader(fh))


BASELINE: dict = {}


@settings(max_examples=15)
@given(order=st.permutations(NAMES))
def test_decisions_do_not_depend_on_the_order_of_input_files(tmp_path_factory, order):
    if "demo" not in BASELINE:
        out = tmp_path_factory.mktemp("base")
        run_batch(DEMO, out)
        BASELINE["demo"] = decisions(out)
    inbox = tmp_path_factory.mktemp("inbox")
    for i, name in enumerate(order):  # the file names now sort in the drawn order
        shutil.copy(DEMO / name, inbox / f"{i:02d}-{name}")
    out = tmp_path_factory.mktemp("out")
    code, _s, _ = run_batch(inbox, out)
    assert code == 0 and decisions(out) == BASELINE["demo"]


returns_strategy = st.lists(st.tuples(st.integers(0, 2), st.integers(1, 4), st.integers(0, 60),
                                      st.sampled_from(["UNSOLD", "BUYER_RETURN", "OTHER", None]),
                                      st.integers(0, 1)), min_size=1, max_size=12)


@settings(max_examples=30)
@given(returns=returns_strategy)
def test_held_quantity_never_exceeds_exported_across_nights(tmp_path_factory, returns):
    exports = [export_list(500 + i, ie="2026-08-01", goods=((0, 5),)) for i in range(3)]
    nights = [[], []]
    for n, (which, qty, day, reason, night) in enumerate(returns):
        exp = exports[which]
        ret = synth.ReturnSpec(f"R-{n:03d}", exp, [(1, qty)], datetime(2026, 9, 1, 9) + timedelta(days=day))
        claim = None if reason is None else synth.ClaimSpec(
            ret.co_el_no, exp.invt_no, f"{datetime(2026, 9, 1) + timedelta(days=day):%Y%m%d}", reason, [{"gnum": 1}],
            self_declaration="SD", return_record="RMA", certificate=("NOT_REFUNDED", "C"))
        nights[night].append((ret, claim))
    out = tmp_path_factory.mktemp("out")
    for i, night in enumerate(nights):
        inbox = tmp_path_factory.mktemp(f"night{i}")
        if i == 0:
            (inbox / "exports.xml").write_text(ceb603_text(exports), encoding="utf-8")
        if night:
            synth.write_ceb213(inbox / "returns.xml", [r for r, _ in night], random.Random(i))
            claims = [c for _, c in night if c is not None]
            if claims:
                synth.write_claims(inbox / "claims.xml", claims)
        code, summary, _ = run_batch(inbox, out)
        assert code == 0 and summary["accounting_balanced"]
        con = sqlite3.connect(out / "ledger.sqlite")
        held = defaultdict(Decimal)
        for invt, qty in con.execute("SELECT invt_no, qty FROM decisions WHERE status = 'current' AND decision IN "
                                     "('EXEMPT', 'PENDING')"):
            held[invt] += Decimal(qty)
        con.close()
        assert all(v <= 5 for v in held.values()), dict(held)
