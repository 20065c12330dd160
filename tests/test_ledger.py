"""The ledger across nights: idempotence, receipts in any order, versions, withdrawals, atomic files.

Every test that stores something runs against each backend (the `ledger_url` fixture: SQLite, and
PostgreSQL when PROCESSOR_TEST_PG_URL is set) and reads the ledger back through its own API.
"""
import csv
import random
from datetime import datetime

import pytest

from processor import synth
from processor.ledger import base as ledger_base

from .conftest import DEMO
from .helpers import ceb603_text, export_list, ledger_rows, quarantine_rows, rows_kept_are_the_rows, run_batch


def night(tmp_path, name, files: dict):
    inbox = tmp_path / name
    inbox.mkdir()
    for fname, text in files.items():
        (inbox / fname).write_text(text, encoding="utf-8")
    return inbox


def ceb604(spec, invt, status="800"):
    path_rng = random.Random(3)
    import io  # noqa: F401
    tmp = synth._envelope("CEB604Message", [], path_rng, transfer=False)
    parts = []
    parts.append("<ceb:InventoryReturn>" + "".join((
        synth._t("guid", synth._guid(path_rng)), synth._t("agentCode", synth.AGENT[0]), synth._t("copNo", spec.cop_no),
        synth._t("preNo", "P" + "0" * 17), synth._t("invtNo", invt), synth._t("ebcCode", spec.ebc_code),
        synth._t("ebpCode", spec.ebp_code), synth._t("orderNo", "O1"), synth._t("statisticsFlag", "A"),
        synth._t("returnStatus", status), synth._t("returnTime", "20261021110200000"),
        synth._t("returnInfo", "回执"))) + "</ceb:InventoryReturn>")
    return tmp.replace("\n</ceb:CEB604Message>", "".join(parts) + "\n</ceb:CEB604Message>")


def decision_lines(out):
    """decisions.csv without the batch id, in its order."""
    with open(out / "decisions.csv", encoding="utf-8-sig", newline="") as fh:
        return [{k: v for k, v in r.items() if k != "batch_id"} for r in csv.DictReader(fh)]


def test_same_inbox_twice_changes_nothing(tmp_path, ledger_url):
    code1, s1, _ = run_batch(DEMO, tmp_path / "first", ledger=ledger_url)
    code2, s2, _ = run_batch(DEMO, tmp_path / "again", ledger=ledger_url)
    assert code1 == code2 == 0
    assert s1["ledger_totals"] == s2["ledger_totals"]
    for kind, c in s2["inputs"].items():
        r = c["records"]
        assert r["stored"] == 0 and r["duplicates"] + r["quarantined"] == r["read"], kind
    assert s1["batch_id"] != s2["batch_id"]
    # the same decisions reported again, none made anew
    first = decision_lines(tmp_path / "first")
    assert first and decision_lines(tmp_path / "again") == first
    assert s1["decisions"]["decided_now"] == len(first)
    assert s2["decisions"]["decided_now"] == 0 and s2["decisions"]["reported_again"] == len(first)


def test_receipt_before_its_list_still_fills_invt_no(tmp_path, ledger_url):
    spec = export_list(5, with_invt=False)
    out = tmp_path / "out"
    run_batch(night(tmp_path, "n1", {"r.xml": ceb604(spec, "33012026E000000555")}), out, ledger=ledger_url)
    run_batch(night(tmp_path, "n2", {"l.xml": ceb603_text([spec])}), out, ledger=ledger_url)
    assert ledger_rows(ledger_url, "SELECT invt_no, void_reason FROM export_lists") == [("33012026E000000555", None)]


def test_refused_list_is_void_and_keeps_its_number(tmp_path, ledger_url):
    spec = export_list(6, with_invt=False)
    out = tmp_path / "out"
    run_batch(night(tmp_path, "n1", {"l.xml": ceb603_text([spec]), "r.xml": ceb604(spec, "33012026E000000666", "100")}),
              out, ledger=ledger_url)
    (invt, reason), = ledger_rows(ledger_url, "SELECT invt_no, void_reason FROM export_lists")
    assert invt == "33012026E000000666" and "CEB604 status 100" in reason


