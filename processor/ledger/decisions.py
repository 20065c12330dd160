"""What the decision stage reads from and writes to the ledger: fetched as plain rows (cheap to send to
another process), built into the law's facts by name where they are decided (the build_* functions are
pure), and decisions stored as rows of the `decisions` table."""
from __future__ import annotations

import json
from decimal import Decimal

from ..law.facts import Decision, ExportFacts, Held, LineFacts
from ..law.redecide import REFERENCE, WITHDRAWN, Previous, export_state, waits_for_reference
from ..records import Claim, ClaimItem
from .archive import CHUNK as ARCHIVE_CHUNK, archived_items, archived_returns, bring_back, has_archive
from .packing import pack, unpack, unpacked
from .tables import (BATCH_DECISIONS, CLAIM_ITEMS, CLAIMS, DECISIONS, EXPORT_FACTS, EXPORT_FACTS_FROM, LINE_FACTS,
                     LINE_FACTS_FROM, REPORTED, from_row, to_ledger)

RETURN_HEAD = ("co_el_no", "content_hash", "withdrawn")
PREVIOUS = ("d.co_el_no", "d.gnum", "d.version", "d.decision", "d.reasons", "d.fingerprint", "d.status",
            "d.reported_in", "b.reference_hash", "d.invt_no")  # what previous_of reads, by name
LATEST = "status IN ('current', 'withdrawn')"  # a line's latest decision version (older ones: superseded)
HOLDING = "status = 'current' AND decision IN ('EXEMPT', 'PENDING')"
QUEUE = ("invt_no", "gnum", "co_el_no", "waits", "cause")
# a batch_decisions row (`b`) whose decision version is not in `decisions`: `archive` has packed it
NOT_IN_FORCE = ("NOT EXISTS (SELECT 1 FROM decisions d WHERE d.co_el_no = b.co_el_no AND d.gnum = b.gnum AND "
                "d.version = b.version)")
# What a report reads besides the decision's own columns: the return's parties, the claim's reason, and the
# decision and amounts of the version before (for the net change a file makes: sinks/reconciliation.py).
PREV_AMOUNTS = ("customs_value_cny", "import_duty", "consumption_tax", "import_vat", "export_duty_refund",
                "backpay_vat", "backpay_ct")
REPORT_EXTRA = (("r.ebc_code", "ebc_code"), ("r.ebp_code", "ebp_code"), ("c.reason_code", "claim_reason"),
                ("i.currency", "price_currency"), ("i.gname", "gname"),
                ("p.decision", "prev_decision"), *((f"p.{m}", f"prev_{m}") for m in PREV_AMOUNTS))


def _from_archive(ledger, row: dict, looked: set, found: dict) -> None:
    """A report row's extras whose return or export list is archived, read there (`looked`, `found`: what was)."""
    if row["ebc_code"] is None and ("r", row["co_el_no"]) not in looked:
        looked.add(("r", row["co_el_no"]))
        found.update({("r", co): r for co, r in archived_returns(ledger, [row["co_el_no"]]).items()})
    ret = found.get(("r", row["co_el_no"]))
    if row["ebc_code"] is None and ret is not None:
        row["ebc_code"], row["ebp_code"], row["claim_reason"] = _parties(ret)
    if row["gname"] is None and row["invt_no"] and ("i", row["invt_no"]) not in looked:
        looked.add(("i", row["invt_no"]))
        found.update(archived_items(ledger, [row["invt_no"]]))
    item = found.get((row["invt_no"], row["gnum"]))
    if row["gname"] is None and item is not None:
        row["price_currency"], row["gname"] = item["currency"], item["gname"]


def _parties(ret: dict) -> tuple:
    """(ebcCode, ebpCode, the claim's reason or None) of a packed return (archive.archived_returns)."""
    return ret["return_apps"]["ebc_code"], ret["return_apps"]["ebp_code"], (ret["claims"] or {}).get("reason_code")


