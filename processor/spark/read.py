"""Reading on the executors: each inbox file read whole by one task with the project's own readers (the
same validation, the same quarantine rows), its records sent on as rows of the night's frame.

A row is a record (`rec`: its kind, ledger key, content hash, the fields its version is ordered by, and the
record itself, pickled), a problem (`prob`), or the file's own account (`file`: kind, completeness, counts,
or why it failed). `pos` orders the problems of a file as the embedded batch finds them: a record's own
problems after it is read, the conflicts storing finds when a chunk of CHUNK_RECORDS is stored, the file's
problems at its end (stages/ingest.py).
"""
from __future__ import annotations

import pickle
from ..ledger.store import as_rows, ledger_key
from ..ledger.tables import to_ledger
from ..problems import ERROR, Problem
from ..readers import FILE
from ..stages.ingest import CHUNK_RECORDS
from ..stages.intake import FileChanged, InputFile
from .frames import arrow_of, batches_of

READ = {"tag": "str", "idx": "int", "seq": "int", "pos": "int", "kind": "str", "key": "str", "pkey": "str",
        "file": "str", "sha256": "str", "content_hash": "str",
        "invt_no": "str", "app_time": "str", "app_type": "str", "lines": "int", "line": "int", "payload": "bin"}
END = 1 << 40  # a file's own problems come after every record's


def read_bins(bins: list):
    """mapInArrow over a range with one id per task: the files of bin `id`, read in turn -> READ rows."""
    schema = arrow_of(READ)

    def run(batches):
        for batch in batches:
            for b in batch.column("id").to_pylist():
                for f in bins[b]:
                    yield from batches_of(read_one(f), schema)
    return run


def _row(tag, idx, **kw) -> dict:
    out = dict.fromkeys(READ)
    out.update(tag=tag, idx=idx, **kw)
    return out


def _problem(idx: int, pos: int, sub: int, p: Problem) -> dict:
    return _row("prob", idx, seq=sub, pos=pos, kind=p.severity, payload=pickle.dumps(p))


def read_one(f: dict):
    idx = f["idx"]
    identity = tuple(pickle.loads(f["identity"])) if f["identity"] else None
    source = InputFile(f["path"], f["name"], "", 0, 0, identity=identity)
    reading = source.open()
    kind = reading.kind.name if reading.kind else FILE
    read = items = quarantined = 0
    chunk: list = []
    problems: list = []  # this file's, with their order: kept whole only if the file is read to its end
    seq = 0

    def flush():
        last = chunk[-1]["seq"]
        for r in chunk:
            r["pos"] = 2 * last + 1  # conflicts found storing this chunk come after its records' problems
        out = list(chunk)
        chunk.clear()
        return out

    emitted: list = []
    try:
        for parsed in reading.records():
            seq += 1
            read += 1
            items += parsed.lines
            problems.extend((2 * seq, i, p) for i, p in enumerate(parsed.problems))
            if parsed.record is None:
                quarantined += 1
                emitted.append(_row("void", idx, seq=seq, kind=kind, lines=parsed.lines))
                continue
            as_rows(parsed)
            rec = parsed.record
            chunk.append(_row(
                "rec", idx, seq=seq, kind=kind, key=ledger_key(kind, rec), pkey=parsed.key, file=f["name"],
                sha256=f["sha256"],
                content_hash=parsed.content_hash,
                invt_no=getattr(rec, "invt_no", None) or None, app_time=_app_time(rec),
                app_type=getattr(rec, "app_type", None), lines=parsed.lines, line=parsed.line,
                payload=pickle.dumps(rec, protocol=pickle.HIGHEST_PROTOCOL)))
            if len(chunk) >= CHUNK_RECORDS:
                emitted.extend(flush())
        if chunk:
            emitted.extend(flush())
        if reading.kind is not None:
            source.check_unchanged()
        problems.extend((END, i, p) for i, p in enumerate(reading.problems))
        failed = None
    except Exception as err:  # noqa: BLE001 - one file's failure must not sink the batch (stages/ingest.py)
        failed = (type(err).__name__, str(err), isinstance(err, FileChanged))
        problems = [(pos, i, p) for pos, i, p in problems if p.severity == ERROR]
        if isinstance(err, FileChanged):
            problems.append((END, 0, Problem(f["name"], None, kind, "", "", f"{err}; nothing of it was kept",
                                             "a file that is not written to while the batch reads it")))
        else:
            problems.append((END, 0, Problem(f["name"], None, kind, "", "", f"the file could not be stored "
                                             f"({type(err).__name__}: {err}); nothing of it was kept",
                                             "a file the processor can store (see processor.log)")))
        emitted = []
    yield from emitted
    for pos, sub, p in problems:
        yield _problem(idx, pos, sub, p)
    account = {"kind": reading.kind.name if reading.kind else None, "root": reading.root or None,
               "complete": reading.complete, "read": read, "items": items, "quarantined": quarantined,
               "failed": failed, "changed": source.changed}
    yield _row("file", idx, kind=kind, payload=pickle.dumps(account))


def _app_time(rec) -> str | None:
    t = getattr(rec, "app_time", None)
    return t if isinstance(t, str) or t is None else to_ledger(t)


def read_night(spark, files: list, tasks: int):
    """The night's frame: READ rows of every input file (InputFile, in batch order), read on the executors.
    The files are dealt, largest first, into at most `tasks` bins of about equal bytes, a task per bin: a Python
    task costs tens of milliseconds to start, more than reading a small file."""
    from .frames import schema_of

    n = max(1, min(tasks, len(files)))
    bins: list = [[] for _ in range(n)]
    load = [0] * n
    for i, f in sorted(enumerate(files), key=lambda x: (-x[1].size, x[0])):
        b = load.index(min(load))
        bins[b].append({"idx": i, "name": f.name, "path": f.path, "sha256": f.sha256,
                        "identity": pickle.dumps(f.identity) if f.identity else None})
        load[b] += f.size + 1
    return spark.range(0, n, 1, n).mapInArrow(read_bins(bins), schema_of(READ))
