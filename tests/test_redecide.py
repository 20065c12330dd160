"""Decisions that follow their inputs, through the command line: the ledger's lifecycle (init, run --init, a
missing ledger refused with exit 2), the holiday calendar from rest_days.csv and CALENDAR_UNKNOWN, reassess, and
explain --all-versions. The casebook (tests/casebook) and the test bureau (test_bureau.py) check the rows of
every trigger; here the commands and what they say."""
from __future__ import annotations

import csv
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

from click.testing import CliRunner

from processor import synth
from processor.batch import redact
from processor.cli import main
from processor.law.decide import decide
from processor.law.facts import Held
from processor.reference import load_reference

from .helpers import export_list, ledger_rows, run_batch
from .test_decisions import claim_for, make_night
from .test_law_core import REF, claim, export, line


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def rows(out: Path) -> list[dict]:
    with open(out / "decisions.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


# -- the ledger's lifecycle ------------------------------------------------------------------------------------
def test_run_and_reassess_never_start_a_ledger(tmp_path, ledger_url):
    """A mistyped path or a dated --out must not start an empty ledger whose every return is rejected: exit 2,
    the URL named, nothing created (not even --out)."""
    inbox = make_night(tmp_path, "n1", [export_list(1)], [])
    for url, out in ((None, tmp_path / "2026-11-29" / "out"), (ledger_url, tmp_path / "pg-out")):
        args = ["--ledger", url] if url else []
        done = cli("run", "--inbox", inbox, "--out", out, *args)
        assert done.exit_code == 2, done.output
        named = url or f"sqlite:///{(out / 'ledger.sqlite').resolve()}"
        assert f"no ledger at {redact(named)}" in done.output
        assert "Traceback" not in done.output and not out.exists()
        again = cli("reassess", "--out", out, *args)
        assert again.exit_code == 2 and "no ledger at" in again.output and not out.exists()
    assert not (tmp_path / "2026-11-29").exists()
    if ledger_url.startswith("sqlite"):
        assert not Path(ledger_url.split("sqlite:///", 1)[1]).exists()
    else:  # the database is there, but no table was made in it
        assert _pg_tables(ledger_url) == []


def _pg_tables(url: str) -> list:
    import psycopg

    with psycopg.connect(url) as con:
        return con.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()


def test_init_creates_once_and_then_changes_nothing(tmp_path, ledger_url):
    first = cli("init", "--ledger", ledger_url)
    assert first.exit_code == 0 and "created an empty ledger" in first.output
    before = ledger_rows(ledger_url, "SELECT name, value FROM ledger_meta ORDER BY name")
    second = cli("init", "--ledger", ledger_url)
    assert second.exit_code == 0 and "already exists" in second.output and "nothing changed" in second.output
    assert ledger_rows(ledger_url, "SELECT name, value FROM ledger_meta ORDER BY name") == before
    inbox = make_night(tmp_path, "n1", [export_list(1)], [])
    done = cli("run", "--inbox", inbox, "--out", tmp_path / "out", "--ledger", ledger_url, "--quiet")
    assert done.exit_code == 0, done.output  # the ledger init made serves run without --init


# -- the holiday calendar -------------------------------------------------------------------------------------
def test_rest_days_csv_is_the_whole_calendar_of_each_year_it_names(tmp_path):
    """2026-09-06 + 6 months = Saturday 2027-03-06, in a year chinesecalendar 1.11.0 does not cover: unknown
    (PENDING CALENDAR_UNKNOWN three days later, WINDOW_EXPIRED sixteen days later). A rest_days.csv naming 2027
    is that year's calendar: listed rest days and unlisted weekends are rest, a weekend listed work is not."""
    bundled = load_reference()
    e = export(ie_date=date(2026, 9, 6))
    on = lambda day, ref: decide(e, Held(), line(), claim(return_date=day), ref)  # noqa: E731
    d = on(date(2027, 3, 9), bundled)
    assert (d.decision, d.reasons, d.window_end) == ("PENDING", ("CALENDAR_UNKNOWN",), date(2027, 3, 8))
    assert "estimate" in next(s["detail"] for s in d.trail if s["step"] == "window")
    assert on(date(2027, 3, 6), bundled).decision == "EXEMPT"  # on the nominal day: in time whatever the calendar
    assert on(date(2027, 3, 21), bundled).reasons == ("CALENDAR_UNKNOWN",)  # 15 days after: still unknown
    assert on(date(2027, 3, 22), bundled).reasons == ("WINDOW_EXPIRED",)  # 16 days after: late whatever
    text = "date,kind,name\n2027-03-08,rest,某节\n2027-03-09,rest,某节\n2027-03-13,work,调休上班\n"
    (tmp_path / "rest_days.csv").write_text(text, encoding="utf-8")
    sha = hashlib.sha256(text.encode()).hexdigest()
    mine = load_reference(tmp_path)
    d = on(date(2027, 3, 10), mine)
    assert (d.decision, d.window_end) == ("EXEMPT", date(2027, 3, 10))  # Sat, Sun, then the two listed rest days
    window = next(s["detail"] for s in d.trail if s["step"] == "window")
    assert f"rest_days.csv sha256 {sha}" in window and "estimate" not in window
    assert on(date(2027, 3, 11), mine).reasons == ("WINDOW_EXPIRED",)
    # other years still come from the package
    d = decide(export(ie_date=date(2026, 4, 1)), Held(), line(), claim(return_date=date(2026, 10, 8)), mine)
    assert d.window_end == date(2026, 10, 8) and "chinesecalendar" in next(
        s["detail"] for s in d.trail if s["step"] == "window")
    assert mine.fingerprint != bundled.fingerprint


def test_a_calendar_unknown_line_is_decided_when_the_year_arrives_and_warned_until_then(tmp_path):
    exp = export_list(7, ie="2026-09-06", goods=((0, 2),))
    r = synth.ReturnSpec("R-CAL", exp, [(1, 1)], datetime(2027, 3, 9, 9))
    out = tmp_path / "out"
    code, s, _ = run_batch(make_night(tmp_path, "n1", [exp], [r], [claim_for(r, day="20270309")]), out)
    assert code == 0
    [row] = rows(out)
    assert (row["decision"], row["reasons"], row["window_end"], row["change"]) == (
        "PENDING", "CALENDAR_UNKNOWN", "2027-03-08", "NEW")
    assert s["decisions"]["estimated_windows"] == 1
    assert any("is an estimate" in w["problem"] and "2027" in w["problem"] for w in s["warnings"]["first"])
    first = s["batch_id"]
    # the same night under the same reference: nothing decided again
    code, s, _ = run_batch(make_night(tmp_path, "n2", [], []), out)
    assert s["decisions"]["decided_now"] == 0 and rows(out) == []
    # the State Council's notice for 2027, as rest_days.csv: Monday 03-08 a rest day, so the window runs to 03-09
    ref = tmp_path / "ref"
    ref.mkdir()
    (ref / "rest_days.csv").write_text("date,kind,name\n2027-03-08,rest,某节\n", encoding="utf-8")
    code, s, _ = run_batch(make_night(tmp_path, "n3", [], []), out, "--reference", ref)
    [row] = rows(out)
    assert (row["decision"], row["reasons"], row["window_end"], row["change"]) == ("EXEMPT", "", "2027-03-09",
                                                                                   "REVISED")
    assert row["supersedes"] == first and s["decisions"]["estimated_windows"] == 0


# -- reassess and explain ---------------------------------------------------------------------------------------
def test_reassess_writes_only_what_changed_and_nothing_the_second_time(tmp_path):
    """A tariff row corrected: reassess decides every line again and writes the one whose amounts changed."""
    exp = export_list(8, ie="2026-08-10", goods=((0, 3), (1, 3)))
    r = synth.ReturnSpec("R-RE", exp, [(1, 1), (2, 1)], datetime(2026, 10, 1, 9))
    out = tmp_path / "out"
    run_batch(make_night(tmp_path, "n1", [exp], [r], [claim_for(r)]), out)
    before = {x["gnum"]: x for x in rows(out)}
    gcode = exp.items[0].goods.gcode
    ref = tmp_path / "ref"
    ref.mkdir()
    bundled = (Path(__file__).resolve().parent.parent / "processor" / "data" / "tariff.csv").read_text()
    (ref / "tariff.csv").write_text(bundled + f"{gcode},2026-01-01,0.20,,,,0.13,\n", encoding="utf-8")
    done = cli("reassess", "--out", tmp_path / "re", "--ledger", f"sqlite:///{out / 'ledger.sqlite'}",
               "--reference", ref, "--quiet")
    assert done.exit_code == 0, done.output
    got = rows(tmp_path / "re")
    assert [(x["gnum"], x["change"]) for x in got] == [("1", "REVISED")]
    assert D(got[0]["import_duty"]) == (D(before["1"]["customs_value_cny"]) * D("0.20")).quantize(D("0.01"))
    summary = json.loads((tmp_path / "re" / "summary.json").read_text())
    assert summary["decisions"]["decided_now"] == 2 and summary["decisions"]["revised"] == 1
    done = cli("reassess", "--out", tmp_path / "re2", "--ledger", f"sqlite:///{out / 'ledger.sqlite'}",
               "--reference", ref, "--quiet")
    assert done.exit_code == 0 and rows(tmp_path / "re2") == []
    # explain --all-versions: each version, what made it be decided, and what was reported
    shown = cli("explain", "R-RE", "--out", out, "--all-versions").output
    assert shown.count("Return R-RE  line gnum 1") == 2 and shown.count("Return R-RE  line gnum 2") == 1
    assert "decided because  " in shown and "first decision; reported NEW" in shown
    assert f"reassess; reported REVISED, superseding batch {before['1']['batch_id']}" in shown
    current = cli("explain", "R-RE", "--out", out).output
    assert current.count("Return R-RE") == 2 and "superseded" not in current


def test_explain_names_the_new_data_that_made_a_line_be_decided_again(tmp_path):
    exp = export_list(9, ie="2026-08-10", goods=((0, 3),))
    r = synth.ReturnSpec("R-EX", exp, [(1, 1)], datetime(2026, 10, 1, 9))
    out = tmp_path / "out"
    run_batch(make_night(tmp_path, "n1", [], [r], [claim_for(r)]), out)  # the export comes a night late
    assert rows(out)[0]["reasons"] == "NO_SUCH_EXPORT"
    run_batch(make_night(tmp_path, "n2", [exp], []), out)
    [row] = rows(out)
    assert (row["decision"], row["change"]) == ("EXEMPT", "REVISED")
    shown = cli("explain", "R-EX", "--out", out, "--all-versions").output
    assert "new data: export list; reported REVISED" in shown and "version 1, superseded" in shown


def test_a_ledger_of_the_release_before_is_upgraded_and_carries_on(tmp_path):
    """tests/data/ledger-v2-demo.sqlite: the demo night's ledger as release b6f3adb (schema 2: no change,
    supersedes or cause) wrote it. `run` without --init upgrades it in place; the same night again reports
    its rows as a fresh ledger would report them, all NEW; reassess then finds nothing to change."""
    import shutil

    from processor.ledger.base import SCHEMA_VERSION

    from .conftest import DEMO, ROOT

    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(ROOT / "tests" / "data" / "ledger-v2-demo.sqlite", out / "ledger.sqlite")
    url = f"sqlite:///{out / 'ledger.sqlite'}"
    import sqlite3

    con = sqlite3.connect(out / "ledger.sqlite")
    assert con.execute("SELECT value FROM ledger_meta WHERE name = 'schema_version'").fetchone() == ("2",)
    con.close()
    done = cli("run", "--inbox", DEMO, "--out", out, "--quiet")
    assert done.exit_code == 0, done.output
    assert ledger_rows(url, "SELECT value FROM ledger_meta WHERE name = 'schema_version'") == [(SCHEMA_VERSION,)]
    fresh = tmp_path / "fresh"
    run_batch(DEMO, fresh)
    strip = lambda rs: [{k: v for k, v in r.items() if k != "batch_id"} for r in rs]  # noqa: E731
    assert strip(rows(out)) == strip(rows(fresh)) and {r["change"] for r in rows(out)} == {"NEW"}
    done = cli("reassess", "--out", tmp_path / "re", "--ledger", url, "--quiet")
    assert done.exit_code == 0 and rows(tmp_path / "re") == []


def test_backpay_csv_follows_the_rule_of_decisions_csv(tmp_path):
    """A pay-back line is written to backpay.csv when its decision is reported, with the same change and
    supersedes: an EXEMPT line with its VAT refund paid back, then revoked by a claim without the certificate."""
    exp = export_list(10, ie="2026-08-10", goods=((0, 3),))
    r = synth.ReturnSpec("R-BP", exp, [(1, 1)], datetime(2026, 10, 1, 9))
    paid = synth.ClaimSpec("R-BP", exp.invt_no, "20261101", "UNSOLD", [{"gnum": 1, "refundedVat": "8.00"}],
                           self_declaration="SD-1", certificate=("PAID_BACK", "PB-1"))
    out = tmp_path / "out"
    _c, s1, _ = run_batch(make_night(tmp_path, "n1", [exp], [r], [paid]), out)
    with open(out / "backpay.csv", encoding="utf-8-sig", newline="") as fh:
        first = list(csv.DictReader(fh))
    assert [(x["decision"], x["backpay_vat"], x["change"], x["supersedes"]) for x in first] == [
        ("EXEMPT", "8.00", "NEW", "")]
    revoked = synth.ClaimSpec("R-BP", exp.invt_no, "20261101", "UNSOLD", [{"gnum": 1, "refundedVat": "8.00"}],
                              self_declaration="SD-1")
    run_batch(make_night(tmp_path, "n2", claims=[revoked]), out)
    with open(out / "backpay.csv", encoding="utf-8-sig", newline="") as fh:
        second = list(csv.DictReader(fh))
    assert [(x["decision"], x["change"], x["supersedes"], x["certificate_type"]) for x in second] == [
        ("PENDING", "REVISED", s1["batch_id"], "")]


def test_an_extension_running_into_an_unknown_year_is_certain_up_to_that_year(tmp_path):
    """rest_days.csv covers 2027 and makes 12-30 and 12-31 rest days; 2028 is known to no calendar. The nominal
    last day 2027-12-30 is known; a return on 12-31 or 2028-01-01 is in time whatever 2028 brings (the window
    runs at least to the first unknown day); 01-02 waits for 2028's calendar, which the warning names."""
    (tmp_path / "rest_days.csv").write_text("date,kind,name\n2027-12-30,rest,x\n2027-12-31,rest,x\n", encoding="utf-8")
    ref = load_reference(tmp_path)
    e = export(ie_date=date(2027, 6, 30))
    got = {day: decide(e, Held(), line(), claim(return_date=date(2028, 1, day) if day < 20 else date(2027, 12, 31)),
                       ref) for day in (1, 2, 31)}
    assert got[31].decision == "EXEMPT"
    window = {"WINDOW_EXPIRED", "CALENDAR_UNKNOWN"}
    assert not window & set(got[1].reasons)  # (the bundled rates end in 2027: TARIFF_UNKNOWN, which is not ours)
    assert "CALENDAR_UNKNOWN" in got[2].reasons and "2028" in got[2].calendar_note


def test_a_line_moved_to_another_export_list_frees_what_it_held(tmp_path):
    """A (5 of X's 5) holds; C (3 on X) is rejected for quantity. A CEB213 change moves A to list Y: X's
    quantity is released, and C is decided again in the same batch (CONTRACT.md 6)."""
    x = export_list(11, ie="2026-08-01", goods=((0, 5),))
    y = export_list(12, ie="2026-08-01", goods=((0, 5),))
    a = synth.ReturnSpec("R-A", x, [(1, 5)], datetime(2026, 10, 1, 9))
    c = synth.ReturnSpec("R-C", x, [(1, 3)], datetime(2026, 10, 2, 9))
    out = tmp_path / "out"
    run_batch(make_night(tmp_path, "n1", [x, y], [a, c]), out)
    assert {r["return_id"]: r["reasons"] for r in rows(out)}["R-C"] == "CLAIM_MISSING;QTY_EXCEEDS_EXPORT"
    moved = synth.ReturnSpec("R-A", y, [(1, 5)], datetime(2026, 10, 3, 9), app_type="2")
    run_batch(make_night(tmp_path, "n2", [], [moved]), out)
    got = {r["return_id"]: (r["invt_no"], r["reasons"], r["change"]) for r in rows(out)}
    assert got == {"R-A": (y.invt_no, "CLAIM_MISSING", "REVISED"), "R-C": (x.invt_no, "CLAIM_MISSING", "REVISED")}


def test_a_line_that_holds_less_releases_the_rest():
    """A held all ten and is changed to hold four; B, returned earlier and decided first, saw ten held: the
    release decides it again and it fits (the quantity every other line holds now)."""
    from processor.law.item import Entry, decide_item

    e = export()
    a = line(co_el_no="RA", qty=D("4"), qty1=D("4"), app_time=datetime(2026, 6, 5, 9))
    b = line(co_el_no="RB", qty=D("5"), qty1=D("5"))
    out = decide_item(e, Held(), [Entry(a, claim(co_el_no="RA", return_date=date(2026, 6, 5)), Held(D("10"), D("10"))),
                                  Entry(b, claim(co_el_no="RB"), None)], REF)
    assert [(d.co_el_no, d.decision) for d in out] == [("RB", "EXEMPT"), ("RA", "EXEMPT")]


def test_the_upgrade_marks_the_lines_waiting_for_reference_data(tmp_path):
    """A schema-2 ledger's PENDING TARIFF_UNKNOWN line is marked as waiting (`waits`), so the first night after
    the upgrade decides it again under its reference data, found through the small partial index."""
    import shutil
    import sqlite3

    from .conftest import ROOT

    path = tmp_path / "ledger.sqlite"
    shutil.copy(ROOT / "tests" / "data" / "ledger-v2-demo.sqlite", path)
    con = sqlite3.connect(path)
    co, gnum = con.execute("SELECT co_el_no, gnum FROM decisions WHERE status = 'current' ORDER BY co_el_no").fetchone()
    con.execute("UPDATE decisions SET decision = 'PENDING', reasons = 'CLAIM_MISSING;TARIFF_UNKNOWN' WHERE co_el_no = ? "
                "AND gnum = ? AND status = 'current'", (co, gnum))
    con.commit()
    con.close()
    url = f"sqlite:///{path}"
    assert cli("init", "--ledger", url).exit_code == 0  # upgrades in place
    assert ledger_rows(url, "SELECT co_el_no, gnum FROM decisions WHERE waits = 'reference'") == [(co, gnum)]
    done = cli("run", "--inbox", make_night(tmp_path, "n", [], []), "--out", tmp_path / "out", "--ledger", url,
               "--quiet")
    assert done.exit_code == 0, done.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["decisions"]["decided_now"] == 1  # that line alone, decided again under the bundled data
