"""What a batch is doing while it does it: a live line per stage on a terminal, one line per stage elsewhere.

tqdm draws the live line. It is one small package with no dependencies of its own, and it draws only
when the batch calls it, from the batch's own thread (its monitor thread is turned off here): the batch
forks reader and decide processes, and rich's live display redraws from a thread of its own (and brings
pygments and markdown-it along). Not a terminal (cron, a pipe, a file): one line as each stage ends.
--quiet: nothing on the terminal. The log has each stage's figures whatever is shown.
"""
from __future__ import annotations

import os
import time

from tqdm import tqdm

tqdm.monitor_interval = 0  # no monitor thread: the batch forks worker processes
REDRAW_S = 0.25  # the live line is redrawn at most this often, whatever the stage's pace
# the estimate before the figures: a narrow terminal cuts the end of the line
LIVE_WITH_TOTAL = "  {desc:<8}{percentage:3.0f}% |{bar:10}| {elapsed} elapsed, about {remaining} left | FIGURES"
LIVE = "  {desc:<8}{elapsed} elapsed | FIGURES"


class Progress:
    """The stages of one batch, shown on `stream` (live when it is a terminal), logged to `log`."""

    def __init__(self, log, stream, live: bool | None = None):
        self.log = log
        self.stream = stream
        self.live = not log.quiet and (live if live is not None else _is_terminal(stream))
        self.current: Stage | None = None

    def stage(self, name: str, total: int | None = None, unit: str = "", files: int | None = None) -> "Stage":
        """A stage begins: `total` of `unit` (bytes, lines) to go through, when known; `files` to read."""
        self.stop()
        self.current = Stage(self, name, total, unit, files)
        return self.current

    def stop(self) -> None:
        """Clear a live line left open (a failed or interrupted batch), so that the last word is on its own."""
        if self.current is not None and self.current.bar is not None:
            self.current.bar.close()
        self.current = None


class Stage:
    """Counts of one stage (files, records, items or lines) and how far through its total it is."""

    def __init__(self, progress: Progress, name: str, total: int | None, unit: str, files: int | None):
        self.progress = progress
        self.name = name
        self.total = total
        self.unit = unit
        self.n_files = files
        self.done = 0
        self.files = self.records = self.items = 0
        self.started = time.monotonic()
        self._drawn = 0.0
        self.bar = None
        if progress.live:
            width = _columns(progress.stream)  # a terminal that says it has no size gets 100 columns (and tqdm
            # would draw nothing: it sees -1 rows, so nrows is given)
            self.bar = tqdm(total=total, desc=name, file=progress.stream, leave=False, dynamic_ncols=not width,
                            ncols=width or None, nrows=50, mininterval=REDRAW_S, disable=False, delay=0,
                            bar_format=LIVE.replace("FIGURES", "..."))
            self._draw()

    def expect(self, total: int) -> None:
        """The total, once known (the lines queued for deciding)."""
        self.total = total
        if self.bar is not None:
            self.bar.total = total
            self._draw()

    def add(self, done: int = 0, files: int = 0, records: int = 0, items: int = 0) -> None:
        self.done += done
        self.files += files
        self.records += records
        self.items += items
        if self.bar is not None:
            now = time.monotonic()
            if now - self._drawn >= REDRAW_S:
                self._drawn = now
                self._draw()

    def _draw(self) -> None:
        self.bar.n = min(self.done, self.total) if self.total else self.done
        figures = (self.figures() or "...").replace("{", "{{").replace("}", "}}")
        self.bar.bar_format = (LIVE_WITH_TOTAL if self.total else LIVE).replace("FIGURES", figures)
        self.bar.refresh()

    def figures(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        parts = []
        if self.n_files is not None:
            parts.append(f"{self.files:,}/{self.n_files:,} files")
        if self.records:
            parts.append(f"{self.records:,} records")
        if self.items:
            parts.append(f"{self.items:,} items, {self.items / elapsed:,.0f} items/s")
        elif self.unit and self.unit not in ("bytes", "files"):
            of = f"/{self.total:,}" if self.total else ""
            parts.append(f"{self.done:,}{of} {self.unit}, {self.done / elapsed:,.0f} {self.unit}/s")
        return ", ".join(parts)

    def end(self, **more) -> None:
        """The stage's one line: on the terminal when not quiet (in place of the live one), and in the log."""
        seconds = time.monotonic() - self.started
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        self.progress.current = None
        figures = self.figures()
        text = f"  {self.name:<8}{figures + '; ' if figures else ''}{seconds:.1f} s"
        self.progress.log.say(text, "stage_done", stage=self.name, seconds=round(seconds, 3), files=self.files,
                              records=self.records, items=self.items, done=self.done, unit=self.unit, **more)


def _columns(stream) -> int | None:
    """100 for a terminal that reports no width (a fresh pseudo-terminal); None: ask it as it changes."""
    try:
        return None if os.get_terminal_size(stream.fileno()).columns else 100
    except (AttributeError, ValueError, OSError):
        return 100


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
