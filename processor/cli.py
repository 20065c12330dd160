"""The command line (CONTRACT.md section 4): `processor run`, `processor validate`."""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from . import __version__, interrupts
from .batch import CHINA, ReportsNotWritten, make_batch
from .stages.report import report_files
from .law.facts import Params
from .law.rules import RULES
from .ledger import LedgerBusy, LedgerUrlError, default_url, redact, scrub
from .logs import BatchLog
from .problems import ERROR
from .reference import ReferenceError, load_reference
from .sinks.marker import mark_incomplete

EXIT_FAILED = 1  # the batch could not complete; nothing of it was committed
EXIT_REPORTS = 3  # the batch is committed, but its reports could not all be written: `processor report --batch`
EXIT_BUSY = 75  # another batch holds the ledger (EX_TEMPFAIL): try again later
LABEL = 2 + max(len("export duty refund"), *(len(r.code) for r in RULES))  # explain's label column


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="processor")
def main() -> None:
    """Batch processor for cross-border e-commerce export returns (跨境电商出口退运).

    Reads the night's CEB603/604/605 export lists, CEB213/214 return applications and ReturnClaims
    documents into a persistent ledger, and writes the reports the tax bureau imports.
    """


REFERENCE_HELP = ("Folder whose tariff.csv, exchange_rates.csv, food_hs.csv, policies.csv, clauses.csv or "
                  "rest_days.csv replace the bundled defaults of the same name (rest_days.csv: date,kind,name, the "
                  "rest days of each year it names).")
EXIT_USAGE = 2  # a usage error, or a ledger that cannot be used (missing, or written by a newer release)


def _open(url: str, create: bool = False):
    """The ledger for init, explain and report; whatever stops it opening ends the command with one line
    (exit 2), no password in it."""
    from .ledger import LedgerMissing, LedgerVersionError, open_ledger

    try:
        return open_ledger(url, create=create)
    except LedgerUrlError as err:
        raise click.UsageError(str(err)) from None
    except (LedgerMissing, LedgerVersionError) as err:
        click.echo(f"error: {err}", err=True)
    except Exception as err:  # noqa: BLE001 - an unreachable server, refused credentials: one line
        first = (str(err).strip().splitlines() or [""])[0]
        click.echo(scrub(f"error: the ledger at {redact(url)} cannot be opened: {type(err).__name__}: {first}"),
                   err=True)
    sys.exit(EXIT_USAGE)


def _ledger_option(fn):
    return click.option("--ledger", "ledger_url", default=None, metavar="URL",
                        help="Ledger database kept across nights: sqlite:///path or postgresql://user@host/db. "
                             "Default: sqlite:///<out>/ledger.sqlite.")(fn)


def _common(fn):
    """The options every batch (run, reassess) takes."""
    for option in reversed((
            click.option("--reference", "reference_dir", default=None,
                         type=click.Path(exists=True, file_okay=False, path_type=Path), help=REFERENCE_HELP),
            click.option("--rest-day-extension/--no-rest-day-extension", default=True, show_default=True,
                         help="Extend a window whose last day is a statutory rest day to the next working day "
                              "(Civil Code Art. 203)."),
            click.option("--wait", "wait_s", type=click.FloatRange(min=0), default=0, show_default=True,
                         metavar="SECONDS", help="When another batch is running on the same ledger, wait this long "
                                                 f"for it before giving up with exit status {EXIT_BUSY}."),
            click.option("--quiet", is_flag=True,
                         help="No progress lines on stderr (the log file still has everything)."))):
        fn = option(fn)
    return fn


@main.command()
@click.option("--ledger", "ledger_url", required=True, metavar="URL",
              help="The ledger to create: sqlite:///path or postgresql://user@host/db.")
def init(ledger_url: str) -> None:
    """Create an empty ledger at URL (an existing ledger is left as it is, upgraded if an older release wrote it).

    `run` and `reassess` never create a ledger: a mistyped path must not start an empty one.
    """
    from .ledger.base import SCHEMA_VERSION

    ledger = _open(ledger_url, create=True)
    found = ledger.found_version
    ledger.close()
    if found is None:
        click.echo(f"created an empty ledger at {redact(ledger_url)} (schema version {SCHEMA_VERSION})")
    elif found == SCHEMA_VERSION:
        click.echo(f"a ledger already exists at {redact(ledger_url)}: nothing changed (schema version {found})")
    else:
        click.echo(f"a ledger already exists at {redact(ledger_url)}: upgraded in place from schema version {found} "
                   f"to {SCHEMA_VERSION}, nothing else changed")


