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

from processor.ledger.base import SCHEMA_SQL  # noqa: E402
from processor.ledger.tables import EXPORT_ITEMS, EXPORT_LISTS  # noqa: E402
from processor.ledger.sqlite import CACHE_KIB  # noqa: E402
from processor.readers import fast_path  # noqa: E402
from processor.readers.messages import BY_NAME, CEB_NS  # noqa: E402
from processor.readers.plain import PlainScan  # noqa: E402


def parse_file(path: Path, fast, kind) -> tuple[list, list, list, int]:
    """(lists, items, journal rows) of one file: scanning, matching, rows and hashes only. The rows have
    the ledger's keys (ebcCode|copNo, invtNo), so the indexes see what a run gives them; the other
    columns take the matched texts in schema order (the floor does not map fields)."""
    scan = PlainScan(path, kind.record_tag, kind.namespace, CEB_NS)
    lists, items, journal = [], [], []
    compiled = None
    for text, line in scan.records():
        if compiled is None:
            _form, head, item, extra = compiled = fast._compile(scan.prefix)
            ebc, cop, invt = (head.names.index(n) for n in ("ebcCode", "copNo", "invtNo"))
            n_head, n_item = len(EXPORT_LISTS.columns) - 5, len(EXPORT_ITEMS.columns) - 1
        parts = fast._nested(text, extra, head, item)
        if parts is None:
            continue  # a list the run would read another way: not the floor's business
        hm, ims = parts
        hg = hm.groups()
        h = hashlib.sha256("\x1f".join([g for g in hg if g is not None]).encode()).hexdigest()
        key = f"{hg[ebc]}|{hg[cop]}"
        lists.append((key, hg[cop], hg[invt] or None) + tuple(g or "" for g in hg[:n_head]) + (h, "floor"))
        for im in ims:
            ig = im.groups()
            items.append((key, int(ig[0])) + tuple(g or "" for g in ig[1:n_item]))
        journal.append(("CEB603", h, key, "floor", "file", line, "current"))
    return lists, items, journal, len(items)


def run(night: Path, db: Path) -> dict:
    """Each file parsed, then stored in its savepoint (memory stays flat); the two timed apart."""
    kind = BY_NAME["CEB603"]
    fast = fast_path("CEB603")
    conn = sqlite3.connect(str(db), isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", f"cache_size=-{CACHE_KIB}", "temp_store=FILE"):
        conn.execute(f"PRAGMA {pragma}")
    text = "\n".join(line.split("--", 1)[0] for line in SCHEMA_SQL.splitlines())
    for statement in text.split(";"):
        if statement.strip():
            conn.execute(statement)
    marks = lambda n: ",".join("?" * n)  # noqa: E731
    conn.execute("BEGIN IMMEDIATE")
    parse_s = sqlite_s = 0.0
    n_items = n_files = 0
    for path in sorted(night.glob("CEB603*.xml")):
        t = time.perf_counter()
        lists, items, journal, count = parse_file(path, fast, kind)
        t1 = time.perf_counter()
        conn.execute("SAVEPOINT input_file")
        conn.executemany(f"INSERT INTO journal (kind, content_hash, record_key, batch_id, file_sha256, line, "
                         f"outcome) VALUES ({marks(7)})", journal)
        conn.executemany(f"INSERT OR IGNORE INTO export_lists ({', '.join(EXPORT_LISTS.columns)}) VALUES "
                         f"({marks(len(EXPORT_LISTS.columns))})", lists)
        conn.executemany(f"INSERT OR IGNORE INTO export_items ({', '.join(EXPORT_ITEMS.columns)}) VALUES "
                         f"({marks(len(EXPORT_ITEMS.columns))})", items)
        conn.execute("RELEASE SAVEPOINT input_file")
        parse_s += t1 - t
        sqlite_s += time.perf_counter() - t1
        n_items += count
        n_files += 1
    t = time.perf_counter()
    conn.execute("COMMIT")
    conn.close()
    return {"parse_s": round(parse_s, 2), "sqlite_s": round(sqlite_s, 2),
            "commit_s": round(time.perf_counter() - t, 2), "items": n_items, "files": n_files}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(run(Path(sys.argv[1]), Path(tmp) / "floor.sqlite")))


if __name__ == "__main__":
    main()
