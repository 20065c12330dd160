"""The nightly batch: read every inbox file into the ledger, account for every record, write reports.

Stages: open the inputs (sniff each root), ingest them kind by kind (lists before receipts and
cancellations, returns before their receipts and claims, so the order of files never matters), settle
receipts and cancellations, then write the reports. The whole batch is one ledger transaction with a
savepoint per file: a file is stored entirely or not at all, and a batch that cannot complete commits
nothing.
"""
from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from . import __version__, reconciliation
from .deciding import DecideWorker, DecisionRun, decide_batch
from .law.decide import Params
from .law.window import calendar_version
from .ledger import Ledger, open_ledger
from .ledger.base import as_rows
from .logs import BatchLog
from .problems import ERROR, WARNING, Problem
from .readers import FILE, Reading, open_input
from .readers.ahead import ReadAhead, cores, described
from .readers.messages import KINDS
from .reference import ReferenceData
from .ledger.decisions import DecisionStore
from .reports import (BACKPAY_COLUMNS, DECISION_COLUMNS, QUARANTINE_COLUMNS, CsvOut, Staged, decision_row,
                      write_json)

CHUNK_RECORDS = 1000
RETURN_KINDS = ("CEB213", "CEB214", "ReturnClaims")  # records that bring their return line up for a decision
CHINA = timezone(timedelta(hours=8))  # batch ids and run times are in China Standard Time, as brokers read them
MAX_WARNINGS_IN_SUMMARY = 1000


OUTCOME_COLUMN = {"stored": "stored", "duplicate": "duplicates", "quarantined": "quarantined"}


def _zero() -> dict:
    return {"read": 0, "stored": 0, "quarantined": 0, "duplicates": 0}


@dataclass
class Tally:
    """Counts per input kind, for records and for their items; read = stored + quarantined + duplicates."""

    records: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)

    def add(self, kind: str, outcome: str, n_items: int) -> None:
        r = self.records.setdefault(kind, _zero())
        i = self.items.setdefault(kind, _zero())
        key = OUTCOME_COLUMN[outcome]
        r["read"] += 1
        r[key] += 1
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


class Stopwatch:
    """Seconds spent per stage, for summary.json and the benchmark, and the process's peak memory (MB)
    at the end of each stage, for the log: which stage makes memory grow, if one does."""

    def __init__(self):
        self.laps: dict = {}
        self.peak_rss_mb: dict = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(self.laps.get(name, 0) + now - self._t, 3)
        self.peak_rss_mb[name] = _peak_rss_mb()
        self._t = now


def _peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on a POSIX system
        return None
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@dataclass(slots=True)
class InputFile:
    """What the batch keeps of an inbox file: a night may bring 40,000 files, so a few hundred bytes each,
    and its Reading only while the file is stored (or from the start, for a file refused when opened)."""

    path: str
    name: str
    sha256: str
    size: int
    order: int  # its kind's ingestion order (lists before receipts...); files that are not inputs come last
    reading: Reading | None = None
    counts: dict | None = None
    failed: bool = False  # the file could not be stored and was rolled back whole
    kind: str | None = None
    root: str | None = None
    complete: bool = True

    def open(self) -> Reading:
        if self.reading is None:
            self.reading = open_input(Path(self.path), self.name)
        return self.reading

    def done(self) -> None:
        """Keep what the reports say of the file and let its reading go."""
        reading = self.reading
        self.kind = reading.kind.name if reading.kind else None
        self.root = reading.root or None
        self.complete = reading.complete
        self.reading = None


@dataclass
class BatchResult:
    batch_id: str
    out_dir: Path
    summary: dict
    exit_code: int = 0


def _hash_all(paths: list[str], group: int = 256):
    """(sha256, size, error) of each file, in order. hashlib lets go of the interpreter while it hashes a
    block, so threads hash files on every core; a group at a time, as a future per file for 40,000 files
    would hold tens of MB."""
    with ThreadPoolExecutor(max(1, cores())) as pool:
        for start in range(0, len(paths), group):
            yield from pool.map(_hashed, paths[start:start + group])


def _hashed(path: str) -> tuple[str, int, OSError | None]:
    try:
        return (*sha256_of(path), None)
    except OSError as err:
        return "", 0, err