@main.command()
@click.option("--inbox", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of input XML files (any mix of CEB603, CEB604, CEB605, CEB213, CEB214, ReturnClaims).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for decisions.csv, reconciliation.xml, backpay.csv, quarantine.csv, summary.json "
                   "and processor.log; created if missing.")
@_ledger_option
@click.option("--init", "init", is_flag=True,
              help="Create the ledger if there is none (otherwise a missing ledger stops the run with exit status 2).")
@click.option("--engine", type=click.Choice(["embedded", "spark"]), default="embedded", show_default=True,
              help="embedded: this process and its workers, a SQLite or PostgreSQL ledger. spark: Apache Spark "
                   "(pip install 'processor[spark]'), the ledger a directory of Parquet tables named "
                   "file:///ABS/DIR (docs/scale.md).")
@click.option("--spark-master", default="local[*]", show_default=True, metavar="MASTER",
              help="With --engine spark: local[N], spark://host:port, k8s://... or Spark Connect sc://host.")
@_common
def run(inbox: Path, out_dir: Path, ledger_url: str | None, init: bool, engine: str, spark_master: str,
        reference_dir: Path | None, rest_day_extension: bool, wait_s: float, quiet: bool) -> None:
    """Run one nightly batch over INBOX into the ledger and write the reports to OUT.

    Exit status: 0 when the batch completed (quarantined records and rejected returns are normal
    results), 2 for a usage error or a ledger that cannot be used (none at the URL without --init, or
    one written by a newer release), 1 when the batch could not complete (then nothing of it is
    committed to the ledger), 75 when another batch held the ledger for longer than --wait, 130 / 143 /
    129 when SIGINT (Ctrl-C) / SIGTERM / SIGHUP stopped it before its commit (nothing committed).

    OUT/INCOMPLETE.txt exists from the start of a batch until its reports are in place: after a failed,
    interrupted or killed run it says the reports in OUT are an earlier batch's.
    """
    _batch(out_dir, ledger_url, reference_dir, rest_day_extension, wait_s, quiet, inbox=inbox, init=init,
           engine=engine, master=spark_master)


@main.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the reassessment's reports (as `run` writes them); created if missing.")
@_ledger_option
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="Only lines whose return date is on or after this day (default: every line).")
@_common
def reassess(out_dir: Path, ledger_url: str | None, since, reference_dir: Path | None, rest_day_extension: bool,
             wait_s: float, quiet: bool) -> None:
    """Decide again every line already in the ledger, under the reference data given, as one batch.

    Use it when a new announcement (a row of policies.csv), a corrected tariff or exchange rate, or a newly
    published holiday calendar (rest_days.csv) must be applied to decisions already made. The reports hold
    only the lines whose result changed (REVISED); running it again writes none. Exit status as for `run`.
    """
    _batch(out_dir, ledger_url, reference_dir, rest_day_extension, wait_s, quiet, reassess=True,
           since=since.date().isoformat() if since else None)


