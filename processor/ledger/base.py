"""The ledger interface, in portable SQL over a DB-API connection.

One batch is one transaction; each input file is a savepoint inside it, so a file is stored
entirely or not at all and a batch that cannot complete leaves nothing behind. Records are written
in bulk, a chunk at a time. Backends (SQLite, PostgreSQL) differ only in how they connect, their
parameter marker and how they take the writer's lock.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

from ..problems import ERROR, WARNING, Problem

SCHEMA_SQL = (Path(__file__).with_name("schema.sql")).read_text(encoding="utf-8")
SCHEMA_VERSION = "1"
CHUNK_KEYS = 500  # keys per IN (...) look-up: well under every backend's parameter limit


def _s(value) -> str | None:
    """Decimal, date, datetime and bool to their ledger text; None stays NULL."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


@dataclass
class StoreResult:
    """What became of each record of a chunk: stored, duplicate, or quarantined (a conflict)."""

    outcomes: list = field(default_factory=list)  # aligned with the chunk: "stored" | "duplicate" | "quarantined"
    problems: list = field(default_factory=list)  # the conflicts, as quarantine problems


class LedgerBusy(RuntimeError):
    """Another batch holds the ledger: batches on one ledger never interleave."""


class Ledger:
    """Portable ledger logic; subclasses provide `connect` and the SQL dialect details."""

    marker = "?"
    code_point_order = ""  # a column collation that compares text by code point (SQLite's BINARY is the default)

    def __init__(self, conn, url: str):
        self.conn = conn
        self.url = url
        self._savepoint = None

    # -- plumbing -------------------------------------------------------------------------------
    def sql(self, text: str) -> str:
        return text if self.marker == "?" else text.replace("?", self.marker)

    def execute(self, text: str, params=()):
        cur = self.conn.cursor()
        cur.execute(self.sql(text), params)
        return cur

    def executemany(self, text: str, rows) -> None:
        if rows:
            self.conn.cursor().executemany(self.sql(text), rows)

    def query(self, text: str, params=()) -> list:
        return self.execute(text, params).fetchall()

    def stream(self, text: str, params=(), size: int = 1000):
        """The rows of a query that may be long (a report's), a block at a time, in bounded memory."""
        cur = self._stream_cursor()
        try:
            cur.execute(self.sql(text), params)
            while rows := cur.fetchmany(size):
                yield from rows
        finally:
            cur.close()

    def _stream_cursor(self):
        """A cursor that fetches as it is read (a backend whose plain cursor fetches all at once overrides it)."""
        return self.conn.cursor()

    def schema_version(self) -> str | None:
        try:
            rows = self.query("SELECT value FROM ledger_meta WHERE name = 'schema_version'")
        except Exception:  # noqa: BLE001 - no table yet: a new ledger
            self.rollback()
            return None
        return rows[0][0] if rows else None

    def create_schema(self) -> None:
        """Create the tables of a new ledger; an existing one is only read, so no write lock is taken."""
        if self.schema_version() == SCHEMA_VERSION:
            return
        text = "\n".join(line.split("--", 1)[0] for line in SCHEMA_SQL.splitlines())
        for statement in text.split(";"):
            if statement.strip():
                self.execute(statement)
        self.execute("INSERT INTO ledger_meta (name, value) VALUES ('schema_version', ?) "
                     "ON CONFLICT (name) DO NOTHING", (SCHEMA_VERSION,))

    def begin(self) -> None:
        self.execute("BEGIN")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        try:
            self.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - nothing open to roll back
            pass

    def file_begin(self) -> None:
        self.execute("SAVEPOINT input_file")

    def file_commit(self) -> None:
        self.execute("RELEASE SAVEPOINT input_file")

    def file_rollback(self) -> None:
        self.execute("ROLLBACK TO SAVEPOINT input_file")
        self.execute("RELEASE SAVEPOINT input_file")

    def close(self) -> None:
        self.conn.close()

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

    # -- storing records ------------------------------------------------------------------------------
    def _known_hashes(self, kind: str, hashes: list) -> set:
        known: set = set()
        for i in range(0, len(hashes), CHUNK_KEYS):
            part = hashes[i:i + CHUNK_KEYS]
            marks = ",".join("?" * len(part))
            known.update(h for (h,) in self.query(
                f"SELECT content_hash FROM journal WHERE kind = ? AND content_hash IN ({marks})", [kind, *part]))
        return known

    def _lookup(self, select: str, column: str, keys: list, params=()) -> list:
        """Rows of `select` (whose own parameters are `params`) with `column` in keys, a chunk at a time."""
        rows: list = []
        keys = list(dict.fromkeys(keys))
        for i in range(0, len(keys), CHUNK_KEYS):
            part = keys[i:i + CHUNK_KEYS]
            marks = ",".join("?" * len(part))
            joiner = " AND " if " WHERE " in select else " WHERE "
            rows += self.query(f"{select}{joiner}{column} IN ({marks})", [*params, *part])
        return rows

    def store(self, kind: str, parsed: list, batch_id: str, file_sha: str) -> StoreResult:
        """Store a chunk of built records of one kind; recognise duplicates; report conflicts."""
        result = StoreResult()
        known = self._known_hashes(kind, [p.content_hash for p in parsed])
        fresh = []
        for p in parsed:
            if p.content_hash in known:
                result.outcomes.append("duplicate")
            else:
                known.add(p.content_hash)
                fresh.append(p)
                result.outcomes.append(None)
        if not fresh:
            return result
        outcomes = iter(STORERS[kind](self, fresh, batch_id, result))
        journal = []
        for i, p in enumerate(parsed):
            if result.outcomes[i] is not None:
                continue
            outcome = next(outcomes)
            if outcome is None:
                result.outcomes[i] = "quarantined"
                continue
            result.outcomes[i] = "stored"
            journal.append((kind, p.content_hash, ledger_key(kind, p.record), batch_id, file_sha, p.line, outcome))
        self.executemany("INSERT INTO journal (kind, content_hash, record_key, batch_id, file_sha256, line, outcome) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", journal)
        return result

    def _store_versioned(self, fresh, batch_id, result, *, table, key_of, key_column, child_table, head_row,
                         child_rows, head_columns, child_columns, unique_check=None):
        """Keyed records that later versions replace: the latest (appTime, appType) is in force.

        An older version is kept in the journal as superseded; a different record with the same key,
        time and type is a conflict and quarantined (the sender must send a change, appType 2).
        """
        keys = [key_of(p.record) for p in fresh]
        current = {k: (t, a, h) for k, t, a, h in self._lookup(
            f"SELECT {key_column}, app_time, app_type, content_hash FROM {table}", key_column, keys)}
        owners = unique_check(self, fresh) if unique_check else {}
        pending: dict = {}
        replace: set = set()
        outcomes = []
        for p, key in zip(fresh, keys):
            rec = p.record
            version = (_s(rec.app_time), rec.app_type)
            if unique_check:
                invt = rec.invt_no
                owner = owners.get(invt) if invt else None
                if owner is not None and owner != key:
                    result.problems.append(Problem(p.file, p.line, p.kind, p.key, "InventoryHead/invtNo",
                                                   f"invtNo {invt} already belongs to list {owner}",
                                                   "an invtNo not used by another list"))
                    outcomes.append(None)
                    continue
            held = current.get(key)
            if held is not None:
                held_version = (held[0], held[1])
                if version < held_version:
                    outcomes.append("superseded")
                    continue
                if version == held_version:
                    result.problems.append(Problem(
                        p.file, p.line, p.kind, p.key, "",
                        f"a different record with the same key, appTime and appType is already stored "
                        f"(content {held[2][:12]})", "a change sent as appType 2 with a later appTime"))
                    outcomes.append(None)
                    continue
                if key not in pending:
                    replace.add(key)
            current[key] = (version[0], version[1], p.content_hash)
            if unique_check and rec.invt_no:
                owners[rec.invt_no] = key
            pending[key] = p
            outcomes.append("current")
        if replace:
            # superseded in-force versions: demote their journal entries and remove their rows
            for k in replace:
                self.execute(f"DELETE FROM {child_table} WHERE {key_column} = ?", (k,))
                self.execute(f"DELETE FROM {table} WHERE {key_column} = ?", (k,))
        self.executemany("UPDATE journal SET outcome = 'superseded' WHERE kind = ? AND record_key = ? "
                         "AND outcome = 'current'", [(fresh[0].kind, k) for k in replace])
        heads, children = [], []
        for key, p in pending.items():
            heads.append(head_row(p, batch_id))
            children.extend(child_rows(p.record, key))
        self.executemany(f"INSERT INTO {table} ({', '.join(head_columns)}) VALUES "
                         f"({', '.join('?' * len(head_columns))})", heads)
        self.executemany(f"INSERT INTO {child_table} ({', '.join(child_columns)}) VALUES "
                         f"({', '.join('?' * len(child_columns))})", children)
        # outcomes of records replaced later in the same chunk
        final = []
        for p, key, outcome in zip(fresh, keys, outcomes):
            if outcome == "current" and pending.get(key) is not p:
                outcome = "superseded"
            final.append(outcome)
        return final

    # -- settling: apply receipts and cancellations, whatever order they came in ----------------------
    def settle(self, batch_id: str) -> list:
        """Fill invtNo from CEB604 receipts, void refused/cancelled/deleted lists, withdraw returns.

        A refused list (status 100) keeps the invtNo its receipt names, so that a return against it is
        found and rejected as EXPORT_VOID rather than as an unknown export.
        """
        problems = []
        rows = self.query(
            "SELECT l.list_key, r.invt_no, r.return_time FROM export_lists l JOIN list_receipts r "
            "ON r.list_key = l.list_key WHERE l.invt_no IS NULL AND r.invt_no <> '' "
            "ORDER BY l.list_key, r.return_time")
        wanted: dict = {}
        for key, invt_no, _t in rows:
            wanted.setdefault(key, invt_no)
        taken = {i: k for k, i in self._lookup("SELECT list_key, invt_no FROM export_lists", "invt_no",
                                               list(wanted.values()))}
        fills = []
        for key, invt_no in wanted.items():
            if invt_no in taken and taken[invt_no] != key:
                problems.append(Problem("", None, "CEB604", f"list={key}", "invtNo",
                                        f"receipt gives invtNo {invt_no}, already held by list {taken[invt_no]}",
                                        "an invtNo not used by another list", WARNING))
                continue
            taken[invt_no] = key
            fills.append((invt_no, batch_id, key))
        self.executemany("UPDATE export_lists SET invt_no = ?, invt_batch_id = ? WHERE list_key = ?", fills)
        self.execute(
            "UPDATE export_lists SET void_reason = CASE "
            " WHEN EXISTS (SELECT 1 FROM list_cancels c WHERE c.invt_no = export_lists.invt_no) "
            "   THEN 'cancelled (CEB605)' "
            " WHEN EXISTS (SELECT 1 FROM list_receipts r WHERE r.list_key = export_lists.list_key "
            "   AND r.return_status = '100') THEN 'refused by customs (CEB604 status 100)' "
            " WHEN app_type = '3' THEN 'deleted by the sender (appType 3)' ELSE NULL END "
            "WHERE batch_id = ? OR invt_batch_id = ? "
            " OR invt_no IN (SELECT invt_no FROM list_cancels WHERE batch_id = ?) "
            " OR list_key IN (SELECT list_key FROM list_receipts WHERE batch_id = ?)",
            (batch_id, batch_id, batch_id, batch_id))
        self.execute(
            "UPDATE return_apps SET withdrawn = CASE "
            " WHEN app_type = '3' THEN 'deleted by the sender (appType 3)' "
            " WHEN EXISTS (SELECT 1 FROM return_receipts x WHERE x.co_el_no = return_apps.co_el_no "
            "   AND x.return_status = '100') THEN 'refused by customs (CEB214 status 100)' ELSE NULL END "
            "WHERE batch_id = ? OR co_el_no IN (SELECT co_el_no FROM return_receipts WHERE batch_id = ?)",
            (batch_id, batch_id))
        return problems


