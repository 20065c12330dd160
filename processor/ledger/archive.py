"""`processor archive`: export lists whose every window has closed, moved with their returns out of the tables a
night works in into one compressed row each, a month of export dates at a time.

Why: customs may review a decision for three years (LAW.md, Record keeping), so nothing may be dropped, but a
return is exempt only within six months of its export: after that an export list and the returns naming it are read
again only to say WINDOW_EXPIRED, to explain or to report. Packed here they take a fraction of their rows' bytes
(docs/storage.md).

How: each month (YYYY-MM of the lists' ie_date) has a Zstandard dictionary trained on its own lists
(archive_months). Each list is one JSON document {table: rows} packed against it (archived_lists): the list and its
items, receipts and cancellations, the returns in force naming its invtNo with their lines, receipts and claims, and
the journal entries of all of them, and every decision version of those returns' lines (MOVES); archived_returns
finds a list by a return's coElNo. A list with a line PENDING stays in force (the backlog is chased from it).
Nothing changes for the law: a night that touches an archived list or return (a new version, a receipt, a
cancellation, a claim, a return naming the list, a reassess) puts its document back first (`bring_back`), rows as
they were, and decides on the same ledger as if it had never moved; the next `archive` packs it again. `explain`,
`report --batch` and `check` read what they need where it is (archived_returns, archived_documents); `reassess`
puts back what it decides again.
"""
from __future__ import annotations

import json
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import zstandard

from ..law.window import add_months
from .packing import PREFIX, pack, unpack

GRACE_DAYS = 45  # after a month's last window ends: rest-day extensions (a week or so) and late messages
DICTIONARY_BYTES = 64 * 1024
SAMPLE_LISTS = 5_000  # lists a month's dictionary is trained on
CHUNK = 500  # keys per look-up (an IN list within any SQLite's parameter limit)
TRANSACTION_LISTS = 20_000  # lists archived per transaction
LEVEL = 9  # packing runs once a month, unpacking is as fast at any level
PACKED_TEXTS = ("trail", "citations")  # decisions' columns packed one by one in force, as text in a document
UNPACKED = "_unpacked"  # a packed decision row's key: which of them were packed in force


# a list (`l`) with a line PENDING on it stays in force: the backlog is chased from it
PENDING_ON_LIST = ("SELECT 1 FROM decisions d WHERE d.invt_no = l.invt_no AND d.status = 'current' AND "
                   "d.decision = 'PENDING'")


@dataclass
class MonthArchived:
    month: str
    lists: int
    items: int
    packed_bytes: int


def last_closed_month(as_of: date, window_months: int = 6, grace_days: int = GRACE_DAYS) -> str:
    """The latest month whose every export's window (`window_months`, the longest any policy gives: policies.csv)
    ended at least `grace_days` before `as_of`."""
    first = date(as_of.year, as_of.month, 1)
    while True:
        last_day = first.replace(day=monthrange(first.year, first.month)[1])
        if add_months(last_day, window_months) + timedelta(days=grace_days) < as_of:
            return first.strftime("%Y-%m")
        first = (first - timedelta(days=1)).replace(day=1)


def _next_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y + m // 12}-{m % 12 + 1:02d}"


def has_archive(ledger) -> bool:
    """Whether any list is archived: asked once per batch (Ledger.begin forgets the answer); never, of a lake."""
    if not hasattr(ledger, "_archived"):
        return False
    if ledger._archived is None:
        ledger._archived = bool(ledger.query("SELECT 1 FROM archived_lists LIMIT 1"))
    return ledger._archived


def _named(ledger, select: str, column: str, keys: list, params=()) -> list[dict]:
    """Rows of `select` with `column` in keys, each a dict by column name."""
    out = []
    keys = list(dict.fromkeys(keys))
    for i in range(0, len(keys), CHUNK):
        part = keys[i:i + CHUNK]
        cur = ledger.execute(f"{select} {column} IN ({','.join('?' * len(part))})", [*params, *part])
        names = [d[0] for d in cur.description]
        out += [dict(zip(names, r)) for r in cur.fetchall()]
    return out


