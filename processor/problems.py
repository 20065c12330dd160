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
    code: str = ""  # a warning's kind (WARNING_KINDS); empty for errors and for remarks on a record's format

    @property
    def warning_kind(self) -> str:
        return self.code or FORMAT

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
        return f"{where}{key}{fld} {self.problem}{exp}".lstrip()


FORMAT = "FORMAT"
# What each kind of warning means, for the terminal and summary.json (README "What each warning means").
WARNING_KINDS = {
    "EMPTY_INBOX": "收件箱为空 the inbox holds no file: nothing was read",
    "EMPTY_REFERENCE": "参考数据无行 a reference file with no rows",
    "SKIPPED_ENTRY": "跳过的条目 inbox entries that are not regular files, skipped",
    "ESTIMATED_WINDOW": "期限为估算 window ends estimated: no holiday calendar for their year",
    "CERTIFICATE_SHARED": "证明重复使用 one certificate number presented for several returns",
    "WAITING_FOR_LIST": "回执/撤销待清单 receipts and cancellations waiting for their export list",
    "CLAIM_WITHOUT_RETURN": "申请待退货单 claims for returns not in the ledger",
    "INVT_NO_TAKEN": "清单编号冲突 receipts giving an invtNo another list holds",
    FORMAT: "格式提示 format remarks on records read all the same",
}
EXAMPLES = 3  # per kind of warning, on the terminal and in summary.json


class Notebook:
    """The batch's problems as they are found: every one logged, the errors stored as quarantine rows
    (numbered in the order found), the first warnings kept for the summary."""

    def __init__(self, log, max_warnings: int = 1000):
        self.log = log
        self.max_warnings = max_warnings
        self.n_errors = 0  # quarantine rows, stored in the ledger as they are found
        self.warnings: list[Problem] = []
        self.n_warnings = 0
        self.by_kind: dict = {}  # kind of warning -> [count, first examples]

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
                seen = self.by_kind.setdefault(p.warning_kind, [0, []])
                seen[0] += 1
                if len(seen[1]) < EXAMPLES:
                    seen[1].append(p)
                self.log.event("warning", "input_warning", warning_kind=p.warning_kind, **p.as_row())
        if errors:
            self.n_errors = ledger.record_quarantine(batch_id, errors, self.n_errors)

    def note_many(self, count: int, examples: list) -> None:
        """`count` occurrences of one kind of warning, noted through their first `examples` (a night may
        decide a million lines on an estimated window end: one log line each would drown the log)."""
        self.note(examples)
        if examples and count > len(examples):
            extra = count - len(examples)
            self.n_warnings += extra
            self.by_kind[examples[0].warning_kind][0] += extra
            self.log.event("warning", "input_warnings_more", warning_kind=examples[0].warning_kind, count=extra)

    def grouped(self) -> dict:
        """The warnings by kind, in WARNING_KINDS order: their meaning, count and first examples."""
        order = list(WARNING_KINDS)
        return {k: {"meaning": WARNING_KINDS[k], "count": n, "first": [p.human() for p in first]}
                for k, (n, first) in sorted(self.by_kind.items(), key=lambda kv: order.index(kv[0]))}
