"""report.xlsx: the night for a broker's clerk and a bureau analyst, who open spreadsheets, not CSV.

Sheets 汇总 Summary, 决定 Decisions, 待补 Pending (every PENDING line in the ledger, by window end, those due
within 15 days highlighted), 补税 Pay-back, 更正 Revisions and 隔离 Quarantine. Identifiers (invtNo, coElNo,
gcode, certificate and copNo numbers) are text cells, so no spreadsheet turns 33012026E000000007 into a
number or drops a leading zero; money is numeric with two decimals and a totals row (SUBTOTAL, so a filter
sums what it shows). decisions.csv stays the exact record: a workbook holds numbers as Excel does.

Written with XlsxWriter in constant-memory mode (each sheet streamed to its own temporary file, a row at a
time, beside the report), so a night of a million lines never sits in memory. (pandas' to_excel writes a
frame column by column, which that mode cannot take: the page uses pandas for its tables instead.)
"""
from __future__ import annotations

import re
import shutil
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name

from . import MONEY
from .words import CHANGE_WORDS, DECISION_WORDS, URGENT_DAYS, heading, missing_words

TEXT = "text"
INT = "int"
QTY = "qty"
AMOUNT = "money"

DECISION_COLUMNS = (
    ("batch_id", TEXT, 18), ("return_id", TEXT, 22), ("return_date", TEXT, 12), ("invt_no", TEXT, 21),
    ("gnum", INT, 7), ("gcode", TEXT, 12), ("gname", TEXT, 22), ("qty", QTY, 9), ("export_date", TEXT, 12),
    ("trade_mode", TEXT, 8), ("window_end", TEXT, 12), ("policy", TEXT, 9), ("decision", TEXT, 10),
    ("reasons", TEXT, 30), ("customs_value_cny", AMOUNT, 13), ("import_duty", AMOUNT, 11),
    ("consumption_tax", AMOUNT, 11), ("import_vat", AMOUNT, 11), ("export_duty_refund", AMOUNT, 11),
    ("backpay_vat", AMOUNT, 11), ("backpay_ct", AMOUNT, 11), ("change", TEXT, 10), ("supersedes", TEXT, 18),
    ("ebc_code", TEXT, 12), ("ebp_code", TEXT, 12), ("price_currency", TEXT, 8), ("certificate_type", TEXT, 14),
    ("certificate_no", TEXT, 18), ("claim_reason", TEXT, 13))
PAYBACK_COLUMNS = (("return_id", TEXT, 22), ("invt_no", TEXT, 21), ("gnum", INT, 7), ("gname", TEXT, 22),
                   ("ebc_code", TEXT, 12), ("decision", TEXT, 10), ("backpay_vat", AMOUNT, 12),
                   ("backpay_ct", AMOUNT, 12), ("certificate_type", TEXT, 14), ("certificate_no", TEXT, 18),
                   ("change", TEXT, 10), ("supersedes", TEXT, 18))
REVISION_COLUMNS = (("return_id", TEXT, 22), ("invt_no", TEXT, 21), ("gnum", INT, 7), ("change", TEXT, 11),
                    ("supersedes", TEXT, 18), ("prev_decision", TEXT, 12), ("decision", TEXT, 10),
                    ("reasons", TEXT, 30), *((m, AMOUNT, 12) for m in MONEY))
PENDING_COLUMNS = (("return_id", TEXT, 22), ("gnum", INT, 7), ("invt_no", TEXT, 21), ("gcode", TEXT, 12),
                   ("gname", TEXT, 22), ("ebc_code", TEXT, 12), ("return_date", TEXT, 12), ("window_end", TEXT, 12),
                   ("days_left", INT, 9), ("reasons", TEXT, 30), ("missing", TEXT, 60), ("decided_in", TEXT, 18))
