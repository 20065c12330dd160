"""The decide worker: a forked process that builds the facts and decides chunks sent to it, in order
(stages/decide.py decide_chunk), while the batch's own process queries and stores."""
from __future__ import annotations

import multiprocessing
import os
import threading
import traceback

from .. import interrupts
from ..law.facts import Params
from ..readers.ahead import WorkerFailed, WorkerGone, _orphan_watch
from . import decide as stage  # stage.decide_chunk, looked up when called (tests replace it)
from .decide import ChunkRows


def _decide_work(inbox, results, parent: int, batch_id: str, reference, params: Params) -> None:
    interrupts.in_worker()
    threading.Thread(target=_orphan_watch, args=(parent,), daemon=True).start()
    while (rows := inbox.get()) is not None:
        try:
            decided = stage.decide_chunk(rows, batch_id, reference, params)
        except BaseException as err:  # noqa: BLE001 - named to the batch, which fails as a serial run would
            results.send(("failed", (type(err).__name__, str(err), traceback.format_exc())))
            break
        results.send(("decided", tuple(decided)))
    results.close()


class DecideWorker:
    """A forked process that builds the facts and decides chunks sent to it, in order (decide_chunk).

    Chunks go to it through a queue (this process must not wait while the worker sends a result back);
    results come back through a pipe whose only writer is the worker, so a worker that dies, even half-way
    through a result, reads as the end of the pipe rather than a wait for ever."""

    def __init__(self, batch_id: str, reference, params: Params):
        context = multiprocessing.get_context("fork")  # reference data and the law come along; no ledger use
        self._inbox = context.Queue()  # at most two chunks are ever outstanding (_decide_queued)
        self._results, writer = context.Pipe(duplex=False)
        self._proc = context.Process(target=_decide_work, args=(self._inbox, writer, os.getpid(), batch_id,
                                                                reference, params), daemon=True)
        self._proc.start()
        writer.close()  # the worker's copy is the only one left
        self._closed = False

    def send(self, rows: ChunkRows) -> None:
        self._inbox.put(rows)

    def receive(self) -> tuple:
        while not self._results.poll(1.0):
            if not self._proc.is_alive() and not self._results.poll(0):
                raise WorkerGone()
        try:
            what, payload = self._results.recv()
        except (EOFError, OSError):
            raise WorkerGone() from None
        if what == "failed":
            raise WorkerFailed(*payload)  # the batch fails as a serial run would
        return payload

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join()
        self._inbox.cancel_join_thread()  # a chunk still on its way to a worker that has ended is worth nothing
        self._inbox.close()
        self._results.close()