# What moves with an export list, table by table: rows whose `column` is one of the list's keys ("key": its list key;
# "invt": its invtNo; "return": the coElNo of a return in force naming its invtNo) and, in the journal, entries of
# `kind` (each record's, under the key store.ledger_key gives it).
MOVES = (
    ("export_lists", "list_key", ("key",), None),
    ("export_items", "list_key", ("key",), None),
    ("list_receipts", "list_key", ("key",), None),
    ("list_cancels", "invt_no", ("invt",), None),
    ("return_apps", "co_el_no", ("return",), None),
    ("return_lines", "co_el_no", ("return",), None),
    ("return_receipts", "co_el_no", ("return",), None),
    ("claims", "co_el_no", ("return",), None),
    ("claim_items", "co_el_no", ("return",), None),
    ("decisions", "co_el_no", ("return",), None),
    ("journal", "record_key", ("key",), "CEB603"),
    ("journal", "record_key", ("key",), "CEB604"),
    ("journal", "record_key", ("key", "invt"), "CEB605"),
    ("journal", "record_key", ("return",), "CEB213"),
    ("journal", "record_key", ("return",), "CEB214"),
    ("journal", "record_key", ("return",), "ReturnClaims"),
)


def _keys_of(ledger, list_keys: list) -> dict:
    """{"key": list key -> list key, "invt": invtNo -> list key, "return": coElNo -> list key} for these lists."""
    invts = {i: k for k, i in ledger._lookup("SELECT list_key, invt_no FROM export_lists", "list_key", list_keys) if i}
    returns = {co: invts[i] for co, i in ledger._lookup("SELECT co_el_no, invt_no FROM return_apps", "invt_no",
                                                        list(invts))}
    return {"key": {k: k for k in list_keys}, "invt": invts, "return": returns}


def _moving(keys: dict):
    """(table, column, kind, {value: list key}) for each of MOVES, the values being these lists' own."""
    for table, column, sources, kind in MOVES:
        owner = {v: k for source in sources for v, k in keys[source].items()}
        if owner:
            yield table, column, kind, owner


def _documents(ledger, list_keys: list) -> tuple[dict, dict]:
    """(list key -> {table: its rows there, by name}: what moves with it (MOVES); _keys_of these lists)."""
    keys = _keys_of(ledger, list_keys)
    docs: dict = {k: {} for k in list_keys}
    for table, column, kind, owner in _moving(keys):
        where = f"SELECT * FROM {table} WHERE " + ("" if kind is None else "kind = ? AND")
        for row in _named(ledger, where, column, list(owner), () if kind is None else (kind,)):
            if table == "decisions":
                _unpack_texts(row)
            docs[owner[row[column]]].setdefault(table, []).append(row)
    return docs, keys


def _unpack_texts(row: dict) -> None:
    """A decision's trail and citations as text in its document: packed one by one (packing.py) they are a third
    of a packed list's bytes, as text the month's dictionary learns them (docs/storage.md). UNPACKED names the
    columns to pack again when the row is put back (a row from before schema 6 holds them as text already)."""
    packed = [c for c in PACKED_TEXTS if isinstance(row.get(c), str) and row[c].startswith(PREFIX)]
    for c in packed:
        row[c] = unpack(row[c])
    if packed:
        row[UNPACKED] = packed


def _pack_texts(row: dict) -> dict:
    """The row as `decisions` keeps it (_unpack_texts undone)."""
    for c in row.pop(UNPACKED, ()):
        row[c] = pack(row[c])
    return row


