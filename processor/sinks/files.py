"""Report files: every output goes to a temporary file first and all are renamed into place together
(Staged); CSV written row by row (CsvOut); JSON written element by element (write_json).

CSV files are UTF-8 with a byte-order mark, so Excel shows Chinese names, and any cell that a
spreadsheet would read as a formula (starting with = + - @, tab or CR) is neutralised with a leading
apostrophe: reports are opened by analysts, and input text must never run as a formula there.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")


def safe_cell(value) -> str:
    """The cell as text, neutralised when a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def _umask() -> int:
    """The process's umask (read by setting it, then set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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
        try:  # mkstemp makes it 0600; a report is a file like any other, readable as the user's umask says
            os.fchmod(fd, 0o666 & ~_umask())
        finally:
            os.close(fd)
        self.files.append((Path(tmp), self.out_dir / name))
        return Path(tmp)

    def sweep(self, names) -> list[str]:
        """Remove the hidden temporary reports (`.decisions.csv.*.tmp`) an earlier batch killed outright left here
        (SIGKILL cannot be handled). Called once the batch holds the ledger: no other batch of it is writing."""
        gone = []
        wanted = tuple(f".{name}." for name in names)
        with os.scandir(self.out_dir) as entries:
            for entry in entries:
                if not (entry.name.startswith(wanted) and entry.name.endswith(".tmp")):
                    continue
                if entry.is_file(follow_symlinks=False):
                    try:
                        os.unlink(entry.path)
                        gone.append(entry.name)
                    except FileNotFoundError:
                        pass
                elif entry.is_dir(follow_symlinks=False):  # report.xlsx's row files (sinks/workbook.py)
                    shutil.rmtree(entry.path, ignore_errors=True)
                    gone.append(entry.name)
        return gone

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