def test_cancellation_in_an_earlier_night_voids_the_list(tmp_path, ledger_url):
    spec = export_list(7)
    rng = random.Random(1)
    out = tmp_path / "out"
    n1 = tmp_path / "n1"
    n1.mkdir()
    synth.write_ceb605(n1 / "c.xml", [(spec, datetime(2026, 9, 1), "撤单")], rng)
    run_batch(n1, out, ledger=ledger_url)
    run_batch(night(tmp_path, "n2", {"l.xml": ceb603_text([spec])}), out, ledger=ledger_url)
    assert ledger_rows(ledger_url, "SELECT void_reason FROM export_lists") == [("cancelled (CEB605)",)]


def returns_file(path, rets):
    synth.write_ceb213(path, rets, random.Random(2))


def test_return_versions_change_and_delete(tmp_path, ledger_url):
    spec = export_list(8, goods=((0, 5), (1, 5)))
    out = tmp_path / "out"
    t = datetime(2026, 11, 1, 10, 0)
    n1 = night(tmp_path, "n1", {"l.xml": ceb603_text([spec])})
    returns_file(n1 / "r.xml", [synth.ReturnSpec("R-1", spec, [(1, 1)], t)])
    run_batch(n1, out, ledger=ledger_url)
    # night 2: a change (appType 2, later) replaces the lines; the original resent is a duplicate
    n2 = tmp_path / "n2"
    n2.mkdir()
    returns_file(n2 / "r.xml", [synth.ReturnSpec("R-1", spec, [(1, 2), (2, 1)], t.replace(hour=12), app_type="2")])
    code, s, _ = run_batch(n2, out, ledger=ledger_url)
    assert ledger_rows(ledger_url, "SELECT gnum, qty FROM return_lines ORDER BY gnum") == [(1, "2"), (2, "1")]
    # night 3: an older version arriving late does not win
    n3 = tmp_path / "n3"
    n3.mkdir()
    returns_file(n3 / "r.xml", [synth.ReturnSpec("R-1", spec, [(1, 3)], t.replace(hour=11), app_type="2")])
    code, s, _ = run_batch(n3, out, ledger=ledger_url)
    assert s["inputs"]["CEB213"]["records"]["stored"] == 1  # kept in the journal as superseded
    assert ledger_rows(ledger_url, "SELECT gnum, qty FROM return_lines ORDER BY gnum") == [(1, "2"), (2, "1")]
    # journalled as each stood when stored; the version in force is night 2's, whose hash return_apps holds
    assert ledger_rows(ledger_url, "SELECT j.outcome, j.content_hash = a.content_hash FROM journal j "
                       "JOIN batches b ON b.batch_id = j.batch_id, return_apps a WHERE j.kind='CEB213' "
                       "ORDER BY b.started_at") == [("current", False), ("current", True), ("superseded", False)]
    # night 4: delete
    n4 = tmp_path / "n4"
    n4.mkdir()
    returns_file(n4 / "r.xml", [synth.ReturnSpec("R-1", spec, [(1, 2)], t.replace(hour=13), app_type="3")])
    run_batch(n4, out, ledger=ledger_url)
    assert ledger_rows(ledger_url, "SELECT withdrawn FROM return_apps") == [("deleted by the sender (appType 3)",)]
    assert rows_kept_are_the_rows(ledger_url)["return_lines"] == 1  # the lines each version replaced went


def test_conflicting_resend_is_quarantined(tmp_path, ledger_url):
    spec = export_list(9, goods=((0, 5),))
    t = datetime(2026, 11, 1, 10, 0)
    inbox = night(tmp_path, "n1", {"l.xml": ceb603_text([spec])})
    returns_file(inbox / "r1.xml", [synth.ReturnSpec("R-9", spec, [(1, 1)], t)])
    returns_file(inbox / "r2.xml", [synth.ReturnSpec("R-9", spec, [(1, 4)], t)])
    out = tmp_path / "out"
    code, s, _ = run_batch(inbox, out, ledger=ledger_url)
    assert code == 0 and s["inputs"]["CEB213"]["records"] == {"read": 2, "stored": 1, "quarantined": 1,
                                                               "duplicates": 0}
    rows = [r for r in quarantine_rows(out) if r["kind"] == "CEB213"]
    assert rows and rows[0]["file"] == "r2.xml" and "appType 2" in rows[0]["expected"]


