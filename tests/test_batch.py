"""The batch as a user runs it: demo night, official samples, accounting, logs, help, validate.

The tests of what a batch stores run on each ledger backend (the `ledger_url` fixture: SQLite, and
PostgreSQL when PROCESSOR_TEST_PG_URL is set). Those of reading (reader processes, memory) and of the
command line itself run on the default SQLite ledger only: the ledger's code is the same whoever reads
the files, and a PostgreSQL run would only add time.
"""
import csv
import gc
import json
import tracemalloc
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from processor import synth
from processor.cli import main
from processor.ledger import default_url
from processor.readers import open_input

from .conftest import DEMO
from .helpers import ceb603_text, export_list, ledger_rows, quarantine_rows, run_batch

# What the demo night's files hold (processor.synth.demo_night), counted in fixtures/demo below: each kind's
# root, the element of one record and the element of one item (export item, return line, claimed gnum).
DEMO_ELEMENTS = {"CEB603Message": ("CEB603", "Inventory", "InventoryList"),
                 "CEB604Message": ("CEB604", "InventoryReturn", None),
                 "CEB605Message": ("CEB605", "InvtCancel", None),
                 "CEB213Message": ("CEB213", "InvtRefund", "InvtRefundList"),
                 "ReturnClaims": ("ReturnClaims", "Claim", "Item")}
# Its two deliberate defects, one record of one item each: the list with ieDate 20260230 and the claim with
# returnDate 20261131. Everything else is stored.
DEMO_QUARANTINED = {"CEB603": 1, "ReturnClaims": 1}
# The decision demo_night built each returned line for (its scenario, in synth's words).
DEMO_DECISIONS = {
    ("BACK-20261120-0001", "1"): "EXEMPT",  # exempt_phone
    ("BACK-20261120-0001", "2"): "EXEMPT",  # exempt_phone, the earbuds
    ("BACK-20261120-0002", "1"): "EXEMPT",  # exempt_1210
    ("BACK-20261120-0003", "1"): "EXEMPT",  # exempt_cream
    ("BACK-20261121-0004", "1"): "PENDING",  # backpay: VAT refunded, certificate says not refunded
    ("BACK-20261121-0005", "1"): "PENDING",  # no_claim
    ("BACK-20261121-0006", "1"): "PENDING",  # no_docs
    ("BACK-20261008-0007", "1"): "EXEMPT",  # holiday_edge: the window extended over National Day
    ("BACK-20261122-0008", "1"): "REJECTED",  # expired
    ("BACK-20261122-0009", "1"): "REJECTED",  # food: the coffee
    ("BACK-20261122-0009", "2"): "EXEMPT",  # food: the masks beside it
    ("BACK-20261122-0010", "1"): "REJECTED",  # used
    ("BACK-20261123-0011", "1"): "REJECTED",  # general_trade (0110)
    ("BACK-20261123-0012", "1"): "REJECTED",  # cancelled by CEB605
    ("BACK-20261123-0013", "1"): "REJECTED",  # other_reason
    ("BACK-20261124-0014", "1"): "REJECTED",  # mismatch: unit and party
    ("BACK-20261124-0015", "1"): "REJECTED",  # too_many
    ("BACK-20261124-0016", "1"): "EXEMPT",  # via_ceb604: invtNo from the receipt
    ("BACK-20261125-0017", "1"): "REJECTED",  # refused by CEB604 status 100
    ("BACK-20261125-0018", "1"): "EXEMPT",  # old_policy
}
LEDGER_TABLES = {"export_lists": ("CEB603", "records"), "export_items": ("CEB603", "items"),
                 "list_receipts": ("CEB604", "records"), "list_cancels": ("CEB605", "records"),
                 "return_apps": ("CEB213", "records"), "return_lines": ("CEB213", "items"),
                 "return_receipts": ("CEB214", "records"), "claims": ("ReturnClaims", "records"),
                 "claim_items": ("ReturnClaims", "items")}


def demo_read() -> dict:
    """kind -> {"records": n, "items": n} as written in fixtures/demo, counted with lxml alone."""
    read: dict = {}
    for path in sorted(DEMO.glob("*.xml")):
        root = etree.parse(str(path)).getroot()
        kind, record, item = DEMO_ELEMENTS[etree.QName(root).localname]
        records = [e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname == record]
        items = sum(1 for r in records for e in r.iter() if isinstance(e.tag, str) and etree.QName(e).localname == item)
        counts = read.setdefault(kind, {"records": 0, "items": 0})
        counts["records"] += len(records)
        counts["items"] += items
    return read


