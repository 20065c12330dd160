"""Deciding in batches: outputs per CONTRACT.md 5, quantities across nights, re-decisions, idempotence."""
import csv
import io
import random
import re
import shutil
import json
import sqlite3
from datetime import datetime
from decimal import Decimal

import xmlschema

from processor import synth
from processor.fields import SCHEMA_DIR
from processor.sinks.csv import DECISIONS_CSV_COLUMNS as DECISION_COLUMNS

from .conftest import DEMO
from .helpers import ceb603_text, export_list, run_batch

MONEY = ("customs_value_cny", "import_duty", "consumption_tax", "import_vat", "export_duty_refund", "backpay_vat",
         "backpay_ct")


def decisions(out):
    with open(out / "decisions.csv", encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames) == DECISION_COLUMNS
        return list(reader)


def by_line(rows):
    return {(r["return_id"], r["gnum"]): {k: v for k, v in r.items() if k != "batch_id"} for r in rows}


def test_demo_decisions_and_reports(tmp_path):
    out = tmp_path / "out"
    code, s, _ = run_batch(DEMO, out)
    assert code == 0
    rows = decisions(out)
    kinds = {r["decision"] for r in rows}
    assert kinds == {"EXEMPT", "PENDING", "REJECTED"}
    for r in rows:
        for m in MONEY:
            assert r[m] == "" or re.fullmatch(r"[0-9]+\.[0-9]{2}", r[m]), (m, r[m])
        assert (r["reasons"] == "") == (r["decision"] == "EXEMPT")
        assert r["reasons"] == ";".join(sorted(r["reasons"].split(";"))) if r["reasons"] else True
    keys = [(r["return_date"], r["return_id"], int(r["gnum"])) for r in rows]
    assert keys == sorted(keys)
    lines = {(r["return_id"], r["gnum"]): r for r in rows}
    assert lines[("BACK-20261008-0007", "1")]["window_end"] == "2026-10-08"  # National Day extension
    assert lines[("BACK-20261008-0007", "1")]["decision"] == "EXEMPT"
    assert lines[("BACK-20261124-0016", "1")]["decision"] == "EXEMPT"  # invtNo from the CEB604 receipt
    assert lines[("BACK-20261125-0017", "1")]["reasons"] == "EXPORT_VOID"  # refused by CEB604 status 100
    assert lines[("BACK-20261123-0012", "1")]["reasons"] == "EXPORT_VOID"  # cancelled by CEB605
    assert lines[("BACK-20261121-0005", "1")]["reasons"] == "CLAIM_MISSING"
    # reconciliation.xml: valid against the published schema, control totals equal the rows
    schema = xmlschema.XMLSchema(str(SCHEMA_DIR / "reconciliation.xsd"))
    schema.validate(str(out / "reconciliation.xml"))
    doc = schema.to_dict(str(out / "reconciliation.xml"))
    assert len(doc["Decisions"]["Decision"]) == len(rows)
    total = doc["ControlTotals"]["All"]
    assert total["@lines"] == len(rows)
    assert Decimal(str(total["@importVat"])) == sum(Decimal(r["import_vat"] or "0") for r in rows)
    assert Decimal(str(total["@backpayVat"])) == sum(Decimal(r["backpay_vat"]) for r in rows)
    assert {f["@name"] for f in doc["Batch"]["InputFiles"]["File"]} == {p.name for p in DEMO.glob("*.xml")}
    # backpay.csv: every line with an amount to pay back, and only those
    with open(out / "backpay.csv", encoding="utf-8-sig") as fh:
        back = list(csv.DictReader(fh))
    assert {(b["return_id"], b["gnum"]) for b in back} == {
        (r["return_id"], r["gnum"]) for r in rows if r["backpay_vat"] != "0.00" or r["backpay_ct"] != "0.00"}
    assert s["decisions"]["EXEMPT"] + s["decisions"]["PENDING"] + s["decisions"]["REJECTED"] == len(rows)


def test_rerun_writes_the_same_decisions_and_holds_nothing_twice(tmp_path):
    out = tmp_path / "out"
    run_batch(DEMO, out)
    first = by_line(decisions(out))
    code, s, _ = run_batch(DEMO, out)
    assert code == 0 and by_line(decisions(out)) == first
    assert s["decisions"]["decided_now"] == 0
    con = sqlite3.connect(out / "ledger.sqlite")
    assert con.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == len(first)
    assert con.execute("SELECT MAX(version) FROM decisions").fetchone()[0] == 1


