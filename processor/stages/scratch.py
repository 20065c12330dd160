"""`processor validate`: the given files read and stored exactly as a batch would, in a scratch ledger that is
thrown away, so that what validate reports is what run would quarantine (clashes between files included)."""
from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__
from ..ledger import open_ledger
from ..logs import BatchLog
from ..problems import Notebook
from ..readers.ahead import ReadAhead
from .ingest import Tally, ingest
from .intake import inputs_of, shown

SCRATCH_BATCH = "VALIDATE"


class _Kept(Notebook):
    """A notebook that also keeps every problem, by file, for printing."""

    def __init__(self, log):
        super().__init__(log)
        self.by_file: dict = {}

    def note(self, problems, ledger=None, batch_id: str = "") -> None:
        problems = list(problems)
        for p in problems:
            self.by_file.setdefault(p.file, []).append(p)
        super().note(problems, ledger, batch_id)


def check_files(paths: list[str]):
    """(InputFile with its counts, its problems) for each path, in the order given."""
    log = BatchLog(None, quiet=True)
    notebook = _Kept(log)
    with tempfile.TemporaryDirectory(prefix="processor-validate-") as scratch:
        ledger = open_ledger(f"sqlite:///{Path(scratch) / 'scratch.sqlite'}", create=True)
        try:
            ledger.begin()
            ledger.start_batch(SCRATCH_BATCH, datetime.now(timezone.utc).isoformat(), __version__, {}, "validate")
            unique = list({os.path.realpath(p): p for p in reversed(paths)}.values())[::-1]  # a file given twice
            inputs = inputs_of([(p, p) for p in unique])  # named as given, stored in the order run would store
            inputs.sort(key=lambda f: (f.order, shown(os.path.basename(f.path)), f.name))  # them (by file name)
            ahead = ReadAhead([], 0)
            for f in inputs:
                ingest(ledger, SCRATCH_BATCH, f, ahead, notebook, Tally(), log)
            ledger.rollback()
        finally:
            ledger.close()
    by_path = {f.path: f for f in inputs}
    for p in unique:
        f = by_path[p]
        yield f, notebook.by_file.get(f.name, [])