def report_rows(out, name="decisions.csv") -> list[dict]:
    """A report's rows without the batch id, in the report's order."""
    with open(out / name, encoding="utf-8-sig", newline="") as fh:
        return [{k: v for k, v in r.items() if k != "batch_id"} for r in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def demo_on_sqlite(tmp_path_factory):
    """The demo night's reports from the default ledger (out/ledger.sqlite): what every backend must write."""
    out = tmp_path_factory.mktemp("demo-sqlite") / "out"
    code, _s, output = run_batch(DEMO, out)
    assert code == 0, output
    return {name: report_rows(out, name) for name in ("decisions.csv", "backpay.csv", "quarantine.csv")}


def test_demo_night(tmp_path, ledger_url, demo_on_sqlite):
    out = tmp_path / "out"
    code, s, output = run_batch(DEMO, out, ledger=ledger_url)
    assert code == 0, output
    assert s["accounting_balanced"]
    read = demo_read()
    assert read == {"CEB603": {"records": 97, "items": 265}, "CEB604": {"records": 2, "items": 0},
                    "CEB605": {"records": 1, "items": 0}, "CEB213": {"records": 18, "items": 20},
                    "ReturnClaims": {"records": 18, "items": 20}}  # the fixtures as synth wrote them
    expected = {}
    for kind, n in read.items():
        bad = DEMO_QUARANTINED.get(kind, 0)
        expected[kind] = {"records": {"read": n["records"], "stored": n["records"] - bad, "quarantined": bad,
                                      "duplicates": 0},
                          "items": {"read": n["items"], "stored": n["items"] - (bad if n["items"] else 0),
                                    "quarantined": bad if n["items"] else 0, "duplicates": 0}}
    assert s["inputs"] == expected
    assert s["ledger_totals"] == {table: expected[kind][what]["stored"] if kind in expected else 0
                                  for table, (kind, what) in LEDGER_TABLES.items()}
    assert ledger_rows(ledger_url, "SELECT COUNT(*) FROM batches WHERE finished_at IS NOT NULL") == [(1,)]
    for f in s["files"]:
        assert len(f["sha256"]) == 64 and f["read"] == f["stored"] + f["quarantined"] + f["duplicates"]
        assert f["quarantined"] == (1 if f["name"] in ("03-CEB603-returned-goods.xml", "07-claims.xml") else 0)
    rows = quarantine_rows(out)
    assert {(r["file"], r["field"]) for r in rows} == {("03-CEB603-returned-goods.xml", "InventoryHead/ieDate"),
                                                       ("07-claims.xml", "returnDate")}
    assert all(r["line"] for r in rows) and s["quarantine_rows"] == len(rows)
    # every line returned is decided once, as its scenario says
    decisions = report_rows(out)
    assert len(decisions) == read["CEB213"]["items"]
    assert {(r["return_id"], r["gnum"]): r["decision"] for r in decisions} == DEMO_DECISIONS
    by_decision = Counter(r["decision"] for r in decisions)
    assert by_decision == {"EXEMPT": 8, "PENDING": 3, "REJECTED": 9}
    assert {d: s["decisions"][d] for d in by_decision} == by_decision
    assert s["decisions"]["lines"] == s["decisions"]["decided_now"] == len(decisions)
    # and every report is the one the default SQLite ledger writes, row for row, in the same order
    for name, rows in demo_on_sqlite.items():
        assert report_rows(out, name) == rows, name
    for name in ("decisions.csv", "backpay.csv", "quarantine.csv", "summary.json", "processor.log",
                 "reconciliation.xml"):
        assert (out / name).exists(), name
    events = [json.loads(line) for line in (out / "processor.log").read_text(encoding="utf-8").splitlines()]
    assert {"batch_started", "file_read", "quarantined", "batch_finished"} <= {e["event"] for e in events}


def test_demo_covers_every_supervision_code(tmp_path):
    codes = set()
    for path in sorted(DEMO.glob("*CEB603*.xml")):
        for p in open_input(path, path.name).records():
            if p.record:
                codes.add(p.record.trade_mode)
    assert {"1210", "9610", "9710", "9810"} <= codes and "0110" in codes


def test_official_samples_batch(tmp_path, samples_dir, ledger_url):
    out = tmp_path / "out"
    code, s, _ = run_batch(samples_dir, out, ledger=ledger_url)
    assert code == 0 and s["accounting_balanced"]
    assert s["inputs"]["CEB603"]["records"]["read"] == 10
    assert s["inputs"]["CEB213"]["records"]["read"] == 10
    assert s["inputs"]["CEB213"]["records"]["stored"] + s["inputs"]["CEB213"]["records"]["duplicates"] == 10
    warnings = {w["problem"] for w in s["warnings"]["first"]}
    assert any("BaseTransfer appears 2 times" in w for w in warnings)
    assert any("root spelled CEB214" in w for w in warnings)


def test_empty_inbox(tmp_path, ledger_url):
    (tmp_path / "in").mkdir()
    code, s, _ = run_batch(tmp_path / "in", tmp_path / "out", ledger=ledger_url)
    assert code == 0 and s["inputs"] == {} and s["files"] == []
    assert set(s["ledger_totals"].values()) == {0} and s["decisions"]["lines"] == 0
    assert ledger_rows(ledger_url, "SELECT batch_id FROM batches") == [(s["batch_id"],)]


def test_help_on_every_command():
    runner = CliRunner()
    for args in ([], ["run"], ["validate"], ["synth"]):
        result = runner.invoke(main, [*args, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
    assert "--ledger" in runner.invoke(main, ["run", "--help"]).output


def test_usage_errors_exit_2(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["run", "--out", str(tmp_path)]).exit_code == 2
    assert runner.invoke(main, ["run", "--inbox", str(tmp_path / "missing"), "--out", str(tmp_path)]).exit_code == 2


def ledger_tables(url: str) -> list[str]:
    """The tables at a ledger URL, without creating any (open_ledger would create the schema)."""
    if url.startswith("sqlite:"):
        import sqlite3  # only to see whether the file exists and what it holds, without writing it

        path = url.removeprefix("sqlite:///")
        if not Path(path).exists():
            return []
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
            return [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    import psycopg

    with psycopg.connect(url) as con:
        return [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                          "WHERE table_schema = 'public'")]


def test_bad_reference_data_fails_before_touching_the_ledger(tmp_path, ledger_url):
    ref = tmp_path / "ref"
    ref.mkdir()
    (ref / "exchange_rates.csv").write_text("month,currency,cny_per_unit\n2026-13,502,7.1\n", encoding="utf-8")
    (tmp_path / "in").mkdir()
    code, s, _ = run_batch(tmp_path / "in", tmp_path / "out", "--reference", str(ref), ledger=ledger_url)
    assert code == 1 and ledger_tables(ledger_url) == [] and not (tmp_path / "out" / "ledger.sqlite").exists()
    assert "exchange_rates.csv:2" in (tmp_path / "out" / "processor.log").read_text(encoding="utf-8")


def test_validate_reports_without_a_ledger(tmp_path):
    good = tmp_path / "good.xml"
    good.write_text(ceb603_text([export_list(1)]), encoding="utf-8")
    bad = tmp_path / "bad.xml"
    bad.write_text(ceb603_text([export_list(2)]).replace("<ceb:tradeMode>9610", "<ceb:tradeMode>96X0"),
                   encoding="utf-8")
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", str(good)])
    assert ok.exit_code == 0 and "1 usable" in ok.output
    ko = runner.invoke(main, ["validate", str(good), str(bad)])
    assert ko.exit_code == 1 and "tradeMode" in ko.output and "4-digit" in ko.output
    assert not list(tmp_path.glob("*.sqlite"))


def test_reading_memory_does_not_grow_with_file_size(tmp_path):
    """Live Python memory while streaming 4x the records stays about the same. Live, not peak: when garbage
    is collected is the interpreter's policy (lxml's parser objects form a cycle), what a reader keeps is ours."""
    peaks, held = [], []
    for n in (2000, 8000):
        d = tmp_path / f"n{n}"
        synth.synth_night(d, items=n * 5 + 1, returns=0, lists_per_file=n)
        path = sorted(d.glob("CEB603-*.xml"))[0]
        gc.collect()
        tracemalloc.start()
        reading = open_input(path, path.name)
        count, live = 0, 0
        for _ in reading.records():
            count += 1
            if count % 500 == 0:
                gc.collect()
                live = max(live, tracemalloc.get_traced_memory()[0])
        peaks.append(live)
        tracemalloc.stop()
        assert count == n
        held.append(reading.most_held)  # records parsed ahead by lxml's read buffer, not the file's size
    assert peaks[1] < peaks[0] * 1.5, peaks
    assert max(held) <= 50 and held[1] <= held[0] + 5, held


def _comparable_outputs(out) -> dict:
    """The reports and the ledger's records with the batch id and the run's clock masked."""
    import re

    mask = re.compile(r"B\d{8}T\d{6}(?:-\d+)?|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[.\d]*\+08:00")
    got = {name: mask.sub("*", (out / name).read_text(encoding="utf-8-sig"))
           for name in ("decisions.csv", "quarantine.csv", "backpay.csv")}
    for table in ("journal", "export_lists", "export_items", "return_apps", "return_lines", "claims", "decisions",
                  "quarantine", "input_files"):
        rows = ledger_rows(default_url(out), f"SELECT * FROM {table}")  # noqa: S608 - our table names
        got[table] = sorted(mask.sub("*", repr(r)) for r in rows)
    return got


# The tests of reading in other processes below stay on the default SQLite ledger: what they vary is who
# reads the files, not what is stored or how; their three runs each on PostgreSQL would only add time.


def test_reading_ahead_in_other_processes_changes_nothing(tmp_path, monkeypatch):
    """Reading in worker processes is an optimisation: ledger and reports are those of the serial run, in the
    same order, bad records included."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    for f in DEMO.iterdir():
        (inbox / f.name).write_bytes(f.read_bytes())
    # a file the scanner hands to the parser half-way, and one the parser refuses
    (inbox / "08-CEB603-comment.xml").write_text(ceb603_text([export_list(i, ie="2026-09-01") for i in (1, 2, 3)])
                                                 .replace("</ceb:Inventory>", "</ceb:Inventory><!-- x -->", 1),
                                                 encoding="utf-8")
    (inbox / "09-broken.xml").write_text("<ceb:CEB603Message xmlns:ceb='http://www.chinaport.gov.cn/ceb'>",
                                         encoding="utf-8")
    outs = {}
    for workers in ("0", "1", "3"):
        monkeypatch.setenv("PROCESSOR_READ_WORKERS", workers)
        code, summary, _ = run_batch(inbox, tmp_path / f"out-{workers}")
        assert code == 0
        outs[workers] = _comparable_outputs(tmp_path / f"out-{workers}")
    assert outs["0"]["export_items"] and outs["0"]["quarantine"]
    assert outs["1"] == outs["0"]
    assert outs["3"] == outs["0"]


def _demo_inbox(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    for f in DEMO.iterdir():
        (inbox / f.name).write_bytes(f.read_bytes())
    return inbox


def test_a_reader_process_that_dies_changes_nothing(tmp_path, monkeypatch):
    """A reader killed half-way (out of memory, say): the batch reads its files itself, past what it sent."""
    import os

    from processor.readers import ahead

    inbox = _demo_inbox(tmp_path)
    monkeypatch.setenv("PROCESSOR_READ_WORKERS", "0")
    assert run_batch(inbox, tmp_path / "serial")[0] == 0

    def dying_work(box, queue, parent, prepare):
        sent = {"n": 0}
        original = queue.put

        def put(message, *a, **k):
            original(message, *a, **k)
            if message[0] == "records" and message[2]:
                sent["n"] += 1
                if sent["n"] == 2:  # after its second chunk of records, mid-share
                    queue.close()
                    queue.join_thread()
                    os._exit(9)
        queue.put = put
        ahead_work(box, queue, parent, prepare)

    ahead_work = ahead._work
    monkeypatch.setattr(ahead, "CHUNK", 5)
    monkeypatch.setattr(ahead, "_work", dying_work)
    monkeypatch.setenv("PROCESSOR_READ_WORKERS", "2")
    assert run_batch(inbox, tmp_path / "dying")[0] == 0
    assert _comparable_outputs(tmp_path / "dying") == _comparable_outputs(tmp_path / "serial")


def test_a_reading_error_in_a_reader_process_reads_as_in_a_serial_run(tmp_path, monkeypatch):
    """A bug met while reading a file: the same quarantine row and counts with or without reader processes."""
    from processor import readers

    inbox = _demo_inbox(tmp_path)
    real = readers._parse_matched  # how the lists of a plainly written file are built
    seen = {}  # records read per file, in whichever process reads it

    def failing(reading, *args):
        seen[reading.name] = seen.get(reading.name, 0) + 1
        if reading.name.startswith("02-") and seen[reading.name] == 10:
            raise RuntimeError("a bug met in the tenth list")
        return real(reading, *args)

    monkeypatch.setattr(readers, "_parse_matched", failing)
    outs = {}
    for workers in ("0", "2"):
        seen.clear()
        monkeypatch.setenv("PROCESSOR_READ_WORKERS", workers)
        assert run_batch(inbox, tmp_path / f"out-{workers}")[0] == 0
        outs[workers] = _comparable_outputs(tmp_path / f"out-{workers}")
    assert "a bug met in the tenth list" in outs["0"]["quarantine.csv"]
    assert outs["2"] == outs["0"]