def _encode(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


@lru_cache(maxsize=64)
def _dictionary(raw: bytes) -> zstandard.ZstdCompressionDict | None:
    return zstandard.ZstdCompressionDict(raw) if raw else None


def _packer(raw: bytes) -> zstandard.ZstdCompressor:
    d = _dictionary(raw)
    return zstandard.ZstdCompressor(level=LEVEL, write_checksum=True, write_dict_id=False,
                                    **({"dict_data": d} if d is not None else {}))


@lru_cache(maxsize=64)
def _unpacker(raw: bytes) -> zstandard.ZstdDecompressor:
    d = _dictionary(raw)
    return zstandard.ZstdDecompressor(**({"dict_data": d} if d is not None else {}))


def _train(samples: list) -> bytes:
    """A dictionary for a month, from some of its lists; none (b"") when there are too few to learn from."""
    if len(samples) < 100:
        return b""
    try:
        return zstandard.train_dictionary(DICTIONARY_BYTES, samples, level=LEVEL).as_bytes()
    except zstandard.ZstdError:
        return b""


def _month_dictionary(ledger, month: str) -> bytes | None:
    found = ledger.query("SELECT dictionary FROM archive_months WHERE month = ?", (month,))
    return bytes(found[0][0]) if found else None


def _pack(ledger, month: str, list_keys: list, raw: bytes, done: MonthArchived) -> None:
    """Pack these lists of `month` against its dictionary `raw` and delete their rows (the caller's transaction)."""
    packer = _packer(raw)
    for i in range(0, len(list_keys), CHUNK):
        docs, keys = _documents(ledger, list_keys[i:i + CHUNK])
        rows, items = [], 0
        for key, doc in docs.items():
            packed = packer.compress(_encode(doc))
            rows.append((key, doc["export_lists"][0]["invt_no"], month, packed))
            items += len(doc.get("export_items", ()))
            done.packed_bytes += len(packed)
        ledger.executemany("INSERT INTO archived_lists (list_key, invt_no, month, packed) VALUES (?, ?, ?, ?)", rows)
        ledger.executemany("INSERT INTO archived_returns (co_el_no, list_key, return_date) VALUES (?, ?, ?)",
                           [(co, key, _return_date(docs[key], co)) for co, key in keys["return"].items()])
        ledger.executemany("INSERT INTO archived_certificates (certificate_no, list_key) VALUES (?, ?) "
                           "ON CONFLICT DO NOTHING", _certificates(docs))
        for table, column, kind, owner in reversed(list(_moving(keys))):
            _delete(ledger, table, column, kind, list(owner))
        ledger.execute("UPDATE archive_months SET lists = lists + ?, items = items + ?, archived_at = ? WHERE "
                       "month = ?", (len(rows), items, datetime.now().isoformat(timespec="seconds"), month))
        done.lists += len(rows)
        done.items += items


def _certificates(docs: dict) -> list:
    """(certificate number, list key) of the claims packed with these lists."""
    return [(c["certificate_no"], key) for key, doc in docs.items() for c in doc.get("claims", ())
            if c.get("certificate_no")]


def _return_date(doc: dict, co_el_no: str) -> str | None:
    """The return date of a packed return's lines in force (None: none is): what `reassess --since` selects by."""
    dates = [d["return_date"] for d in doc.get("decisions", ())
             if d["co_el_no"] == co_el_no and d["status"] == "current"]
    return max(dates) if dates else None


def _delete(ledger, table: str, column: str, kind: str | None, values: list) -> None:
    for i in range(0, len(values), CHUNK):
        part = values[i:i + CHUNK]
        ledger.counted(table, -ledger.execute(
            f"DELETE FROM {table} WHERE {'' if kind is None else 'kind = ? AND '}{column} IN "
            f"({','.join('?' * len(part))})", ([] if kind is None else [kind]) + part).rowcount)


def _in_transaction(ledger, work):
    ledger.begin()
    try:
        out = work()
        ledger.commit()
    except BaseException:
        ledger.rollback()
        raise
    return out


def archive(ledger, through: str) -> list[MonthArchived]:
    """Archive every export list dated up to the end of month `through`. The keys wait in a temporary table (a
    year of lists need not sit in memory); lists move TRANSACTION_LISTS at a time, each transaction under the
    batch's lock, so that a list is always either in force or archived, whatever stops the command. A list with a
    line PENDING stays: the backlog is chased from it."""
    text = f"TEXT{ledger.code_point_order}"

    def keys_by_month():
        ledger.execute("DROP TABLE IF EXISTS archive_keys")
        ledger.execute(f"CREATE TEMP TABLE archive_keys (month {text} NOT NULL, list_key {text} NOT NULL)")
        ledger.execute("INSERT INTO archive_keys (month, list_key) SELECT substr(ie_date, 1, 7), list_key FROM "
                       f"export_lists l WHERE ie_date < ? AND NOT EXISTS ({PENDING_ON_LIST})",
                       (f"{_next_month(through)}-01",))
        ledger.execute("CREATE INDEX archive_keys_order ON archive_keys (month, list_key)")
        return [r[0] for r in ledger.query("SELECT DISTINCT month FROM archive_keys ORDER BY month")]

    done = []
    for month in _in_transaction(ledger, keys_by_month):
        got = MonthArchived(month, 0, 0, 0)
        last = ""
        while True:

            def step(last=last):
                # the keys again, under the lock: a batch between two steps may have decided a line PENDING, and
                # another `archive` may have packed some of them
                keys = [r[0] for r in ledger.query(
                    "SELECT k.list_key FROM archive_keys k JOIN export_lists l ON l.list_key = k.list_key WHERE "
                    f"k.month = ? AND k.list_key > ? AND NOT EXISTS ({PENDING_ON_LIST}) ORDER BY k.list_key "
                    f"LIMIT {TRANSACTION_LISTS}", (month, last))]
                if not keys:
                    return None
                raw = _month_dictionary(ledger, month)
                if raw is None:  # the month's first lists: its dictionary is learnt from them
                    raw = _train([_encode(d) for d in _documents(ledger, keys[:SAMPLE_LISTS])[0].values()])
                    ledger.execute("INSERT INTO archive_months (month, dictionary, lists, items, archived_at) "
                                   "VALUES (?, ?, 0, 0, ?)", (month, raw, datetime.now().isoformat(timespec="seconds")))
                _pack(ledger, month, keys, raw, got)
                return keys[-1]

            last = _in_transaction(ledger, step)
            if last is None:
                break
        done.append(got)
    ledger.execute("DROP TABLE IF EXISTS archive_keys")
    if done:
        _in_transaction(ledger, ledger.let_tables_back_into_check)  # they hold less now
    ledger._archived = None
    return done


def _unpack(ledger, month: str, packed, dictionaries: dict) -> dict:
    """A packed document; `dictionaries` keeps each month's dictionary once fetched (a call unpacks many)."""
    if month not in dictionaries:
        dictionaries[month] = _month_dictionary(ledger, month) or b""
    return json.loads(_unpacker(dictionaries[month]).decompress(bytes(packed)))


def _archived(ledger, list_keys=(), invt_nos=(), co_el_nos=()) -> dict:
    """list key -> its archived_lists row (list_key, month, packed), for the archived lists with these list keys or
    invtNos, or holding a return with one of these coElNos."""
    by_return = [r[0] for r in ledger._lookup("SELECT list_key FROM archived_returns", "co_el_no",
                                              [c for c in co_el_nos if c])]
    found = {}
    for column, values in (("list_key", [*list_keys, *by_return]), ("invt_no", invt_nos)):
        values = [v for v in values if v]
        if values:
            for r in _named(ledger, "SELECT list_key, month, packed FROM archived_lists WHERE", column, values):
                found[r["list_key"]] = r
    return found


def bring_back(ledger, list_keys=(), invt_nos=(), co_el_nos=()) -> int:
    """Put back the archived lists with these list keys or invtNos, or holding a return with one of these coElNos,
    with all that moved with them, rows as they were, in the batch's transaction: from here on the night sees them
    as if they had never moved. Returns how many."""
    if not has_archive(ledger):
        return 0
    found = _archived(ledger, list_keys, invt_nos, co_el_nos)
    if not found:
        return 0
    counts: dict = {}
    tables: dict = {}
    returns = []
    docs, dictionaries = {}, {}
    for key, r in found.items():
        doc = docs[key] = _unpack(ledger, r["month"], r["packed"], dictionaries)
        doc["decisions"] = [_pack_texts(d) for d in doc.get("decisions", ())]
        for table, rows in doc.items():
            tables.setdefault(table, []).extend(rows)
        returns += [a["co_el_no"] for a in doc.get("return_apps", ())]
        n = counts.setdefault(r["month"], [0, 0])
        n[0] += 1
        n[1] += len(doc.get("export_items", ()))
    for table in dict.fromkeys(t for t, _c, _s, _k in MOVES):
        for columns, rows in _by_columns(tables.get(table, ())).items():
            ledger.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                               [tuple(r[c] for c in columns) for r in rows])
            ledger.counted(table, len(rows))
    _delete(ledger, "archived_returns", "co_el_no", None, returns)
    ledger.executemany("DELETE FROM archived_certificates WHERE certificate_no = ? AND list_key = ?",
                       _certificates(docs))
    _delete(ledger, "archived_lists", "list_key", None, list(found))
    ledger.executemany("UPDATE archive_months SET lists = lists - ?, items = items - ? WHERE month = ?",
                       [(n, m, month) for month, (n, m) in counts.items()])
    ledger._archived = None
    ledger.brought_back += len(found)
    return len(found)


