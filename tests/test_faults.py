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

import pytest

from .conftest import DEMO, ROOT
from .helpers import BACKENDS


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


def _batch_ids(out: Path) -> list[str]:
    import sqlite3
    with sqlite3.connect(out / "ledger.sqlite") as conn:
        return [r[0] for r in conn.execute("SELECT batch_id FROM batches ORDER BY batch_id")]


def test_a_committed_batch_whose_reports_cannot_all_be_placed_exits_3_and_report_writes_them_again(tmp_path):
    """summary.json cannot be replaced (a folder stands in its place): the batch is committed, so the exit status
    is 3, not 1; the message names the batch and the command that writes its reports again; INCOMPLETE.txt says
    the folder may hold a mix. `processor report --batch` then writes them, the same bytes the batch wrote."""
    out, twin = tmp_path / "out", tmp_path / "twin"
    assert cli("run", "--init", "--quiet", "--inbox", DEMO, "--out", out).returncode == 0
    (out / "summary.json").unlink()
    (out / "summary.json" / "in-the-way").mkdir(parents=True)
    done = cli("run", "--quiet", "--inbox", DEMO, "--out", out)
    assert done.returncode == 3, done.stderr
    first, second = _batch_ids(out)
    line = done.stderr.strip()
    assert "\n" not in line and line.startswith(f"error: batch {second} is committed, but its reports could not "
                                                f"all be written (Is a directory: {out / 'summary.json'})")
    assert f"processor report --batch {second} --out DIR" in line and "Traceback" not in done.stderr
    assert "may be a mix of two batches" in (out / "INCOMPLETE.txt").read_text(encoding="utf-8")
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    again = cli("report", "--batch", second, "--out", tmp_path / "again", "--ledger", f"sqlite:///{out}/ledger.sqlite")
    assert again.returncode == 0, again.stderr
    for name in ("decisions.csv", "backpay.csv", "reconciliation.xml", "quarantine.csv"):  # those that were placed
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes(), name
    summary = json.loads((tmp_path / "again" / "summary.json").read_text(encoding="utf-8"))
    assert summary["batch_id"] == second and summary["decisions"]["reported_again"] == 20
    # and for a batch whose reports were all placed, every file is the same, summary.json included
    assert cli("run", "--init", "--quiet", "--inbox", DEMO, "--out", twin).returncode == 0
    [only] = _batch_ids(twin)
    assert cli("report", "--batch", only, "--out", tmp_path / "copy", "--ledger",
               f"sqlite:///{twin}/ledger.sqlite").returncode == 0
    for name in ("decisions.csv", "backpay.csv", "reconciliation.xml", "quarantine.csv", "summary.json"):
        assert (tmp_path / "copy" / name).read_bytes() == (twin / name).read_bytes(), name
    missing = cli("report", "--batch", "B19990101T000000", "--out", tmp_path / "x", "--ledger",
                  f"sqlite:///{twin}/ledger.sqlite")
    assert missing.returncode == 2 and missing.stderr.strip() == "error: no committed batch B19990101T000000 in " \
                                                                 "this ledger"


