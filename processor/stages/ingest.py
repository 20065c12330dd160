"""Ingest: one input file stored inside its own savepoint, every record accounted for (stored, duplicate
or quarantined); on any failure nothing of the file is kept, and the file says why."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ledger import Ledger
from ..logs import LogNotWritten
from ..problems import ERROR, Problem
from ..readers import FILE
from ..readers.ahead import ReadAhead, described
from .intake import FileChanged, InputFile

CHUNK_RECORDS = 1000
RETURN_KINDS = ("CEB213", "CEB214", "ReturnClaims")  # records that bring their return line up for a decision
OUTCOME_COLUMN = {"stored": "stored", "duplicate": "duplicates", "quarantined": "quarantined"}


def _zero() -> dict:
    return {"read": 0, "stored": 0, "quarantined": 0, "duplicates": 0}


@dataclass
class Tally:
    """Counts per input kind, for records and for their items; read = stored + quarantined + duplicates."""

    records: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)

    def add(self, kind: str, outcome: str, n_items: int, n_records: int = 1) -> None:
        r = self.records.setdefault(kind, _zero())
        i = self.items.setdefault(kind, _zero())
        key = OUTCOME_COLUMN[outcome]
        r["read"] += n_records
        r[key] += n_records
        i["read"] += n_items
        i[key] += n_items

    def merge(self, other: "Tally") -> None:
        for mine, theirs in ((self.records, other.records), (self.items, other.items)):
            for kind, counts in theirs.items():
                target = mine.setdefault(kind, _zero())
                for k, v in counts.items():
                    target[k] += v

    def balanced(self) -> bool:
        return all(c["read"] == c["stored"] + c["quarantined"] + c["duplicates"]
                   for d in (self.records, self.items) for c in d.values())


def _storage_failed(err: Exception) -> bool:
    """An error of the ledger's storage or connection (a full disk, an I/O error, a server gone), as the drivers
    name them, rather than anything a file holds."""
    return type(err).__name__ in ("OperationalError", "InterfaceError") and \
        type(err).__module__.split(".")[0] in ("sqlite3", "psycopg")


def ingest(ledger: Ledger, batch_id: str, f: InputFile, ahead: ReadAhead, notebook, tally_all: Tally, log,
           stage=None) -> None:
    """Store one file inside its own savepoint; on any failure keep nothing of it and say why. `stage`
    (progress.Stage) is told of each record read and of the file done."""
    reading = f.open()
    kind = reading.kind.name if reading.kind else FILE
    tally, problems, counts, touched = Tally(), [], _zero(), set()
    first_error = notebook.n_errors
    n_items = 0
    ledger.file_begin()
    try:
        chunk: list = []

        def flush():
            result = ledger.store(kind, chunk, batch_id, f.sha256)
            problems.extend(result.problems)
            for p, outcome in zip(chunk, result.outcomes):
                tally.add(kind, outcome, p.lines)
                counts[OUTCOME_COLUMN[outcome]] += 1
                if kind in RETURN_KINDS and outcome != "quarantined":
                    touched.add(p.record.co_el_no)
            if touched:
                ledger.touch(batch_id, touched)
                touched.clear()
            if result.lists:
                ledger.touch_lists(result.lists)
            if result.echoes:
                ledger.echoed(result.echoes)
            chunk.clear()

        for parsed in ahead.records(reading):
            counts["read"] += 1
            n_items += parsed.lines
            if stage is not None:
                stage.add(records=1, items=parsed.lines)
            problems.extend(parsed.problems)
            if parsed.record is None:
                counts["quarantined"] += 1
                tally.add(kind, "quarantined", parsed.lines)
                continue
            chunk.append(parsed)
            if len(chunk) >= CHUNK_RECORDS:
                flush()
            if len(problems) >= CHUNK_RECORDS:
                notebook.note(problems, ledger, batch_id)  # a file full of defects must not fill memory
                problems.clear()
        if chunk:
            flush()
        if reading.kind is not None:
            f.check_unchanged()  # what was stored came from the bytes the batch hashed, or nothing of it is kept
        problems.extend(reading.problems)
        if reading.kind is None:  # a file that is not an input: quarantined whole, counted as one record
            counts = {**_zero(), "read": 1, "quarantined": 1}
            tally.add(FILE, "quarantined", 0)
        ledger.record_file(batch_id, f.name, f.sha256, f.size, kind if reading.kind else
                           (reading.root or "unreadable"), counts, reading.complete)
        notebook.note(problems, ledger, batch_id)
        ledger.file_commit()
    except LogNotWritten:
        raise  # not the file's failure: the batch's record cannot be kept
    except Exception as err:  # noqa: BLE001 - one file's failure must not sink the batch
        if _storage_failed(err):
            raise  # the ledger's disk is full or its connection gone: no file's fault, the batch cannot go on
        ledger.file_rollback()
        # a reader process's error is named as a serial run would name it (readers/ahead.py)
        error_type, trace = described(err)
        log.error("file_failed", file=f.name, error=f"{error_type}: {err}", trace=trace)
        problems = [p for p in problems if p.severity == ERROR]
        if isinstance(err, FileChanged):
            problems.append(Problem(f.name, None, kind, "", "", f"{err}; nothing of it was kept",
                                    "a file that is not written to while the batch reads it"))
        else:
            problems.append(Problem(f.name, None, kind, "", "", f"the file could not be stored "
                                    f"({error_type}: {err}); nothing of it was kept",
                                    "a file the processor can store (see processor.log)"))
        tally = Tally()
        if counts["read"]:
            tally.records[kind] = {**_zero(), "read": counts["read"], "quarantined": counts["read"]}
            tally.items[kind] = {**_zero(), "read": n_items, "quarantined": n_items}
        counts = {**_zero(), "read": counts["read"], "quarantined": counts["read"]}
        f.failed = True
        notebook.n_errors = first_error  # the rows noted inside the savepoint were rolled back with it
        ledger.file_begin()
        ledger.record_file(batch_id, f.name, f.sha256, f.size, kind, counts, False)
        notebook.note(problems, ledger, batch_id)
        ledger.file_commit()
    f.counts = counts
    if stage is not None:
        stage.add(done=f.size, files=1)
    f.done()
    tally_all.merge(tally)
    log.info("file_read", file=f.name, sha256=f.sha256, kind=kind, complete=reading.complete, **counts)
