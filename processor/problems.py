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
