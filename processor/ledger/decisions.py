"""What the decision stage reads from and writes to the ledger, in the same portable SQL."""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from ..law.decide import Decision, ExportFacts, LineFacts
from ..records import Claim, ClaimItem
from .base import CHUNK_KEYS, Ledger, _s

DECISION_COLUMNS = ("co_el_no", "gnum", "version", "batch_id", "invt_no", "return_date", "gcode", "qty", "qty1",
                    "export_date", "trade_mode", "window_end", "policy", "decision", "reasons", "customs_value_cny",
                    "import_duty", "consumption_tax", "import_vat", "export_duty_refund", "backpay_vat", "backpay_ct",
                    "certificate_type", "certificate_no", "fingerprint", "return_hash", "trail", "status")


def _dec(text) -> Decimal | None:
    return None if text is None else Decimal(text)


def _day(text) -> date | None:
    return None if text is None else date.fromisoformat(text)


class DecisionStore:
    def __init__(self, ledger: Ledger):
        self.ledger = ledger

    def _in(self, select: str, column: str, keys, params=()) -> list:
        return self.ledger._lookup(select, column, list(keys), params)

    # -- reading the inputs of decisions -------------------------------------------------------------
    # Each look-up is a fetch of raw rows (I/O, here) and a build of the facts (pure, module level), so the
    # decide stage can build and decide in another process while this one queries and inserts.
    def fetch_returns(self, co_el_nos) -> tuple[list, list]:
        heads = self._in("SELECT co_el_no, invt_no, app_time, ebc_code, ebp_code, content_hash, withdrawn "
                         "FROM return_apps", "co_el_no", co_el_nos)
        lines = self._in("SELECT co_el_no, gnum, gcode, unit, unit1, qty, qty1 FROM return_lines", "co_el_no",
                         [h[0] for h in heads])
        return heads, lines

    def returns(self, co_el_nos) -> dict:
        return build_returns(*self.fetch_returns(co_el_nos))

    def fetch_claims(self, co_el_nos) -> tuple[list, list]:
        heads = self._in("SELECT co_el_no, invt_no, return_date, reason_code, self_declaration_no, return_record_no, "
                         "return_agreement_no, certificate_type, certificate_no, zone_exit_date, content_hash "
                         "FROM claims", "co_el_no", co_el_nos)
        items = self._in("SELECT co_el_no, gnum, accessories_added, processed, used, trial_use_evidence, "
                         "export_duty_paid, refunded_vat, refunded_ct, customs_value FROM claim_items", "co_el_no",
                         [h[0] for h in heads])
        return heads, items

    def claims(self, co_el_nos) -> dict:
        return build_claims(*self.fetch_claims(co_el_nos))

    def fetch_receipts(self, co_el_nos) -> list:
        return self._in("SELECT co_el_no, content_hash FROM return_receipts", "co_el_no", co_el_nos)

    def receipt_hashes(self, co_el_nos) -> dict:
        return build_receipt_hashes(self.fetch_receipts(co_el_nos))

    def current(self, co_el_nos) -> dict:
        """(coElNo, gnum) -> the facts of its current decision needed to tell whether to decide again."""
        cols = ("co_el_no", "gnum", "version", "decision", "fingerprint", "return_hash")
        out = {}
        for row in self._in(f"SELECT {', '.join(cols)} FROM decisions WHERE status = 'current'", "co_el_no",
                            co_el_nos):
            d = dict(zip(cols, row))
            out[(d["co_el_no"], d["gnum"])] = d
        return out

    def fetch_exports(self, invt_nos) -> list:
        """The export items of these lists, with what their list says (build_exports keeps the wanted ones)."""
        return self._in("SELECT l.invt_no, i.gnum, l.ie_date, l.trade_mode, l.ebc_code, l.ebp_code, "
                        "l.void_reason, i.gcode, i.unit, i.unit1, i.qty, i.qty1, i.price, i.currency "
                        "FROM export_lists l JOIN export_items i ON i.list_key = l.list_key", "l.invt_no", invt_nos)

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
                                "VALUES (?, ?, ?, ?)", [(_s(d), co, g, v) for d, co, g, v in lines])

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
        self.ledger.executemany(f"INSERT INTO decisions ({', '.join(DECISION_COLUMNS)}) VALUES "
                                f"({', '.join('?' * len(DECISION_COLUMNS))})", rows)

    def release(self, previous: list) -> None:
        """Supersede the current decisions of lines about to be decided again: their quantity is free."""
        self.ledger.executemany("UPDATE decisions SET status = 'superseded' WHERE co_el_no = ? AND gnum = ? AND "
                                "version = ?", [(p["co_el_no"], p["gnum"], p["version"]) for p in previous])

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
        """The decisions a batch reports, in report order (return date, coElNo, gnum), streamed."""
        cols = [c for c in DECISION_COLUMNS if c != "trail"]
        for r in self.ledger.stream(
                f"SELECT {', '.join('d.' + c for c in cols)} FROM batch_decisions b JOIN decisions d ON "
                "d.co_el_no = b.co_el_no AND d.gnum = b.gnum AND d.version = b.version WHERE b.batch_id = ? "
                "ORDER BY d.return_date, d.co_el_no, d.gnum", (batch_id,)):
            yield dict(zip(cols, r))

    def of_return(self, co_el_no: str) -> list[dict]:
        cols = ", ".join(DECISION_COLUMNS)
        rows = self.ledger.query(f"SELECT {cols} FROM decisions WHERE co_el_no = ? ORDER BY gnum, version",
                                 (co_el_no,))
        return [dict(zip(DECISION_COLUMNS, r)) for r in rows]