def test_order_of_input_files_does_not_matter(tmp_path):
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    run_batch(DEMO, out_a)
    shuffled = tmp_path / "shuffled"
    shuffled.mkdir()
    names = sorted(p.name for p in DEMO.glob("*.xml"))
    random.Random(4).shuffle(names)
    for i, name in enumerate(names):
        shutil.copy(DEMO / name, shuffled / f"{chr(ord('z') - i)}-{name}")
    run_batch(shuffled, out_b)
    assert by_line(decisions(out_a)) == by_line(decisions(out_b))


def make_night(tmp_path, name, exports=(), returns=(), claims=()):
    inbox = tmp_path / name
    inbox.mkdir()
    if exports:
        (inbox / "exports.xml").write_text(ceb603_text(list(exports)), encoding="utf-8")
    if returns:
        synth.write_ceb213(inbox / "returns.xml", list(returns), random.Random(1))
    if claims:
        synth.write_claims(inbox / "claims.xml", list(claims))
    return inbox


def claim_for(ret, reason="UNSOLD", day="20261101", **item):
    return synth.ClaimSpec(ret.co_el_no, ret.export.invt_no, day, reason, [{"gnum": 1, **item}],
                           self_declaration="SD-1", certificate=("NOT_REFUNDED", "C-1"))


def test_pending_line_is_decided_again_when_its_claim_arrives(tmp_path):
    exp = export_list(1, ie="2026-08-01", goods=((0, 5),))
    r1 = synth.ReturnSpec("R-1", exp, [(1, 2)], datetime(2026, 10, 30, 9))
    out = tmp_path / "out"
    run_batch(make_night(tmp_path, "n1", [exp], [r1]), out)
    assert [(r["decision"], r["reasons"]) for r in decisions(out)] == [("PENDING", "CLAIM_MISSING")]
    run_batch(make_night(tmp_path, "n2", claims=[claim_for(r1)]), out)
    rows = decisions(out)
    assert [(r["return_id"], r["decision"], r["return_date"]) for r in rows] == [("R-1", "EXEMPT", "2026-11-01")]
    # the same night again: the same decision, nothing decided anew
    code, s, _ = run_batch(make_night(tmp_path, "n2b", claims=[claim_for(r1)]), out)
    assert [(r["return_id"], r["decision"]) for r in decisions(out)] == [("R-1", "EXEMPT")]
    assert s["decisions"]["decided_now"] == 0


def test_quantity_held_across_nights_and_released(tmp_path):
    exp = export_list(2, ie="2026-08-01", goods=((0, 5),))
    out = tmp_path / "out"
    r1 = synth.ReturnSpec("R-1", exp, [(1, 3)], datetime(2026, 10, 1, 9))
    run_batch(make_night(tmp_path, "n1", [exp], [r1]), out)  # PENDING, holds 3
    r2 = synth.ReturnSpec("R-2", exp, [(1, 3)], datetime(2026, 10, 2, 9))
    run_batch(make_night(tmp_path, "n2", returns=[r2], claims=[claim_for(r2)]), out)
    assert [(r["return_id"], r["reasons"]) for r in decisions(out)] == [("R-2", "QTY_EXCEEDS_EXPORT")]
    # R-1 is withdrawn (appType 3): its 3 are released (reported WITHDRAWN, repeating its decision); R-2, rejected
    # for quantity, is decided again and now fits (REVISED); R-3, returned later, finds 3 of 5 held (CONTRACT.md 6)
    n2 = json.loads((out / "summary.json").read_text())["batch_id"]
    r1_del = synth.ReturnSpec("R-1", exp, [(1, 3)], datetime(2026, 10, 3, 9), app_type="3")
    r3 = synth.ReturnSpec("R-3", exp, [(1, 4)], datetime(2026, 10, 4, 9))
    code, s, _ = run_batch(make_night(tmp_path, "n3", returns=[r1_del, r3], claims=[claim_for(r3)]), out)
    got = [(r["return_id"], r["decision"], r["change"]) for r in decisions(out)]
    assert got == [("R-1", "PENDING", "WITHDRAWN"), ("R-2", "EXEMPT", "REVISED"), ("R-3", "REJECTED", "NEW")]
    assert [r["supersedes"] for r in decisions(out)][1] == n2
    assert s["decisions"]["withdrawn"] == 1
    con = sqlite3.connect(out / "ledger.sqlite")
    held = con.execute("SELECT SUM(CAST(qty AS REAL)) FROM decisions WHERE status='current' AND decision IN "
                       "('EXEMPT','PENDING')").fetchone()[0]
    assert held == 3