def ledger_key(kind: str, record) -> str:
    """The key a record is kept under: the list, the cancelled invtNo, or the return it concerns."""
    if kind in ("CEB603", "CEB604"):
        return record.list_key
    if kind == "CEB605":
        return record.invt_no
    return record.co_el_no


# -- per-kind storers ---------------------------------------------------------------------------------
LIST_COLUMNS = ("list_key", "cop_no", "invt_no", "pre_no", "ebc_code", "ebp_code", "agent_code", "owner_code",
                "customs_code", "port_code", "trade_mode", "ie_flag", "ie_date", "app_type", "app_time",
                "app_status", "statistics_flag", "iac_code", "ems_no", "order_no", "logistics_no", "variant",
                "content_hash", "batch_id")
ITEM_COLUMNS = ("list_key", "gnum", "item_no", "item_name", "gcode", "gname", "gmodel", "country", "currency",
                "qty", "qty1", "qty2", "unit", "unit1", "unit2", "price", "total_price")
RETURN_COLUMNS = ("co_el_no", "invt_no", "pre_no", "app_type", "app_time", "app_status", "customs_code",
                  "ebp_code", "ebc_code", "agent_code", "logistics_no", "trade_mode", "reason", "content_hash",
                  "batch_id")
LINE_COLUMNS = ("co_el_no", "gnum", "gcode", "gname", "gmodel", "qty", "qty1", "unit", "unit1", "qty2", "unit2")
CLAIM_COLUMNS = ("co_el_no", "invt_no", "return_date", "reason_code", "self_declaration_no", "return_record_no",
                 "return_agreement_no", "certificate_type", "certificate_no", "zone_exit_date", "content_hash",
                 "batch_id")