def _batch(out_dir: Path, ledger_url: str | None, reference_dir: Path | None, rest_day_extension: bool,
           wait_s: float, quiet: bool, inbox: Path | None = None, engine: str = "embedded", master: str = "",
           **kw) -> None:
    from .ledger import LedgerMissing, LedgerVersionError, ledger_exists

    if engine == "spark":
        url, make = _spark_engine(out_dir, ledger_url, master)
        exists = _lake_exists
    else:
        url, make, exists = ledger_url or default_url(out_dir), make_batch, ledger_exists
    if not kw.get("init"):
        try:
            found = exists(url)
        except LedgerUrlError as err:
            raise click.UsageError(str(err)) from None
        except LedgerVersionError as err:
            click.echo(f"error: {err}; nothing was done", err=True)
            sys.exit(EXIT_USAGE)
        except Exception:  # noqa: BLE001 - an unreachable server, say: the batch below reports it as it fails
            found = True
        if not found:  # before --out is made: a mistyped path creates nothing at all
            create = "Give `run --init` to create it" if engine == "spark" else \
                "Create it with `processor init --ledger URL` (or give `run --init`)"
            click.echo(f"error: no ledger at {redact(url)}: nothing was done. {create}, or name the existing one with "
                       "--ledger.", err=True)
            sys.exit(EXIT_USAGE)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        log = BatchLog(out_dir / "processor.log", quiet=quiet)
    except OSError as err:
        click.echo(f"error: cannot write in {err.filename or out_dir}: {err.strerror or err}; nothing was done",
                   err=True)
        sys.exit(EXIT_FAILED)
    started = datetime.now(CHINA)
    batch = None

    def failed(status: int, what: str, event: str, mark: bool = True, **fields) -> None:
        """A run that did not complete: one line, the log, and INCOMPLETE.txt beside the earlier reports (each
        as far as the disk allows: the line on the terminal comes first)."""
        if batch is not None:
            batch.progress.stop()
        try:
            log.say(what, event, "error", **fields)
        except OSError:
            pass  # the log is what failed, or the disk is full: the terminal has the line
        if mark:
            try:
                mark_incomplete(out_dir, started.isoformat(), batch.batch_id if batch else None, what)
            except OSError:
                pass
        sys.exit(status)

    try:
        with interrupts.interruptible():
            try:
                try:
                    reference = load_reference(reference_dir)
                except ReferenceError as err:
                    failed(EXIT_FAILED, f"error: reference data: {err}", "reference_invalid")
                batch = make(inbox, out_dir, url, reference, log, busy_timeout_s=wait_s,
                             params=Params(extend_over_rest_days=rest_day_extension), **kw)
                result = batch.run(started)
            except ReportsNotWritten as err:
                failed(EXIT_REPORTS, f"error: batch {err.batch_id} is committed, but its reports could not all be "
                       f"written ({err}), so the files in {out_dir} may be a mix of two batches; write them again "
                       f"with `processor report --batch {err.batch_id} --out DIR`", "reports_not_written",
                       batch_id=err.batch_id)
            except interrupts.Interrupted as sig:
                failed(sig.exit_status, f"interrupted by {sig.name}: nothing was committed", "interrupted",
                       signal=sig.name, batch_id=batch.batch_id if batch else None)
            except LedgerUrlError as err:
                raise click.UsageError(str(err)) from None
            except (LedgerMissing, LedgerVersionError) as err:
                log.say(f"error: {err}; nothing was done", "ledger_unusable", "error")
                sys.exit(EXIT_USAGE)
            except LedgerBusy as err:
                log.say(f"error: {err}; nothing was done, run again later or give --wait", "ledger_busy", "error")
                sys.exit(EXIT_BUSY)
            except Exception as err:  # noqa: BLE001 - reported, and the exit status says the batch failed
                from .readers.ahead import described

                name, trace = described(err)  # an error met in a worker process, named as in one process
                if type(err).__module__.split(".")[0] in ("sqlite3", "psycopg"):  # say which ledger
                    name = f"{name} in the ledger at {redact(url)}"
                if batch is not None and batch.committed:  # the log, say, could not take the timings
                    failed(EXIT_REPORTS, f"error: batch {batch.batch_id} is committed"
                           + (" and its reports are in place" if batch.published else "") + f", but then: {name}: "
                           f"{err}", "failed_after_commit", mark=not batch.published, batch_id=batch.batch_id)
                try:
                    log.error("batch_failed", error=f"{name}: {err}", trace=trace)
                except OSError:
                    pass
                failed(EXIT_FAILED, f"error: the batch could not complete, nothing was committed: {name}: {err}",
                       "batch_failed_reported")
            try:
                _say_result(log, result, out_dir)
                late = interrupts.received()
                if late:  # it came during the commit, or after: the batch was completed, and says so
                    log.say(f"{late} received after the commit: batch {result.batch_id} was completed and stands, "
                            "its reports are in place", "interrupted_after_commit", "error", signal=late)
            except OSError as err:  # processor.log could not take the batch's last lines (a full disk)
                failed(EXIT_REPORTS, f"error: batch {result.batch_id} is committed and its reports are in place, but "
                       f"processor.log could not be written ({err.strerror or err})", "log_not_written", mark=False)
    finally:
        log.close()


