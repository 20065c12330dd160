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
EXPORTED = 5


def expected_decisions(lines, held: dict) -> dict:
    """CONTRACT §6 by hand, for the lines of one night: taken in order of return date, then coElNo; a line exceeds
    when its qty plus what the export item already holds is above the exported qty; OTHER is rejected, a line without
    a claim is PENDING CLAIM_MISSING; PENDING and EXEMPT lines hold their qty, REJECTED ones do not.  `held` (invtNo
    -> qty held by the lines of earlier nights, which nothing here decides again) is updated in place."""
    out = {}
    for day, co, invt, qty, reason in sorted(lines):
        reasons = set()
        if reason == "OTHER":
            reasons.add("REASON_NOT_ELIGIBLE")
        if reason is None:
            reasons.add("CLAIM_MISSING")
        if held[invt] + qty > EXPORTED:
            reasons.add("QTY_EXCEEDS_EXPORT")
        decision = ("REJECTED" if reasons & {"REASON_NOT_ELIGIBLE", "QTY_EXCEEDS_EXPORT"} else
                    "PENDING" if reasons else "EXEMPT")
        if decision != "REJECTED":
            held[invt] += qty
        out[co] = (decision, ";".join(sorted(reasons)))
    return out


@settings(max_examples=30)
@given(returns=returns_strategy)
def test_held_quantity_never_exceeds_exported_across_nights(tmp_path_factory, returns):
    """The held quantity is bounded from above (never more than exported) and from below: every line that fits is
    held (EXEMPT or PENDING), and a line is rejected QTY_EXCEEDS_EXPORT only when it would truly exceed, so a processor
    that rejects too much fails as surely as one that holds too much."""
    exports = [export_list(500 + i, ie="2026-08-01", goods=((0, EXPORTED),)) for i in range(3)]
    nights = [[], []]
    for n, (which, qty, day, reason, night) in enumerate(returns):
        exp = exports[which]
        ret = synth.ReturnSpec(f"R-{n:03d}", exp, [(1, qty)], datetime(2026, 9, 1, 9) + timedelta(days=day))
        claim = None if reason is None else synth.ClaimSpec(
            ret.co_el_no, exp.invt_no, f"{datetime(2026, 9, 1) + timedelta(days=day):%Y%m%d}", reason, [{"gnum": 1}],
            self_declaration="SD", return_record="RMA", certificate=("NOT_REFUNDED", "C"))
        nights[night].append((ret, claim, (day, ret.co_el_no, exp.invt_no, qty, reason)))
    out = tmp_path_factory.mktemp("out")
    model_held = defaultdict(int)
    expected = {}
    for i, night in enumerate(nights):
        inbox = tmp_path_factory.mktemp(f"night{i}")
        if i == 0:
            (inbox / "exports.xml").write_text(ceb603_text(exports), encoding="utf-8")
        if night:
            synth.write_ceb213(inbox / "returns.xml", [r for r, _, _ in night], random.Random(i))
            claims = [c for _, c, _ in night if c is not None]
            if claims:
                synth.write_claims(inbox / "claims.xml", claims)
        code, summary, _ = run_batch(inbox, out)
        assert code == 0 and summary["accounting_balanced"]
        expected.update(expected_decisions([m for _, _, m in night], model_held))
        con = sqlite3.connect(out / "ledger.sqlite")
        got = {co: (decision, reasons) for co, decision, reasons in con.execute(
            "SELECT co_el_no, decision, reasons FROM decisions WHERE status = 'current'")}
        held = defaultdict(Decimal)
        for invt, qty in con.execute("SELECT invt_no, qty FROM decisions WHERE status = 'current' AND decision IN "
                                     "('EXEMPT', 'PENDING')"):
            held[invt] += Decimal(qty)
        con.close()
        assert all(v <= EXPORTED for v in held.values()), dict(held)
        assert got == expected
        assert {k: v for k, v in held.items() if v} == {k: Decimal(v) for k, v in model_held.items() if v}
