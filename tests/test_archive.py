"""`processor archive` (ledger/archive.py): export lists whose windows have all closed, packed out of the tables a
night works in, without a decision changing.

- The casebook with the whole ledger archived after every step agrees line for line, as without (a night that
  touches an archived list puts it back first: new versions, receipts, cancellations, late returns, reassess).
- On both backends: a night's reports written again after archiving are byte for byte the first ones; `explain` says
  the same; `check` reads the archived items; the same night run again reports the same rows as on a ledger never
  archived; a late return finds its archived export (WINDOW_EXPIRED, not NO_SUCH_EXPORT).
- Stopped part-way, every list is either in force or archived, and the next night decides as before.
- Only months whose windows have closed are taken; a later --through is refused.
"""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from processor.ledger import open_ledger
from processor.ledger.archive import bring_back, last_closed_month

from .helpers import ledger_rows, rows_kept_are_the_rows, run_batch
from .test_casebook import (CASES, DECIDING, NIGHTS, PARAMS, batches_of, compare_case, execute_all, judge,
                            _speaks)

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo"
PROCESSOR = [sys.executable, "-m", "processor.cli"]
FAR = "2099-12-31"  # --as-of: every month of the fixtures closed


def archive(url: str, *extra) -> subprocess.CompletedProcess:
    return subprocess.run([*PROCESSOR, "archive", "--ledger", url, "--as-of", FAR, *extra], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


ARCHIVED_AFTER_STEPS: list = []  # lists in the archive after each casebook step


def _archive_all(ledger: Path) -> None:
    url = "sqlite:///" + str(ledger.resolve())
    rows_kept_are_the_rows(url)  # what the step wrote and deleted
    done = archive(url)
    assert done.returncode == 0, done.stderr
    ARCHIVED_AFTER_STEPS.append(ledger_rows(url, "SELECT COUNT(*) FROM archived_lists")[0][0])
    rows_kept_are_the_rows(url)  # and what the archive moved


@pytest.fixture(scope="module")
def archived_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("casebook-archived")
    results = execute_all(base, between=_archive_all)
    results["_batches"] = batches_of(results)
    return results


@pytest.mark.parametrize("step,case", PARAMS, ids=[f"{s.name}-{c.id}" for s, c in PARAMS])
def test_casebook_agrees_with_the_ledger_archived_after_every_step(archived_runs, step, case):
    r = archived_runs[step.name]
    assert r["rc"] == 0, r["stderr"][-2000:]
    verdict, msg = judge(case, step, compare_case(case, step, r["rows"], archived_runs["_batches"]))
    if verdict == "gap":
        pytest.xfail(msg)
    assert verdict == "agree", msg


def test_casebook_archived_quiet_cases_stay_quiet(archived_runs):
    found = [f"{s.name} {d['key']} {d['field']}" for s in DECIDING for c in CASES if not _speaks(c, s.key)
             for d in compare_case(c, s, archived_runs[s.name]["rows"], archived_runs["_batches"])]
    assert not found, found[:10]


def test_casebook_archived_every_list_after_every_step(archived_runs):
    """Each step found the archive full and left every list without a PENDING line in it."""
    url = "sqlite:///" + str(Path(archived_runs["night1"]["out"]).parent / "ledger" / "ledger.sqlite")
    assert ARCHIVED_AFTER_STEPS and all(n > 0 for n in ARCHIVED_AFTER_STEPS), ARCHIVED_AFTER_STEPS
    live = ledger_rows(url, "SELECT l.invt_no, EXISTS (SELECT 1 FROM decisions d WHERE d.invt_no = l.invt_no AND "
                            "d.status = 'current' AND d.decision = 'PENDING') FROM export_lists l")
    assert live and all(pending for _i, pending in live), live
    returns = ledger_rows(url, "SELECT COUNT(*) FROM archived_returns")[0][0]
    assert returns > 0


def test_casebook_archived_reruns_write_the_same_rows(archived_runs):
    strip = lambda rows: sorted(tuple((k, v) for k, v in r.items() if k != "batch_id") for r in rows)  # noqa: E731
    for n in NIGHTS:
        assert strip(archived_runs[f"night{n}"]["rows"]) == strip(archived_runs[f"night{n}-rerun"]["rows"]), n


def _rows(out: Path, name: str = "decisions.csv") -> list:
    with (out / name).open(encoding="utf-8-sig", newline="") as fh:
        return [{k: v for k, v in r.items() if k not in ("batch_id", "supersedes")} for r in csv.DictReader(fh)]


def _explain(url: str, return_id: str) -> str:
    done = subprocess.run([*PROCESSOR, "explain", return_id, "--ledger", url], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_archive_changes_no_report_and_no_decision(ledger_url, tmp_path):
    rc, summary, _ = run_batch(DEMO, tmp_path / "n1", "--init", ledger=ledger_url)
    assert rc == 0
    first = summary["batch_id"]
    decided = {r["return_id"] for r in _rows(tmp_path / "n1")}
    pending = {r["return_id"] for r in _rows(tmp_path / "n1") if r["decision"] == "PENDING"}
    shown = sorted(decided - pending)[:3] + sorted(pending)[:1]  # the first will be archived, the last not
    explained = {co: _explain(ledger_url, co) for co in shown}
    in_force = ledger_rows(ledger_url, "SELECT COUNT(*) FROM export_items")[0][0]
    decisions = ledger_rows(ledger_url, "SELECT COUNT(*) FROM decisions")[0][0]
    every_row = {t: sorted(ledger_rows(ledger_url, f"SELECT * FROM {t}"), key=repr)
                 for t in ("decisions", "export_lists", "return_apps", "claims", "journal")}

    done = archive(ledger_url)
    assert done.returncode == 0, done.stderr
    assert "in the archive" in done.stdout
    live = ledger_rows(ledger_url, "SELECT COUNT(*) FROM export_items")[0][0]
    pending = ledger_rows(ledger_url, "SELECT COUNT(*) FROM export_items i JOIN export_lists l ON l.list_key = "
                                      "i.list_key WHERE EXISTS (SELECT 1 FROM decisions d WHERE d.invt_no = l.invt_no "
                                      "AND d.status = 'current' AND d.decision = 'PENDING')")[0][0]
    assert 0 < live == pending  # the lists with a line PENDING stay
    assert ledger_rows(ledger_url, "SELECT SUM(items) FROM archive_months")[0][0] == in_force - live
    packed = {r[0] for r in ledger_rows(ledger_url, "SELECT co_el_no FROM archived_returns")}
    assert packed and packed <= decided  # and their lines' decisions went with them
    assert ledger_rows(ledger_url, "SELECT COUNT(*) FROM decisions WHERE co_el_no IN "
                                   "(SELECT co_el_no FROM archived_returns)")[0][0] == 0
    assert ledger_rows(ledger_url, "SELECT COUNT(*) FROM decisions")[0][0] < decisions
    ledger = open_ledger(ledger_url)
    try:  # put back, every row is as it was (a decision's trail and citations packed again)
        ledger.begin()
        assert bring_back(ledger, list_keys=[r[0] for r in ledger.query("SELECT list_key FROM archived_lists")])
        assert {t: sorted(ledger.query(f"SELECT * FROM {t}"), key=repr) for t in every_row} == every_row
    finally:
        ledger.rollback()
        ledger.close()

    again = subprocess.run([*PROCESSOR, "report", "--batch", first, "--out", str(tmp_path / "again"), "--ledger",
                            ledger_url], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    for name in ("decisions.csv", "backpay.csv", "reconciliation.xml", "quarantine.csv", "summary.json"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "n1" / name).read_bytes(), name
    assert shown[0] in packed and shown[-1] not in packed
    assert {co: _explain(ledger_url, co) for co in shown} == explained  # archived ones read there
    checked = subprocess.run([*PROCESSOR, "check", "--ledger", ledger_url], cwd=ROOT, capture_output=True, text=True,
                             timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # the same night again: every list it names comes back, and the rows are the rerun's on any ledger
    rc, summary, _ = run_batch(DEMO, tmp_path / "n2", ledger=ledger_url)
    assert rc == 0
    assert summary["decisions"]["reported_again"] == len(_rows(tmp_path / "n1"))
    assert _rows(tmp_path / "n2") == _rows(tmp_path / "n1")
    assert ledger_rows(ledger_url, "SELECT COUNT(*) FROM export_items")[0][0] == in_force
    assert ledger_rows(ledger_url, "SELECT COUNT(*) FROM archived_lists")[0][0] == 0
    totals = summary["ledger_totals"]
    assert totals["archived_export_lists"] == 0 and totals["archived_lists_put_back"] > 0

    # archived again, then reassessed: archived lines are decided again too (their lists put back), nothing changes;
    # --since after every return date: none is
    assert archive(ledger_url).returncode == 0
    for since, out in ((FAR, "re-none"), ("2000-01-01", "re")):
        done = subprocess.run([*PROCESSOR, "reassess", "--out", str(tmp_path / out), "--ledger", ledger_url,
                               "--since", since, "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        assert _rows(tmp_path / out) == []
        put_back = json.loads((tmp_path / out / "summary.json").read_text())["ledger_totals"]["archived_lists_put_back"]
        assert (put_back > 0) == (since != FAR), since
    assert ledger_rows(ledger_url, "SELECT COUNT(*) FROM archived_returns WHERE return_date IS NOT NULL") == [(0,)]


def test_a_late_return_finds_its_archived_export(ledger_url, tmp_path):
    """A return of goods exported long ago, declared after their export list was archived: WINDOW_EXPIRED (the
    export is found and put back), not NO_SUCH_EXPORT."""
    from tests.casebook import writer as W
    from tests.casebook.cases import G

    inbox = tmp_path / "in1"
    inbox.mkdir()
    export = W.ExportList("COPLATE1", "33012025E000000777", "2025-01-10", "9610",
                          [W.ExportItem(gnum=1, gcode=G, qty="2", price="100")])
    (inbox / "ceb603.xml").write_bytes(W.ceb603([export], "late-603"))
    rc, _s, _ = run_batch(inbox, tmp_path / "n1", "--init", ledger=ledger_url)
    assert rc == 0
    assert archive(ledger_url).returncode == 0
    assert ledger_rows(ledger_url, "SELECT invt_no FROM archived_lists") == [("33012025E000000777",)]

    late = tmp_path / "in2"
    late.mkdir()
    ret = W.ReturnApp("LATE-RETURN-1", "33012025E000000777", "20260301100000", [W.ReturnLine(1, G, "1")])
    (late / "ceb213.xml").write_bytes(W.ceb213([ret], "late-213"))
    rc, _s, _ = run_batch(late, tmp_path / "n2", ledger=ledger_url)
    assert rc == 0
    rows = _rows(tmp_path / "n2")
    assert [r["return_id"] for r in rows] == ["LATE-RETURN-1"]
    assert "WINDOW_EXPIRED" in rows[0]["reasons"] and "NO_SUCH_EXPORT" not in rows[0]["reasons"], rows
    assert rows[0]["export_date"] == "2025-01-10"


def test_stopped_part_way_every_list_is_somewhere(tmp_path, monkeypatch):
    """Lists move a transaction at a time: a failure in the second leaves the first's archived and the rest in
    force, `check` clean, and the next night as it would have been."""
    from processor.ledger import archive as arch

    url = "sqlite:///" + str((tmp_path / "ledger.sqlite").resolve())
    rc, _s, _ = run_batch(DEMO, tmp_path / "n1", "--init", ledger=url)
    assert rc == 0
    total = ledger_rows(url, "SELECT COUNT(*) FROM export_lists")[0][0]
    monkeypatch.setattr(arch, "TRANSACTION_LISTS", 10)
    calls = {"n": 0}
    real = arch._pack

    def failing(*args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(*args)

    monkeypatch.setattr(arch, "_pack", failing)
    ledger = open_ledger(url)
    try:
        with pytest.raises(OSError):
            arch.archive(ledger, "2099-12")
    finally:
        ledger.close()
    live = ledger_rows(url, "SELECT COUNT(*) FROM export_lists")[0][0]
    packed = ledger_rows(url, "SELECT COUNT(*) FROM archived_lists")[0][0]
    assert 0 < packed < total and live + packed == total
    assert ledger_rows(url, "SELECT SUM(lists) FROM archive_months")[0][0] == packed
    checked = subprocess.run([*PROCESSOR, "check", "--ledger", url], cwd=ROOT, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout
    rc, _s, _ = run_batch(DEMO, tmp_path / "n2", ledger=url)
    assert rc == 0 and _rows(tmp_path / "n2") == _rows(tmp_path / "n1")


def test_only_closed_months(tmp_path):
    assert last_closed_month(__import__("datetime").date(2026, 11, 30)) == "2026-03"
    assert last_closed_month(__import__("datetime").date(2026, 11, 14)) == "2026-02"
    url = "sqlite:///" + str((tmp_path / "ledger.sqlite").resolve())
    rc, _s, _ = run_batch(DEMO, tmp_path / "n1", "--init", ledger=url)
    assert rc == 0
    refused = subprocess.run([*PROCESSOR, "archive", "--ledger", url, "--as-of", "2026-11-30", "--through",
                              "2026-04"], cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 2 and "2026-03" in refused.stderr
    done = subprocess.run([*PROCESSOR, "archive", "--ledger", url, "--as-of", "2026-11-30"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    left = ledger_rows(url, "SELECT MIN(ie_date) FROM export_lists")[0][0]
    assert left >= "2026-04-01"
    months = [r[0] for r in ledger_rows(url, "SELECT month FROM archive_months ORDER BY month")]
    assert months and months[-1] <= "2026-03"
    summary = json.loads((tmp_path / "n1" / "summary.json").read_text())
    assert summary["batch_id"]


def _night(tmp_path: Path, name: str, ledger_url: str, **files) -> dict:
    inbox = tmp_path / f"in-{name}"
    inbox.mkdir()
    for file_name, data in files.items():
        (inbox / file_name.replace("_", ".")).write_bytes(data)
    rc, summary, output = run_batch(inbox, tmp_path / name, ledger=ledger_url)
    assert rc == 0, output
    return summary


def test_a_receipt_giving_the_invt_no_of_an_archived_list_finds_it_taken(ledger_url, tmp_path):
    """A list waiting for its invtNo is not given one an archived list holds (INVT_NO_TAKEN, as if nothing were
    archived); the night after, a return naming that invtNo is decided against the list that holds it."""
    from tests.casebook import writer as W
    from tests.casebook.cases import G

    item = [W.ExportItem(gnum=1, gcode=G, qty="2", price="100")]
    held = W.ExportList("COP-HELD", "33012025E000000001", "2025-01-10", "9610", item)
    waiting = W.ExportList("COP-WAIT", None, "2026-10-01", "9610", item)
    _night(tmp_path, "n1", ledger_url, ceb603_xml=W.ceb603([held, waiting], "n1-603"))
    assert archive(ledger_url, "--through", "2025-01").returncode == 0
    assert ledger_rows(ledger_url, "SELECT list_key FROM archived_lists") == [(f"{W.EBC_CODE}|COP-HELD",)]

    summary = _night(tmp_path, "n2", ledger_url, ceb604_xml=W.ceb604(
        [W.ListReceipt("COP-WAIT", "33012025E000000001", "800", time="20261002120000000")], "n2-604"))
    assert "INVT_NO_TAKEN" in summary["warnings"]["by_kind"]
    assert ledger_rows(ledger_url, "SELECT invt_no FROM export_lists WHERE cop_no = 'COP-WAIT'") == [(None,)]
    checked = subprocess.run([*PROCESSOR, "check", "--ledger", ledger_url], cwd=ROOT, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout

    # archived again, then a night that says nothing of either list: the waiting one still waits (every night
    # numbers the lists whose receipts came, and the archived list holds that number)
    assert archive(ledger_url, "--through", "2025-01").returncode == 0
    other = W.ExportList("COP-OTHER", "33012026E000000002", "2026-10-05", "9610", item)
    summary = _night(tmp_path, "n3", ledger_url, ceb603_xml=W.ceb603([other], "n3-603"))
    assert "INVT_NO_TAKEN" in summary["warnings"]["by_kind"]
    assert ledger_rows(ledger_url, "SELECT invt_no FROM export_lists WHERE cop_no = 'COP-WAIT'") == [(None,)]

    assert archive(ledger_url, "--through", "2025-01").returncode == 0
    ret = W.ReturnApp("BACK-TAKEN-1", "33012025E000000001", "20260301100000", [W.ReturnLine(1, G, "1")])
    _night(tmp_path, "n4", ledger_url, ceb213_xml=W.ceb213([ret], "n4-213"))
    rows = _rows(tmp_path / "n4")
    assert [(r["return_id"], r["export_date"]) for r in rows] == [("BACK-TAKEN-1", "2025-01-10")]
    assert "WINDOW_EXPIRED" in rows[0]["reasons"]


def test_a_certificate_presented_again_is_found_among_archived_claims(ledger_url, tmp_path):
    """CERTIFICATE_SHARED looks among the claims in force: an archived claim that presented the same certificate
    comes back to be compared."""
    from tests.casebook import writer as W
    from tests.casebook.cases import G

    item = [W.ExportItem(gnum=1, gcode=G, qty="2", price="100")]
    first = W.ExportList("COP-CERT1", "33012025E000000011", "2025-01-10", "9610", item)
    ret1 = W.ReturnApp("BACK-CERT-1", "33012025E000000011", "20250301100000", [W.ReturnLine(1, G, "1")])
    claim1 = W.Claim("BACK-CERT-1", "33012025E000000011", "2025-03-01", certificate=("NOT_REFUNDED", "CERT-SAME"),
                     items=[W.ClaimItem(gnum=1)])
    _night(tmp_path, "n1", ledger_url, a_ceb603_xml=W.ceb603([first], "n1-603"),
           b_ceb213_xml=W.ceb213([ret1], "n1-213"), c_claims_xml=W.claims([claim1]))
    assert archive(ledger_url, "--through", "2025-01").returncode == 0
    assert ledger_rows(ledger_url, "SELECT certificate_no FROM archived_certificates") == [("CERT-SAME",)]
    assert ledger_rows(ledger_url, "SELECT COUNT(*) FROM claims")[0][0] == 0

    second = W.ExportList("COP-CERT2", "33012026E000000012", "2026-09-10", "9610", item)
    ret2 = W.ReturnApp("BACK-CERT-2", "33012026E000000012", "20261001100000", [W.ReturnLine(1, G, "1")])
    claim2 = W.Claim("BACK-CERT-2", "33012026E000000012", "2026-10-01", certificate=("NOT_REFUNDED", "CERT-SAME"),
                     items=[W.ClaimItem(gnum=1)])
    summary = _night(tmp_path, "n2", ledger_url, a_ceb603_xml=W.ceb603([second], "n2-603"),
                     b_ceb213_xml=W.ceb213([ret2], "n2-213"), c_claims_xml=W.claims([claim2]))
    shared = summary["warnings"]["by_kind"].get("CERTIFICATE_SHARED")
    assert shared and "BACK-CERT-1" in shared["first"][0] and "BACK-CERT-2" in shared["first"][0], summary["warnings"]


def test_what_a_rolled_back_file_put_back_is_archived_again(tmp_path):
    """A file that fails after a list was put back for it is rolled back whole, the list with it: the rest of the
    night must know the archive holds it again (else a later return would find neither)."""
    from processor.ledger.archive import has_archive

    url = "sqlite:///" + str((tmp_path / "ledger.sqlite").resolve())
    rc, _s, _ = run_batch(DEMO, tmp_path / "n1", "--init", ledger=url)
    assert rc == 0 and archive(url).returncode == 0
    keys = [r[0] for r in ledger_rows(url, "SELECT list_key FROM archived_lists")]
    ledger = open_ledger(url)
    try:
        ledger.begin()
        ledger.file_begin()
        assert bring_back(ledger, list_keys=keys) == len(keys)
        assert not has_archive(ledger)  # all of it put back
        ledger.file_rollback()
        assert has_archive(ledger)
        assert bring_back(ledger, list_keys=keys[:1]) == 1
    finally:
        ledger.rollback()
        ledger.close()


def test_check_reads_the_decisions_packed_with_an_archived_list(tmp_path):
    """`processor check` holds the archived decisions to the same invariant as those in force: a line archived
    holding more than its export item is found in its packed document."""
    import sqlite3

    from processor.ledger import archive as packing

    url = "sqlite:///" + str((tmp_path / "ledger.sqlite").resolve())
    rc, _s, _ = run_batch(DEMO, tmp_path / "n1", "--init", ledger=url)
    assert rc == 0 and archive(url).returncode == 0
    checked = subprocess.run([*PROCESSOR, "check", "--ledger", url], cwd=ROOT, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout
    with sqlite3.connect(tmp_path / "ledger.sqlite") as conn:
        for key, month, packed in conn.execute("SELECT list_key, month, packed FROM archived_lists").fetchall():
            raw = conn.execute("SELECT dictionary FROM archive_months WHERE month = ?", (month,)).fetchone()[0]
            doc = json.loads(packing._unpacker(raw).decompress(packed))
            line = next((d for d in doc.get("decisions", ()) if d["decision"] == "EXEMPT" and d["status"] == "current"),
                        None)
            if line is not None:
                break
        assert line is not None
        line["qty"] = line["qty1"] = "100000"
        conn.execute("UPDATE archived_lists SET packed = ? WHERE list_key = ?",
                     (packing._packer(raw).compress(packing._encode(doc)), key))
    checked = subprocess.run([*PROCESSOR, "check", "--ledger", url], cwd=ROOT, capture_output=True, text=True)
    assert checked.returncode == 1
    assert f"export item invtNo {line['invt_no']} gnum {line['gnum']}: lines in force hold 100000" in checked.stdout


def test_a_schema_7_ledger_is_upgraded_to_8_and_its_archive_read(tmp_path):
    """Schema 8 adds archived_returns.return_date (for `reassess --since`) and makes archived_lists a rowid table
    on SQLite: a schema-7 ledger is upgraded when opened, every packed list kept, and what it archived stays
    readable."""
    import sqlite3

    url = "sqlite:///" + str((tmp_path / "ledger.sqlite").resolve())
    rc, _s, _ = run_batch(DEMO, tmp_path / "n1", "--init", ledger=url)
    assert rc == 0 and archive(url).returncode == 0
    some = ledger_rows(url, "SELECT co_el_no FROM archived_returns ORDER BY co_el_no LIMIT 1")[0][0]
    explained = _explain(url, some)
    lists = ledger_rows(url, "SELECT list_key, invt_no, month, packed FROM archived_lists ORDER BY list_key")
    with sqlite3.connect(tmp_path / "ledger.sqlite") as conn:  # back to schema 7's form
        conn.execute("ALTER TABLE archived_returns DROP COLUMN return_date")
        conn.executescript(
            "CREATE TABLE v7 (list_key TEXT PRIMARY KEY, invt_no TEXT, month TEXT NOT NULL, packed BLOB NOT NULL) "
            "WITHOUT ROWID; INSERT INTO v7 SELECT * FROM archived_lists; DROP TABLE archived_lists; "
            "ALTER TABLE v7 RENAME TO archived_lists; CREATE INDEX archived_lists_by_invt ON archived_lists (invt_no);")
        conn.execute("UPDATE ledger_meta SET value = '7' WHERE name = 'schema_version'")
    checked = subprocess.run([*PROCESSOR, "check", "--ledger", url], cwd=ROOT, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert ledger_rows(url, "SELECT value FROM ledger_meta WHERE name = 'schema_version'") == [("8",)]
    assert ledger_rows(url, "SELECT COUNT(*) FROM archived_returns WHERE return_date IS NULL")[0][0] > 0
    assert ledger_rows(url, "SELECT list_key, invt_no, month, packed FROM archived_lists ORDER BY list_key") == lists
    assert not ledger_rows(url, "SELECT sql FROM sqlite_master WHERE name = 'archived_lists'")[0][0].endswith("ROWID")
    assert ledger_rows(url, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'archived_lists_by_invt'") == [(1,)]
    assert _explain(url, some) == explained