CLAIM_ITEM_COLUMNS = ("co_el_no", "gnum", "accessories_added", "processed", "used", "trial_use_evidence",
                      "export_duty_paid", "refunded_vat", "refunded_ct", "customs_value")


class ListRows(NamedTuple):
    """An export list as its ledger rows: the form in which a list read in a reader process travels to
    the batch. Strings and tuples only, so pickling is all C; the rows are made where reading runs in
    parallel, and the writer only inserts them."""

    list_key: str
    invt_no: str | None
    app_type: str
    app_time: str  # as the ledger keeps it (ISO)
    head: tuple  # LIST_COLUMNS but content_hash and batch_id
    items: tuple  # ITEM_COLUMNS rows


def as_rows(parsed) -> None:
    """Give a parsed export list its travelling form (ListRows); other records travel as they are."""
    rec = parsed.record
    if parsed.kind == "CEB603" and rec is not None and type(rec) is not ListRows:
        key = rec.list_key
        parsed.record = ListRows(key, rec.invt_no, rec.app_type, rec.app_time.isoformat(),
                                 _list_row(parsed, None)[:-2], tuple(_item_rows(rec, key)))


def _d(value) -> str | None:
    """A Decimal as the text it was declared with (None stays NULL)."""
    return None if value is None else str(value)