def sha256_of(path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    buf = bytearray(1 << 20)  # one buffer, read into: no allocation per block
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            h.update(view[:n])
            size += n
    return h.hexdigest(), size


def list_inbox(inbox: Path) -> tuple[list[str], list[Problem]]:
    """The paths of the regular files directly in the inbox, by name; anything else is skipped, with a
    warning saying why. Plain strings: a night may bring 40,000 files."""
    files, skipped = [], []
    with os.scandir(inbox) as entries:
        listed = sorted(entries, key=lambda e: e.name)
    for entry in listed:
        why = None
        if entry.is_symlink():
            why = "a symbolic link: links are not followed out of the inbox"
        elif entry.is_dir():
            why = "a folder: the inbox is read one level deep"
        elif not entry.is_file():
            why = "not a regular file (a pipe, socket or device)"
        if why:
            skipped.append(Problem(entry.name, None, FILE, "", "", f"skipped: {why}", "regular files in the inbox",
                                   WARNING))
        else:
            files.append(entry.path)
    return files, skipped


def read_workers() -> int:
    """Processes reading ahead of the ledger writer (PROCESSOR_READ_WORKERS overrides). On two cores two readers
    and the writer keep both busy: reading costs about twice what storing does."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0  # readers are forked (they inherit the compiled expressions); without fork, read here
    wanted = os.environ.get("PROCESSOR_READ_WORKERS")
    if wanted is not None and wanted.strip().isdigit():
        return int(wanted)
    return 0 if cores() < 2 else min(cores(), 3)


def new_batch_id(ledger: Ledger, now: datetime) -> str:
    base = "B" + now.strftime("%Y%m%dT%H%M%S")
    candidate, n = base, 1
    while ledger.batch_exists(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


class Batch:
    def __init__(self, inbox: Path, out_dir: Path, ledger_url: str, reference: ReferenceData, log: BatchLog,
                 busy_timeout_s: float = 0.0, params: Params | None = None):
        self.inbox = inbox
        self.out_dir = out_dir
        self.ledger_url = ledger_url
        self.reference = reference
        self.log = log
        self.busy_timeout_s = busy_timeout_s
        self.tally = Tally()
        self.n_errors = 0  # quarantine rows, stored in the ledger as they are found
        self.warnings: list[Problem] = []
        self.n_warnings = 0
        self.inputs: list[InputFile] = []
        self.params = params or Params()

    # -- problems ---------------------------------------------------------------------------------
    def note(self, problems, ledger: Ledger | None = None, batch_id: str = "") -> None:
        """Log every problem; store the errors as quarantine rows; keep the first warnings for the summary."""
        errors = []
        for p in problems:
            if p.severity == ERROR:
                errors.append(p)
                self.log.event("warning", "quarantined", **p.as_row())
            else:
                self.n_warnings += 1
                if len(self.warnings) < MAX_WARNINGS_IN_SUMMARY:
                    self.warnings.append(p)
                self.log.event("warning", "input_warning", **p.as_row())
        if errors:
            self.n_errors = ledger.record_quarantine(batch_id, errors, self.n_errors)

    # -- stages -----------------------------------------------------------------------------------
    def open_inputs(self) -> None:
        paths, skipped = list_inbox(self.inbox)
        self.note(skipped)
        for path, (sha, size, err) in zip(paths, _hash_all(paths)):
            name = os.path.basename(path)
            if err is not None:
                reading = Reading(Path(path), name, None, "")
                reading.file_problem(f"cannot read the file: {err.strerror or err}", "a readable file")
                self.inputs.append(InputFile(path, name, "", 0, len(KINDS), reading))
                continue
            reading = open_input(Path(path), name)  # its kind decides its place; opened again when it is read
            order = reading.kind.order if reading.kind else len(KINDS)
            self.inputs.append(InputFile(path, name, sha, size, order, None if reading.kind else reading))
        self.inputs.sort(key=lambda f: (f.order, f.name))

    def ingest(self, ledger: Ledger, batch_id: str, f: InputFile, ahead: ReadAhead) -> None:
        """Store one file inside its own savepoint; on any failure keep nothing of it and say why."""
        reading = f.open()
        kind = reading.kind.name if reading.kind else FILE
        tally, problems, counts, touched = Tally(), [], _zero(), set()
        first_error = self.n_errors
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
                chunk.clear()

            for parsed in ahead.records(reading):
                counts["read"] += 1
                n_items += parsed.lines
                problems.extend(parsed.problems)
                if parsed.record is None:
                    counts["quarantined"] += 1
                    tally.add(kind, "quarantined", parsed.lines)
                    continue
                chunk.append(parsed)
                if len(chunk) >= CHUNK_RECORDS:
                    flush()
                if len(problems) >= CHUNK_RECORDS:
                    self.note(problems, ledger, batch_id)  # a file full of defects must not fill memory
                    problems.clear()
            if chunk:
                flush()
            problems.extend(reading.problems)
            if reading.kind is None:  # a file that is not an input: quarantined whole, counted as one record
                counts = {**_zero(), "read": 1, "quarantined": 1}
                tally.add(FILE, "quarantined", 0)
            ledger.record_file(batch_id, f.name, f.sha256, f.size, kind if reading.kind else
                               (reading.root or "unreadable"), counts, reading.complete)
            self.note(problems, ledger, batch_id)
            ledger.file_commit()
        except Exception as err:  # noqa: BLE001 - one file's failure must not sink the batch
            ledger.file_rollback()
            # a reader process's error is named as a serial run would name it (readers/ahead.py)
            error_type, trace = described(err)
            self.log.error("file_failed", file=f.name, error=f"{error_type}: {err}", trace=trace)
            problems = [p for p in problems if p.severity == ERROR]
            problems.append(Problem(f.name, None, kind, "", "", f"the file could not be stored "
                                    f"({error_type}: {err}); nothing of it was kept",
                                    "a file the processor can store (see processor.log)"))
            tally = Tally()
            if counts["read"]:
                tally.records[kind] = {**_zero(), "read": counts["read"], "quarantined": counts["read"]}
                tally.items[kind] = {**_zero(), "read": n_items, "quarantined": n_items}
            counts = {**_zero(), "read": counts["read"], "quarantined": counts["read"]}
            f.failed = True
            self.n_errors = first_error  # the rows noted inside the savepoint were rolled back with it
            ledger.file_begin()
            ledger.record_file(batch_id, f.name, f.sha256, f.size, kind, counts, False)
            self.note(problems, ledger, batch_id)
            ledger.file_commit()
        f.counts = counts
        f.done()
        self.tally.merge(tally)
        self.log.info("file_read", file=f.name, sha256=f.sha256, kind=kind, complete=reading.complete, **counts)

    def run(self, started: datetime) -> BatchResult:
        thresholds = gc.get_threshold()
        # A night makes millions of short-lived, acyclic objects (fields, records, rows): reference counting
        # frees them; the cycle collector running every 700 allocations only costs time (about 10 %).
        gc.set_threshold(100_000, 50, 100)
        try:
            return self._run(started)
        finally:
            gc.set_threshold(*thresholds)

    def _run(self, started: datetime) -> BatchResult:
        log = self.log
        clock = Stopwatch()
        self.open_inputs()
        clock.lap("open_inputs")
        ledger = open_ledger(self.ledger_url, self.busy_timeout_s)
        staged = Staged(self.out_dir)
        decider = None
        try:
            ledger.begin()
            clock.lap("wait_for_ledger")
            batch_id = new_batch_id(ledger, started)
            parameters = self.parameters()
            ledger.start_batch(batch_id, started.isoformat(), __version__, parameters, str(self.inbox))
            log.say(f"batch {batch_id}: {len(self.inputs)} input files", "batch_started", batch_id=batch_id,
                    inbox=str(self.inbox), ledger=redact(self.ledger_url))
            # forked now, while this process is small and before the readers: it waits for the decide stage
            workers = read_workers()
            decider = DecideWorker(batch_id, self.reference, self.params) if workers > 0 else None
            ahead = ReadAhead([(f.name, f.path) for f in self.inputs if f.order < len(KINDS)], workers, as_rows)
            try:
                for f in self.inputs:
                    self.ingest(ledger, batch_id, f, ahead)
            finally:
                ahead.close()
            clock.lap("ingest")
            self.note(ledger.settle(batch_id), ledger, batch_id)
            clock.lap("settle")
            decisions = decide_batch(ledger, batch_id, self.reference, self.params, decider)
            if decider is not None:
                decider.close()
            clock.lap("decide")
            for note in sorted(decisions.calendar_notes):
                log.warning("calendar_fallback", detail=note)
            for co, gnum, final in decisions.final_with_new_data:
                self.note([Problem("", None, "ReturnClaims", f"coElNo={co}", f"gnum {gnum}",
                                   f"a new claim or receipt arrived for a line already decided {final}; only "
                                   f"PENDING lines are decided again, so the decision stands",
                                   "new claim data only for PENDING lines", WARNING)])
            finished = datetime.now(CHINA)
            ledger.finish_batch(batch_id, finished.isoformat())
            totals = self.write_reports(staged, ledger, batch_id, started)
            summary = self.summary(ledger, batch_id, started, finished, decisions, totals)
            summary["timings_s"] = clock.laps
            write_json(staged.path("summary.json"), summary)
            del summary["files"]  # written, and spent (a generator): the file has the list
            clock.lap("reports")
            ledger.commit()
            staged.publish()
            clock.lap("commit")
            log.info("timings", **clock.laps)
            log.info("peak_memory_mb", **clock.peak_rss_mb)
        except BaseException:
            ledger.rollback()
            staged.discard()
            raise
        finally:
            if decider is not None:
                decider.close()
            ledger.close()
        return BatchResult(batch_id, self.out_dir, summary)

    # -- outputs ------------------------------------------------------------------------------------
    @staticmethod
    def file_entry(f: InputFile) -> dict:
        return {"name": f.name, "sha256": f.sha256, "size_bytes": f.size, "kind": f.kind, "root": f.root,
                **(f.counts or _zero()), "complete": f.complete, "quarantined_whole": f.kind is None or f.failed}

    def parameters(self) -> dict:
        """Everything a decision depends on besides its inputs: kept with the batch for three years."""
        return {"reference": self.reference.sources,
                "policies": [{"version": p.version, "export_from": p.export_from.isoformat(),
                              "export_to": p.export_to.isoformat(), "eligible_codes": sorted(p.eligible_codes),
                              "window_months": p.window_months} for p in self.reference.policies],
                "settings": self.settings()}

    def settings(self) -> dict:
        return {"rest_day_extension": "on" if self.params.extend_over_rest_days else "off",
                "holiday_calendar": calendar_version(), "software_version": __version__}

    def summary(self, ledger: Ledger, batch_id: str, started: datetime, finished: datetime,
                decisions: DecisionRun, totals: dict) -> dict:
        inputs = {}
        for kind in [k.name for k in KINDS] + [FILE]:
            if kind in self.tally.records:
                inputs[kind] = {"records": self.tally.records[kind], "items": self.tally.items[kind]}
        tables = ("export_lists", "export_items", "list_receipts", "list_cancels", "return_apps", "return_lines",
                  "return_receipts", "claims", "claim_items")
        return {
            "batch_id": batch_id,
            "started_at": started.isoformat(),
            "finished_at": finished.isoformat(),
            "software": {"name": "processor", "version": __version__, "python": sys.version.split()[0]},
            "inbox": str(self.inbox),
            "ledger": redact(self.ledger_url),
            "parameters": self.parameters(),
            "files": (self.file_entry(f) for f in self.inputs),  # written one by one (write_json)
            "files_quarantined_whole": sum(1 for f in self.inputs if f.kind is None or f.failed),
            "inputs": inputs,
            "accounting_balanced": self.tally.balanced(),
            "quarantine_rows": self.n_errors,
            "warnings": {"count": self.n_warnings, "first": [w.as_row() for w in self.warnings]},
            "ledger_totals": {t: ledger.count(t) for t in tables},
            "decisions": {
                "lines": totals["ALL"]["lines"], "decided_now": decisions.decided,
                "reported_again_unchanged": decisions.reported_again, "withdrawn": decisions.withdrawn,
                "final_decisions_with_new_claim_data": len(decisions.final_with_new_data),
                **{d: totals[d]["lines"] for d in reconciliation.DECISIONS}},
            "totals": {k: {m: (reconciliation.money(v) if m != "lines" else v) for m, v in t.items()}
                       for k, t in totals.items()},
        }

    def write_reports(self, staged: Staged, ledger: Ledger, batch_id: str, started: datetime) -> dict:
        """Stream the batch's decisions from the ledger into decisions.csv, backpay.csv and
        reconciliation.xml in one pass; return the control totals."""
        totals = reconciliation.Totals()
        batch = {"batch_id": batch_id, "run_at": started.isoformat(), "software_version": __version__,
                 "policies": self.reference.policies, "reference": self.reference.sources,
                 "settings": self.settings()}
        files = (self.file_entry(f) for f in self.inputs)
        with CsvOut(staged.path("decisions.csv"), DECISION_COLUMNS) as dec_csv, \
                CsvOut(staged.path("backpay.csv"), BACKPAY_COLUMNS) as back_csv, \
                reconciliation.Writer(staged.path("reconciliation.xml"), batch, files) as xml:
            for r in DecisionStore(ledger).of_batch(batch_id):
                row = decision_row(batch_id, r)
                dec_csv.write(row)
                if row["backpay_vat"] != "0.00" or row["backpay_ct"] != "0.00":
                    back_csv.write({**row, "certificate_type": r["certificate_type"] or "",
                                    "certificate_no": r["certificate_no"] or ""})
                xml.decision(r)
                totals.add(r)
            xml.finish(totals.by_key)
        with CsvOut(staged.path("quarantine.csv"), QUARANTINE_COLUMNS) as q_csv:
            for file_name, line, kind, key, fld, problem, expected in ledger.quarantined(batch_id):
                q_csv.write({"batch_id": batch_id, "file": file_name, "line": "" if line is None else line,
                             "kind": kind, "record_key": key, "field": fld, "problem": problem,
                             "expected": expected})
        return totals.by_key


def redact(url: str) -> str:
    """A ledger URL without its password, for logs and reports."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def make_batch(inbox: Path, out_dir: Path, ledger_url: str, reference: ReferenceData, log: BatchLog,
               busy_timeout_s: float = 0.0, params: Params | None = None) -> Batch:
    os.makedirs(out_dir, exist_ok=True)
    return Batch(inbox, out_dir, ledger_url, reference, log, busy_timeout_s, params)