class DecisionStore:
    def __init__(self, ledger):
        self.ledger = ledger

    def _in(self, select: str, column: str, keys, params=()) -> list:
        return self.ledger._lookup(select, column, list(keys), params)

    # -- which returns come up: read in this batch, or hanging on what it read or on the reference data -------
    def touch_affected(self, batch_id: str, reference_hash: str) -> None:
        """Add to the batch's touched returns those naming an export list it stored, replaced, numbered, voided
        or read again; those waiting for their export (NO_SUCH_EXPORT) whose list is now in the ledger; and
        PENDING ones decided under other reference data (law/redecide.py says which of their lines to take)."""
        self.ledger.execute("INSERT INTO batch_touched (batch_id, co_el_no) SELECT DISTINCT ?, r.co_el_no "
                            "FROM touched_lists t, return_apps r WHERE r.invt_no = t.invt_no ON CONFLICT DO NOTHING",
                            (batch_id,))
        self.ledger.execute("INSERT INTO batch_touched (batch_id, co_el_no) SELECT DISTINCT ?, d.co_el_no "
                            "FROM decisions d WHERE d.status = 'current' AND d.export_date IS NULL AND EXISTS "
                            "(SELECT 1 FROM export_lists l WHERE l.invt_no = d.invt_no) ON CONFLICT DO NOTHING",
                            (batch_id,))
        self.ledger.execute("INSERT INTO batch_touched (batch_id, co_el_no) SELECT DISTINCT ?, d.co_el_no "
                            "FROM decisions d JOIN batches b ON b.batch_id = d.batch_id WHERE d.status = 'current' "
                            "AND d.waits IS NOT NULL AND (b.reference_hash IS NULL OR b.reference_hash <> ?) "
                            "ON CONFLICT DO NOTHING", (batch_id, reference_hash))

    def report_upgrade_withdrawals(self, batch_id: str) -> int:
        """Once, after the upgrade to schema 3: the lines the release before withdrew without a word are
        reported WITHDRAWN by this batch (base.py MIGRATIONS "2")."""
        if not self.ledger.query("SELECT 1 FROM ledger_meta WHERE name = 'withdrawals_to_report'"):
            return 0
        rows = self.ledger.query("SELECT co_el_no, gnum, version FROM decisions WHERE status = 'withdrawn' AND "
                                 "change = 'WITHDRAWN' AND reported_in IS NULL")
        self.ledger.executemany("UPDATE decisions SET batch_id = ?, reported_in = ? WHERE co_el_no = ? AND gnum = ? "
                                "AND version = ?", [(batch_id, batch_id, *r) for r in rows])
        self.reported(batch_id, rows)
        self.ledger.execute("DELETE FROM ledger_meta WHERE name = 'withdrawals_to_report'")
        return len(rows)

    def touch_all(self, batch_id: str, since: str | None) -> None:
        """processor reassess: every return with a line decided, whose return date is on or after `since`."""
        where = "" if since is None else " AND return_date >= ?"
        params = (batch_id,) if since is None else (batch_id, since)
        self.ledger.execute("INSERT INTO batch_touched (batch_id, co_el_no) SELECT DISTINCT ?, co_el_no FROM "
                            f"decisions WHERE status = 'current'{where} ON CONFLICT DO NOTHING", params)
        if has_archive(self.ledger):  # archived lines too: deciding them puts their lists back (fetch_returns)
            self.ledger.execute("INSERT INTO batch_touched (batch_id, co_el_no) SELECT ?, co_el_no FROM "
                                f"archived_returns WHERE return_date IS NOT NULL{where} ON CONFLICT DO NOTHING",
                                params)

    # -- reading the inputs of decisions: raw rows here, facts built by the pure build_* below ------------
    def fetch_returns(self, co_el_nos) -> tuple[list, list]:
        """(heads: RETURN_HEAD rows, lines: LINE_FACTS rows) of these returns (archived ones put back first)."""
        bring_back(self.ledger, co_el_nos=co_el_nos)
        heads = self._in(f"SELECT {', '.join(RETURN_HEAD)} FROM return_apps", "co_el_no", co_el_nos)
        lines = self._in(f"SELECT {', '.join(LINE_FACTS)} {LINE_FACTS_FROM}", "a.co_el_no", [h[0] for h in heads])
        return heads, lines

    def returns(self, co_el_nos) -> dict:
        return build_returns(*self.fetch_returns(co_el_nos))

    def fetch_claims(self, co_el_nos) -> tuple[list, list]:
        heads = self._in(CLAIMS.select(), "co_el_no", co_el_nos)
        items = self._in(CLAIM_ITEMS.select(), "co_el_no", [h[0] for h in heads])
        return heads, items

    def claims(self, co_el_nos) -> dict:
        return build_claims(*self.fetch_claims(co_el_nos))

    def fetch_receipts(self, co_el_nos) -> list:
        return self._in("SELECT co_el_no, content_hash FROM return_receipts", "co_el_no", co_el_nos)

    def receipt_hashes(self, co_el_nos) -> dict:
        return build_receipt_hashes(self.fetch_receipts(co_el_nos))

    def export_states(self, invt_nos) -> dict:
        """invtNo -> what its list in force says (redecide.export_state), for the lists in the ledger (an archived
        one put back first: its state is the one the line was decided on)."""
        bring_back(self.ledger, invt_nos=invt_nos)
        return {i: export_state(h, i, v) for i, h, v in self._in(
            "SELECT invt_no, content_hash, void_reason FROM export_lists", "invt_no", invt_nos)}

    def current(self, co_el_nos) -> dict:
        """(coElNo, gnum) -> Previous: each line's latest decision version, with the reference data's
        fingerprint of the batch that made it."""
        out = {}
        names = [c.split(".", 1)[1] for c in PREVIOUS]
        for row in self._in(f"SELECT {', '.join(PREVIOUS)} FROM decisions d LEFT JOIN batches b ON "
                            f"b.batch_id = d.batch_id WHERE d.{LATEST}", "d.co_el_no", co_el_nos):
            d = dict(zip(names, row))
            out[(d["co_el_no"], d["gnum"])] = previous_of(d)
        return out

    def fetch_exports(self, invt_nos) -> list:
        """EXPORT_FACTS rows of these lists' items (build_exports keeps the wanted ones)."""
        return self._in(f"SELECT {', '.join(EXPORT_FACTS)} {EXPORT_FACTS_FROM}", "l.invt_no", invt_nos)

    def fetch_holders(self, invt_nos) -> list:
        """(coElNo, invtNo, gnum, qty, qty1) of the lines holding quantity on these lists' items; a line queued
        to be decided against another export list (its return was changed to name it) holds here no more."""
        return self._in(f"SELECT co_el_no, invt_no, gnum, qty, qty1 FROM decisions WHERE {HOLDING} AND NOT EXISTS "
                        "(SELECT 1 FROM decide_queue q WHERE q.co_el_no = decisions.co_el_no AND q.gnum = "
                        "decisions.gnum AND q.invt_no <> decisions.invt_no)", "invt_no", invt_nos)

    def fetch_previous(self, co_el_nos) -> list:
        """The latest decision rows of these returns' lines: DECISIONS columns, then the reference data's
        fingerprint of the batch that made it."""
        return self._in(f"SELECT {', '.join('d.' + c for c in DECISIONS.columns)}, b.reference_hash FROM decisions d "
                        f"LEFT JOIN batches b ON b.batch_id = d.batch_id WHERE d.{LATEST}", "d.co_el_no", co_el_nos)

    def qty_rejected(self, items) -> list:
        """(invtNo, gnum, coElNo, version) of the lines REJECTED with QTY_EXCEEDS_EXPORT on these export items."""
        wanted = set(items)
        invts = list({i for i, _g in wanted})
        bring_back(self.ledger, invt_nos=invts)  # the lines on an archived list are with it
        rows = self._in("SELECT invt_no, gnum, co_el_no, version, reasons FROM decisions WHERE status = 'current' AND "
                        "decision = 'REJECTED'", "invt_no", invts)
        return [(i, g, co, v) for i, g, co, v, reasons in rows
                if (i, g) in wanted and "QTY_EXCEEDS_EXPORT" in reasons.split(";")]

    # -- the queue of lines to decide, by export item, kept out of memory ----------------------------------
    def queue_open(self) -> None:
        """A temporary table (this connection's, on disk) for the lines to decide: a night can bring a
        million of them. They are taken by export item (invtNo, gnum), whole items at a time: lines of
        different items never interact, and law/item.py orders each item's lines itself."""
        text = f"TEXT{self.ledger.code_point_order}"  # the order Python sorts in, whatever the database's locale
        self.ledger.execute(f"CREATE TEMP TABLE IF NOT EXISTS decide_queue (invt_no {text} NOT NULL, "
                            f"gnum INTEGER NOT NULL, co_el_no {text} NOT NULL, waits INTEGER NOT NULL, "
                            "cause TEXT NOT NULL, "
                            "PRIMARY KEY (invt_no, gnum, co_el_no))")
        self.ledger.execute("CREATE INDEX IF NOT EXISTS decide_queue_by_line ON decide_queue (co_el_no, gnum)")
        self.ledger.execute("DELETE FROM decide_queue")

    def queue_add(self, lines) -> None:
        """QUEUE rows; a line already queued stays as it was queued first."""
        self.ledger.executemany(f"INSERT INTO decide_queue ({', '.join(QUEUE)}) VALUES ({', '.join('?' * len(QUEUE))}) "
                                "ON CONFLICT DO NOTHING", lines)

    def bring_back_queued(self) -> int:
        """Put back the archived export lists the queued lines name (a late return finds its export, and says
        WINDOW_EXPIRED, not NO_SUCH_EXPORT); returns how many."""
        if not has_archive(self.ledger):
            return 0
        return bring_back(self.ledger, invt_nos=[r[0] for r in self.ledger.query(
            "SELECT DISTINCT a.invt_no FROM archived_lists a WHERE a.invt_no IN "
            "(SELECT q.invt_no FROM decide_queue q)")])

    def queued(self) -> int:
        return self.ledger.query("SELECT COUNT(*) FROM decide_queue")[0][0]

    def queue(self, chunk: int):
        """The queued lines (QUEUE rows) by export item, at least `chunk` at a time and whole items (keyset
        pages: no cursor held open)."""
        cols = ", ".join(QUEUE)
        last = None
        while True:
            where = "" if last is None else "WHERE (invt_no, gnum, co_el_no) > (?, ?, ?) "
            rows = self.ledger.query(f"SELECT {cols} FROM decide_queue {where}ORDER BY invt_no, gnum, co_el_no "
                                     f"LIMIT {int(chunk)}", last or ())
            if not rows:
                return
            invt, gnum, co = rows[-1][:3]
            rows += self.ledger.query(f"SELECT {cols} FROM decide_queue WHERE invt_no = ? AND gnum = ? AND "
                                      "co_el_no > ? ORDER BY co_el_no", (invt, gnum, co))
            yield rows
            last = rows[-1][:3]

    def queue_close(self) -> None:
        self.ledger.execute("DROP TABLE IF EXISTS decide_queue")

    # -- writing -------------------------------------------------------------------------------------
    def insert(self, rows: list) -> None:
        self.ledger.append(DECISIONS, rows)

    def supersede(self, previous: list) -> None:
        """(coElNo, gnum, version): versions a new one replaces."""
        self.ledger.executemany("UPDATE decisions SET status = 'superseded' WHERE co_el_no = ? AND gnum = ? AND "
                                "version = ?", previous)

    def withdraw(self, batch_id: str, co_el_no: str, why: str, gnums=None) -> tuple[int, list]:
        """Withdraw the lines in force of a withdrawn return (or the lines a change dropped): each gets a
        version `withdrawn` that repeats the decision it cancels and holds nothing, reported as WITHDRAWN
        when that decision had been reported. Returns (lines withdrawn, export items released: (invtNo, gnum))."""
        rows = self.ledger.query(f"{DECISIONS.select()} WHERE co_el_no = ? AND status = 'current'", (co_el_no,))
        new, old, released = [], [], []
        for row in rows:
            d = dict(zip(DECISIONS.columns, row))
            if gnums is not None and d["gnum"] not in gnums:
                continue
            old.append((d["co_el_no"], d["gnum"], d["version"]))
            if d["decision"] != "REJECTED":
                released.append((d["invt_no"], d["gnum"]))
            reported = d["reported_in"] is not None
            d.update(version=d["version"] + 1, batch_id=batch_id, status="withdrawn", cause=why,
                     change=WITHDRAWN if reported else None, supersedes=d["reported_in"] if reported else None,
                     reported_in=batch_id if reported else None)
            new.append(d)
        self.supersede(old)
        self.insert([tuple(d[c] for c in DECISIONS.columns) for d in new])
        self.reported(batch_id, [(d["co_el_no"], d["gnum"], d["version"]) for d in new if d["change"]])
        return len(new), released

    def reported(self, batch_id: str, keys) -> None:
        """Record (coElNo, gnum, version) as reported by the batch."""
        self.ledger.append(BATCH_DECISIONS, [(batch_id, co, g, v) for co, g, v in keys])

    def report_again(self, batch_id: str, echoes) -> int:
        """A rerun writes the same rows as the first time (CONTRACT.md 6). Called for a batch that stored nothing
        new: the latest batch that first stored what it read again is the night being rerun, and the rows it
        reported that no later report has replaced, of the lines this batch touched (or naming a list it
        touched, or that it decided for new reference data), are reported again as they were written."""
        marks = ",".join("?" * len(echoes))
        origin = self.ledger.query(f"SELECT batch_id FROM batches WHERE batch_id IN ({marks}) "
                                   "ORDER BY started_at DESC, batch_id DESC LIMIT 1", list(echoes))
        if not origin:
            return 0
        if has_archive(self.ledger):  # what the night reported and `archive` has packed since comes back to be read
            bring_back(self.ledger, co_el_nos=[r[0] for r in self.ledger.query(
                f"SELECT DISTINCT b.co_el_no FROM batch_decisions b WHERE b.batch_id = ? AND {NOT_IN_FORCE}",
                (origin[0][0],))])
        again = self.ledger.query(
            "SELECT bd.co_el_no, bd.gnum, bd.version, d.version FROM batch_decisions bd JOIN decisions d ON "
            f"d.co_el_no = bd.co_el_no AND d.gnum = bd.gnum AND d.{LATEST} "
            "WHERE bd.batch_id = ? AND NOT EXISTS (SELECT 1 FROM decisions v WHERE v.co_el_no = bd.co_el_no AND "
            " v.gnum = bd.gnum AND v.version > bd.version AND v.change IS NOT NULL) AND ("
            " EXISTS (SELECT 1 FROM batch_touched t WHERE t.batch_id = ? AND t.co_el_no = d.co_el_no)"
            " OR EXISTS (SELECT 1 FROM touched_lists l WHERE l.invt_no = d.invt_no)"
            " OR EXISTS (SELECT 1 FROM return_apps r JOIN batch_touched t ON t.co_el_no = r.co_el_no "
            "   AND t.batch_id = ? WHERE r.invt_no = d.invt_no)"
            " OR d.cause = ?)"
            " AND NOT EXISTS (SELECT 1 FROM batch_decisions x WHERE x.batch_id = ? AND x.co_el_no = d.co_el_no "
            "   AND x.gnum = d.gnum)", (origin[0][0], batch_id, batch_id, REFERENCE, batch_id))
        self.reported(batch_id, [(co, g, v) for co, g, v, _l in again])
        self.ledger.executemany("UPDATE decisions SET reported_in = ? WHERE co_el_no = ? AND gnum = ? AND version = ?",
                                [(batch_id, co, g, latest) for co, g, _v, latest in again])
        return len(again)

    def of_batch(self, batch_id: str, running: bool = False):
        """The decisions a batch reports (REPORTED columns and REPORT_EXTRA, by name), in report order (return
        date, coElNo, gnum, text by code point whatever the database's locale), streamed; those archived since
        are read from the archive into a temporary table (_archived_report) and streamed with the others. Nothing
        the batch `running` reports can have been archived since: it is not looked for."""
        order = self.ledger.code_point_order
        names = (*REPORTED, *(n for _c, n in REPORT_EXTRA))
        archived, looked, found = has_archive(self.ledger), set(), {}
        live = (f"SELECT {', '.join('d.' + c for c in REPORTED)}, {', '.join(f'{c} AS {n}' for c, n in REPORT_EXTRA)} "
                "FROM batch_decisions b JOIN decisions d ON d.co_el_no = b.co_el_no AND d.gnum = b.gnum AND "
                "d.version = b.version LEFT JOIN return_apps r ON r.co_el_no = d.co_el_no "
                "LEFT JOIN claims c ON c.co_el_no = d.co_el_no "
                "LEFT JOIN export_lists l ON l.invt_no = d.invt_no "
                "LEFT JOIN export_items i ON i.list_key = l.list_key AND i.gnum = d.gnum "
                "LEFT JOIN decisions p ON p.co_el_no = d.co_el_no AND p.gnum = d.gnum AND p.version = d.version - 1 "
                "WHERE b.batch_id = ?")
        if archived and not running and self._archived_report(batch_id, names):
            query = (f"SELECT * FROM ({live} UNION ALL SELECT {', '.join(names)} FROM archived_report) u "
                     f"ORDER BY return_date{order}, co_el_no{order}, gnum")
        else:
            query = f"{live} ORDER BY d.return_date{order}, d.co_el_no{order}, d.gnum"
        for r in self.ledger.stream(query, (batch_id,)):
            row = dict(zip(names, r))
            if archived:
                _from_archive(self.ledger, row, looked, found)
            yield row

    def _archived_report(self, batch_id: str, names: tuple) -> int:
        """The rows of a batch's report whose decisions have been archived since (with their return, claim, export
        item and previous version, as of_batch joins them), into the temporary table archived_report; how many."""
        missing = self.ledger.query(
            f"SELECT b.co_el_no, b.gnum, b.version FROM batch_decisions b WHERE b.batch_id = ? AND {NOT_IN_FORCE}",
            (batch_id,))
        if not missing:
            return 0
        self.ledger.execute("DROP TABLE IF EXISTS archived_report")
        self.ledger.execute("CREATE TEMP TABLE archived_report (" + ", ".join(
            f"{n} {'INTEGER' if n in ('gnum', 'version') else 'TEXT'}" for n in names) + ")")
        for i in range(0, len(missing), ARCHIVE_CHUNK):
            part = missing[i:i + ARCHIVE_CHUNK]
            packed = archived_returns(self.ledger, {co for co, _g, _v in part})
            rows = []
            for co, gnum, version in part:
                doc = packed.get(co)
                versions = {(d["gnum"], d["version"]): d for d in (doc or {}).get("decisions", ())}
                d = versions.get((gnum, version))
                if d is None:
                    continue  # nowhere: `check` finds such a batch_decisions row
                p = versions.get((gnum, version - 1), {})
                item = doc["items"].get(gnum, {}) if doc["invt_no"] == d["invt_no"] else {}
                rows.append((*(d[c] for c in REPORTED), *_parties(doc), item.get("currency"), item.get("gname"),
                             p.get("decision"), *(p.get(m) for m in PREV_AMOUNTS)))
            self.ledger.executemany(f"INSERT INTO archived_report ({', '.join(names)}) VALUES "
                                    f"({', '.join('?' * len(names))})", rows)
        return len(missing)

    def pending(self, first: int | None = None):
        """Every PENDING line in force in the ledger (or the `first` of them), by window end (then return, gnum):
        the backlog a clerk chases, with the enterprise, the goods and the batch that decided it, streamed."""
        order = self.ledger.code_point_order
        names = ("co_el_no", "gnum", "invt_no", "return_date", "window_end", "reasons", "batch_id", "gcode",
                 "ebc_code", "gname", "decision_date", "version")
        for r in self.ledger.stream(
                "SELECT d.co_el_no, d.gnum, d.invt_no, d.return_date, d.window_end, d.reasons, d.batch_id, d.gcode, "
                "r.ebc_code, n.gname, b.started_at, d.version FROM decisions d "
                "LEFT JOIN return_apps r ON r.co_el_no = d.co_el_no "
                "LEFT JOIN return_lines n ON n.co_el_no = d.co_el_no AND n.gnum = d.gnum "
                "LEFT JOIN batches b ON b.batch_id = d.batch_id "
                "WHERE d.status = 'current' AND d.decision = 'PENDING' "
                f"ORDER BY d.window_end{order}, d.co_el_no{order}, d.gnum"
                + ("" if first is None else f" LIMIT {int(first)}")):
            yield dict(zip(names, r))

    def pending_by_window_end(self) -> list:
        """(window end, lines) of the backlog: counted on the index of PENDING lines, whatever its size."""
        return self.ledger.query("SELECT window_end, COUNT(*) FROM decisions WHERE status = 'current' AND "
                                 "decision = 'PENDING' GROUP BY window_end")

    def trails(self, keys) -> dict:
        """(coElNo, gnum, version) -> the decision's trail of rules (JSON text, unpacked), for the keys given."""
        out = {}
        for co, gnum, version, trail in self._in("SELECT co_el_no, gnum, version, trail FROM decisions", "co_el_no",
                                                 {k[0] for k in keys}):
            if (co, gnum, version) in keys:
                out[(co, gnum, version)] = unpack(trail)
        missing = {k[0] for k in keys if k not in out}
        for packed in (archived_returns(self.ledger, missing).values() if missing else ()):
            for d in packed["decisions"]:
                if (d["co_el_no"], d["gnum"], d["version"]) in keys:
                    out[(d["co_el_no"], d["gnum"], d["version"])] = unpack(d["trail"])
        return out

    def of_return(self, co_el_no: str) -> list[dict]:
        """Every decision version of a return's lines (by gnum, then version), archived ones read where they are."""
        rows = [dict(zip(DECISIONS.columns, r)) for r in self.ledger.query(
            f"{DECISIONS.select()} WHERE co_el_no = ? ORDER BY gnum, version", (co_el_no,))]
        if not rows:
            packed = archived_returns(self.ledger, [co_el_no]).get(co_el_no)
            rows = sorted(({c: d[c] for c in DECISIONS.columns} for d in (packed or {}).get("decisions", ())),
                          key=lambda d: (d["gnum"], d["version"]))
        return [unpacked(r) for r in rows]