def _spark_engine(out_dir: Path, ledger_url: str | None, master: str):
    """run --engine spark: the lake's URL (checked) and what makes its batch (processor/spark/)."""
    from .lake import lake_path

    url = ledger_url or f"file://{(out_dir / 'lake').resolve()}"
    try:
        lake_path(url)
    except ValueError as err:
        raise click.UsageError(f"--engine spark: {err}") from None
    try:
        from .spark.batch import SparkBatch
        import pyspark  # noqa: F401 - imported lazily by the batch: checked here, before anything is made
    except ImportError:
        click.echo("error: --engine spark needs PySpark: pip install 'processor[spark]'", err=True)
        sys.exit(EXIT_USAGE)

    def make(inbox, out_dir, url, reference, log, busy_timeout_s=0.0, params=None, init=False):
        out_dir.mkdir(parents=True, exist_ok=True)
        return SparkBatch(inbox, out_dir, url, reference, log, params, init=init, master=master)
    return url, make


def _lake_exists(url: str) -> bool:
    from .lake import Lake

    return Lake(url).exists()


def _say_result(log, result, out_dir: Path) -> None:
    s = result.summary
    for kind, c in s["inputs"].items():
        r, i = c["records"], c["items"]
        log.say(f"  {kind:<12} read {r['read']:>7}  stored {r['stored']:>7}  quarantined {r['quarantined']:>6}  "
                f"duplicates {r['duplicates']:>6}   (items read {i['read']})", "kind_counts", kind=kind)
    d = s["decisions"]
    log.say(f"  decisions    {d['lines']} lines reported: {d['EXEMPT']} EXEMPT, {d['PENDING']} PENDING, "
            f"{d['REJECTED']} REJECTED ({d['new']} new, {d['revised']} revised, {d['withdrawn']} withdrawn, "
            f"{d['reported_again']} reported again; {d['decided_again_unchanged']} decided again unchanged)",
            "decision_counts", **d)
    t, again = s["net_change"], s["totals"]["AGAIN"]
    log.say(f"  exempted     duty {t['EXEMPT']['import_duty']}  consumption tax {t['EXEMPT']['consumption_tax']}"
            f"  VAT {t['EXEMPT']['import_vat']}  export duty refunded {t['EXEMPT']['export_duty_refund']} CNY "
            "(what this batch decided, net of the decisions it replaced)", "exempt_totals")
    log.say(f"  pay-back     VAT {t['ALL']['backpay_vat']}  CT {t['ALL']['backpay_ct']} CNY (the same)", "backpay_totals")
    if again["lines"]:
        log.say(f"  reported again, as an earlier batch decided them (a rerun): {again['lines']} lines, not "
                "counted above", "reported_again_totals")
    w = s["warnings"]
    if w["count"]:
        log.say(f"  warnings     {w['count']} (in processor.log, each one or, where there are many of a kind, its "
                "first and their count; what each means: README)", "warnings")
        for kind, seen in w["by_kind"].items():
            log.say(f"    {kind} x{seen['count']}: {seen['meaning']}", "warning_kind")
            for example in seen["first"]:
                log.say(f"      {example}", "warning_example")
            if seen["count"] > len(seen["first"]):
                log.say(f"      ... and {seen['count'] - len(seen['first'])} more", "warning_more")
    log.say(f"batch {result.batch_id} done: {s['quarantine_rows']} quarantine rows, "
            f"{w['count']} warnings", "batch_finished", batch_id=result.batch_id)
    log.say(f"reports in {out_dir.resolve()}: {' '.join(report_files())}", "reports_written")


