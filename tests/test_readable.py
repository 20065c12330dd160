"""The reports people read (issue 14): report.xlsx read back with openpyxl (identifiers as text, money as numbers,
every value equal to decisions.csv, the backlog of the whole ledger sorted by window end and highlighted within
15 days), report.html checked in a real browser (Debian's chromium driven by Playwright), and `processor report`
writing both from the ledger alone."""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from .conftest import DEMO, ROOT

READABLE = {**os.environ, "PROCESSOR_READABLE_REPORTS": "1"}
CHROMIUM = "/usr/bin/chromium"
TEXT_COLUMNS = ("batch_id", "return_id", "return_date", "invt_no", "gcode", "export_date", "trade_mode", "window_end",
                "policy", "decision", "reasons", "change", "supersedes")
MONEY = ("customs_value_cny", "import_duty", "consumption_tax", "import_vat", "export_duty_refund", "backpay_vat",
         "backpay_ct")


def cli(*args, env=READABLE) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "processor.cli", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env=env)


@pytest.fixture(scope="module")
def demo_night(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("readable") / "out"
    done = cli("run", "--init", "--inbox", DEMO, "--out", out)
    assert done.returncode == 0, done.stderr
    assert "report.xlsx" in done.stderr and "report.html" in done.stderr
    return out


def _sheet_rows(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    return rows


def test_the_workbook_keeps_every_digit_and_equals_decisions_csv(demo_night):
    import openpyxl

    wb = openpyxl.load_workbook(demo_night / "report.xlsx")
    assert wb.sheetnames == ["汇总 Summary", "决定 Decisions", "待补 Pending", "补税 Pay-back", "更正 Revisions",
                             "隔离 Quarantine"]
    ws = wb["决定 Decisions"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    head = [c.value for c in ws[1]]
    assert head[1] == "退货单号 Return (coElNo)" and all(re.search(r"[\u4e00-\u9fff]", h) for h in head)
    with open(demo_night / "decisions.csv", encoding="utf-8-sig") as fh:
        expected = list(csv.DictReader(fh))
    from processor.sinks.workbook import DECISION_COLUMNS

    names = [c for c, _k, _w in DECISION_COLUMNS]
    cells = list(ws.iter_rows(min_row=2, max_row=len(expected) + 1))
    assert len(cells) == len(expected)
    for row, want in zip(cells, expected):
        got = dict(zip(names, row))
        for col in TEXT_COLUMNS:
            cell = got[col]
            assert (cell.value or "") == want[col], (col, cell.value, want[col])
            if cell.value is not None:
                assert cell.data_type == "s", (col, cell.value)  # text: 33012026E000000007 stays as written
        assert got["gnum"].value == int(want["gnum"])
        assert Decimal(str(got["qty"].value)) == Decimal(want["qty"])
        for col in MONEY:
            cell = got[col]
            if want[col] == "":
                assert cell.value is None
            else:
                assert cell.data_type == "n" and cell.number_format == "#,##0.00"
                assert Decimal(str(cell.value)).quantize(Decimal("0.01")) == Decimal(want[col]), (col, cell.value)
        assert got["gname"].value and got["ebc_code"].data_type == "s"
    total = [c.value for c in ws[len(expected) + 2]]
    assert total[0] == "合计 Total" and str(total[names.index("import_vat")]).startswith("=SUBTOTAL(109,")
    # a certificate number of 16 digits and a gcode with a leading zero stay text
    certs = [c.value for c in ws["AB"][1:len(expected) + 1] if c.value]
    assert certs and all(isinstance(v, str) and len(v) == 16 for v in certs)
    gcodes = [c.value for c in ws["F"][1:len(expected) + 1]]
    assert all(isinstance(v, str) and len(v) == 10 for v in gcodes)


def test_the_pending_sheet_is_the_whole_ledgers_backlog_by_window_end(demo_night, tmp_path):
    import openpyxl

    pending = list(csv.DictReader(open(demo_night / "decisions.csv", encoding="utf-8-sig")))
    tonight = sorted((r["window_end"], r["return_id"]) for r in pending if r["decision"] == "PENDING")
    ws = openpyxl.load_workbook(demo_night / "report.xlsx")["待补 Pending"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [(r[7], r[0]) for r in rows] == tonight  # window_end order
    assert all(r[10] for r in rows)  # what is missing, in words
    # the next morning, from the ledger alone: a later night's report still lists them, days left counted anew
    done = cli("report", "--out", tmp_path / "morning", "--ledger", f"sqlite:///{demo_night}/ledger.sqlite",
               "--as-of", "2027-02-20")
    assert done.returncode == 0, done.stderr
    later = openpyxl.load_workbook(tmp_path / "morning" / "report.xlsx")["待补 Pending"]
    again = list(later.iter_rows(min_row=2))
    assert [(r[7].value, r[0].value) for r in again] == tonight
    from datetime import date
    for r in again:
        days = (date.fromisoformat(r[7].value) - date(2027, 2, 20)).days
        assert r[8].value == days
        assert (r[0].fill.fgColor.rgb or "").endswith("FCE4D6") == (days <= 15), (r[0].value, days)
    assert (tmp_path / "morning" / "report.html").exists()


def _browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (.ci/run installs Debian's with apt): the page is NOT checked in a "
                    "browser")
    from playwright.sync_api import sync_playwright

    return sync_playwright()


def test_the_page_in_a_real_browser(demo_night):
    summary = json.loads((demo_night / "summary.json").read_text())
    page_file = demo_night / "report.html"
    with _browser() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        requests, errors = [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())
        page.wait_for_load_state("load")
        assert all(u.startswith("file://") for u in requests), requests
        assert errors == []
        for cell in page.query_selector_all("[data-summary]"):
            path = cell.get_attribute("data-summary").split(".")
            want = summary
            for key in path:
                want = want[key]
            assert cell.inner_text().strip() == str(want), (path, cell.inner_text(), want)
        charts = page.query_selector_all("figure[data-chart] svg")
        assert len(charts) == 3
        for svg in charts:
            box = svg.bounding_box()
            assert box and box["width"] > 100 and box["height"] > 50
            labels = [t.text_content() or "" for t in svg.query_selector_all("text")]
            assert len([t for t in labels if t.strip()]) >= 3, labels
        link = page.query_selector("#decisions a[href^='#r-']")
        target = link.get_attribute("href")
        return_id = link.inner_text()
        link.click()
        article = page.query_selector(target)
        assert article is not None and return_id in article.inner_text() and article.is_visible()
        assert "WINDOW" in article.inner_text() or "window" in article.inner_text()
        page.evaluate("window.scrollTo(0, 0)")
        shot = demo_night / "report-1280x800.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000
        browser.close()
    docs = os.environ.get("PROCESSOR_SCREENSHOT_TO")
    if docs:  # PROCESSOR_SCREENSHOT_TO=docs/report-demo.png: the README's picture of the demo night's page
        shutil.copy(shot, docs)


def test_the_workbook_keeps_text_that_needs_escaping(tmp_path):
    """Rows are written as the cell XML XlsxWriter writes; text with markup, quotes, control characters or
    edge spaces goes through XlsxWriter's own escaping and reads back as it was."""
    import openpyxl

    from processor.sinks import BatchHeader, Totals
    from processor.sinks.workbook import Workbook

    tricky = ['a & b <c> "d"', "  leading and trailing  ", "tab\there", "bell\x07", "退货 & <返>", "=1+1",
              "_x0041_.xml", "x" * 40_000]
    sink = Workbook()
    sink.open(tmp_path / "w.xlsx", BatchHeader("B1", "2026-11-30T02:00:00+08:00", "0", None, {}, ()))
    totals = Totals("B1")
    for i, text in enumerate(tricky, 1):
        row = {"co_el_no": f"R-{i}", "return_date": "2026-11-30", "invt_no": "33012026E000000007", "gnum": i,
               "gcode": "0901210000", "gname": text, "qty": "2", "export_date": None, "trade_mode": "9610",
               "window_end": None, "policy": None, "decision": "REJECTED", "reasons": "NO_SUCH_EXPORT",
               "customs_value_cny": None, "import_duty": None, "consumption_tax": None, "import_vat": None,
               "export_duty_refund": "0.00", "backpay_vat": "0.00", "backpay_ct": "0.00", "change": "NEW",
               "supersedes": None, "batch_id": "B1", "version": 1}
        sink.decision(row)
        totals.add(row)
    sink.close(totals.by_key)
    ws = openpyxl.load_workbook(tmp_path / "w.xlsx")["决定 Decisions"]
    got = [ws.cell(row=i + 1, column=7).value for i in range(1, len(tricky) + 1)]
    # a control character is stored as Excel's _xHHHH_ escape and a literal _xHHHH_ escaped in turn (what
    # XlsxWriter writes; Excel shows the text as it was); a text longer than a cell holds is cut at 32,767
    assert got == [t.replace("\x07", "_x0007_").replace("_x0041_", "_x005F_x0041_")[:32_767] for t in tricky]
    assert ws.cell(row=2, column=6).value == "0901210000"  # the leading zero kept


def test_the_backlog_is_the_whole_ledgers_and_the_totals_are_summary_jsons_on_a_rerun(tmp_path):
    """A later night that decides nothing still lists the earlier nights' PENDING lines (decided in their batch,
    overdue ones with negative days); a rerun's page and workbook show the same totals as its summary.json."""
    import openpyxl

    out = tmp_path / "out"
    assert cli("run", "--init", "--quiet", "--inbox", DEMO, "--out", out).returncode == 0
    first = json.loads((out / "summary.json").read_text())
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("run", "--quiet", "--inbox", empty, "--out", out).returncode == 0
    rows = list(openpyxl.load_workbook(out / "report.xlsx")["待补 Pending"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == first["decisions"]["PENDING"] and {r[11] for r in rows} == {first["batch_id"]}
    late = cli("report", "--out", tmp_path / "late", "--ledger", f"sqlite:///{out}/ledger.sqlite", "--as-of",
               "2028-01-01")
    assert late.returncode == 0, late.stderr
    overdue = list(openpyxl.load_workbook(tmp_path / "late" / "report.xlsx")["待补 Pending"].iter_rows(
        min_row=2, values_only=True))
    assert overdue and all(r[8] < 0 for r in overdue)
    assert "已过期 overdue" in (tmp_path / "late" / "report.html").read_text(encoding="utf-8")
    assert cli("run", "--quiet", "--inbox", DEMO, "--out", out).returncode == 0  # a rerun: rows reported again
    summary = json.loads((out / "summary.json").read_text())
    assert summary["totals"]["AGAIN"]["lines"] == 20
    html = (out / "report.html").read_text(encoding="utf-8")
    shown = dict(re.findall(r'data-summary="([^"]+)">([^<]*)<', html))
    assert len(shown) >= 14
    for path, value in shown.items():
        want = summary
        for key in path.split("."):
            want = want[key]
        assert value == str(want), (path, value, want)
    summary_sheet = dict(openpyxl.load_workbook(out / "report.xlsx")["汇总 Summary"].iter_rows(values_only=True))
    assert summary_sheet["免税 Exempted (net): 进口增值税 Import VAT"] == float(summary["net_change"]["EXEMPT"]["import_vat"])
    assert summary_sheet["仅重报 Rows reported again only (a rerun)"] == 20
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no row files or temporary reports left