def test_a_closed_terminal_never_fails_a_batch(tmp_path):
    """stderr closed early (`processor run ... 2>&1 | head -1`): the batch completes, exit 0, reports in place."""
    out = tmp_path / "out"
    proc = subprocess.Popen(f"{sys.executable} -m processor.cli run --init --inbox {DEMO} --out {out} 2>&1 | head -1;"
                            " exit ${PIPESTATUS[0]}", shell=True, executable="/bin/bash", cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    first_line = proc.communicate(timeout=300)[0]
    assert proc.returncode == 0 and first_line.startswith("  intake")
    assert json.loads((out / "summary.json").read_text())["decisions"]["lines"] == 20
    assert not (out / "INCOMPLETE.txt").exists()


def test_a_log_that_cannot_take_a_line_fails_the_batch_before_its_commit_and_leaves_no_cut_line(tmp_path):
    """processor.log reaches the file-size limit part-way (ulimit -f): the batch fails with one line, nothing is
    committed, and every line of the log is whole JSON (the line cut short was taken back)."""
    import resource

    out = tmp_path / "out"
    assert cli("run", "--init", "--quiet", "--inbox", DEMO, "--out", out).returncode == 0
    with open(out / "processor.log", "a", encoding="utf-8") as log:  # a log of months: the biggest file here
        for _ in range(40_000):
            log.write('{"event": "an earlier night", "level": "info"}\n')
    before = (out / "processor.log").stat().st_size
    biggest = max(p.stat().st_size for p in out.iterdir())
    assert biggest == before
    inbox = tmp_path / "in"  # a night of new returns, so the batch has things to log and to store
    inbox.mkdir()
    subprocess.run([sys.executable, "-m", "processor.cli", "synth", "--items", "300", "--returns", "60", "--out",
                    str(inbox)], cwd=ROOT, check=True, capture_output=True)
    limit = before + 4000  # the log crosses it within the batch, long before the ledger would

    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    done = subprocess.run([sys.executable, "-m", "processor.cli", "run", "--inbox", str(inbox), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, preexec_fn=limited)
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: the batch could not complete, nothing was committed: ") and "Traceback" not in \
        done.stderr
    assert f"LogNotWritten: {out / 'processor.log'} could not take a line: " in last
    assert len(_batch_ids(out)) == 1
    for line in (out / "processor.log").read_text(encoding="utf-8").splitlines():
        json.loads(line)  # whole lines only


def test_no_password_reaches_a_terminal_log_or_report_however_the_url_spells_it(tmp_path):
    """user:password@, ?password=, a mistyped scheme, a server that cannot be reached: the password never shows."""
    secret = "S3cr3t-Pw"
    seen = []
    for url in (f"postgresq://clerk:{secret}@127.0.0.1:1/ledger",  # a mistyped scheme
                f"sqlite://clerk:{secret}@host/x.sqlite"):  # a sqlite URL with a netloc
        done = cli("run", "--inbox", DEMO, "--out", tmp_path / "o1", "--ledger", url)
        assert done.returncode == 2
        seen.append(done.stdout + done.stderr)
    for args in (["explain", "R-1", "--ledger", f"postgresql://clerk:{secret}@127.0.0.1:1/ledger"],
                 ["init", "--ledger", f"postgresql://clerk@127.0.0.1:1/ledger?password={secret}&connect_timeout=2"],
                 ["report", "--batch", "B1", "--out", tmp_path / "o2", "--ledger",
                  f"postgresql://clerk:{secret}@127.0.0.1:1/ledger"]):
        done = cli(*args)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr and "cannot be opened" in done.stderr
        seen.append(done.stdout + done.stderr)
    assert all(secret not in text for text in seen), seen
    assert "clerk:***@127.0.0.1:1" in seen[0] and "password=***" in seen[3]



def test_no_file_name_can_sink_a_night_under_any_locale(tmp_path):
    """A name holding a control character, bytes that are not UTF-8, or Chinese characters: every file is read and
    stored, each name shown escaped (\\x01, \\xff) in the reports, the same under LC_ALL=C without UTF-8 mode."""
    import os

    from lxml import etree

    inbox = tmp_path / "in"
    inbox.mkdir()
    names = {"01-CEB603-2025Q4-2026Q1.xml": b"r\x01.xml", "02-CEB603-2026Q2-Q4.xml": b"r\xff.xml",
             "03-CEB603-returned-goods.xml": "退货清单.xml".encode()}
    for f in DEMO.iterdir():
        target = names.get(f.name, f.name.encode())
        with open(os.path.join(os.fsencode(inbox), target), "wb") as fh:
            fh.write(f.read_bytes())
    reference = cli("run", "--init", "--quiet", "--inbox", DEMO, "--out", tmp_path / "plain")
    assert reference.returncode == 0
    c_locale = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    for out, env in ((tmp_path / "utf8", None), (tmp_path / "c", c_locale)):
        done = cli("run", "--init", "--quiet", "--inbox", inbox, "--out", out, env=env)
        assert done.returncode == 0, done.stderr
        s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        shown = sorted(f["name"] for f in s["files"])
        assert {"r\\x01.xml", "r\\xff.xml", "退货清单.xml"} <= set(shown)
        assert all(f["stored"] == f["read"] - f["quarantined"] for f in s["files"])
        doc = etree.parse(str(out / "reconciliation.xml"))  # well-formed, whatever the names
        assert {e.get("name") for e in doc.iter("{*}File")} >= {"r\\x01.xml", "r\\xff.xml", "退货清单.xml"}
        assert (out / "decisions.csv").read_text().split("\n", 1)[1].replace(s["batch_id"], "") == \
            (tmp_path / "plain" / "decisions.csv").read_text().split("\n", 1)[1].replace(
                json.loads((tmp_path / "plain" / "summary.json").read_text())["batch_id"], "")
        assert "退货清单.xml" in (out / "quarantine.csv").read_text(encoding="utf-8-sig")


def _zero_page_of(ledger: Path, index: str) -> None:
    """Zero the root page of an index, as a bad sector or a torn write would."""
    import sqlite3
    with sqlite3.connect(ledger) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (index,)).fetchone()[0]
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with open(ledger, "r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\0" * page_size)


def test_a_damaged_ledger_is_refused_before_anything_is_written_and_check_names_the_damage(tmp_path):
    import hashlib

    out = tmp_path / "out"
    assert cli("run", "--init", "--quiet", "--inbox", DEMO, "--out", out).returncode == 0
    assert cli("check", "--out", out).returncode == 0
    _zero_page_of(out / "ledger.sqlite", "decisions_by_line")
    before = hashlib.sha256((out / "ledger.sqlite").read_bytes()).hexdigest()
    done = cli("run", "--inbox", DEMO, "--out", out)
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "the ledger is damaged (SQLite quick_check:" in last and "nothing was done" in last
    assert "Traceback" not in done.stderr
    assert hashlib.sha256((out / "ledger.sqlite").read_bytes()).hexdigest() == before
    checked = cli("check", "--out", out)
    assert checked.returncode == 1 and "storage:" in checked.stdout and "problems" in checked.stdout
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "ledger.sqlite").write_bytes(b"this is not a database, just bytes " * 200)
    done = cli("run", "--inbox", DEMO, "--out", tmp_path / "junk")
    assert done.returncode == 2 and "not a usable ledger" in done.stderr and "Traceback" not in done.stderr


