"""INCOMPLETE.txt in --out: the reports beside it are not those of the latest run.

A batch writes it as soon as it begins (so a run killed outright leaves it too), rewrites it with what
happened when it fails or is interrupted, and removes it once its own reports are in place. A script
that uploads reconciliation.xml checks that this file is absent (and the exit status is 0). A run that
did nothing (a usage error, exit 2; a ledger held by another batch, exit 75) leaves the folder as it was.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

MARKER = "INCOMPLETE.txt"
_BATCH_ID = re.compile(r'"batch_id": "([^"]*)"')


def _reports_of(out_dir: Path) -> str:
    """The batch of the summary.json in the folder: its first field (summary.json may be large)."""
    try:
        with open(out_dir / "summary.json", encoding="utf-8", errors="replace") as fh:
            found = _BATCH_ID.search(fh.read(4096))
    except OSError:
        found = None
    return f"of batch {found.group(1)} (summary.json), an earlier run" if found else "none"


def mark_incomplete(out_dir: Path, started: str, batch_id: str | None, what: str) -> None:
    """Say, atomically, that the folder's reports are not this run's and why."""
    text = (
        "本文件夹中的报告不是最近一次运行的结果，请勿上传。\n"
        "The reports in this folder are NOT those of the latest run: do not upload them.\n\n"
        f"run started:    {started}\n"
        f"batch:          {batch_id or '(none: the run stopped before its batch began)'}\n"
        f"what happened:  {what}\n"
        f"reports here:   {_reports_of(out_dir)}\n\n"
        "This file is removed when a batch completes into this folder (processor run / reassess, exit 0).\n")
    tmp = out_dir / f".{MARKER}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out_dir / MARKER)


def clear_incomplete(out_dir: Path) -> None:
    try:
        os.unlink(out_dir / MARKER)
    except FileNotFoundError:
        pass