def test_invt_no_held_by_another_list_is_quarantined(tmp_path, ledger_url):
    a, b = export_list(10), export_list(11)
    b.invt_no = a.invt_no
    out = tmp_path / "out"
    code, s, _ = run_batch(night(tmp_path, "n", {"l.xml": ceb603_text([a, b])}), out, ledger=ledger_url)
    assert s["inputs"]["CEB603"]["records"]["quarantined"] == 1
    assert "already belongs" in quarantine_rows(out)[0]["problem"]


def test_return_receipt_100_withdraws(tmp_path, ledger_url):
    spec = export_list(12)
    inbox = night(tmp_path, "n", {"l.xml": ceb603_text([spec])})
    returns_file(inbox / "r.xml", [synth.ReturnSpec("R-12", spec, [(1, 1)], datetime(2026, 11, 1))])
    rng = random.Random(5)
    body = ("<ceb:RefundReturn><ceb:guid>%s</ceb:guid><ceb:agentCode>A</ceb:agentCode><ceb:coElNo>R-12</ceb:coElNo>"
            "<ceb:invtNo>%s</ceb:invtNo><ceb:returnStatus>100</ceb:returnStatus><ceb:returnTime>20261102120000000"
            "</ceb:returnTime><ceb:returnInfo>退单</ceb:returnInfo></ceb:RefundReturn>" % (synth._guid(rng),
                                                                                       spec.invt_no))
    (inbox / "x.xml").write_text(synth._envelope("CEB214Message", [body], rng, transfer=False), encoding="utf-8")
    out = tmp_path / "out"
    run_batch(inbox, out, ledger=ledger_url)
    assert ledger_rows(ledger_url, "SELECT withdrawn FROM return_apps") == [("refused by customs (CEB214 status 100)",)]


def test_later_claim_replaces_earlier(tmp_path, ledger_url):
    out = tmp_path / "out"
    c1 = synth.ClaimSpec("R-20", "33012026E000000020", "20261101", "UNSOLD", [{"gnum": 1}], self_declaration="SD1")
    c2 = synth.ClaimSpec("R-20", "33012026E000000020", "20261102", "BUYER_RETURN", [{"gnum": 1, "used": True}],
                         return_record="RMA")
    for i, c in enumerate((c1, c2)):
        n = tmp_path / f"n{i}"
        n.mkdir()
        synth.write_claims(n / "c.xml", [c])
        run_batch(n, out, ledger=ledger_url)
    assert ledger_rows(ledger_url, "SELECT return_date, reason_code FROM claims") == [("2026-11-02", "BUYER_RETURN")]
    assert ledger_rows(ledger_url, "SELECT used FROM claim_items") == [(1,)]
    # resending the first claim later does not bring it back: it is a duplicate of a record already read
    n = tmp_path / "n9"
    n.mkdir()
    synth.write_claims(n / "c.xml", [c1])
    code, s, _ = run_batch(n, out, ledger=ledger_url)
    assert s["inputs"]["ReturnClaims"]["records"]["duplicates"] == 1
    assert ledger_rows(ledger_url, "SELECT reason_code FROM claims") == [("BUYER_RETURN",)]
    assert rows_kept_are_the_rows(ledger_url)["claims"] == 1  # the earlier claim's rows went


def test_a_file_that_fails_to_store_is_kept_whole_or_not_at_all(tmp_path, monkeypatch, ledger_url):
    good = ceb603_text([export_list(30), export_list(31)])
    bad = ceb603_text([export_list(32), export_list(33)])
    inbox = night(tmp_path, "n", {"a.xml": good, "b.xml": bad})
    original = ledger_base.Ledger.store

    def failing_store(self, kind, parsed, batch_id, file_sha):
        result = original(self, kind, parsed, batch_id, file_sha)
        if any(p.file == "b.xml" for p in parsed):
            raise OSError("disk I/O error (simulated)")  # after the rows are written: they must go
        return result

    monkeypatch.setattr(ledger_base.Ledger, "store", failing_store)
    out = tmp_path / "out"
    code, s, _ = run_batch(inbox, out, ledger=ledger_url)
    assert code == 0
    assert ledger_rows(ledger_url, "SELECT cop_no FROM export_lists ORDER BY cop_no") == [
        (export_list(30).cop_no,), (export_list(31).cop_no,)]
    assert s["inputs"]["CEB603"]["records"] == {"read": 4, "stored": 2, "quarantined": 2, "duplicates": 0}
    assert s["accounting_balanced"]
    rows = quarantine_rows(out)
    assert len(rows) == 1 and rows[0]["file"] == "b.xml" and "simulated" in rows[0]["problem"]
    assert s["ledger_totals"]["export_lists"] == rows_kept_are_the_rows(ledger_url)["export_lists"] == 2