@main.command()
@_ledger_option
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="The --out folder of a run: its default ledger, sqlite:///<out>/ledger.sqlite, is checked.")
def check(ledger_url: str | None, out_dir: Path | None) -> None:
    """Check a ledger thoroughly: its storage (SQLite's integrity_check) and the invariants its decisions keep
    (quantities held within what was exported; every revision pointing at a batch that reported its line).

    A batch runs a quicker storage check before it writes; run this one weekly, or after a crash or a full
    disk. Exit status 0 when all is well, 1 when something is wrong (each problem printed), 2 for a usage
    error or a ledger that cannot be opened.
    """
    from .ledger.check import check as check_ledger

    if ledger_url is None and out_dir is None:
        raise click.UsageError("give --ledger URL or the --out folder of a run")
    url = ledger_url or default_url(out_dir)
    ledger = _open(url)
    try:
        problems = check_ledger(ledger)
    except Exception as err:  # noqa: BLE001 - damage the check itself runs into is a finding too
        problems = [f"storage: {type(err).__name__}: {err}"]
    finally:
        ledger.close()
    for p in problems:
        click.echo(f"  {scrub(p)}")
    click.echo(f"{redact(url)}: " + (f"{len(problems)} problems" if problems else "storage and invariants ok"))
    sys.exit(1 if problems else 0)


@main.command()
@_ledger_option
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="The --out folder of a run: its default ledger, sqlite:///<out>/ledger.sqlite.")
@click.option("--through", default=None, metavar="YYYY-MM",
              help="Archive the export lists dated up to the end of this month. Default: the latest month whose "
                   "every window ended 45 days or more before --as-of; a later month is refused.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="The day windows are counted to (default: today in China).")
@click.option("--reference", "reference_dir", default=None,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder whose policies.csv replaces the bundled one: the longest window_months of its policies "
                   "says when a month has closed.")
@click.option("--vacuum", is_flag=True,
              help="SQLite: shrink the file now (VACUUM, which needs free disk as large as the ledger). Without it "
                   "the space freed inside the file is reused by the next nights.")
@click.option("--wait", "wait_s", type=click.FloatRange(min=0), default=0, show_default=True, metavar="SECONDS",
              help=f"When a batch is running on the ledger, wait this long for it before giving up with exit "
                   f"status {EXIT_BUSY}.")
def archive(ledger_url: str | None, out_dir: Path | None, through: str | None, as_of, reference_dir: Path | None,
            vacuum: bool, wait_s: float) -> None:
    """Move the export lists whose every window has closed into the ledger's archive: one compressed row a list
    (its items, receipts and cancellations, the returns naming it with their lines, receipts and claims, and the
    journal entries of all of them), packed against a dictionary learnt from its month (docs/storage.md).
    Decisions stay where they are; a list with a line still PENDING stays in force.

    Nothing is dropped and no decision changes: a night that touches an archived list or return (a new version,
    a receipt, a cancellation, a claim, a return naming its invtNo, a reassess) puts it back first, so a late
    return still finds its export and is rejected WINDOW_EXPIRED; explain, report and check read what they need
    where it is. Run it once a month. Exit status 0 when done, 2 for a usage error or a ledger that cannot be
    opened, 75 when a batch holds the ledger.
    """
    import re

    from .ledger.archive import GRACE_DAYS, archive as archive_lists, last_closed_month, totals

    if ledger_url is None and out_dir is None:
        raise click.UsageError("give --ledger URL or the --out folder of a run")
    try:
        months = max(p.window_months for p in load_reference(reference_dir).policies)
    except ReferenceError as err:
        raise click.UsageError(f"reference data: {err}") from None
    day = as_of.date() if as_of else datetime.now(CHINA).date()
    closed = last_closed_month(day, months)
    if through is None:
        through = closed
    elif not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", through):
        raise click.UsageError(f"--through {through!r}: expected a month, YYYY-MM")
    elif through > closed:
        raise click.UsageError(f"--through {through}: exports of that month may still be returned in their window "
                               f"(as of {day}, {closed} is the latest month closed {GRACE_DAYS} days or more)")
    url = ledger_url or default_url(out_dir)
    ledger = _open(url)
    ledger.busy_timeout_s = wait_s
    try:
        done = archive_lists(ledger, through)
        if vacuum and ledger.dialect.name == "sqlite":
            ledger.execute("VACUUM")
        lists, items = totals(ledger)
    except LedgerBusy as err:
        click.echo(f"error: {err}: nothing was archived by this run that it did not finish", err=True)
        sys.exit(EXIT_BUSY)
    finally:
        ledger.close()
    for m in done:
        click.echo(f"  {m.month}: {m.lists:,} export lists, {m.items:,} items archived, {m.packed_bytes / 1e6:,.1f} MB "
                   f"packed ({m.packed_bytes / max(m.items, 1):,.0f} bytes an item)")
    click.echo(f"{redact(url)}: " + (f"archived through {through}" if done else
                                     f"nothing dated through {through} left to archive")
               + f"; {lists:,} export lists ({items:,} items) in the archive")


@main.command()
@click.option("--batch", "batch_id", default=None, metavar="ID",
              help="A committed batch: all its reports are written again, as it wrote them.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write them into (created if missing); its ledger is the default, as for `run`.")
@_ledger_option
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="The day the PENDING backlog's days left are counted from (default: today in China; with "
                   "--batch, that batch's day).")