def _list_row(p, batch_id: str) -> tuple:
    """LIST_COLUMNS, written out: this runs once per export list of the night."""
    r = p.record
    if type(r) is ListRows:
        return r.head + (p.content_hash, batch_id)
    return (r.list_key, r.cop_no, r.invt_no, r.pre_no, r.ebc_code, r.ebp_code, r.agent_code, r.owner_code,
            r.customs_code, r.port_code, r.trade_mode, r.ie_flag, r.ie_date.isoformat(), r.app_type,
            r.app_time.isoformat(), r.app_status, r.statistics_flag, r.iac_code, r.ems_no, r.order_no,
            r.logistics_no, r.variant, p.content_hash, batch_id)


def _item_rows(rec, key: str) -> list:
    """ITEM_COLUMNS, written out: this runs once per export item of the night."""
    if type(rec) is ListRows:
        return rec.items
    return [(key, it.gnum, it.item_no, it.item_name, it.gcode, it.gname, it.gmodel, it.country, it.currency,
             str(it.qty), str(it.qty1), _d(it.qty2), it.unit, it.unit1, it.unit2, str(it.price), str(it.total_price))
            for it in rec.items]


def _return_row(p, batch_id: str) -> tuple:
    """RETURN_COLUMNS, written out: once per return application."""
    r = p.record
    return (r.co_el_no, r.invt_no, r.pre_no, r.app_type, r.app_time.isoformat(), r.app_status, r.customs_code,
            r.ebp_code, r.ebc_code, r.agent_code, r.logistics_no, r.trade_mode, r.reason, p.content_hash, batch_id)


def _line_rows(rec, key: str) -> list:
    """LINE_COLUMNS, written out: once per return line."""
    return [(key, ln.gnum, ln.gcode, ln.gname, ln.gmodel, str(ln.qty), str(ln.qty1), ln.unit, ln.unit1, _d(ln.qty2),
             ln.unit2) for ln in rec.lines]


def _claim_row(p, batch_id: str) -> tuple:
    """CLAIM_COLUMNS, written out: once per claim."""
    c = p.record
    return (c.co_el_no, c.invt_no, c.return_date.isoformat(), c.reason_code, c.self_declaration_no,
            c.return_record_no, c.return_agreement_no, c.certificate_type, c.certificate_no,
            c.zone_exit_date.isoformat() if c.zone_exit_date is not None else None, p.content_hash, batch_id)


