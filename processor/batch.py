"""The nightly batch: its four stages (stages/) in one ledger transaction, and what it says it did.

intake (list, hash and sniff the inbox), ingest (each file in its own savepoint), settle (receipts and
cancellations applied), decide (the law over each export item's lines), report (the sinks, then
summary.json). A file is stored entirely or not at all; a batch that cannot complete commits nothing,
and its reports, staged under temporary names, are only moved into place after the commit.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from . import __version__, interrupts
from .law.facts import Params
from .ledger import Ledger, open_ledger, redact
from .ledger.store import as_rows
from .logs import BatchLog
from .problems import WARNING, Notebook, Problem
from .progress import Progress
from .readers.ahead import ReadAhead, cores
from .readers.messages import KINDS
from .reference import ReferenceData
from .sinks import BatchHeader
from .sinks.files import Staged, write_json
from .sinks.marker import clear_incomplete, mark_incomplete
from .stages.decide import decide_batch
from .stages.decide_worker import DecideWorker
from .stages.ingest import Tally, ingest
from .stages.intake import file_entry, open_inputs
from .stages.report import LedgerViews, parameters, report_files, settings, summary, write_reports

CHINA = timezone(timedelta(hours=8))  # batch ids and run times are in China Standard Time, as brokers read them


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


def publish_reports(batch, staged, batch_id: str, clock: Stopwatch) -> None:
    """After the commit, on either engine: the staged reports put in place and the batch's timings and peak
    memory logged. A failure here raises ReportsNotWritten: the batch stands."""
    try:
        staged.publish()
        batch.published = True
        clear_incomplete(batch.out_dir)
    except OSError as err:  # the batch stands: what failed is only the renaming of its reports
        raise ReportsNotWritten(batch_id, err) from None
    clock.lap("commit")
    batch.log.info("timings", **clock.laps)
    batch.log.info("peak_memory_mb", **clock.peak_rss_mb)


class ReportsNotWritten(Exception):
    """The batch is committed, but its reports could not all be put in place (exit status 3)."""

    def __init__(self, batch_id: str, error: OSError):
        target = error.filename2 or error.filename  # os.replace names the temporary file first, the report second
        super().__init__(f"{error.strerror or error}" + (f": {target}" if target else ""))
        self.batch_id = batch_id


@dataclass
class BatchResult:
    batch_id: str
    out_dir: Path
    summary: dict
    exit_code: int = 0


def read_workers() -> int:
    """Processes reading ahead of the ledger writer (PROCESSOR_READ_WORKERS overrides). On two cores two readers
    and the writer keep both busy: reading costs about twice what storing does."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0  # readers are forked (they inherit the compiled expressions); without fork, read here
    wanted = os.environ.get("PROCESSOR_READ_WORKERS")
    if wanted is not None and wanted.strip().isdigit():
        return int(wanted)
    return 0 if cores() < 2 else min(cores(), 3)


CHECK_WHOLE_MB = 512.0  # about 1 s warm: above it, a night's check costs one table's share, not the ledger's


def _check_limit_mb() -> float:
    """The largest ledger checked whole before each batch (PROCESSOR_CHECK_WHOLE_MB overrides; 0: a table a
    night whatever the size)."""
    wanted = os.environ.get("PROCESSOR_CHECK_WHOLE_MB", "")
    try:
        return float(wanted) if wanted.strip() else CHECK_WHOLE_MB
    except ValueError:
        return CHECK_WHOLE_MB


