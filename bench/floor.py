"""The floor: the least work this design could do for the export lists of a night, on one core.

It scans each CEB603 file with the processor's own plain scanner, matches each list with the fast
path's compiled expressions, makes the ledger's rows straight from the matched texts with a content
hash, and inserts them into a fresh ledger with the processor's schema (one transaction, a savepoint
per file, as a batch does). It skips everything else a run does: the checks an expression cannot
make, records, warnings, duplicate and version look-ups, returns and claims, deciding, reports. No
real run can be faster than this on one core; bench.py prints it beside the raw parse, so the ratio
targets can be judged against what the design can reach at best.

    python bench/floor.py NIGHT_DIR      (prints one JSON line: parse_s, sqlite_s, commit_s, items)
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processor.ledger.base import ITEM_COLUMNS, LIST_COLUMNS, SCHEMA_SQL  # noqa: E402
from processor.ledger.sqlite import CACHE_KIB  # noqa: E402
from processor.readers import fast_path  # noqa: E402
from processor.readers.messages import BY_NAME, CEB_NS  # noqa: E402
from processor.readers.plain import PlainScan  # noqa: E402


def parse(night: Path) -> tuple[list, int]:
    """[(lists, items, journal rows) of each file], items: scanning, matching, rows and hashes only."""
    kind = BY_NAME["CEB603"]
    fast = fast_path("CEB603")
    files, n_items = [], 0
    for path in sorted(night.glob("CEB603*.xml")):
        scan = PlainScan(path, kind.record_tag, kind.namespace, CEB_NS)
        lists, items, journal = [], [], []
        compiled = None
        for text, line in scan.records():
            if compiled is None:
                _form, head, item, extra = compiled = fast._compile(scan.prefix)
            parts = fast._nested(text, extra, head, item)
            if parts is None:
                continue  # a list the run would read another way: not the floor's business
            hm, ims = parts
            hg = hm.groups()
            h = hashlib.sha256("\x1f".join([g for g in hg if g is not None]).encode()).hexdigest()
            key = f"{hg[0]}|{hg[1]}"
            lists.append((key,) + tuple(g or "" for g in hg[1:len(LIST_COLUMNS) - 2]) + (h, "floor"))
            for im in ims:
                items.append((key,) + tuple(g or "" for g in im.groups()[1:len(ITEM_COLUMNS)]))
                n_items += 1
            journal.append(("CEB603", h, key, "floor", "file", line, "current"))
        files.append((lists, items, journal))
    return files, n_items


def store(files: list, db: Path) -> tuple[float, float]:
    conn = sqlite3.connect(str(db), isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", f"cache_size=-{CACHE_KIB}", "temp_store=FILE"):
        conn.execute(f"PRAGMA {pragma}")
    text = "\n".join(line.split("--", 1)[0] for line in SCHEMA_SQL.splitlines())
    for statement in text.split(";"):
        if statement.strip():
            conn.execute(statement)
    marks = lambda n: ",".join("?" * n)  # noqa: E731
    conn.execute("BEGIN IMMEDIATE")
    t = time.perf_counter()
    for n, (lists, items, journal) in enumerate(files):
        conn.execute("SAVEPOINT input_file")
        conn.executemany(f"INSERT INTO journal (kind, content_hash, record_key, batch_id, file_sha256, line, "
                         f"outcome) VALUES ({marks(7)})", journal)
        conn.executemany(f"INSERT INTO export_lists ({', '.join(LIST_COLUMNS)}) VALUES ({marks(len(LIST_COLUMNS))})",
                         [(f"{r[0]}#{n}",) + r[1:2] + (None,) + r[3:] for r in lists])
        conn.executemany(f"INSERT INTO export_items ({', '.join(ITEM_COLUMNS)}) VALUES ({marks(len(ITEM_COLUMNS))})",
                         [(f"{r[0]}#{n}", i) + r[2:] for i, r in enumerate(items)])
        conn.execute("RELEASE SAVEPOINT input_file")
    stored = time.perf_counter() - t
    t = time.perf_counter()
    conn.execute("COMMIT")
    conn.close()
    return stored, time.perf_counter() - t


def main() -> None:
    night = Path(sys.argv[1])
    t = time.perf_counter()
    files, n_items = parse(night)
    parse_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_s, commit_s = store(files, Path(tmp) / "floor.sqlite")
    print(json.dumps({"parse_s": round(parse_s, 2), "sqlite_s": round(sqlite_s, 2), "commit_s": round(commit_s, 2),
                      "items": n_items, "files": len(files)}))


if __name__ == "__main__":
    main()