def test_within_a_batch_the_earlier_return_date_takes_the_quantity(tmp_path):
    exp = export_list(3, ie="2026-08-01", goods=((0, 5),))
    early = synth.ReturnSpec("R-Z", exp, [(1, 4)], datetime(2026, 10, 1, 9))
    late = synth.ReturnSpec("R-A", exp, [(1, 4)], datetime(2026, 10, 1, 9))
    out = tmp_path / "out"
    run_batch(make_night(tmp_path, "n", [exp], [late, early],
                         [claim_for(early, day="20261020"), claim_for(late, day="20261021")]), out)
    got = {r["return_id"]: r["decision"] for r in decisions(out)}
    assert got == {"R-Z": "EXEMPT", "R-A": "REJECTED"}


def test_change_of_a_return_is_decided_again(tmp_path):
    exp = export_list(4, ie="2026-08-01", goods=((0, 5), (1, 5)))
    r1 = synth.ReturnSpec("R-1", exp, [(1, 1), (2, 1)], datetime(2026, 10, 1, 9))
    out = tmp_path / "out"
    run_batch(make_night(tmp_path, "n1", [exp], [r1], [synth.ClaimSpec(
        "R-1", exp.invt_no, "20261010", "OTHER", [{"gnum": 1}, {"gnum": 2}], certificate=("NOT_REFUNDED", "C"))]), out)
    assert {r["decision"] for r in decisions(out)} == {"REJECTED"}
    r1b = synth.ReturnSpec("R-1", exp, [(1, 2)], datetime(2026, 10, 2, 9), app_type="2")
    code, s, _ = run_batch(make_night(tmp_path, "n2", returns=[r1b]), out)
    rows = decisions(out)
    assert [(r["gnum"], r["qty"], r["change"]) for r in rows] == [("1", "2", "REVISED"), ("2", "1", "WITHDRAWN")]
    assert s["decisions"]["withdrawn"] == 1  # gnum 2 was dropped by the change


def _decision_element(r: dict, citations: dict):
    """The Decision element built with lxml, as reconciliation.py built it before it wrote text."""
    from lxml import etree
    from processor.sinks import MONEY as XML_MONEY, money
    from processor.sinks.reconciliation import MONEY_ELEMENTS, NS

    q = lambda tag: f"{{{NS}}}{tag}"  # noqa: E731
    attrs = {"decidedInBatch": r["batch_id"], "change": r.get("change") or "NEW"}
    if r.get("supersedes"):
        attrs["supersedes"] = r["supersedes"]
    el = etree.Element(q("Decision"), attrs, nsmap={None: NS})
    for tag, key in (("returnId", "co_el_no"), ("returnDate", "return_date"), ("invtNo", "invt_no"),
                     ("gnum", "gnum"), ("gcode", "gcode"), ("qty", "qty"), ("priceCurrency", "price_currency"),
                     ("exportDate", "export_date"),
                     ("tradeMode", "trade_mode"), ("windowEnd", "window_end"), ("policy", "policy")):
        if r.get(key) is not None and r.get(key) != "":
            etree.SubElement(el, q(tag)).text = str(r[key])
    if citations.get("announcement"):
        etree.SubElement(el, q("announcement")).text = citations["announcement"]
    for tag, key in (("ebcCode", "ebc_code"), ("ebpCode", "ebp_code"), ("claimReason", "claim_reason")):
        if r.get(key):
            etree.SubElement(el, q(tag)).text = r[key]
    if r.get("certificate_type"):
        cert = etree.SubElement(el, q("Certificate"), type=r["certificate_type"])
        if r.get("certificate_no"):
            cert.set("no", r["certificate_no"])
    etree.SubElement(el, q("decision")).text = r["decision"]
    reasons = etree.SubElement(el, q("Reasons"))
    for code in filter(None, r["reasons"].split(";")):
        etree.SubElement(reasons, q("Reason"), code=code, clause=citations["reasons"][code])
    if citations.get("basis"):
        etree.SubElement(el, q("Basis"), clause=citations["basis"])
    for m in XML_MONEY:
        if r[m] is not None:
            etree.SubElement(el, q(MONEY_ELEMENTS[m])).text = money(r[m])
    buf = io.BytesIO()  # written as the report's xmlfile writes an element, in UTF-8
    with etree.xmlfile(buf, encoding="utf-8") as xf:
        xf.write(el)
    return buf.getvalue().decode("utf-8")