def test_check_finds_decisions_that_break_the_ledgers_invariants(tmp_path):
    import sqlite3

    out = tmp_path / "out"
    assert cli("run", "--init", "--quiet", "--inbox", DEMO, "--out", out).returncode == 0
    with sqlite3.connect(out / "ledger.sqlite") as conn:
        co, gnum, invt = conn.execute("SELECT co_el_no, gnum, invt_no FROM decisions WHERE decision = 'EXEMPT' "
                                      "AND status = 'current' ORDER BY co_el_no LIMIT 1").fetchone()
        conn.execute("UPDATE decisions SET qty = '100000', qty1 = '100000' WHERE co_el_no = ? AND gnum = ?",
                     (co, gnum))
        conn.execute("UPDATE decisions SET supersedes = 'B19990101T000000' WHERE co_el_no = ? AND gnum = ?",
                     (co, gnum))
    checked = cli("check", "--ledger", f"sqlite:///{out}/ledger.sqlite")
    assert checked.returncode == 1
    assert f"export item invtNo {invt} gnum {gnum}: lines in force hold 100000" in checked.stdout
    assert f"return {co} gnum {gnum} version 1: supersedes batch B19990101T000000" in checked.stdout


@pytest.mark.parametrize("backend", BACKENDS)
def test_batches_started_together_on_a_new_ledger_create_it_once_and_take_turns(tmp_path, backend):
    """Nine batches with --init on a ledger nobody has created yet: the schema is created under the batch's own
    lock, so with --wait they all complete, one after another; without it, those that find the ledger held exit
    75, and at least one completes. No other outcome (no UniqueViolation, no half-made schema)."""
    import os

    from processor.ledger.base import SCHEMA_VERSION
    from tests.helpers import fresh_ledger, ledger_rows

    for wait, allowed in (("120", {0}), ("0", {0, 75})):
        with fresh_ledger(backend, tmp_path / f"w{wait}") as url:
            procs = [subprocess.Popen([sys.executable, "-m", "processor.cli", "run", "--init", "--quiet", "--inbox",
                                       str(DEMO), "--out", str(tmp_path / f"w{wait}" / f"o{i}"), "--ledger", url,
                                       "--wait", wait], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, env={**os.environ, "PROCESSOR_READ_WORKERS": "0"})
                     for i in range(9)]
            results = [(p.wait(timeout=600), p.stderr.read()) for p in procs]
            statuses = [code for code, _err in results]
            assert set(statuses) <= allowed and 0 in statuses, results
            assert all("Traceback" not in err for _c, err in results)
            assert ledger_rows(url, "SELECT COUNT(*) FROM batches") == [(statuses.count(0),)]
            assert ledger_rows(url, "SELECT value FROM ledger_meta WHERE name = 'schema_version'") == [
                (SCHEMA_VERSION,)]


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MB tmpfs: a disk that fills up (skipped, saying why, where this machine may not mount one)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _night(tmp_path: Path, returns: int = 3000) -> Path:
    inbox = tmp_path / "night"
    if not inbox.exists():
        subprocess.run([sys.executable, "-m", "processor.cli", "synth", "--items", "9000", "--returns", str(returns),
                        "--out", str(inbox)], cwd=ROOT, check=True, capture_output=True)
    return inbox