def previous_of(d: dict) -> Previous:
    """A line's latest decision version (a decisions row by name, with its batch's `reference_hash`)."""
    return Previous(version=d["version"], decision=d["decision"], reasons=d["reasons"], fingerprint=d["fingerprint"],
                    status=d["status"], reported_in=d["reported_in"], reference=d["reference_hash"],
                    invt_no=d["invt_no"])


# -- facts from fetched rows, and decisions into rows: pure, so they run in any process ---------------------
def build_returns(heads: list, line_rows: list) -> dict:
    """coElNo -> {content_hash, withdrawn, lines (LineFacts by gnum)}."""
    lines: dict = {}
    for row in line_rows:
        line = from_row(LineFacts, LINE_FACTS, row)
        lines.setdefault(line.co_el_no, []).append(line)
    out = {}
    for row in heads:
        h = dict(zip(RETURN_HEAD, row))
        out[h["co_el_no"]] = {"content_hash": h["content_hash"], "withdrawn": h["withdrawn"],
                              "lines": sorted(lines.get(h["co_el_no"], []), key=lambda x: x.gnum)}
    return out


def build_claims(heads: list, item_rows: list) -> dict:
    """coElNo -> (Claim, its content hash)."""
    items: dict = {}
    for row in item_rows:
        items.setdefault(row[0], []).append(from_row(ClaimItem, CLAIM_ITEMS.columns, row))
    out = {}
    for row in heads:
        h = dict(zip(CLAIMS.columns, row))
        co = h["co_el_no"]
        claim = from_row(Claim, CLAIMS.columns, row, items=tuple(sorted(items.get(co, []), key=lambda i: i.gnum)))
        out[co] = (claim, h["content_hash"])
    return out


