"""The ledger's records of its own work: batches, their input files, quarantine rows, and the returns
each batch touched (whose lines come up for a decision). Part of every Ledger."""
from __future__ import annotations

import json

from ..problems import ERROR
from .store import CHUNK_KEYS
from .tables import QUARANTINE, RECORD_TABLES

ROWS = "rows_in_force:"  # ledger_meta: a record table's rows, kept as they come and go (rows_in_force)


class Bookkeeping:
    # -- batches and files ------------------------------------------------------------------------
    def batch_exists(self, batch_id: str) -> bool:
        return bool(self.query("SELECT 1 FROM batches WHERE batch_id = ?", (batch_id,)))

    def start_batch(self, batch_id: str, started_at: str, version: str, parameters: dict, inbox: str,
                    reference_hash: str | None = None) -> None:
        self.execute("INSERT INTO batches (batch_id, started_at, software_version, parameters, inbox, reference_hash) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (batch_id, started_at, version,
                                                   json.dumps(parameters, sort_keys=True), inbox, reference_hash))
        # What this batch read that other lines hang on, for the decide stage: export lists whose state
        # changed or that were read again (their invtNo), and the batches that first stored what was read
        # again (a rerun reports their rows again: CONTRACT.md 6). This connection's own, rolled back with it.
        self.execute("CREATE TEMP TABLE IF NOT EXISTS touched_lists (invt_no TEXT PRIMARY KEY)")
        self.execute("CREATE TEMP TABLE IF NOT EXISTS echoed_batches (batch_id TEXT PRIMARY KEY)")
        self.execute("DELETE FROM touched_lists")
        self.execute("DELETE FROM echoed_batches")

    def finish_batch(self, batch_id: str, finished_at: str) -> None:
        self.execute("UPDATE batches SET finished_at = ? WHERE batch_id = ?", (finished_at, batch_id))

    def record_file(self, batch_id: str, name: str, sha256: str, size: int, kind: str, counts: dict,
                    complete: bool) -> None:
        self.execute("INSERT INTO input_files (batch_id, file_name, sha256, size_bytes, kind, records_read, stored, "
                     "quarantined, duplicates, complete) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (batch_id, name, sha256, size, kind, counts["read"], counts["stored"], counts["quarantined"],
                      counts["duplicates"], int(complete)))

    def record_summary(self, batch_id: str, text: str) -> None:
        self.execute("INSERT INTO batch_summaries (batch_id, summary) VALUES (?, ?)", (batch_id, text))

    def stored_summary(self, batch_id: str) -> str | None:
        found = self.query("SELECT summary FROM batch_summaries WHERE batch_id = ?", (batch_id,))
        return found[0][0] if found else None

    def record_quarantine(self, batch_id: str, problems: list, first_seq: int) -> int:
        """Store the errors among `problems`; returns the next sequence number."""
        rows = [(batch_id, first_seq + i, p.file, p.line, p.kind, p.record_key, p.field, p.problem, p.expected)
                for i, p in enumerate(p for p in problems if p.severity == ERROR)]
        self.append(QUARANTINE, rows)
        return first_seq + len(rows)

    def quarantined(self, batch_id: str):
        """The batch's quarantine rows in the order they were found, streamed."""
        yield from self.stream("SELECT file_name, line, kind, record_key, field, problem, expected FROM quarantine "
                               "WHERE batch_id = ? ORDER BY seq", (batch_id,))

    def touch(self, batch_id: str, co_el_nos) -> None:
        self.executemany("INSERT INTO batch_touched (batch_id, co_el_no) VALUES (?, ?) ON CONFLICT DO NOTHING",
                         [(batch_id, co) for co in co_el_nos])

    def touch_lists(self, invt_nos) -> None:
        """Export lists (by invtNo) stored, replaced, numbered, voided or read again in this batch: the lines
        naming them come up."""
        self.executemany("INSERT INTO touched_lists (invt_no) VALUES (?) ON CONFLICT DO NOTHING",
                         [(i,) for i in set(invt_nos) if i])

    def echoed(self, batch_ids) -> None:
        """Batches that first stored records this batch read again."""
        self.executemany("INSERT INTO echoed_batches (batch_id) VALUES (?) ON CONFLICT DO NOTHING",
                         [(b,) for b in set(batch_ids)])

    def echoes(self) -> list:
        return [r[0] for r in self.query("SELECT batch_id FROM echoed_batches ORDER BY batch_id")]

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

    def counted(self, table: str, added: int) -> None:
        """Rows added to (or, negative, deleted from) a record table, kept in ledger_meta in the same transaction
        (so a file or a batch rolled back takes its count back too): counting 27M export items at the end of
        each night took longer every night, up to a minute (docs/performance.md, session 12)."""
        if added and table in RECORD_TABLES:
            self.execute("UPDATE ledger_meta SET value = CAST(CAST(value AS BIGINT) + ? AS TEXT) WHERE name = ?",
                         (added, ROWS + table))

    def rows_kept(self) -> dict:
        """table -> the rows counted() keeps for it (the record tables kept so far)."""
        kept = self.query("SELECT name, value FROM ledger_meta WHERE name LIKE ?", (ROWS + "%",))
        return {name[len(ROWS):]: int(value) for name, value in kept if name[len(ROWS):] in RECORD_TABLES}

    def rows_in_force(self, tables=RECORD_TABLES) -> dict:
        """table -> its rows, as counted(): a table not yet kept (a new ledger, or one from before this
        release) is counted once, here, and kept from then on."""
        kept = self.rows_kept()
        for t in tables:
            if t not in kept:
                kept[t] = self.count(t)
                self.execute("INSERT INTO ledger_meta (name, value) VALUES (?, ?)", (ROWS + t, str(kept[t])))
        return {t: kept[t] for t in tables}