def test_a_full_disk_under_the_reports_or_the_ledger_fails_the_batch_with_one_line_naming_it(tmp_path, tiny_disk):
    ledger = f"sqlite:///{tmp_path}/ledger.sqlite"
    assert cli("init", "--ledger", ledger).returncode == 0
    out = tiny_disk / "out"
    done = cli("run", "--quiet", "--inbox", _night(tmp_path), "--out", out, "--ledger", ledger)
    assert done.returncode == 1, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: the batch could not complete, nothing was committed: ") and str(out) in line
    assert "No space left on device" in line or "could not take a line" in line
    from tests.helpers import ledger_rows
    assert ledger_rows(ledger, "SELECT COUNT(*) FROM batches") == [(0,)]
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    for text in (out / "processor.log").read_text(encoding="utf-8").splitlines():
        json.loads(text)
    for p in out.iterdir():
        p.unlink()
    on_disk = f"sqlite:///{tiny_disk}/ledger.sqlite"
    assert cli("init", "--ledger", on_disk).returncode == 0
    done = cli("run", "--quiet", "--inbox", _night(tmp_path), "--out", tmp_path / "o2", "--ledger", on_disk)
    assert done.returncode == 1, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line == ("error: the batch could not complete, nothing was committed: OperationalError in the ledger at "
                    f"{on_disk}: database or disk is full")
    assert ledger_rows(on_disk, "SELECT COUNT(*) FROM batches") == [(0,)]


def test_an_out_folder_that_cannot_be_written_is_one_line(tmp_path):
    out = tmp_path / "locked"
    out.mkdir()
    made = subprocess.run(["chattr", "+i", str(out)], capture_output=True, text=True)
    if made.returncode:
        pytest.skip(f"cannot make a folder immutable here (chattr needs root and a file system that has it): "
                    f"{made.stderr.strip()}")
    try:
        done = cli("run", "--init", "--inbox", DEMO, "--out", out, "--ledger", f"sqlite:///{tmp_path}/l.sqlite")
    finally:
        subprocess.run(["chattr", "-i", str(out)], capture_output=True)
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: cannot write in {out / 'processor.log'}: Operation not permitted; nothing " \
                                  "was done"