def _claim_item_rows(c) -> list:
    """CLAIM_ITEM_COLUMNS, written out: once per claimed gnum."""
    return [(c.co_el_no, it.gnum, int(it.accessories_added), int(it.processed), int(it.used),
             int(it.trial_use_evidence), str(it.export_duty_paid), str(it.refunded_vat), str(it.refunded_ct),
             _d(it.customs_value)) for it in c.items]


def _invt_owners(ledger: Ledger, fresh) -> dict:
    invts = [p.record.invt_no for p in fresh if p.record.invt_no]
    return {i: k for i, k in ledger._lookup("SELECT invt_no, list_key FROM export_lists", "invt_no", invts)}


def store_export_lists(ledger: Ledger, fresh, batch_id, result):
    return ledger._store_versioned(
        fresh, batch_id, result, table="export_lists", key_of=lambda rec: rec.list_key, key_column="list_key",
        child_table="export_items", head_columns=LIST_COLUMNS, child_columns=ITEM_COLUMNS,
        head_row=_list_row, child_rows=_item_rows,
        unique_check=_invt_owners)


def store_returns(ledger: Ledger, fresh, batch_id, result):
    return ledger._store_versioned(
        fresh, batch_id, result, table="return_apps", key_of=lambda rec: rec.co_el_no, key_column="co_el_no",
        child_table="return_lines", head_columns=RETURN_COLUMNS, child_columns=LINE_COLUMNS,
        head_row=_return_row, child_rows=_line_rows)


def store_claims(ledger: Ledger, fresh, batch_id, result):
    """A later claim for a coElNo replaces the earlier one, whatever it says."""
    latest: dict = {}
    for p in fresh:
        latest[p.record.co_el_no] = p
    keys = list(latest)
    for i in range(0, len(keys), CHUNK_KEYS):
        part = keys[i:i + CHUNK_KEYS]
        marks = ",".join("?" * len(part))
        ledger.execute(f"DELETE FROM claim_items WHERE co_el_no IN ({marks})", part)
        ledger.execute(f"DELETE FROM claims WHERE co_el_no IN ({marks})", part)
    ledger.executemany("UPDATE journal SET outcome = 'superseded' WHERE kind = 'ReturnClaims' AND record_key = ? "
                       "AND outcome = 'current'", [(k,) for k in latest])
    ledger.executemany(f"INSERT INTO claims ({', '.join(CLAIM_COLUMNS)}) VALUES ({', '.join('?' * len(CLAIM_COLUMNS))})",
                       [_claim_row(p, batch_id) for p in latest.values()])
    ledger.executemany(f"INSERT INTO claim_items ({', '.join(CLAIM_ITEM_COLUMNS)}) VALUES "
                       f"({', '.join('?' * len(CLAIM_ITEM_COLUMNS))})",
                       [row for p in latest.values() for row in _claim_item_rows(p.record)])
    return ["current" if latest[p.record.co_el_no] is p else "superseded" for p in fresh]


def _plain_store(table, columns, row):
    def storer(ledger: Ledger, fresh, batch_id, result):
        ledger.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                           [row(p, batch_id) for p in fresh])
        return ["current"] * len(fresh)
    return storer


STORERS = {
    "CEB603": store_export_lists,
    "CEB604": _plain_store("list_receipts", ("content_hash", "list_key", "cop_no", "ebc_code", "invt_no", "pre_no",
                                             "return_status", "return_time", "return_info", "batch_id"),
                           lambda p, b: (p.content_hash, p.record.list_key, p.record.cop_no, p.record.ebc_code,
                                         p.record.invt_no, p.record.pre_no, p.record.return_status,
                                         _s(p.record.return_time), p.record.return_info, b)),
    "CEB605": _plain_store("list_cancels", ("content_hash", "cop_no", "invt_no", "ebc_code", "app_time", "reason",
                                            "batch_id"),
                           lambda p, b: (p.content_hash, p.record.cop_no, p.record.invt_no, p.record.ebc_code,
                                         _s(p.record.app_time), p.record.reason, b)),
    "CEB213": store_returns,
    "CEB214": _plain_store("return_receipts", ("content_hash", "co_el_no", "invt_no", "return_status",
                                               "return_time", "return_info", "batch_id"),
                           lambda p, b: (p.content_hash, p.record.co_el_no, p.record.invt_no,
                                         p.record.return_status, _s(p.record.return_time), p.record.return_info, b)),
    "ReturnClaims": store_claims,
}
