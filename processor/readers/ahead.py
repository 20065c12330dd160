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

from . import Parsed, Reading, open_input

CHUNK = 250  # records per message between processes: large enough to amortise, small enough to stay flat
QUEUED_CHUNKS = 8  # per worker


def cores() -> int:
    """The cores this process may run on (a benchmark or an operator may have limited it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _work(box: list, queue, parent: int) -> None:
    """A worker's share of the files, in order: chunks of records, then the file's own state."""
    files = box[0]
    threading.Thread(target=_orphan_watch, args=(parent,), daemon=True).start()
    for index, path in files:
        try:
            reading = open_input(Path(path), index)
            chunk: list[Parsed] = []
            for parsed in reading.records():
                chunk.append(parsed)
                if len(chunk) >= CHUNK:
                    queue.put(("records", index, chunk))
                    chunk = []
            queue.put(("records", index, chunk))
            queue.put(("end", index, (reading.problems, reading.complete, reading.most_held)))
        except BaseException:  # noqa: BLE001 - reported to the batch, which keeps nothing of the file
            queue.put(("failed", index, traceback.format_exc()))
    queue.close()
    queue.join_thread()


def _orphan_watch(parent: int) -> None:
    """End this worker when the batch is gone (killed): nobody will read what it would still send, and
    a put or the queue's final flush would wait for ever."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


class ReadFailed(RuntimeError):
    """A worker could not read a file; the batch rolls the file back, as it would in a serial run."""


class ReadAhead:
    """Readings whose records come from worker processes; `records(reading)` replaces reading.records().

    `files`: (name, path) of the input files to read, in the order the batch stores them; each worker
    opens its own files, so the batch keeps no Reading of a file it has not come to yet."""

    def __init__(self, files: list[tuple[str, str]], workers: int):
        self.workers = workers
        self._where: dict = {}
        self._queues: list = []
        self._procs: list = []
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
            proc = context.Process(target=_work, args=(box, queue, os.getpid()), daemon=True)
            proc.start()
            box.clear()
            self._queues.append(queue)
            self._procs.append(proc)

    def records(self, reading: Reading) -> Iterator[Parsed]:
        worker = self._where.get(reading.name)
        if worker is None:
            yield from reading.records()
            return
        done = False
        try:
            while True:
                what, payload = self._next(worker, reading)
                if what == "records":
                    yield from payload
                elif what == "end":
                    done = True
                    reading.problems, reading.complete, reading.most_held = payload
                    return
                else:
                    done = True
                    raise ReadFailed(f"reading {reading.name} failed in a worker process: {payload}")
        finally:
            while not done:  # the batch stopped storing this file: drop the rest of it, keep the next in line
                what, payload = self._next(worker, reading)
                done = what != "records"

    def _next(self, worker: int, reading: Reading):
        while True:
            try:
                what, index, payload = self._queues[worker].get(timeout=1.0)
            except Empty:
                if not self._procs[worker].is_alive():
                    raise ReadFailed(f"the worker process reading {reading.name} stopped") from None
                continue
            if index != reading.name:  # pragma: no cover - files are consumed in the order they were shared
                raise ReadFailed(f"records of another file arrived while reading {reading.name}")
            return what, payload

    def close(self) -> None:
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()
            proc.join()
        for queue in self._queues:
            queue.close()