GROWS = r'''
import sys
from processor import batch
real = batch.open_inputs
def grown(*a, **k):
    inputs = real(*a, **k)  # hashed; now a transfer appends to one of them before it is read
    with open(next(f.path for f in inputs if f.name.startswith("06-")), "a", encoding="utf-8") as fh:
        fh.write("<!-- a transfer still writing -->\n")
    return inputs
batch.open_inputs = grown
from processor.cli import main
sys.argv = ["processor"] + sys.argv[1:]
main()
'''


def test_a_file_that_changes_while_the_night_reads_it_is_quarantined_whole(tmp_path):
    """The hash a batch reports is that of the bytes it read: a file that changed after it was hashed is kept
    out whole (nothing of it stored), quarantined with what happened, and flagged in summary.json."""
    import hashlib
    import shutil

    inbox = tmp_path / "in"
    shutil.copytree(DEMO, inbox)
    hashed = hashlib.sha256((inbox / "06-CEB213-returns.xml").read_bytes()).hexdigest()
    done = subprocess.run([sys.executable, "-c", GROWS, "run", "--init", "--quiet", "--inbox", str(inbox), "--out",
                           str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    entry = next(f for f in s["files"] if f["name"] == "06-CEB213-returns.xml")
    assert entry["changed_while_read"] and entry["quarantined_whole"] and entry["sha256"] == hashed
    assert entry["stored"] == 0 and entry["quarantined"] == entry["read"] == 18
    rows = [r for r in quarantine(tmp_path / "out") if r["file"] == "06-CEB213-returns.xml"]
    assert rows[-1]["problem"].startswith("the file changed while the batch read it (")
    assert s["decisions"]["lines"] == 0 and s["accounting_balanced"]


def test_a_return_dated_before_its_export_is_rejected_through_the_command_line(tmp_path):
    """The goods cannot come back before they left: RETURN_BEFORE_EXPORT (CONTRACT.md 6), never EXEMPT."""
    import shutil

    inbox = tmp_path / "in"
    shutil.copytree(DEMO, inbox)
    claims = inbox / "07-claims.xml"
    claims.write_text(claims.read_text(encoding="utf-8").replace(
        "<coElNo>BACK-20261120-0001</coElNo><invtNo>33012026E000000001</invtNo><returnDate>20261120</returnDate>",
        "<coElNo>BACK-20261120-0001</coElNo><invtNo>33012026E000000001</invtNo><returnDate>20250101</returnDate>"),
        encoding="utf-8")
    assert cli("run", "--init", "--quiet", "--inbox", inbox, "--out", tmp_path / "out").returncode == 0
    rows = [r for r in csv.DictReader((tmp_path / "out" / "decisions.csv").open(encoding="utf-8-sig"))
            if r["return_id"] == "BACK-20261120-0001"]
    assert rows and all(r["decision"] == "REJECTED" and "RETURN_BEFORE_EXPORT" in r["reasons"].split(";")
                        and r["return_date"] == "2025-01-01" for r in rows)


LOG_FULL_AFTER_COMMIT = r'''
import sys
from processor.logs import BatchLog, LogNotWritten
real = BatchLog.event
def event(self, level, name, **fields):
    if name == "timings":  # the first line the batch logs after its commit
        raise LogNotWritten(27, "processor.log could not take a line: File too large")
    return real(self, level, name, **fields)
BatchLog.event = event
from processor.cli import main
sys.argv = ["processor"] + sys.argv[1:]
main()
'''


def test_a_log_that_fills_up_after_the_commit_exits_3_saying_the_batch_stands(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", LOG_FULL_AFTER_COMMIT, "run", "--init", "--quiet", "--inbox",
                           str(DEMO), "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stderr
    [batch_id] = _batch_ids(out)
    assert done.stderr.strip() == (f"error: batch {batch_id} is committed and its reports are in place, but then: "
                                   "LogNotWritten: processor.log could not take a line: File too large")
    assert not (out / "INCOMPLETE.txt").exists()  # the reports are this batch's: nothing to warn of
    assert json.loads((out / "summary.json").read_text())["batch_id"] == batch_id


def test_a_big_ledgers_nightly_check_leaves_its_slow_tables_to_processor_check_until_archive(tmp_path):
    """Above CHECK_WHOLE_MB a batch checks one table a night; a table whose check took longer than the nightly
    budget is left out of the turn from then on (the night's cost stays the night's) and named in what the
    batch logs; `processor archive` lets them back in. Here every budget is zero: each table checked is slow."""
    from processor.ledger import open_ledger

    out = tmp_path / "out"
    assert cli("run", "--init", "--quiet", "--inbox", DEMO, "--out", out).returncode == 0
    ledger = open_ledger(f"sqlite:///{out / 'ledger.sqlite'}")
    ledger.query_within = lambda text, seconds: ledger.query(text)  # a budget of 0 s: taken, never stopped
    try:
        ledger.begin()
        first = ledger.check_storage(max_whole_mb=0, table_s=0)
        slow = first.split()[1]
        assert first.endswith(f"left to `processor check` (each took more than 0 s): {slow}")
        second = ledger.check_storage(max_whole_mb=0, table_s=0)
        assert second.split()[1] != slow and slow in second.split(": ")[-1]
        assert "left to" not in ledger.check_storage(max_whole_mb=0, table_s=60).split("ledger of")[0]
        tables = ledger.query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'")[0][0]
        for _ in range(tables + 1):  # every table slow: they are checked in turn all the same
            assert ledger.check_storage(max_whole_mb=0, table_s=0).startswith("table ")
        ledger.let_tables_back_into_check()
        assert "left to" not in ledger.check_storage(max_whole_mb=0, table_s=60)
        assert "the whole ledger" == ledger.check_storage()
        ledger.rollback()
    finally:
        ledger.close()


def test_a_tables_check_is_stopped_at_the_budget_and_the_table_left_out_the_batch_going_on(tmp_path):
    """A table's turn comes every few weeks and it grows meanwhile (20 nights of 1M items made export_items' first
    check 36 s): SQLite's check is stopped at the nightly budget, the table left out unchecked, and the batch's
    transaction goes on as it was."""
    import time

    from processor.ledger import open_ledger
    from processor.ledger.base import SLOW_CHECK

    out = tmp_path / "out"
    assert cli("run", "--init", "--quiet", "--inbox", DEMO, "--out", out).returncode == 0
    ledger = open_ledger(f"sqlite:///{out / 'ledger.sqlite'}")
    try:
        ledger.begin()
        endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n"
        started = time.perf_counter()
        assert ledger.query_within(endless, 0.3) is None
        assert time.perf_counter() - started < 5
        assert ledger.query_within("SELECT 1", 0.3) == [(1,)]  # nothing after it is interrupted
        time.sleep(0.5)
        assert ledger.query("SELECT COUNT(*) FROM batches") == [(1,)]
        ledger.query_within = lambda text, seconds: None if seconds is not None else [("ok",)]  # every check slow
        what = ledger.check_storage(max_whole_mb=0, table_s=2)
        table = what.split()[2]
        assert what.startswith(f"nothing: table {table} stopped at 2 s") and what.endswith(f"more than 2 s): {table}")
        assert ledger.query("SELECT value FROM ledger_meta WHERE name = ?", (SLOW_CHECK + table,)) == [
            ("stopped at 2 s",)]
        assert ledger.check_storage(max_whole_mb=0, table_s=2).split()[2] != table  # the next night, the next
        assert ledger.check_storage() == "the whole ledger"  # small enough: whole, never stopped
        ledger.rollback()
    finally:
        ledger.close()
