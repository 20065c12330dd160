"""The `processor` command: a Ctrl-C while Python is still loading the program ends it with one line too.

The batch's own handlers (interrupts.py) are set once it runs; loading lxml, click and the rest takes a few
tenths of a second before that, during which Python would print its own trace.
"""
from __future__ import annotations

import os
import signal
import sys


def _early(signum, _frame) -> None:
    try:
        sys.stderr.write(f"interrupted by {signal.Signals(signum).name} before anything was done\n")
    finally:
        os._exit(128 + signum)


def main() -> None:
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _early)
    from .cli import main as cli_main  # the batch sets its own handlers (and puts these back) when it runs

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL if s != signal.SIGINT else signal.default_int_handler)
    cli_main()