QUARANTINE_COLUMNS = (("file", TEXT, 28), ("line", INT, 7), ("kind", TEXT, 12), ("record_key", TEXT, 36),
                      ("field", TEXT, 24), ("problem", TEXT, 60), ("expected", TEXT, 40))
EXTRA_HEADINGS = {"prev_decision": "原结论 Decision before"}


def cell_value(kind: str, value):
    """What a cell holds: identifiers and codes as text, money and quantities as numbers, empty as empty."""
    if value is None or value == "":
        return None
    if kind == TEXT:
        return str(value)[:MAX_TEXT]
    if kind == INT:
        return int(value)
    return float(Decimal(value))  # Excel keeps doubles; shown with two decimals (money) or as declared (qty)


# text that needs XlsxWriter's own escaping: markup, control characters, edge spaces, a literal _xHHHH_ (Excel
# would decode it), the two non-characters
_CAREFUL = re.compile(r'[\x00-\x1f"&<>\ufffe\uffff]|^\s|\s$|_x[0-9A-Fa-f]{4}_')
MAX_TEXT = 32_767  # characters in a cell (Excel's limit; XlsxWriter truncates longer text the same way)
MAX_ROWS = 1_048_576  # rows in a sheet, the header included


class _Sheet:
    """One streamed sheet: header row, rows in order, a totals row of its money columns, filter and frozen head.

    XlsxWriter writes the header, the totals, the formats and the package; the rows between are written as
    the cell XML its constant-memory mode writes (an inline string, or a number with 16 significant digits,
    with its format's index), straight into the sheet's row file: XlsxWriter spends about 13 us a cell on
    the way (3M cells on a night of 100,000 lines), this about 1. Text with anything to escape goes through
    XlsxWriter's own escaping."""

    def __init__(self, book, formats: dict, name: str, columns: tuple):
        self.ws = book.add_worksheet(name)
        self.formats = formats
        self.columns = columns
        self.row = 0
        for c, (col, kind, width) in enumerate(columns):
            self.ws.set_column(c, c, width)
            self.ws.write_string(0, c, EXTRA_HEADINGS.get(col) or heading(col), formats["head"])
        self.ws.set_row(0, 32)
        self.ws.freeze_panes(1, 0)
        self._refs = [xl_col_to_name(c) for c in range(len(columns))]
        self.beyond = 0  # rows past Excel's limit, not written (the CSV files have them)
        self._xf = {key: fmt._get_xf_index() for key, fmt in formats.items() if isinstance(key, tuple)}

    def add(self, values: dict, highlight: bool = False) -> None:
        if self.row >= MAX_ROWS - 3:  # room kept for the note and the totals row
            self.beyond += 1
            return
        self.row += 1
        ws, row, r = self.ws, self.row, self.row + 1
        if row > ws.previous_row:
            ws._write_single_row(row)  # XlsxWriter's pending row (the header) out first
        ws._check_dimensions(row, 0)
        ws._check_dimensions(row, len(self.columns) - 1)
        parts = [f'<row r="{r}">']
        for c, (col, kind, _w) in enumerate(self.columns):
            value = cell_value(kind, values.get(col))
            xf = self._xf[(kind, highlight)]
            if value is None:
                if highlight:  # the row's colour across its empty cells too
                    parts.append(f'<c r="{self._refs[c]}{r}" s="{xf}"/>')
            elif kind == TEXT:
                if _CAREFUL.search(value):
                    space = ' xml:space="preserve"' if _preserve_whitespace(value) else ""
                    value = f"{space}>{ws._escape_data(ws._escape_control_characters(value))}"
                else:
                    value = f">{value}"
                parts.append(f'<c r="{self._refs[c]}{r}" s="{xf}" t="inlineStr"><is><t{value}</t></is></c>')
            else:
                parts.append(f'<c r="{self._refs[c]}{r}" s="{xf}"><v>{value:.16G}</v></c>')
        parts.append("</row>")
        ws.fh.write("".join(parts))

    def finish(self, totals: dict | None = None) -> None:
        last = len(self.columns) - 1
        if self.row:
            self.ws.autofilter(0, 0, self.row, last)
        if self.beyond:
            self.row += 1
            self.ws.write_string(self.row, 0, f"… {self.beyond:,} more rows: beyond a sheet's {MAX_ROWS:,} rows; "
                                              "decisions.csv and quarantine.csv have them all",
                                 self.formats["total_text"])
        if totals is None or not self.row:
            return
        below = self.row + 1
        self.ws.write_string(below, 0, "合计 Total", self.formats["total_text"])
        for c, (col, kind, _w) in enumerate(self.columns):
            if kind == AMOUNT:
                ref = f"{_letter(c)}2:{_letter(c)}{self.row + 1}"
                self.ws.write_formula(below, c, f"=SUBTOTAL(109,{ref})", self.formats["total_money"],
                                      float(totals.get(col, Decimal(0))))