def build_receipt_hashes(rows: list) -> dict:
    out: dict = {}
    for co, h in rows:
        out.setdefault(co, []).append(h)
    return {co: sorted(hs) for co, hs in out.items()}


def build_exports(rows: list, wanted: set) -> dict:
    """(invtNo, gnum) -> the export item with what its list says, for the wanted keys."""
    out = {}
    for row in rows:
        if (row[0], row[1]) in wanted:  # EXPORT_FACTS begins with invt_no, gnum
            e = from_row(ExportFacts, EXPORT_FACTS, row)
            out[e.key] = e
    return out


def build_holders(rows: list, wanted: set) -> dict:
    """(invtNo, gnum) -> {coElNo: Held}: what each line holding on the wanted export items holds."""
    out: dict = {}
    for co, invt, gnum, qty, qty1 in rows:
        if (invt, gnum) in wanted:
            out.setdefault((invt, gnum), {})[co] = Held(Decimal(qty), Decimal(qty1))
    return out


_CITATIONS: dict = {}  # a decision's citations as JSON, packed, by their content: a night has a few hundred distinct


def _citations_json(citations: dict) -> str:
    key = (citations.get("announcement"), citations.get("basis"), tuple(citations.get("reasons", {}).items()))
    text = _CITATIONS.get(key)
    if text is None:
        if len(_CITATIONS) > 4096:
            _CITATIONS.clear()
        text = _CITATIONS[key] = pack(json.dumps(citations, ensure_ascii=False, separators=(",", ":")))
    return text