def test_decisions_are_written_as_lxml_would_write_them():
    from processor.law.rules import RULES
    from processor.sinks.reconciliation import _decision

    rng = random.Random(3)
    odd = ["", "a&b", "<x>", 'q"uote', "t\tab", "new\nline", "cr\rx", "中文", "]]>", "'", "&amp;", "退货 ü €"]
    codes = sorted(r.code for r in RULES)
    for i in range(400):
        r = {"batch_id": rng.choice(["B20261127T010203", "B&<>\"\t"]), "co_el_no": rng.choice(odd) + str(i),
             "return_date": rng.choice([None, "2026-05-01"]), "invt_no": rng.choice(odd + [None]), "gnum": i,
             "gcode": rng.choice(odd), "qty": rng.choice(["1", "2.50", None]), "export_date": None,
             "trade_mode": rng.choice(["9610", None, ""]), "window_end": "2026-11-01", "policy": rng.choice(odd),
             "decision": rng.choice(["EXEMPT", "PENDING", "REJECTED"]),
             "reasons": ";".join(rng.sample(codes, rng.randint(0, 3))),
             "change": rng.choice([None, "NEW", "REVISED", "WITHDRAWN"]), "supersedes": rng.choice([None, "", "B<&\"1"]),
             "ebc_code": rng.choice(odd + [None]), "price_currency": rng.choice(["502", None, "a&b"]),
             "ebp_code": rng.choice(odd), "claim_reason": rng.choice(odd + [None]),
             "certificate_type": rng.choice([None, "", "PAID_BACK", "a&b"]), "certificate_no": rng.choice(odd + [None])}
        for m in MONEY:
            r[m] = rng.choice([None, "0", "12.345", "7100.00"])
        citations = {"reasons": {c: rng.choice(odd) + c for c in r["reasons"].split(";") if c}}
        if rng.random() < 0.7:
            citations["announcement"] = rng.choice(odd[1:])
        if r["decision"] == "EXEMPT":
            citations["basis"] = rng.choice(odd[1:])
        assert _decision(r, citations) == "\n" + _decision_element(r, citations)


def _contested_night(tmp_path, name):
    """Two export items each returned by more lines than it holds, some without a claim (PENDING holds too)."""
    exps = [export_list(40 + i, ie="2026-08-01", goods=((0, 5), (1, 3))) for i in range(2)]
    rets, claims = [], []
    for i in range(14):
        exp = exps[i % 2]
        r = synth.ReturnSpec(f"R-{i:02d}", exp, [(1, 1 + i % 2), (2, 1)], datetime(2026, 10, 1 + i, 9))
        rets.append(r)
        if i % 3:
            claims.append(synth.ClaimSpec(r.co_el_no, exp.invt_no, f"202610{10 + i}", "UNSOLD",
                                          [{"gnum": 1}, {"gnum": 2}], self_declaration="SD-1",
                                          certificate=("NOT_REFUNDED", "C-1")))
    return make_night(tmp_path, name, exps, rets, claims)


def test_deciding_in_a_worker_gives_the_serial_decisions(tmp_path, monkeypatch):
    """Chunks of two lines, decided in a worker while the ledger is read: each line sees what the lines
    before it hold, across chunks (the previous chunk's holdings are carried), exactly as in one process."""
    from processor.stages import decide as deciding

    from .test_batch import _comparable_outputs

    monkeypatch.setattr(deciding, "DECIDE_CHUNK", 2)
    inbox = _contested_night(tmp_path, "n")
    outs = {}
    for workers in ("0", "2"):
        monkeypatch.setenv("PROCESSOR_READ_WORKERS", workers)
        assert run_batch(inbox, tmp_path / f"out-{workers}")[0] == 0
        outs[workers] = _comparable_outputs(tmp_path / f"out-{workers}")
    assert outs["2"] == outs["0"]
    reasons = outs["0"]["decisions.csv"]
    assert "QTY_EXCEEDS_EXPORT" in reasons and "EXEMPT" in reasons and "PENDING" in reasons


def test_a_decide_worker_that_dies_changes_nothing(tmp_path, monkeypatch):
    """Killed after two chunks: the chunks it had are read again and decided in the batch's own process."""
    import os

    from processor.stages import decide as deciding

    from .test_batch import _comparable_outputs

    monkeypatch.setattr(deciding, "DECIDE_CHUNK", 2)
    inbox = _contested_night(tmp_path, "n")
    monkeypatch.setenv("PROCESSOR_READ_WORKERS", "0")
    run_batch(inbox, tmp_path / "serial")
    real = deciding.decide_chunk
    done = []

    def dying(rows, carry, *args):
        if os.getpid() != parent and len(done) == 2:
            os._exit(9)
        done.append(1)
        return real(rows, carry, *args)

    parent = os.getpid()
    monkeypatch.setattr(deciding, "decide_chunk", dying)
    monkeypatch.setenv("PROCESSOR_READ_WORKERS", "2")
    assert run_batch(inbox, tmp_path / "dying")[0] == 0
    assert done, "the batch decided the worker's chunks itself"
    assert _comparable_outputs(tmp_path / "dying") == _comparable_outputs(tmp_path / "serial")


