"""Report writers: every output goes to a temporary file first and is renamed into place.

CSV files are UTF-8 with a byte-order mark, so Excel shows Chinese names, and any cell that a
spreadsheet would read as a formula (starting with = + - @, tab or CR) is neutralised with a leading
apostrophe: reports are opened by analysts, and input text must never run as a formula there.
"""
from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Iterator

QUARANTINE_COLUMNS = ("batch_id", "file", "line", "kind", "record_key", "field", "problem", "expected")
DECISION_COLUMNS = ("batch_id", "return_id", "return_date", "invt_no", "gnum", "gcode", "qty", "export_date",
                    "trade_mode", "window_end", "policy", "decision", "reasons", "customs_value_cny", "import_duty",
                    "consumption_tax", "import_vat", "export_duty_refund", "backpay_vat", "backpay_ct")
BACKPAY_COLUMNS = ("batch_id", "return_id", "invt_no", "gnum", "decision", "backpay_vat", "backpay_ct",
                   "certificate_type", "certificate_no")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")


def safe_cell(value) -> str:
    """The cell as text, neutralised when a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def _money(value) -> str:
    return "" if value is None else f"{Decimal(value):.2f}"


def decision_row(batch_id: str, r: dict) -> dict:
    """A ledger decision as a decisions.csv row (CONTRACT.md 5): money as plain decimals with two places."""
    return {"batch_id": batch_id, "return_id": r["co_el_no"], "return_date": r["return_date"], "invt_no": r["invt_no"],
            "gnum": r["gnum"], "gcode": r["gcode"], "qty": r["qty"], "export_date": r["export_date"] or "",
            "trade_mode": r["trade_mode"] or "", "window_end": r["window_end"] or "", "policy": r["policy"] or "",
            "decision": r["decision"], "reasons": r["reasons"],
            "customs_value_cny": _money(r["customs_value_cny"]), "import_duty": _money(r["import_duty"]),
            "consumption_tax": _money(r["consumption_tax"]), "import_vat": _money(r["import_vat"]),
            "export_duty_refund": _money(r["export_duty_refund"]), "backpay_vat": _money(r["backpay_vat"]),
            "backpay_ct": _money(r["backpay_ct"])}


class Staged:
    """Files written under temporary names, moved into place together by `publish`."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.files: list[tuple[Path, Path]] = []

    def path(self, name: str) -> Path:
        """A fresh temporary file in the output folder for the report `name` (a bare file name)."""
        if os.path.basename(name) != name or name in ("", ".", ".."):
            raise ValueError(f"output name {name!r} escapes the output folder")
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.out_dir)
        os.close(fd)
        self.files.append((Path(tmp), self.out_dir / name))
        return Path(tmp)

    def publish(self) -> None:
        for tmp, final in self.files:
            os.replace(tmp, final)
        self.files.clear()

    def discard(self) -> None:
        for tmp, _final in self.files:
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass
        self.files.clear()


class CsvOut:
    """A CSV report written row by row: UTF-8 with BOM, header first, formula-safe cells."""

    def __init__(self, path: Path, columns: tuple):
        self.path = path
        self.columns = columns

    def __enter__(self) -> "CsvOut":
        self._fh = open(self.path, "w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._fh)
        self._writer.writerow(self.columns)
        return self

    def write(self, row: dict) -> None:
        self._writer.writerow([safe_cell(row.get(c, "")) for c in self.columns])

    def __exit__(self, *exc) -> None:
        self._fh.close()


def write_json(path: Path, data: dict) -> None:
    """A JSON object, indented by two. A top-level value that is an iterator (not a list) is written an
    element at a time, so a list as long as a night's files never sits in memory whole."""
    def dumped(value, indent: int) -> str:  # JSON strings hold no raw newline: indenting lines is safe
        return json.dumps(value, ensure_ascii=False, indent=2, default=str).replace("\n", "\n" + " " * indent)

    with open(path, "w", encoding="utf-8") as fh:
        fh.write("{")
        for i, (key, value) in enumerate(data.items()):
            fh.write(("," if i else "") + "\n  " + json.dumps(key, ensure_ascii=False) + ": ")
            if isinstance(value, Iterator):
                fh.write("[")
                n = 0
                for n, element in enumerate(value, 1):
                    fh.write(("," if n > 1 else "") + "\n    " + dumped(element, 4))
                fh.write(("\n  " if n else "") + "]")
            else:
                fh.write(dumped(value, 2))
        fh.write("\n}\n" if data else "}\n")