def new_batch_id(ledger: Ledger, now: datetime) -> str:
    base = "B" + now.strftime("%Y%m%dT%H%M%S")
    candidate, n = base, 1
    while ledger.batch_exists(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


class Batch:
    def __init__(self, inbox: Path | None, out_dir: Path, ledger_url: str, reference: ReferenceData, log: BatchLog,
                 busy_timeout_s: float = 0.0, params: Params | None = None, init: bool = False,
                 reassess: bool = False, since: str | None = None):
        """`inbox` None with `reassess`: processor reassess, one batch deciding again the lines in the ledger
        (whose return date is on or after `since`) under this reference data. `init`: create the ledger
        when there is none (run --init)."""
        self.inbox = inbox
        self.init = init
        self.reassess = reassess
        self.since = since
        self.out_dir = out_dir
        self.ledger_url = ledger_url
        self.reference = reference
        self.log = log
        self.busy_timeout_s = busy_timeout_s
        self.params = params or Params()
        self.tally = Tally()
        self.notebook = Notebook(log)
        self.progress = Progress(log, sys.stderr)
        self.inputs: list = []
        self.batch_id: str | None = None  # once the ledger has given it (for the message of a failed run)
        self.committed = False
        self.published = False  # its reports are in place

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
        clock = Stopwatch()
        if self.inbox is not None:
            stage = self.progress.stage("intake", unit="files")
            try:
                self.inputs = open_inputs(self.inbox, self.notebook, stage)
            except BaseException:
                self.progress.stop()  # the last word on its own line, not after a live one
                raise
            stage.end()
        self._setup_warnings()
        clock.lap("open_inputs")
        ledger = open_ledger(self.ledger_url, self.busy_timeout_s, create=self.init)
        staged = Staged(self.out_dir)
        decider = None
        try:
            ledger.begin()
            clock.lap("wait_for_ledger")
            checked = ledger.check_storage(_check_limit_mb())  # a damaged ledger is refused before any write
            self.log.info("storage_checked", what=checked)
            clock.lap("storage_check")
            batch_id = self.batch_id = new_batch_id(ledger, started)
            swept = staged.sweep((*report_files(), "report.xlsx", "report.html"))  # whichever a killed batch wrote
            if swept:
                self.log.info("stale_temporary_reports_removed", files=swept)
            mark_incomplete(self.out_dir, started.isoformat(), batch_id,
                            "started and has not finished (if no batch is running now, it was killed)")
            inbox = str(self.inbox) if self.inbox is not None else f"(reassess since {self.since or 'the first line'})"
            ledger.start_batch(batch_id, started.isoformat(), __version__, self.parameters(), inbox,
                               self.reference.fingerprint)
            if self.reassess:
                self.log.say(f"batch {batch_id}: reassess of the lines in the ledger"
                             + (f" returned on or after {self.since}" if self.since else ""), "batch_started",
                             batch_id=batch_id, ledger=redact(self.ledger_url))
            else:
                self.log.say(f"batch {batch_id}: {len(self.inputs)} input files", "batch_started", batch_id=batch_id,
                             inbox=inbox, ledger=redact(self.ledger_url))
            # forked now, while this process is small and before the readers: it waits for the decide stage
            workers = read_workers()
            decider = DecideWorker(batch_id, self.reference, self.params) if workers > 0 else None
            if self.inbox is not None:
                stage = self.progress.stage("ingest", sum(f.size for f in self.inputs), "bytes", len(self.inputs))
                self._ingest(ledger, batch_id, workers, stage)
                stage.end()
            clock.lap("ingest")
            stage = self.progress.stage("settle")
            self.notebook.note(ledger.settle(batch_id), ledger, batch_id)
            stage.end()
            clock.lap("settle")
            stored = sum(c["stored"] for c in self.tally.records.values())
            stage = self.progress.stage("decide", unit="lines")
            decisions = decide_batch(ledger, batch_id, self.reference, self.params, decider, self.reassess,
                                     self.since, rerun=stored == 0, stage=stage)
            if decider is not None:
                decider.close()
            stage.end()
            self._decision_warnings(decisions)
            clock.lap("decide")
            finished = datetime.now(CHINA)
            ledger.finish_batch(batch_id, finished.isoformat())
            stage = self.progress.stage("report", decisions.new + decisions.revised + decisions.withdrawn
                                        + decisions.reported_again, "rows")
            try:
                result = self._report(staged, ledger, batch_id, started, finished, decisions, clock, stage)
            except OSError as err:  # a full disk, a folder made read-only: say where
                raise OSError(err.errno, f"{err.strerror or err}, writing the reports in {self.out_dir}") from None
            stage.end()
            clock.lap("reports")
            interrupts.hold()  # committed with its reports, or not at all: a signal from here on is only noted
            ledger.commit()
            self.committed = True
            publish_reports(self, staged, batch_id, clock)
        except BaseException:
            self.progress.stop()
            ledger.rollback()
            staged.discard()
            raise
        finally:
            if decider is not None:
                decider.close()
            ledger.close()
        return result

    def _ingest(self, ledger: Ledger, batch_id: str, workers: int, stage) -> None:
        ahead = ReadAhead([(f.name, f.path) for f in self.inputs if f.order < len(KINDS)], workers, as_rows)
        try:
            for f in self.inputs:
                ingest(ledger, batch_id, f, ahead, self.notebook, self.tally, self.log, stage)
        finally:
            ahead.close()

    def _setup_warnings(self) -> None:
        """An empty inbox, and a reference file with no rows, are said (a night that reads nothing, or decides
        on a tariff of nothing, is rarely what was meant). The bundled rest_days.csv is empty by design."""
        found = []
        if self.inbox is not None and not self.inputs:
            found.append(Problem(str(self.inbox), None, "inbox", "", "", "the inbox holds no file: nothing was read",
                                 "the night's input files", WARNING, "EMPTY_INBOX"))
        for name, src in sorted(self.reference.sources.items()):
            if src["rows"] == 0 and not (name == "rest_days.csv" and src["bundled"]):
                found.append(Problem(src["path"], None, name, "", "", f"{name} has no rows: everything it would say "
                                     "is missing", "at least one row under the header", WARNING, "EMPTY_REFERENCE"))
        self.notebook.note(found)

    def _decision_warnings(self, decisions) -> None:
        """Lines whose window end is an estimate (no holiday calendar for its year) are a warning: the broker
        should add that year's rest days to rest_days.csv as soon as the State Council publishes them."""
        if decisions.estimated_windows:
            years = ", ".join(sorted({n.split("covers ", 1)[1][:4] for n in decisions.calendar_notes
                                      if "covers " in n}))
            self.notebook.note_many(decisions.estimated_windows, [
                Problem("", None, "CEB213", f"coElNo={co} gnum={gnum}", "window_end",
                        f"window_end {end} is an estimate: no holiday calendar covers {years}",
                        "that year's rest days in rest_days.csv (--reference DIR)", WARNING, "ESTIMATED_WINDOW")
                for co, gnum, end in decisions.estimated_examples])

    def _report(self, staged, ledger, batch_id, started, finished, decisions, clock, stage) -> BatchResult:
        header = BatchHeader(batch_id=batch_id, run_at=started.isoformat(), software_version=__version__,
                             reference=self.reference, settings=settings(self.params, self.reference),
                             files=(file_entry(f) for f in self.inputs),
                             views=LedgerViews(ledger, batch_id, started.date()))
        totals = write_reports(staged, ledger, batch_id, header, stage, running=True)
        s = summary(ledger=ledger, batch_id=batch_id, started=started, finished=finished, inbox=str(self.inbox),
                    ledger_url=redact(self.ledger_url), parameters=self.parameters(),
                    files=(file_entry(f) for f in self.inputs),
                    n_files_whole=sum(1 for f in self.inputs if f.kind is None or f.failed), tally=self.tally,
                    notebook=self.notebook, decisions=decisions, totals=totals)
        s["timings_s"] = clock.laps
        path = staged.path("summary.json")
        write_json(path, s)
        ledger.record_summary(batch_id, path.read_text(encoding="utf-8"))  # for processor report --batch
        del s["files"]  # written, and spent (a generator): the file has the list
        return BatchResult(batch_id, self.out_dir, s)

    def parameters(self) -> dict:
        return parameters(self.reference, self.params)


def make_batch(inbox: Path | None, out_dir: Path, ledger_url: str, reference: ReferenceData, log: BatchLog,
               busy_timeout_s: float = 0.0, params: Params | None = None, **kw) -> Batch:
    os.makedirs(out_dir, exist_ok=True)
    return Batch(inbox, out_dir, ledger_url, reference, log, busy_timeout_s, params, **kw)