def test_an_error_in_the_decide_worker_fails_the_batch_as_in_one_process(tmp_path, monkeypatch):
    from processor.stages import decide as deciding

    def broken(*args):
        raise ZeroDivisionError("a bug met while deciding")

    monkeypatch.setattr(deciding, "decide_chunk", broken)
    inbox = _contested_night(tmp_path, "n")
    for workers in ("0", "2"):
        monkeypatch.setenv("PROCESSOR_READ_WORKERS", workers)
        out = tmp_path / f"out-{workers}"
        code = run_batch(inbox, out)[0]
        assert code == 1
        log = (out / "processor.log").read_text(encoding="utf-8")
        assert "ZeroDivisionError" in log and "a bug met while deciding" in log, workers
        assert not (out / "decisions.csv").exists()


def _synth_night(tmp_path, items: int, returns: int):
    import subprocess
    import sys

    inbox = tmp_path / "night"
    subprocess.run([sys.executable, "-m", "processor.cli", "synth", "--items", str(items), "--returns",
                    str(returns), "--out", str(inbox), "--seed", "3"], check=True, capture_output=True)
    return inbox


_IN_A_PROCESS = r"""
import os, pickle, struct, sys
from processor.stages import decide as deciding, decide_worker
from processor.cli import main
parent, how = os.getpid(), sys.argv[1]
real, real_work = deciding.decide_chunk, decide_worker._decide_work
calls = []

def chunk(*args):
    calls.append(1)
    if os.getpid() != parent and len(calls) == 2 and how == "error":
        raise ZeroDivisionError("a bug met while deciding")
    return real(*args)

class HalfASend:  # the worker dies half-way through writing its second result
    def __init__(self, conn):
        self.conn, self.n = conn, 0
    def send(self, obj):
        self.n += 1
        if self.n == 2:
            data = pickle.dumps(obj)
            os.write(self.conn.fileno(), struct.pack("!i", len(data)) + data[:len(data) // 2])
            os._exit(9)
        self.conn.send(obj)
    def close(self):
        self.conn.close()

deciding.decide_chunk = chunk
if how == "killed":
    decide_worker._decide_work = lambda inbox, results, *a: real_work(inbox, HalfASend(results), *a)
main(sys.argv[2:])
"""


def test_a_decide_worker_that_fails_or_dies_mid_result_never_hangs_the_batch(tmp_path, monkeypatch):
    """Chunks of 500 lines, hundreds of KB each way: an error in the worker ends the batch (exit 1) while a
    chunk is still on its way to it; a worker killed half-way through a result is noticed, and the batch
    decides the rest itself, as in one process."""
    import subprocess
    import sys

    from .test_batch import _comparable_outputs

    inbox = _synth_night(tmp_path, 3000, 1500)
    monkeypatch.setenv("PROCESSOR_READ_WORKERS", "0")
    run_batch(inbox, tmp_path / "serial")
    env = {**__import__("os").environ, "PROCESSOR_READ_WORKERS": "2"}
    outs = {}
    for how, code in (("error", 1), ("killed", 0)):
        out = tmp_path / how
        done = subprocess.run([sys.executable, "-c", _IN_A_PROCESS, how, "run", "--init", "--inbox", str(inbox), "--out",
                               str(out), "--quiet"], env=env, timeout=240, capture_output=True, text=True)
        assert done.returncode == code, (how, done.stderr[-2000:])
        outs[how] = out
    assert "ZeroDivisionError: a bug met while deciding" in (outs["error"] / "processor.log").read_text("utf-8")
    assert _comparable_outputs(outs["killed"]) == _comparable_outputs(tmp_path / "serial")


def test_every_report_is_a_sink_and_the_terminal_names_what_is_written(tmp_path):
    """The batch writes through one tuple of sinks; the command line names the files from it, and they are
    exactly the files in --out (beside the ledger)."""
    from processor.sinks import decision_sinks
    from processor.stages.report import report_files

    out = tmp_path / "out"
    code, _s, _out = run_batch(DEMO, out)
    assert code == 0
    names = [s.file_name for s in decision_sinks()]
    assert names == ["decisions.csv", "backpay.csv", "reconciliation.xml"]
    for sink in decision_sinks():
        assert all(callable(getattr(sink, m)) for m in ("open", "decision", "close", "discard"))
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith("ledger.sqlite")) == sorted(report_files())