def ledger_row(d: Decision, batch_id: str, fingerprint: str, return_hash: str, claim: Claim | None,
               version: int, **meta) -> dict:
    """A decision as a row of the decisions table (DECISIONS, by name), the line's current one; `meta` gives
    change, supersedes, reported_in and cause. Written out by name; only the values that may be dates or
    amounts go through to_ledger (this runs once per line decided)."""
    row = {
        "co_el_no": d.co_el_no, "gnum": d.gnum, "version": version, "batch_id": batch_id, "invt_no": d.invt_no,
        "return_date": d.return_date.isoformat(), "gcode": d.gcode, "qty": str(d.qty), "qty1": str(d.qty1),
        "export_date": to_ledger(d.export_date), "trade_mode": d.trade_mode, "window_end": to_ledger(d.window_end),
        "policy": d.policy, "decision": d.decision, "reasons": ";".join(d.reasons),
        "customs_value_cny": to_ledger(d.customs_value), "import_duty": to_ledger(d.import_duty),
        "consumption_tax": to_ledger(d.consumption_tax), "import_vat": to_ledger(d.import_vat),
        "export_duty_refund": str(d.export_duty_refund), "backpay_vat": str(d.backpay_vat),
        "backpay_ct": str(d.backpay_ct), "certificate_type": claim.certificate_type if claim else None,
        "certificate_no": claim.certificate_no if claim else None, "fingerprint": fingerprint,
        "return_hash": return_hash, "trail": pack(json.dumps(d.trail, ensure_ascii=False, separators=(",", ":"))),
        "status": "current", "citations": _citations_json(d.citations), "change": None, "supersedes": None,
        "reported_in": None, "cause": None,
        "waits": "reference" if waits_for_reference(d.decision, d.reasons) else None}
    row.update(meta)
    return row


def as_tuple(row: dict) -> tuple:
    return tuple(row[c] for c in DECISIONS.columns)