def bring_back_certificates(ledger, certificate_nos) -> int:
    """Put back the archived lists holding a claim that presented one of these certificates (a certificate
    presented again is a warning, found among the claims in force)."""
    if not has_archive(ledger):
        return 0
    keys = [r[0] for r in ledger._lookup("SELECT list_key FROM archived_certificates", "certificate_no",
                                         [c for c in certificate_nos if c])]
    return bring_back(ledger, list_keys=keys) if keys else 0


def _by_columns(rows) -> dict:
    """Rows grouped by their columns (all of a table's, unless a later schema added some)."""
    out: dict = {}
    for r in rows:
        out.setdefault(tuple(r), []).append(r)
    return out


def archived_items(ledger, invt_nos) -> dict:
    """(invtNo, gnum) -> the export_items row (by name) of the archived lists with these invtNos, read where they
    are (for reports and `check`, which write nothing)."""
    if not has_archive(ledger):
        return {}
    out, dictionaries = {}, {}
    for r in _named(ledger, "SELECT invt_no, month, packed FROM archived_lists WHERE", "invt_no",
                    [i for i in invt_nos if i]):
        for item in _unpack(ledger, r["month"], r["packed"], dictionaries).get("export_items", ()):
            out[(r["invt_no"], item["gnum"])] = item
    return out


