"""Logging: structlog JSON lines to <out>/processor.log for machines, short lines on stderr for people.

Each JSON line reaches the file whole or not at all: it is written with one write() to a file opened for
appending, and a write the disk cuts short (full, or over a file-size limit) is taken back, so the log
never holds a cut line that a reader of JSON lines would choke on. A log that cannot be written fails the
batch (it is part of the batch's record); the terminal is only a courtesy: a closed stderr (`| head -1`)
never fails anything.
"""
from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import structlog

from .ledger import scrub


class LogNotWritten(OSError):
    """processor.log could not take a line (a full disk, a file-size limit, a folder gone)."""

    def __str__(self) -> str:
        return self.strerror


class _WholeLines:
    """The file object structlog writes to: one os.write per line, a short one taken back."""

    def __init__(self, path: Path):
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        before = os.fstat(self.fd).st_size
        try:
            written = os.write(self.fd, data)
        except OSError as err:
            self._take_back(before)
            raise LogNotWritten(err.errno, f"{self.path} could not take a line: {err.strerror}") from None
        if written != len(data):
            self._take_back(before)
            raise LogNotWritten(errno.ENOSPC, f"{self.path} could not take a line: only {written} of "
                                              f"{len(data)} bytes were written (a full disk or a file-size limit)")

    def _take_back(self, size: int) -> None:
        try:
            os.ftruncate(self.fd, size)
        except OSError:
            pass

    def flush(self) -> None:
        pass

    def close(self) -> None:
        os.close(self.fd)


def _scrubbed(_logger, _method, event: dict) -> dict:
    """No password of a ledger URL reaches the log, whatever message carries it (a driver's error, say)."""
    return {k: scrub(v) if isinstance(v, str) else v for k, v in event.items()}


class BatchLog:
    """One batch's log: every event as a JSON line in the file; `say` also prints a short human line."""

    def __init__(self, path: Path | None, quiet: bool = False):
        self._fh = _WholeLines(path) if path else None
        self.quiet = quiet
        self.broken: LogNotWritten | None = None  # the error that stopped the log: raised again by later events
        self._terminal = True  # False once stderr is gone
        processors = [structlog.processors.TimeStamper(fmt="iso", utc=True), structlog.processors.add_log_level,
                      _scrubbed, structlog.processors.JSONRenderer(ensure_ascii=False, sort_keys=True)]
        if self._fh is not None:
            self._log = structlog.wrap_logger(structlog.WriteLogger(self._fh), processors=processors)
        else:
            self._log = None

    def event(self, level: str, event: str, **fields) -> None:
        if self._log is None:
            return
        if self.broken is not None:
            raise self.broken  # no handler of a file's failure may carry on as if the log had taken it
        try:
            getattr(self._log, level)(event, **fields)
        except LogNotWritten as err:
            self.broken = err
            raise

    def info(self, event: str, **fields) -> None:
        self.event("info", event, **fields)

    def warning(self, event: str, **fields) -> None:
        self.event("warning", event, **fields)

    def error(self, event: str, **fields) -> None:
        self.event("error", event, **fields)

    def say(self, text: str, event: str | None = None, level: str = "info", **fields) -> None:
        if (not self.quiet or level == "error") and self._terminal:  # --quiet silences progress, never errors
            try:
                print(scrub(text), file=sys.stderr, flush=True)
            except (OSError, ValueError):  # stderr closed or gone: the log and the reports carry on
                self._terminal = False
        self.event(level, event or text, **({"message": text} if event else {}), **fields)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
