"""The batch as a user runs it: demo night, official samples, accounting, logs, help, validate."""
import gc
import json
import tracemalloc

from click.testing import CliRunner

from processor import synth
from processor.cli import main
from processor.readers import open_input

from .conftest import DEMO
from .helpers import ceb603_text, export_list, quarantine_rows, run_batch


def test_demo_night(tmp_path):
    out = tmp_path / "out"
    code, s, _ = run_batch(DEMO, out)
    assert code == 0
    assert s["accounting_balanced"]
    c603 = s["inputs"]["CEB603"]
    assert c603["records"]["read"] >= 50 and c603["items"]["read"] >= 200
    assert c603["records"]["quarantined"] == 1  # the list with ieDate 20260230
    assert s["inputs"]["CEB213"]["records"]["stored"] >= 12
    assert s["inputs"]["CEB604"]["records"]["stored"] == 1 or s["inputs"]["CEB604"]["records"]["stored"] >= 1
    assert s["inputs"]["CEB605"]["records"]["stored"] == 1
    modes = {r for r in s["ledger_totals"]}  # noqa: F841 - totals present
    for f in s["files"]:
        assert len(f["sha256"]) == 64 and f["read"] == f["stored"] + f["quarantined"] + f["duplicates"]
    rows = quarantine_rows(out)
    assert {(r["file"], r["field"]) for r in rows} == {("03-CEB603-returned-goods.xml", "InventoryHead/ieDate"),
                                                       ("07-claims.xml", "returnDate")}
    assert all(r["line"] for r in rows)
    for name in ("decisions.csv", "backpay.csv", "quarantine.csv", "summary.json", "processor.log"):
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


def test_official_samples_batch(tmp_path, samples_dir):
    out = tmp_path / "out"
    code, s, _ = run_batch(samples_dir, out)
    assert code == 0 and s["accounting_balanced"]
    assert s["inputs"]["CEB603"]["records"]["read"] == 10
    assert s["inputs"]["CEB213"]["records"]["read"] == 10
    assert s["inputs"]["CEB213"]["records"]["stored"] + s["inputs"]["CEB213"]["records"]["duplicates"] == 10
    warnings = {w["problem"] for w in s["warnings"]["first"]}
    assert any("BaseTransfer appears 2 times" in w for w in warnings)
    assert any("root spelled CEB214" in w for w in warnings)


def test_empty_inbox(tmp_path):
    (tmp_path / "in").mkdir()
    code, s, _ = run_batch(tmp_path / "in", tmp_path / "out")
    assert code == 0 and s["inputs"] == {} and s["files"] == []


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


def test_bad_reference_data_fails_before_touching_the_ledger(tmp_path):
    ref = tmp_path / "ref"
    ref.mkdir()
    (ref / "exchange_rates.csv").write_text("month,currency,cny_per_unit\n2026-13,502,7.1\n", encoding="utf-8")
    (tmp_path / "in").mkdir()
    code, s, _ = run_batch(tmp_path / "in", tmp_path / "out", "--reference", str(ref))
    assert code == 1 and not (tmp_path / "out" / "ledger.sqlite").exists()
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
    import sqlite3

    mask = re.compile(r"B\d{8}T\d{6}(?:-\d+)?|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[.\d]*\+08:00")
    got = {name: mask.sub("*", (out / name).read_text(encoding="utf-8-sig"))
           for name in ("decisions.csv", "quarantine.csv", "backpay.csv")}
    con = sqlite3.connect(out / "ledger.sqlite")
    for table in ("journal", "export_lists", "export_items", "return_apps", "return_lines", "claims", "decisions",
                  "quarantine", "input_files"):
        rows = con.execute(f"SELECT * FROM {table}").fetchall()
        got[table] = sorted(mask.sub("*", repr(r)) for r in rows)
    con.close()
    return got


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