def archived_returns(ledger, co_el_nos) -> dict:
    """coElNo -> what was packed of it, for the archived returns among these, read where they are (for `explain` and
    reports, which write nothing): {"return_apps": its row, "claims": its claim's row or None, "decisions": every
    version of its lines' decisions, "invt_no": the invtNo of the list packed with it, "items": gnum -> that list's
    export_items row}; rows by name."""
    if not has_archive(ledger):
        return {}
    wanted = set(co_el_nos)
    out, dictionaries = {}, {}
    for r in _archived(ledger, co_el_nos=list(wanted)).values():
        doc = _unpack(ledger, r["month"], r["packed"], dictionaries)
        claims = {c["co_el_no"]: c for c in doc.get("claims", ())}
        items = {i["gnum"]: i for i in doc.get("export_items", ())}
        for a in doc.get("return_apps", ()):
            if a["co_el_no"] in wanted:
                out[a["co_el_no"]] = {"return_apps": a, "claims": claims.get(a["co_el_no"]), "items": items,
                                      "invt_no": doc["export_lists"][0]["invt_no"],
                                      "decisions": [d for d in doc.get("decisions", ())
                                                    if d["co_el_no"] == a["co_el_no"]]}
    return out


def archived_documents(ledger):
    """Every archived list's document ({table: rows}), one at a time (for `check`, which reads it all)."""
    if not has_archive(ledger):
        return
    dictionaries: dict = {}
    for month, packed in ledger.stream("SELECT month, packed FROM archived_lists"):
        yield _unpack(ledger, month, packed, dictionaries)


def totals(ledger) -> tuple[int, int]:
    """(lists, items) archived."""
    found = ledger.query("SELECT COALESCE(SUM(lists), 0), COALESCE(SUM(items), 0) FROM archive_months")
    return int(found[0][0]), int(found[0][1])
