"""Logging: structlog JSON lines to <out>/processor.log for machines, short lines on stderr for people."""
from __future__ import annotations

import sys
from pathlib import Path

import structlog


class BatchLog:
    """One batch's log: every event as a JSON line in the file; `say` also prints a short human line."""

    def __init__(self, path: Path | None, quiet: bool = False):
        self._fh = open(path, "a", encoding="utf-8") if path else None
        self.quiet = quiet
        processors = [structlog.processors.TimeStamper(fmt="iso", utc=True), structlog.processors.add_log_level,
                      structlog.processors.JSONRenderer(ensure_ascii=False, sort_keys=True)]
        if self._fh is not None:
            self._log = structlog.wrap_logger(structlog.WriteLogger(self._fh), processors=processors)
        else:
            self._log = None

    def event(self, level: str, event: str, **fields) -> None:
        if self._log is not None:
            getattr(self._log, level)(event, **fields)
            self._fh.flush()

    def info(self, event: str, **fields) -> None:
        self.event("info", event, **fields)

    def warning(self, event: str, **fields) -> None:
        self.event("warning", event, **fields)

    def error(self, event: str, **fields) -> None:
        self.event("error", event, **fields)

    def say(self, text: str, event: str | None = None, level: str = "info", **fields) -> None:
        if not self.quiet or level == "error":  # --quiet silences progress, never errors
            print(text, file=sys.stderr)
        self.event(level, event or text, **({"message": text} if event else {}), **fields)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