def report(batch_id: str | None, out_dir: Path, ledger_url: str | None, as_of) -> None:
    """Write reports from the ledger alone.

    With --batch ID: a committed batch's reports again (decisions.csv, backpay.csv, reconciliation.xml,
    quarantine.csv, summary.json, report.xlsx, report.html), its decisions as the batch wrote them (the
    backlog in the workbook and the page is the ledger's as it stands); use it after exit status 3 (the batch
    is committed but its reports could not all be put in place), or for a copy.
    Without it: report.xlsx and report.html of the latest batch, with every PENDING line in the ledger and
    its days left as of --as-of: the backlog, readable any morning. Exit status 0 when written, 1 when they
    could not be, 2 for a usage error or a ledger or batch that is not there.
    """
    from .stages.again import NoSuchBatch, write_again, write_readable

    ledger = _open(ledger_url or default_url(out_dir))
    try:
        if batch_id is not None:
            written = write_again(ledger, batch_id, out_dir, as_of.date() if as_of else None)
        else:
            batch_id, written = write_readable(ledger, None, out_dir,
                                               as_of.date() if as_of else datetime.now(CHINA).date())
    except NoSuchBatch as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(EXIT_USAGE)
    except OSError as err:
        click.echo(f"error: the reports of batch {batch_id} could not be written: {err.strerror or err}"
                   + (f": {err.filename}" if err.filename else ""), err=True)
        sys.exit(EXIT_FAILED)
    finally:
        ledger.close()
    click.echo(f"reports of batch {batch_id} in {out_dir.resolve()}: {' '.join(written)}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check input FILES without touching any ledger; print every problem found.

    The files are read and stored as `run` would store them, in a scratch ledger thrown away afterwards, so
    what `validate` reports is what `run` would quarantine: defects, and clashes between the files given
    (two lists with the same ebcCode|copNo, appTime and appType, say). Clashes with a ledger's earlier
    nights cannot be seen here. Exit status 0 when every record of every file could be used, 1 when
    something would be quarantined, 2 for a usage error.
    """
    from .stages.scratch import check_files

    bad = False
    regular = []
    for path in files:
        if path.is_file():
            regular.append(str(path))
        else:  # a pipe or a device would be read for ever; run skips them in an inbox too
            click.echo(f"{path}: not a regular file (a pipe, socket or device): not read")
            bad = True
    for f, problems in check_files(regular):
        c = f.counts
        usable = c["stored"] + c["duplicates"]
        dup = f" ({c['duplicates']} repeating an earlier record)" if c["duplicates"] else ""
        click.echo(f"{f.name}: {f.kind or 'not an input'}, {c['read']} records, {usable} usable{dup}, "
                   f"{c['quarantined']} to quarantine")
        for p in problems:
            click.echo(f"  {p.severity}: {p.human()}")
        bad = bad or c["quarantined"] > 0 or any(p.severity == ERROR for p in problems)
    sys.exit(1 if bad else 0)


@main.command()
@click.argument("return_id")
@click.option("--ledger", "ledger_url", default=None, metavar="URL", help="The ledger to read (as for `run`).")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="The --out folder of a run: its default ledger, sqlite:///<out>/ledger.sqlite, is read.")
@click.option("--all-versions", is_flag=True,
              help="Show every version of each line's decision, oldest first, with what made it be decided again.")
def explain(return_id: str, ledger_url: str | None, out_dir: Path | None, all_versions: bool) -> None:
    """Show how each line of return RETURN_ID (its CEB213 coElNo) was decided, rule by rule.

    Prints the dutiable value (qty x price x rate), each tax with its formula and rate, the window's
    start, nominal end and any rest-day extension, each reason code with its clause, and the parameter
    versions of the batch that decided it.
    """
    import json

    from .ledger.decisions import DecisionStore

    if ledger_url is None:
        if out_dir is None:
            raise click.UsageError("give --ledger URL or the --out folder of a run")
        if not (out_dir / "ledger.sqlite").exists():
            raise click.UsageError(f"no ledger at {out_dir / 'ledger.sqlite'}")
        ledger_url = default_url(out_dir)
    ledger = _open(ledger_url)
    try:
        rows = DecisionStore(ledger).of_return(return_id)
        if not all_versions:
            rows = [r for r in rows if r["status"] != "superseded"]
        if not rows:
            click.echo(f"no decision for return {return_id} in this ledger", err=True)
            sys.exit(1)
        batches = {}
        for r in rows:
            if r["batch_id"] not in batches:
                found = ledger.query("SELECT parameters FROM batches WHERE batch_id = ?", (r["batch_id"],))
                batches[r["batch_id"]] = json.loads(found[0][0]) if found else {}
        for r in rows:
            click.echo(f"Return {r['co_el_no']}  line gnum {r['gnum']}  (invtNo {r['invt_no']}, decision version "
                       f"{r['version']}, {r['status']}, batch {r['batch_id']})")
            reported = (f"reported {r['change']}" + (f", superseding batch {r['supersedes']}" if r["supersedes"]
                                                     else "") if r["change"] else "not reported: its row was unchanged")
            click.echo(f"  {'decided because':<{LABEL}}{r['cause'] or 'not recorded (decided by an older release)'}"
                       f"; {reported}")
            click.echo(f"  {'decision':<{LABEL}}{r['decision']}" + (f"  [{r['reasons']}]" if r["reasons"] else ""))
            for step in json.loads(r["trail"]):
                label = step.get("code") or step["step"]
                click.echo(f"  {label:<{LABEL}}{step['detail']}")
                click.echo(f"  {'':<{LABEL}}  ({step['reference']})")
            params = batches.get(r["batch_id"], {})
            versions = ", ".join(f"{n} {v['sha256'][:12]}" for n, v in sorted(params.get("reference", {}).items()))
            settings = ", ".join(f"{k}={v}" for k, v in sorted(params.get("settings", {}).items()))
            click.echo(f"  {'parameters':<{LABEL}}{versions}")
            click.echo(f"  {'':<{LABEL}}{settings}")
            click.echo("")
    finally:
        ledger.close()


@main.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the synthetic inbox into (created if missing).")
@click.option("--items", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Export items to generate (1-5 per list, 100 lists per CEB603 file).")
@click.option("--returns", type=click.IntRange(min=0), default=100, show_default=True,
              help="Return applications (CEB213) with their claims, drawn from the exports.")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed: the same seed gives the same files.")
@click.option("--night", type=click.IntRange(min=1), default=None, metavar="N",
              help="Night N of consecutive nights on one ledger: keys unique across nights, exports dated the days "
                   "before night N, returns drawn from the 60 nights before it within 180 days (the first night: "
                   "its own); the certificates missing from the claims of night N-1 come with new claims, but for "
                   "one in 50.")
@click.option("--night-days", type=click.IntRange(min=1), default=1, show_default=True, metavar="D",
              help="With --night: the days between consecutive nights (30: a month of exports a night).")
@click.option("--first-day", type=click.DateTime(formats=["%Y-%m-%d"]), default="2026-05-01", show_default=True,
              help="With --night: the day of night 1 (the bundled exchange rates and policies run to 2027-12).")
@click.option("--demo", is_flag=True, help="Write the demo night of fixtures/demo instead (ignores --items/--returns).")
def synth(out_dir: Path, items: int, returns: int, seed: int, night: int | None, night_days: int, first_day,
          demo: bool) -> None:
    """Generate a deterministic synthetic night of input files, for demos and benchmarks."""
    from .synth import demo_night, synth_night

    facts = demo_night(out_dir) if demo else synth_night(out_dir, items, returns, seed, night=night,
                                                         night_days=night_days, first=first_day.date())
    click.echo(" ".join(f"{k}={v}" for k, v in facts.items()) + f" -> {out_dir}")


if __name__ == "__main__":  # pragma: no cover
    main()
