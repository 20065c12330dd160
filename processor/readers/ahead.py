"""Read the next files in other processes while this one stores the current file.

Reading (scanning, matching, checking, building records) and storing (the ledger's inserts) take
about the same time, and the ledger has one writer. With a second core, worker processes read the
files ahead, in the batch's order, and send the records back in chunks; the batch stores them in
exactly the order a serial run would, so the ledger and every report are the same. The queues are
bounded, so a worker waits rather than filling memory when the writer is behind.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
import time
import traceback
from pathlib import Path
from queue import Empty
from typing import Iterator

from .. import interrupts
from . import Parsed, Reading, open_input

CHUNK = 250  # records per message between processes: large enough to amortise, small enough to stay flat
QUEUED_CHUNKS = 8  # per worker


def cores() -> int:
    """The cores this process may run on (a benchmark or an operator may have limited it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _work(box: list, queue, parent: int, prepare) -> None:
    """A worker's share of the files, in order: chunks of records, then the file's own state. `prepare`
    turns each record into the form in which it travels (the ledger's rows, made here in parallel)."""
    interrupts.in_worker()
    files = box[0]
    threading.Thread(target=_orphan_watch, args=(parent,), daemon=True).start()
    for index, path in files:
        chunk: list[Parsed] = []
        try:
            reading = open_input(Path(path), index)
            for parsed in reading.records():
                if prepare is not None:
                    prepare(parsed)
                chunk.append(parsed)
                if len(chunk) >= CHUNK:
                    queue.put(("records", index, chunk))
                    chunk = []
            queue.put(("records", index, chunk))
            queue.put(("end", index, (reading.problems, reading.complete, reading.most_held)))
        except BaseException as err:  # noqa: BLE001 - reported to the batch, which keeps nothing of the file
            # as in a serial run: the records read before the failure count as read, and the error is named
            queue.put(("records", index, chunk))
            queue.put(("failed", index, (type(err).__name__, str(err), traceback.format_exc())))
    queue.close()
    queue.join_thread()


def _orphan_watch(parent: int) -> None:
    """End this worker when the batch is gone (killed): nobody will read what it would still send, and
    a put or the queue's final flush would wait for ever."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


class WorkerFailed(RuntimeError):
    """A worker process met an error (reading a file, deciding a chunk); the batch handles it as it would
    in a serial run and names it as a serial run would (original_type, message; the trace for the log)."""

    def __init__(self, original_type: str, message: str, trace: str = ""):
        super().__init__(message)
        self.original_type = original_type
        self.trace = trace


def described(err: BaseException) -> tuple[str, str]:
    """(type name, trace) of an error as a serial run would give them, had it been met in a worker."""
    return getattr(err, "original_type", type(err).__name__), getattr(err, "trace", "") or traceback.format_exc()


class WorkerGone(Exception):
    """A worker process ended before sending what it owed (killed, out of memory)."""


class ReadAhead:
    """Readings whose records come from worker processes; `records(reading)` replaces reading.records().

    `files`: (name, path) of the input files to read, in the order the batch stores them; each worker
    opens its own files, so the batch keeps no Reading of a file it has not come to yet. `prepare`
    (Parsed -> None, in place) runs on every record in the worker before it is sent."""

    def __init__(self, files: list[tuple[str, str]], workers: int, prepare=None):
        self.workers = workers
        self._where: dict = {}
        self._queues: list = []
        self._procs: list = []
        self._gone: set = set()  # workers that ended early: their files are read here
        if workers < 1:
            return
        context = multiprocessing.get_context("fork")  # the reader's tables come along; the ledger is not used
        shares: list[list] = [[] for _ in range(workers)]
        for i, (name, path) in enumerate(files):
            shares[i % workers].append((name, path))
            self._where[name] = i % workers
        for share in shares:
            queue = context.Queue(QUEUED_CHUNKS)
            box = [share]  # the child has its copy; the parent does not keep the share
            proc = context.Process(target=_work, args=(box, queue, os.getpid(), prepare), daemon=True)
            proc.start()
            box.clear()
            self._queues.append(queue)
            self._procs.append(proc)

    def records(self, reading: Reading) -> Iterator[Parsed]:
        worker = self._where.get(reading.name)
        if worker is None or worker in self._gone:
            yield from reading.records()
            return
        sent = 0  # records of this file passed on to the batch
        done = False
        try:
            while True:
                try:
                    what, payload = self._next(worker, reading)
                except WorkerGone:
                    # Read the file here, past what the worker sent (reading is deterministic, so the batch
                    # gets what a serial run gives); the rest of the worker's files are read here too.
                    done = True
                    self._gone.add(worker)
                    for i, parsed in enumerate(reading.records()):
                        if i >= sent:
                            yield parsed
                    return
                if what == "records":
                    for parsed in payload:
                        sent += 1
                        yield parsed
                elif what == "end":
                    done = True
                    reading.problems, reading.complete, reading.most_held = payload
                    return
                else:
                    done = True
                    raise WorkerFailed(*payload)
        finally:
            while not done and not interrupts.requested():  # the batch stopped storing this file: drop the
                # rest of it, keeping the next in line (unless a signal stopped the batch: nothing is next)
                try:
                    what, payload = self._next(worker, reading)
                except WorkerGone:
                    self._gone.add(worker)
                    break
                done = what != "records"

    def _next(self, worker: int, reading: Reading):
        queue = self._queues[worker]
        while True:
            try:
                what, index, payload = queue.get(timeout=1.0)
            except Empty:
                if self._procs[worker].is_alive():
                    continue
                try:  # it may have sent its last words and ended between the wait and the check
                    what, index, payload = queue.get(timeout=1.0)
                except Empty:
                    raise WorkerGone() from None
            if index != reading.name:  # pragma: no cover - files are consumed in the order they were shared
                raise WorkerFailed("WorkerFailed", f"records of another file arrived while reading {reading.name}")
            return what, payload

    def close(self) -> None:
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()
            proc.join()
        for queue in self._queues:
            queue.close()