def test_a_batch_that_cannot_complete_commits_nothing(tmp_path, monkeypatch, ledger_url):
    inbox = night(tmp_path, "n", {"a.xml": ceb603_text([export_list(40)])})

    def broken_settle(self, batch_id):
        raise RuntimeError("power cut (simulated)")

    monkeypatch.setattr(ledger_base.Ledger, "settle", broken_settle)
    out = tmp_path / "out"
    code, s, output = run_batch(inbox, out, ledger=ledger_url)
    assert code == 1 and not (out / "summary.json").exists()
    assert ledger_rows(ledger_url, "SELECT COUNT(*) FROM batches") == [(0,)]
    assert ledger_rows(ledger_url, "SELECT COUNT(*) FROM export_lists") == [(0,)]


def test_chunked_store_over_many_records(tmp_path, monkeypatch, ledger_url):
    monkeypatch.setattr("processor.stages.ingest.CHUNK_RECORDS", 7)
    monkeypatch.setattr(ledger_base, "CHUNK_KEYS", 5)
    specs = [export_list(100 + i) for i in range(40)]
    text = ceb603_text(specs + specs[:3])  # three repeated within the same file
    out = tmp_path / "out"
    code, s, _ = run_batch(night(tmp_path, "n", {"a.xml": text}), out, ledger=ledger_url)
    assert s["inputs"]["CEB603"]["records"] == {"read": 43, "stored": 40, "quarantined": 0, "duplicates": 3}
    assert ledger_rows(ledger_url, "SELECT COUNT(*) FROM export_lists") == [(40,)]


# Only the URL's parsing: no ledger is opened, so one backend is enough.
@pytest.mark.parametrize("url", ["sqlite://", "mysql://x/y", "sqlite://host/x.sqlite"])
def test_bad_ledger_url_is_a_usage_error(tmp_path, url):
    inbox = night(tmp_path, "n", {"a.xml": ceb603_text([export_list(50)])})
    code, _s, output = run_batch(inbox, tmp_path / "out", "--ledger", url)
    assert code == 2


def test_rows_in_force_are_kept_as_they_come_and_go_and_check_finds_a_count_astray(ledger_url, tmp_path):
    """summary.json's ledger_totals come from counts each write keeps (Bookkeeping.counted), not from counting the
    tables (a minute a night at 27M items): a ledger from before them is counted once; nights that add and replace
    keep them right; a count gone astray is a finding of `processor check`, with both figures."""
    import subprocess
    import sys

    from .conftest import ROOT

    rc, first, _ = run_batch(DEMO, tmp_path / "n1", "--init", ledger=ledger_url)
    assert rc == 0
    tables = list(first["ledger_totals"])[:9]
    counted = {t: ledger_rows(ledger_url, f"SELECT COUNT(*) FROM {t}")[0][0] for t in tables}
    assert {t: first["ledger_totals"][t] for t in tables} == counted and counted["export_items"] > 0
    # a ledger from before the counts were kept: counted once, by the next night
    from processor.ledger import open_ledger
    ledger = open_ledger(ledger_url)
    try:
        ledger.begin()
        ledger.execute("DELETE FROM ledger_meta WHERE name LIKE ?", ("rows_in_force:%",))
        ledger.commit()
    finally:
        ledger.close()
    rc, again, _ = run_batch(DEMO, tmp_path / "n2", ledger=ledger_url)
    assert rc == 0 and {t: again["ledger_totals"][t] for t in tables} == counted
    ok = subprocess.run([sys.executable, "-m", "processor.cli", "check", "--ledger", ledger_url], cwd=ROOT,
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    ledger = open_ledger(ledger_url)
    try:
        ledger.begin()
        ledger.execute("UPDATE ledger_meta SET value = '7' WHERE name = 'rows_in_force:export_items'")
        ledger.commit()
    finally:
        ledger.close()
    astray = subprocess.run([sys.executable, "-m", "processor.cli", "check", "--ledger", ledger_url], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert astray.returncode != 0
    assert f"rows_in_force:export_items: 7 rows kept, the table has {counted['export_items']}" in (
        astray.stdout + astray.stderr)
