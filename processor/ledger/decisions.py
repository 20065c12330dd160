"""What the decision stage reads from and writes to the ledger: fetched as plain rows (cheap to send to
another process), built into the law's facts by name where they are decided (the build_* functions are
pure), and decisions stored as rows of the `decisions` table."""
from __future__ import annotations

import json
from decimal import Decimal

from ..law.facts import Decision, ExportFacts, Held, LineFacts
from ..law.redecide import Previous
from ..records import Claim, ClaimItem
from .tables import (CLAIM_ITEMS, CLAIMS, DECISIONS, EXPORT_FACTS, EXPORT_FACTS_FROM, LINE_FACTS, LINE_FACTS_FROM,
                     REPORTED, from_row, to_ledger)

RETURN_HEAD = ("co_el_no", "content_hash", "withdrawn")
PREVIOUS = ("co_el_no", "gnum", "version", "decision", "fingerprint", "return_hash")


class DecisionStore:
    def __init__(self, ledger):
        self.ledger = ledger

    def _in(self, select: str, column: str, keys, params=()) -> list:
        return self.ledger._lookup(select, column, list(keys), params)

    # -- reading the inputs of decisions: raw rows here, facts built by the pure build_* below ------------
    def fetch_returns(self, co_el_nos) -> tuple[list, list]:
        """(heads: RETURN_HEAD rows, lines: LINE_FACTS rows) of these returns."""
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

    def current(self, co_el_nos) -> dict:
        """(coElNo, gnum) -> Previous: what choosing a line's next step needs of its current decision."""
        out = {}
        for row in self._in(f"SELECT {', '.join(PREVIOUS)} FROM decisions WHERE status = 'current'", "co_el_no",
                            co_el_nos):
            d = dict(zip(PREVIOUS, row))
            key = (d.pop("co_el_no"), d.pop("gnum"))
            out[key] = Previous(**d)
        return out

    def fetch_exports(self, invt_nos) -> list:
        """EXPORT_FACTS rows of these lists' items (build_exports keeps the wanted ones)."""
        return self._in(f"SELECT {', '.join(EXPORT_FACTS)} {EXPORT_FACTS_FROM}", "l.invt_no", invt_nos)

    def fetch_held(self, invt_nos) -> list:
        """Quantities held by the current EXEMPT and PENDING decisions on these lists' items (build_held)."""
        return self._in("SELECT invt_no, gnum, qty, qty1 FROM decisions WHERE status = 'current' AND decision IN "
                        "('EXEMPT', 'PENDING')", "invt_no", invt_nos)

    # -- the queue of lines to decide, in decision order, kept out of memory ----------------------------
    def queue_open(self) -> None:
        """A temporary table (this connection's, on disk) for the lines to decide: a night can bring a
        million of them, and their order (return date, coElNo, gnum) is global."""
        text = f"TEXT{self.ledger.code_point_order}"  # the order Python sorts in, whatever the database's locale
        self.ledger.execute(f"CREATE TEMP TABLE IF NOT EXISTS decide_queue (return_date {text} NOT NULL, "
                            f"co_el_no {text} NOT NULL, gnum INTEGER NOT NULL, prev_version INTEGER NOT NULL, "
                            "PRIMARY KEY (return_date, co_el_no, gnum))")
        self.ledger.execute("DELETE FROM decide_queue")

    def queue_add(self, lines) -> None:
        """(return date, coElNo, gnum, version of the decision it replaces or 0)."""
        self.ledger.executemany("INSERT INTO decide_queue (return_date, co_el_no, gnum, prev_version) "
                                "VALUES (?, ?, ?, ?)", [(to_ledger(d), co, g, v) for d, co, g, v in lines])

    def queue(self, chunk: int):
        """The queued lines in decision order, a chunk at a time (keyset pages: no cursor held open)."""
        last = None
        while True:
            where = "" if last is None else "WHERE (return_date, co_el_no, gnum) > (?, ?, ?) "
            rows = self.ledger.query("SELECT return_date, co_el_no, gnum, prev_version FROM decide_queue "
                                     f"{where}ORDER BY return_date, co_el_no, gnum LIMIT {int(chunk)}",
                                     last or ())
            if not rows:
                return
            yield rows
            last = rows[-1][:3]

    def queue_close(self) -> None:
        self.ledger.execute("DROP TABLE IF EXISTS decide_queue")

    # -- writing -------------------------------------------------------------------------------------
    def insert(self, rows: list) -> None:
        self.ledger.executemany(DECISIONS.insert(), rows)

    def release(self, previous: list) -> None:
        """Supersede the current decisions of lines about to be decided again: their quantity is free.
        `previous`: (coElNo, gnum, version)."""
        self.ledger.executemany("UPDATE decisions SET status = 'superseded' WHERE co_el_no = ? AND gnum = ? AND "
                                "version = ?", previous)

    def withdraw(self, co_el_no: str, gnums=None) -> int:
        """Release the quantity held by a withdrawn return (or by lines a change dropped)."""
        if gnums is None:
            cur = self.ledger.execute("UPDATE decisions SET status = 'withdrawn' WHERE co_el_no = ? AND "
                                      "status = 'current'", (co_el_no,))
            return cur.rowcount
        n = 0
        for g in gnums:
            n += self.ledger.execute("UPDATE decisions SET status = 'withdrawn' WHERE co_el_no = ? AND gnum = ? AND "
                                     "status = 'current'", (co_el_no, g)).rowcount
        return n

    def reported(self, batch_id: str, keys) -> None:
        """Record (coElNo, gnum, version) as reported by the batch."""
        self.ledger.executemany("INSERT INTO batch_decisions (batch_id, co_el_no, gnum, version) VALUES (?, ?, ?, ?)",
                                [(batch_id, co, g, v) for co, g, v in keys])

    def of_batch(self, batch_id: str):
        """The decisions a batch reports (REPORTED columns, by name), in report order (return date, coElNo,
        gnum, text by code point whatever the database's locale), streamed."""
        order = self.ledger.code_point_order
        for r in self.ledger.stream(
                f"SELECT {', '.join('d.' + c for c in REPORTED)} FROM batch_decisions b JOIN decisions d ON "
                "d.co_el_no = b.co_el_no AND d.gnum = b.gnum AND d.version = b.version WHERE b.batch_id = ? "
                f"ORDER BY d.return_date{order}, d.co_el_no{order}, d.gnum", (batch_id,)):
            yield dict(zip(REPORTED, r))

    def of_return(self, co_el_no: str) -> list[dict]:
        rows = self.ledger.query(f"{DECISIONS.select()} WHERE co_el_no = ? ORDER BY gnum, version", (co_el_no,))
        return [dict(zip(DECISIONS.columns, r)) for r in rows]


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