def _letter(c: int) -> str:
    out = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        out = chr(65 + r) + out
    return out


class Workbook:
    """The report.xlsx sink (sinks protocol: open, decision per row, close with the totals, discard)."""

    file_name = "report.xlsx"

    def open(self, path: Path, header) -> None:
        import xlsxwriter

        self._path = path
        self._header = header
        # its row files in a hidden folder beside the report: removed when the workbook is done or given up, and
        # by the next batch should this one be killed (Staged.sweep)
        self._tmpdir = tempfile.mkdtemp(prefix=".report.xlsx.", suffix=".tmp", dir=path.parent)
        book = self._writer = xlsxwriter.Workbook(str(path), {
            "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
            "strings_to_urls": False, "tmpdir": self._tmpdir})
        head = {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1}
        urgent = {"bg_color": "#FCE4D6"}
        self._formats = {"head": book.add_format(head),
                         "total_text": book.add_format({"bold": True, "top": 1}),
                         "total_money": book.add_format({"bold": True, "top": 1, "num_format": "#,##0.00"})}
        for hl in (False, True):
            extra = urgent if hl else {}
            self._formats[(TEXT, hl)] = book.add_format({"num_format": "@", **extra})
            self._formats[(INT, hl)] = book.add_format({"num_format": "0", **extra})
            self._formats[(QTY, hl)] = book.add_format({"num_format": "General", **extra})
            self._formats[(AMOUNT, hl)] = book.add_format({"num_format": "#,##0.00", **extra})
        self._summary = book.add_worksheet("汇总 Summary")  # first in the tab order, filled at close
        self._decisions = _Sheet(book, self._formats, "决定 Decisions", DECISION_COLUMNS)
        self._pending = _Sheet(book, self._formats, "待补 Pending", PENDING_COLUMNS)
        self._payback = _Sheet(book, self._formats, "补税 Pay-back", PAYBACK_COLUMNS)
        self._revisions = _Sheet(book, self._formats, "更正 Revisions", REVISION_COLUMNS)
        self._quarantine = _Sheet(book, self._formats, "隔离 Quarantine", QUARANTINE_COLUMNS)
        self._payback_totals = {"backpay_vat": Decimal(0), "backpay_ct": Decimal(0)}
        self._revision_totals = {m: Decimal(0) for m in MONEY}

    def decision(self, r: dict) -> None:
        row = {**r, "batch_id": self._header.batch_id, "return_id": r["co_el_no"]}
        self._decisions.add(row)
        if Decimal(r["backpay_vat"] or 0) or Decimal(r["backpay_ct"] or 0):
            self._payback.add(row)
            self._payback_totals["backpay_vat"] += Decimal(r["backpay_vat"] or 0)
            self._payback_totals["backpay_ct"] += Decimal(r["backpay_ct"] or 0)
        if r.get("change") in ("REVISED", "WITHDRAWN"):
            self._revisions.add(row)
            for m in MONEY:
                self._revision_totals[m] += Decimal(r.get(m) or 0)

    def close(self, totals: dict) -> None:
        views = self._header.views
        self._decisions.finish(totals["ALL"])
        self._payback.finish(self._payback_totals)
        self._revisions.finish(self._revision_totals)
        backlog = urgent = 0
        as_of = views.as_of if views is not None else date.today()
        for p in (views.pending() if views is not None else ()):
            backlog += 1
            urgent += p["urgent"]
            self._pending.add({**p, "return_id": p["co_el_no"], "missing": missing_words(p["reasons"]),
                               "decided_in": p["batch_id"]}, highlight=p["urgent"])
        self._pending.finish()
        n_quarantined = 0
        for q in (views.quarantined() if views is not None else ()):
            n_quarantined += 1
            self._quarantine.add(dict(zip(("file", "line", "kind", "record_key", "field", "problem", "expected"), q)))
        self._quarantine.finish()
        self._write_summary(totals, backlog, urgent, as_of, n_quarantined)
        from xlsxwriter.exceptions import FileCreateError

        try:
            self._writer.close()
        except FileCreateError as err:  # a full disk, say: as any other report that cannot be written
            cause = err.__cause__ or err.__context__
            raise OSError(getattr(cause, "errno", None), f"report.xlsx could not be written: {cause or err}") from None
        finally:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def _write_summary(self, totals: dict, backlog: int, urgent: int, as_of: date, n_quarantined: int) -> None:
        h = self._header
        rows = [("批次 Batch", h.batch_id), ("运行时间 Run at", h.run_at), ("软件 Software", h.software_version),
                ("报告日期 As of", as_of.isoformat()),
                ("报告行数 Lines reported", totals["ALL"]["lines"])]
        rows += [(f"{DECISION_WORDS[d]} lines", totals[d]["lines"]) for d in DECISION_WORDS]
        rows += [(f"{CHANGE_WORDS[c]} rows", totals[c]["lines"]) for c in CHANGE_WORDS]
        rows += [("仅重报 Rows reported again only (a rerun)", totals["AGAIN"]["lines"])]
        # amounts: what this batch decided, net of what it replaced (summary.json net_change, the terminal, the page)
        rows += [(f"免税 Exempted (net): {heading(m)}", float(totals["NET"]["EXEMPT"][m])) for m in
                 ("import_duty", "consumption_tax", "import_vat", "export_duty_refund")]
        rows += [(f"补税 Pay-back (net): {heading(m)}", float(totals["NET"]["ALL"][m]))
                 for m in ("backpay_vat", "backpay_ct")]
        rows += [(f"净变化 Net change, all lines: {heading(m)}", float(totals["NET"]["ALL"][m])) for m in MONEY]
        rows += [("待补总数 PENDING lines in the ledger", backlog),
                 (f"{URGENT_DAYS}天内到期 PENDING within {URGENT_DAYS} days", urgent),
                 ("隔离记录 Quarantine rows", n_quarantined)]
        ws = self._summary  # row by row: in constant-memory mode a sheet is written in row order
        ws.set_column(0, 0, 46)
        ws.set_column(1, 1, 30)
        ws.write_string(0, 0, "项目 Item", self._formats["head"])
        ws.write_string(0, 1, "值 Value", self._formats["head"])
        for i, (label, value) in enumerate(rows, 1):
            ws.write_string(i, 0, label)
            if isinstance(value, str):
                ws.write_string(i, 1, value, self._formats[(TEXT, False)])
            else:
                ws.write_number(i, 1, value, self._formats[(AMOUNT if isinstance(value, float) else INT, False)])

    def discard(self) -> None:
        """A failed batch's workbook is not assembled: its row files go with their folder."""
        for ws in self._writer.worksheets():
            fh = getattr(ws, "row_data_fh", None)
            if fh is not None and not fh.closed:
                fh.close()
        shutil.rmtree(self._tmpdir, ignore_errors=True)
