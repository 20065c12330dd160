"""decisions.csv and backpay.csv (CONTRACT.md 5), rendered from the ledger's decision rows."""
from __future__ import annotations

from pathlib import Path

from . import money
from .files import CsvOut

DECISIONS_CSV_COLUMNS = ("batch_id", "return_id", "return_date", "invt_no", "gnum", "gcode", "qty", "export_date",
                         "trade_mode", "window_end", "policy", "decision", "reasons", "customs_value_cny",
                         "import_duty", "consumption_tax", "import_vat", "export_duty_refund", "backpay_vat",
                         "backpay_ct", "change", "supersedes")
# backpay.csv follows the rule of decisions.csv (CONTRACT.md 5-6): a line is written when its pay-back row is
# reported, with the same change and supersedes.
BACKPAY_CSV_COLUMNS = ("batch_id", "return_id", "invt_no", "gnum", "decision", "backpay_vat", "backpay_ct",
                       "certificate_type", "certificate_no", "change", "supersedes")


def _money(value) -> str:
    return "" if value is None else money(value)


def csv_row(batch_id: str, r: dict) -> dict:
    """A ledger decision as a decisions.csv row: money as plain decimals with two places, empty when unknown."""
    return {"batch_id": batch_id, "return_id": r["co_el_no"], "return_date": r["return_date"], "invt_no": r["invt_no"],
            "gnum": r["gnum"], "gcode": r["gcode"], "qty": r["qty"], "export_date": r["export_date"] or "",
            "trade_mode": r["trade_mode"] or "", "window_end": r["window_end"] or "", "policy": r["policy"] or "",
            "decision": r["decision"], "reasons": r["reasons"],
            "customs_value_cny": _money(r["customs_value_cny"]), "import_duty": _money(r["import_duty"]),
            "consumption_tax": _money(r["consumption_tax"]), "import_vat": _money(r["import_vat"]),
            "export_duty_refund": _money(r["export_duty_refund"]), "backpay_vat": _money(r["backpay_vat"]),
            "backpay_ct": _money(r["backpay_ct"]), "change": r["change"] or "", "supersedes": r["supersedes"] or ""}


class _CsvSink:
    file_name = ""
    columns: tuple = ()

    def open(self, path: Path, header) -> None:
        self._batch_id = header.batch_id
        self._out = CsvOut(path, self.columns).__enter__()

    def close(self, totals: dict) -> None:
        self._out.__exit__(None, None, None)

    def discard(self) -> None:
        self._out.__exit__(None, None, None)


class DecisionsCsv(_CsvSink):
    """decisions.csv: one row per line the batch reports."""

    file_name = "decisions.csv"
    columns = DECISIONS_CSV_COLUMNS

    def decision(self, row: dict) -> None:
        self._out.write(csv_row(self._batch_id, row))


class BackpayCsv(_CsvSink):
    """backpay.csv: the lines with an export refund to pay back, with the certificate presented."""

    file_name = "backpay.csv"
    columns = BACKPAY_CSV_COLUMNS

    def decision(self, row: dict) -> None:
        vat, ct = _money(row["backpay_vat"]), _money(row["backpay_ct"])
        if vat != "0.00" or ct != "0.00":
            self._out.write({"batch_id": self._batch_id, "return_id": row["co_el_no"], "invt_no": row["invt_no"],
                             "gnum": row["gnum"], "decision": row["decision"], "backpay_vat": vat, "backpay_ct": ct,
                             "certificate_type": row["certificate_type"] or "",
                             "certificate_no": row["certificate_no"] or "", "change": row["change"] or "",
                             "supersedes": row["supersedes"] or ""})
