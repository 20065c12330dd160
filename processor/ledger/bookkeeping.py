"""The ledger's records of its own work: batches, their input files, quarantine rows, and the returns
each batch touched (whose lines come up for a decision). Part of every Ledger."""
from __future__ import annotations

import json

from ..problems import ERROR
from .store import CHUNK_KEYS


class Bookkeeping:
    # -- batches and files ------------------------------------------------------------------------
    def batch_exists(self, batch_id: str) -> bool:
        return bool(self.query("SELECT 1 FROM batches WHERE batch_id = ?", (batch_id,)))

    def start_batch(self, batch_id: str, started_at: str, version: str, parameters: dict, inbox: str) -> None:
        self.execute("INSERT INTO batches (batch_id, started_at, software_version, parameters, inbox) "
                     "VALUES (?, ?, ?, ?, ?)", (batch_id, started_at, version, json.dumps(parameters,
                                                                                        sort_keys=True), inbox))

    def finish_batch(self, batch_id: str, finished_at: str) -> None:
        self.execute("UPDATE batches SET finished_at = ? WHERE batch_id = ?", (finished_at, batch_id))

    def record_file(self, batch_id: str, name: str, sha256: str, size: int, kind: str, counts: dict,
                    complete: bool) -> None:
        self.execute("INSERT INTO input_files (batch_id, file_name, sha256, size_bytes, kind, records_read, stored, "
                     "quarantined, duplicates, complete) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (batch_id, name, sha256, size, kind, counts["read"], counts["stored"], counts["quarantined"],
                      counts["duplicates"], int(complete)))

    def record_quarantine(self, batch_id: str, problems: list, first_seq: int) -> int:
        """Store the errors among `problems`; returns the next sequence number."""
        rows = [(batch_id, first_seq + i, p.file, p.line, p.kind, p.record_key, p.field, p.problem, p.expected)
                for i, p in enumerate(p for p in problems if p.severity == ERROR)]
        self.executemany("INSERT INTO quarantine (batch_id, seq, file_name, line, kind, record_key, field, problem, "
                         "expected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return first_seq + len(rows)

    def quarantined(self, batch_id: str):
        """The batch's quarantine rows in the order they were found, streamed."""
        yield from self.stream("SELECT file_name, line, kind, record_key, field, problem, expected FROM quarantine "
                               "WHERE batch_id = ? ORDER BY seq", (batch_id,))

    def touch(self, batch_id: str, co_el_nos) -> None:
        self.executemany("INSERT INTO batch_touched (batch_id, co_el_no) VALUES (?, ?) ON CONFLICT DO NOTHING",
                         [(batch_id, co) for co in co_el_nos])

    def touched(self, batch_id: str, chunk: int = CHUNK_KEYS):
        """The coElNo read in this batch, a chunk at a time."""
        last = ""
        while True:
            rows = self.query("SELECT co_el_no FROM batch_touched WHERE batch_id = ? AND co_el_no > ? "
                              f"ORDER BY co_el_no LIMIT {int(chunk)}", (batch_id, last))
            if not rows:
                return
            yield [r[0] for r in rows]
            last = rows[-1][0]

    def count(self, table: str) -> int:
        return self.query(f"SELECT COUNT(*) FROM {table}")[0][0]  # noqa: S608 - table names are ours