def build_held(rows: list, wanted: set) -> dict:
    """(invtNo, gnum) -> Held, for the wanted keys."""
    out: dict = {}
    for invt, gnum, qty, qty1 in rows:
        if (invt, gnum) in wanted:
            out[(invt, gnum)] = out.get((invt, gnum), Held()).plus(Decimal(qty), Decimal(qty1))
    return out


_CITATIONS: dict = {}  # a decision's citations as JSON, by their content: a night has a few hundred distinct


def _citations_json(citations: dict) -> str:
    key = (citations.get("announcement"), citations.get("basis"), tuple(citations.get("reasons", {}).items()))
    text = _CITATIONS.get(key)
    if text is None:
        if len(_CITATIONS) > 4096:
            _CITATIONS.clear()
        text = _CITATIONS[key] = json.dumps(citations, ensure_ascii=False, separators=(",", ":"))
    return text


def ledger_row(d: Decision, batch_id: str, fingerprint: str, return_hash: str, claim: Claim | None,
               version: int) -> tuple:
    """A decision as a row of the decisions table (DECISIONS), the line's current one. Written out by name;
    only the values that may be dates or amounts go through to_ledger (this runs once per line decided)."""
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
        "return_hash": return_hash, "trail": json.dumps(d.trail, ensure_ascii=False, separators=(",", ":")),
        "status": "current", "citations": _citations_json(d.citations)}
    return tuple(row[c] for c in DECISIONS.columns)
