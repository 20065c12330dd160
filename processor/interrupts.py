"""SIGINT, SIGTERM and SIGHUP during a batch: one exception in the batch's own process, cleanup left to finish.

The first signal raises `Interrupted` where the batch happens to be (a KeyboardInterrupt, so no
`except Exception` meant for bad input swallows it, and psycopg cancels a running query). Later signals
are only noted: the rollback and the workers' ending must not be cut short. Around the commit and the
renaming of the reports into place, a signal is only noted (`hold`) so that a batch is committed with its
reports or not at all; the batch then says that it completed and stands. Worker processes
ignore SIGINT (the terminal sends it to the whole process group): the batch ends them itself.
"""
from __future__ import annotations

import os
import signal
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # Ctrl-C, a stop (kill, a scheduler), a closed terminal


class Interrupted(KeyboardInterrupt):
    """The batch was stopped by a signal, before its commit: nothing of it is kept."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_status(self) -> int:
        return 128 + self.signum  # 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP, as a shell reports them


class _State:
    received: int | None = None  # the first signal received
    raised = False
    holding = False
    owner: int | None = None  # the batch's process: a worker forked before it set its own handlers is not it


_state = _State()


def _handler(signum, _frame) -> None:
    if os.getpid() != _state.owner:  # a worker between its fork and in_worker(): as in_worker() would have it
        if signum == signal.SIGTERM:
            os._exit(128 + signum)  # the batch is ending it: quietly, no traceback from multiprocessing
        return
    if _state.received is None:
        _state.received = signum
    if _state.raised or _state.holding:
        return  # cleanup is under way, or the commit is: noted, not raised again
    _state.raised = True
    raise Interrupted(signum)


@contextmanager
def interruptible():
    """While the batch runs: SIGINT, SIGTERM and SIGHUP raise Interrupted once; the previous handlers come back
    after."""
    _state.received, _state.raised, _state.holding, _state.owner = None, False, False, os.getpid()
    previous = {s: signal.signal(s, _handler) for s in SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def hold() -> None:
    """From here to the end of the batch (its commit and the renaming of its reports), a signal is only noted:
    a batch is committed with its reports or not at all. The caller says afterwards that it came too late."""
    _state.holding = True


def requested() -> bool:
    """A signal has stopped the batch: workers' leftovers need not be drained."""
    return _state.received is not None


def received() -> str | None:
    """The name of the first signal received (SIGINT, SIGTERM), if any."""
    return signal.Signals(_state.received).name if _state.received is not None else None


def in_worker() -> None:
    """In a forked worker: SIGINT and SIGHUP (sent to the whole group) are the batch's to handle (it ends its
    workers), SIGTERM ends the worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