# -- building facts from fetched rows, and decisions into rows: pure, so they run in any process ------------
def build_returns(heads: list, line_rows: list) -> dict:
    """coElNo -> {content_hash, withdrawn, lines (LineFacts by gnum)}."""
    by_co = {h[0]: h for h in heads}
    lines: dict = {}
    for co, gnum, gcode, unit, unit1, qty, qty1 in line_rows:
        h = by_co[co]
        lines.setdefault(co, []).append(LineFacts(co, h[1], datetime.fromisoformat(h[2]), h[3], h[4], gnum, gcode,
                                                  unit, unit1, Decimal(qty), Decimal(qty1)))
    return {co: {"content_hash": h[5], "withdrawn": h[6], "lines": sorted(lines.get(co, []), key=lambda x: x.gnum)}
            for co, h in by_co.items()}


def build_claims(heads: list, item_rows: list) -> dict:
    """coElNo -> (Claim, its content hash)."""
    items: dict = {}
    for r in item_rows:
        items.setdefault(r[0], []).append(ClaimItem(r[1], bool(r[2]), bool(r[3]), bool(r[4]), bool(r[5]),
                                                    Decimal(r[6]), Decimal(r[7]), Decimal(r[8]), _dec(r[9])))
    out = {}
    for h in heads:
        co = h[0]
        claim = Claim(co, h[1], date.fromisoformat(h[2]), h[3], h[4], h[5], h[6], h[7], h[8], _day(h[9]),
                      tuple(sorted(items.get(co, []), key=lambda i: i.gnum)))
        out[co] = (claim, h[10])
    return out


def build_receipt_hashes(rows: list) -> dict:
    out: dict = {}
    for co, h in rows:
        out.setdefault(co, []).append(h)
    return {co: sorted(hs) for co, hs in out.items()}


def build_exports(rows: list, wanted: set) -> dict:
    """(invtNo, gnum) -> the export item with what its list says, for the wanted keys."""
    out = {}
    for r in rows:
        if (r[0], r[1]) in wanted:
            out[(r[0], r[1])] = ExportFacts(r[0], r[1], date.fromisoformat(r[2]), r[3], r[4], r[5], r[6], r[7],
                                            r[8], r[9], Decimal(r[10]), Decimal(r[11]), Decimal(r[12]), r[13])
    return out


def build_held(rows: list, wanted: set) -> dict:
    """(invtNo, gnum) -> quantity held, for the wanted keys."""
    out: dict = {}
    for invt, gnum, qty, qty1 in rows:
        if (invt, gnum) in wanted:
            q, q1 = out.get((invt, gnum), (Decimal(0), Decimal(0)))
            out[(invt, gnum)] = (q + Decimal(qty), q1 + Decimal(qty1))
    return out


def decision_row(d: Decision, batch_id: str, fingerprint: str, return_hash: str, claim: Claim | None,
                 version: int) -> tuple:
    """A decision as a decisions row, the line's current one (its previous one was released)."""
    row = {
        "co_el_no": d.co_el_no, "gnum": d.gnum, "version": version, "batch_id": batch_id, "invt_no": d.invt_no,
        "return_date": _s(d.return_date), "gcode": d.gcode, "qty": _s(d.qty), "qty1": _s(d.qty1),
        "export_date": _s(d.export_date), "trade_mode": d.trade_mode, "window_end": _s(d.window_end),
        "policy": d.policy, "decision": d.decision, "reasons": ";".join(d.reasons),
        "customs_value_cny": _s(d.customs_value), "import_duty": _s(d.import_duty),
        "consumption_tax": _s(d.consumption_tax), "import_vat": _s(d.import_vat),
        "export_duty_refund": _s(d.export_duty_refund), "backpay_vat": _s(d.backpay_vat),
        "backpay_ct": _s(d.backpay_ct), "certificate_type": claim.certificate_type if claim else None,
        "certificate_no": claim.certificate_no if claim else None, "fingerprint": fingerprint,
        "return_hash": return_hash, "trail": json.dumps(d.trail, ensure_ascii=False, separators=(",", ":")),
        "status": "current"}
    return tuple(row[c] for c in DECISION_COLUMNS)


__all__ = ["DecisionStore", "DECISION_COLUMNS", "CHUNK_KEYS", "decision_row"]
