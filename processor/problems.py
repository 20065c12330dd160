"""Problems are data, not exceptions: each one says where it was found and what was expected.

Readers and validators collect them; the batch writes errors to quarantine.csv and the ledger, and
warnings to the log and summary.json. Nothing in a batch is lost in a traceback.
"""
from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int | None
    kind: str  # input kind: CEB603, CEB604, ..., ReturnClaims, or FILE for a whole file
    record_key: str  # e.g. "copNo=C1 invtNo=..." or "coElNo=..."; empty for whole files
    field: str  # element path within the record, e.g. "InventoryList[2]/qty"; empty when none
    problem: str
    expected: str
    severity: str = ERROR

    def as_row(self) -> dict:
        return {
            "file": self.file,
            "line": "" if self.line is None else self.line,
            "kind": self.kind,
            "record_key": self.record_key,
            "field": self.field,
            "problem": self.problem,
            "expected": self.expected,
        }

    def human(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" [{self.record_key}]" if self.record_key else ""
        fld = f" {self.field}:" if self.field else ""
        exp = f" (expected {self.expected})" if self.expected else ""
        return f"{where}{key}{fld} {self.problem}{exp}"


class Notebook:
    """The batch's problems as they are found: every one logged, the errors stored as quarantine rows
    (numbered in the order found), the first warnings kept for the summary."""

    def __init__(self, log, max_warnings: int = 1000):
        self.log = log
        self.max_warnings = max_warnings
        self.n_errors = 0  # quarantine rows, stored in the ledger as they are found
        self.warnings: list[Problem] = []
        self.n_warnings = 0

    def note(self, problems, ledger=None, batch_id: str = "") -> None:
        errors = []
        for p in problems:
            if p.severity == ERROR:
                errors.append(p)
                self.log.event("warning", "quarantined", **p.as_row())
            else:
                self.n_warnings += 1
                if len(self.warnings) < self.max_warnings:
                    self.warnings.append(p)
                self.log.event("warning", "input_warning", **p.as_row())
        if errors:
            self.n_errors = ledger.record_quarantine(batch_id, errors, self.n_errors)
