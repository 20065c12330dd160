"""Prove the tax bureau can use reconciliation.xml (CONTRACT §5-§6, schemas/reconciliation.xsd).

A test bureau that knows nothing but the nightly reconciliation.xml keeps a table of decisions keyed by
(returnId, gnum) and applies each night's file in order: NEW inserts, REVISED replaces the row reported by the batch
named in `supersedes`, WITHDRAWN removes it; a record identical to what the table already holds (a rerun repeats its
night) changes nothing, though the bureau notes that batch as having reported the row too, so a later correction
may name either (CONTRACT §6 "the batch that reported its last decision" does not say which of the two a rerun
leaves as that batch).  It checks the file's control totals (ByDecision, All and ByChange are the sums of its
records; NetChange is the difference the file made to the table) and refuses what it cannot apply.

Several nights go through the command line against one ledger (SQLite, and PostgreSQL when PROCESSOR_TEST_PG_URL
is set): new lines, claims replaced (PENDING->EXEMPT, EXEMPT->PENDING, REJECTED->EXEMPT), a late export, a CEB605
cancelling a list after its returns, withdrawals by CEB213 appType 3 and by CEB214 status 100 that free quantity for
QTY_EXCEEDS_EXPORT lines, a rerun of a night and a night after that rerun.  After every night the bureau's table
must equal the ledger's decisions in force, on returnId, gnum, decision, reasons and every amount: if it does not,
the bureau cannot reconcile its books with the file it was sent.
"""
from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
import xmlschema
from lxml import etree

from .casebook import writer as W
from .casebook.writer import (Claim, ClaimItem, ExportItem, ExportList, ListCancel, ReturnApp, ReturnLine,
                              ReturnReceipt)
from .helpers import ledger_rows, run_batch

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = xmlschema.XMLSchema(str(ROOT / "schemas" / "reconciliation.xsd"))
REFERENCE = ROOT / "tests" / "casebook" / "reference"     # plain goods 8471300000: USD 100 a unit at 7.1000
NS = "urn:cbec-returns:reconciliation:1"
MONEY = ("customsValueCny", "importDuty", "consumptionTax", "importVat", "exportDutyRefund", "backpayVat",
         "backpayCt")
LEDGER_MONEY = ("customs_value_cny", "import_duty", "consumption_tax", "import_vat", "export_duty_refund",
                "backpay_vat", "backpay_ct")
DECISIONS = ("EXEMPT", "PENDING", "REJECTED")
CHANGES = ("NEW", "REVISED", "WITHDRAWN")
CSV_HEADER_END = ["change", "supersedes"]                # CONTRACT §5: the 21st and 22nd columns
# No DTD, no entities, no network: the bureau reads the file as data.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                         huge_tree=False, remove_comments=True)

Key = Tuple[str, int]                                    # (returnId, gnum): one return line


# =========================================================================== the bureau

@dataclass(frozen=True)
class Record:
    """One Decision of a reconciliation file, as the bureau reads it."""
    key: Key
    change: str
    supersedes: str
    decision: str
    reasons: Tuple[str, ...]
    amounts: Tuple[Optional[Decimal], ...]              # in MONEY order; None where the element is absent
    content: tuple                                       # every element of the record: what "identical" compares

    def brief(self) -> str:
        return (f"{self.key[0]}/{self.key[1]} {self.change}"
                f"{' of ' + self.supersedes if self.supersedes else ''}: {self.decision} {';'.join(self.reasons)}")


@dataclass
class Totals:
    lines: int = 0
    amounts: Tuple[Decimal, ...] = tuple(Decimal("0.00") for _ in MONEY)

    def plus(self, amounts) -> "Totals":
        """These totals and one more line of these amounts (an absent amount counts as 0)."""
        return Totals(self.lines + 1, tuple(a + (b or 0) for a, b in zip(self.amounts, amounts)))

    def minus(self, other: "Totals") -> "Totals":
        return Totals(self.lines - other.lines, tuple(a - b for a, b in zip(self.amounts, other.amounts)))

    def __str__(self) -> str:
        return f"lines={self.lines} " + " ".join(f"{m}={a}" for m, a in zip(MONEY, self.amounts))


@dataclass
class ReconciliationFile:
    batch_id: str
    records: List[Record]
    by_decision: Dict[str, Totals]
    all: Totals
    by_change: Dict[str, Totals]
    net_change: Dict[str, Totals]                        # EXEMPT, PENDING, REJECTED and ALL


def _local(el) -> str:
    return etree.QName(el).localname


def _totals(el) -> Totals:
    return Totals(int(el.get("lines")), tuple(Decimal(el.get(m)) for m in MONEY))


def read_reconciliation(path: Path) -> ReconciliationFile:
    """Parse and validate one reconciliation.xml the way an import job would: against the published XSD, no
    DTD, entities or network."""
    doc = etree.parse(str(path), PARSER)
    assert not doc.docinfo.doctype, f"{path}: a DOCTYPE in the bureau's file"
    try:
        SCHEMA.validate(doc)
    except xmlschema.XMLSchemaValidationError as err:   # the reason and where, not the whole schema
        raise AssertionError(f"{path} is not valid against schemas/reconciliation.xsd: {err.reason} at {err.path}: "
                             f"{etree.tostring(err.elem, encoding='unicode')[:300] if err.elem is not None else ''}"
                             ) from None
    root = doc.getroot()
    q = lambda tag: f"{{{NS}}}{tag}"  # noqa: E731
    records = []
    for d in root.iter(q("Decision")):
        text = {_local(c): (c.text or "") for c in d}
        records.append(Record(
            key=(text["returnId"], int(text["gnum"])),
            change=d.get("change"), supersedes=d.get("supersedes") or "",
            decision=text["decision"],
            reasons=tuple(sorted(r.get("code") for r in d.iter(q("Reason")))),
            amounts=tuple(Decimal(text[m]) if m in text else None for m in MONEY),
            content=tuple((_local(e), (e.text or "").strip(), tuple(sorted(e.attrib.items())))
                          for e in d.iterdescendants())))
    ct = root.find(q("ControlTotals"))
    net = {el.get("decision") or "ALL": _totals(el) for el in ct.findall(q("NetChange"))}
    return ReconciliationFile(
        batch_id=root.find(q("Batch")).get("id"), records=records,
        by_decision={el.get("decision"): _totals(el) for el in ct.findall(q("ByDecision"))},
        all=_totals(ct.find(q("All"))),
        by_change={el.get("change"): _totals(el) for el in ct.findall(q("ByChange"))},
        net_change=net)


class BureauRefuses(AssertionError):
    """The file cannot be applied to the bureau's table as it stands."""


@dataclass
class Row:
    record: Record
    reported_by: set                                     # the batch that reported it, and any that repeated it


@dataclass
class Bureau:
    """The tax bureau's table of decisions in force, built from reconciliation files alone."""
    table: Dict[Key, Row] = field(default_factory=dict)
    withdrawn: Dict[Key, Record] = field(default_factory=dict)   # the last WITHDRAWN record applied per line

    def totals(self) -> Dict[str, Totals]:
        out = {d: Totals() for d in (*DECISIONS, "ALL")}
        for row in self.table.values():
            for group in (row.record.decision, "ALL"):
                out[group] = out[group].plus(row.record.amounts)
        return out

    def apply(self, batch_id: str, rec: Record) -> bool:
        """Apply one record; True when it changed the table, False when it repeats what the table holds."""
        row = self.table.get(rec.key)
        if row is not None and row.record.content == rec.content and rec.change != "WITHDRAWN":
            row.reported_by.add(batch_id)                # a rerun's repeat: nothing changes
            return False
        if rec.change == "NEW":
            if rec.supersedes:
                raise BureauRefuses(f"{rec.brief()}: a NEW record names a batch it supersedes")
            if row is not None:
                raise BureauRefuses(f"{rec.brief()}: NEW, but the table already holds {row.record.brief()} "
                                    f"(reported by {sorted(row.reported_by)})")
            self.table[rec.key] = Row(rec, {batch_id})
            self.withdrawn.pop(rec.key, None)
            return True
        if rec.change == "REVISED":
            if row is None or rec.supersedes not in row.reported_by:
                holds = f"{row.record.brief()} reported by {sorted(row.reported_by)}" if row else "nothing for it"
                raise BureauRefuses(f"{rec.brief()}: no row of that line reported by {rec.supersedes!r}; the table "
                                    f"holds {holds}")
            self.table[rec.key] = Row(rec, {batch_id})
            return True
        if rec.change == "WITHDRAWN":
            gone = self.withdrawn.get(rec.key)
            if row is None and gone is not None and (gone.content, gone.supersedes) == (rec.content, rec.supersedes):
                return False                             # a rerun repeating the withdrawal
            if row is None or rec.supersedes not in row.reported_by:
                raise BureauRefuses(f"{rec.brief()}: no row of that line reported by {rec.supersedes!r} to withdraw; "
                                    f"the table holds {row.record.brief() if row else 'nothing for it'}")
            if (row.record.decision, row.record.reasons, row.record.amounts) != \
                    (rec.decision, rec.reasons, rec.amounts):
                raise BureauRefuses(f"{rec.brief()}: a WITHDRAWN record must repeat the decision it cancels, "
                                    f"{row.record.brief()} {row.record.amounts}")
            del self.table[rec.key]
            self.withdrawn[rec.key] = rec
            return True
        raise BureauRefuses(f"{rec.brief()}: unknown change {rec.change!r}")

    def import_file(self, f: ReconciliationFile, label: str) -> Tuple[int, int]:
        """Check the control totals, apply every record; (records that changed the table, repeats)."""
        label = f"{label} (batch {f.batch_id})"
        keys = Counter(r.key for r in f.records)
        twice = [k for k, n in keys.items() if n > 1]
        assert not twice, f"{label}: lines reported more than once in one file: {twice}"
        check_sums(f, label)
        before = self.totals()
        applied = sum(self.apply(f.batch_id, r) for r in f.records)
        repeats = len(f.records) - applied
        if applied:                                      # NetChange: what the file did to the table
            after = self.totals()
            for group in (*DECISIONS, "ALL"):
                made = after[group].minus(before[group])
                assert f.net_change[group] == made, \
                    f"{label}: NetChange {group} says {f.net_change[group]}, the file made {made}"
        return applied, repeats

    def in_force(self) -> Dict[Key, tuple]:
        return {k: (r.record.decision, r.record.reasons, r.record.amounts) for k, r in self.table.items()}


def check_sums(f: ReconciliationFile, label: str) -> None:
    """ByDecision, All and ByChange are the sums of the records as written (a WITHDRAWN record counts with its
    amounts, as written, under its decision and its change kind)."""
    by_decision = {d: Totals() for d in DECISIONS}
    by_change = {c: Totals() for c in CHANGES}
    everything = Totals()
    for r in f.records:
        by_decision[r.decision] = by_decision[r.decision].plus(r.amounts)
        by_change[r.change] = by_change[r.change].plus(r.amounts)
        everything = everything.plus(r.amounts)
    assert set(f.net_change) == {*DECISIONS, "ALL"}, f"{label}: NetChange groups {sorted(f.net_change)}"
    for d in DECISIONS:
        assert f.by_decision.get(d) == by_decision[d], \
            f"{label}: ByDecision {d} says {f.by_decision.get(d)}, the records sum to {by_decision[d]}"
    assert f.all == everything, f"{label}: All says {f.all}, the records sum to {everything}"
    for c in CHANGES:
        assert f.by_change.get(c) == by_change[c], \
            f"{label}: ByChange {c} says {f.by_change.get(c)}, the records sum to {by_change[c]}"


# =========================================================================== the ledger's side

def ledger_in_force(url: str) -> Dict[Key, tuple]:
    """The ledger's decision in force of every return line (status 'current'; withdrawn lines have none)."""
    rows = ledger_rows(url, "SELECT co_el_no, gnum, decision, reasons, " + ", ".join(LEDGER_MONEY)
                       + " FROM decisions WHERE status = 'current'")
    out = {}
    for co_el_no, gnum, decision, reasons, *money in rows:
        key = (co_el_no, int(gnum))
        assert key not in out, f"the ledger has two current decisions of {key}"
        out[key] = (decision, tuple(sorted(c for c in (reasons or "").split(";") if c)),
                    tuple(Decimal(str(m)) if m not in (None, "") else None for m in money))
    return out


def read_decisions_csv(out: Path) -> Tuple[List[str], List[Dict[str, str]]]:
    with open(out / "decisions.csv", encoding="utf-8-sig", newline="") as fh:
        rd = csv.reader(fh)
        header = next(rd)
        return header, [dict(zip(header, r)) for r in rd]


# =========================================================================== the nights

G, PRICE, ON = "8471300000", "100.00", "2025-05-06"     # plain goods, exported 2025-05-06 (window to 2025-11-06)
A, B, C, D, E, F, L = (f"29922025E{n:05d}0001" for n in range(901, 908))


def export(invt_no: str, qty: str) -> ExportList:
    return ExportList(cop_no="COP-" + invt_no[-9:], invt_no=invt_no, ie_date=ON, trade_mode="9610",
                      items=[ExportItem(gnum=1, gcode=G, qty=qty, price=PRICE)])


def ret(co_el_no: str, invt_no: str, day: str, app_type: str = "1") -> ReturnApp:
    return ReturnApp(co_el_no=co_el_no, invt_no=invt_no, app_time=day.replace("-", "") + "100000",
                     lines=[ReturnLine(gnum=1, gcode=G, qty="1")], app_type=app_type)


def claim(co_el_no: str, invt_no: str, day: str, **kw) -> Claim:
    items = [ClaimItem(gnum=1, refunded_vat=kw.pop("refunded_vat", None))]
    return Claim(co_el_no=co_el_no, invt_no=invt_no, return_date=day, items=items, **kw)


@dataclass
class Night:
    """One night's inbox, and what its reconciliation.xml must say: per line (change, decision, a reason code
    it must carry or "" for none, the nights whose batch it may supersede)."""
    name: str
    exports: list = field(default_factory=list)
    cancels: list = field(default_factory=list)
    returns: list = field(default_factory=list)
    receipts: list = field(default_factory=list)
    claims: list = field(default_factory=list)
    expect: Dict[Key, Tuple[str, str, str, Tuple[int, ...]]] = field(default_factory=dict)
    rerun_of: Optional[int] = None                       # index of the night whose inbox runs again

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True)
        tag = self.name
        if self.exports:
            (folder / "01-ceb603.xml").write_bytes(W.ceb603(self.exports, tag))
        if self.cancels:
            (folder / "03-ceb605.xml").write_bytes(W.ceb605(self.cancels, tag))
        if self.returns:
            (folder / "04-ceb213.xml").write_bytes(W.ceb213(self.returns, tag))
        if self.receipts:
            (folder / "05-ceb214.xml").write_bytes(W.ceb214(self.receipts, tag))
        if self.claims:
            (folder / "06-claims.xml").write_bytes(W.claims(self.claims))


def k(co_el_no: str) -> Key:
    return (co_el_no, 1)


NO_CERT = {"certificate": None}
NIGHTS: List[Night] = [
    Night("n1",
          exports=[export(A, "2"), export(B, "1"), export(C, "1"), export(D, "1"), export(E, "1"), export(F, "2")],
          returns=[ret("RB-PE", A, "2025-06-02"), ret("RB-RE", A, "2025-06-03"), ret("RB-EP", B, "2025-06-02"),
                   ret("RB-LATE", L, "2025-06-04"), ret("RB-VOID", C, "2025-06-02"),
                   ret("RB-WD3", D, "2025-06-02"), ret("RB-WD4", E, "2025-06-02"), ret("RB-NC", F, "2025-06-05")],
          claims=[claim("RB-PE", A, "2025-06-02", **NO_CERT), claim("RB-RE", A, "2025-06-03", reason_code="OTHER"),
                  claim("RB-EP", B, "2025-06-02"), claim("RB-LATE", L, "2025-06-04"),
                  claim("RB-VOID", C, "2025-06-02"), claim("RB-WD3", D, "2025-06-02"),
                  claim("RB-WD4", E, "2025-06-02")],
          expect={k("RB-PE"): ("NEW", "PENDING", "CERTIFICATE_MISSING", ()),
                  k("RB-RE"): ("NEW", "REJECTED", "REASON_NOT_ELIGIBLE", ()),
                  k("RB-EP"): ("NEW", "EXEMPT", "", ()),
                  k("RB-LATE"): ("NEW", "REJECTED", "NO_SUCH_EXPORT", ()),
                  k("RB-VOID"): ("NEW", "EXEMPT", "", ()),
                  k("RB-WD3"): ("NEW", "EXEMPT", "", ()),
                  k("RB-WD4"): ("NEW", "EXEMPT", "", ()),
                  k("RB-NC"): ("NEW", "PENDING", "CLAIM_MISSING", ())}),
    # Claims replaced: PENDING->EXEMPT (certificate now given), EXEMPT->PENDING (a VAT refund was granted, no
    # PAID_BACK certificate), REJECTED->EXEMPT (OTHER corrected to UNSOLD).  D and E are held in full by RB-WD3 and
    # RB-WD4, so their second returns exceed.
    Night("n2",
          returns=[ret("RB-X3", D, "2025-06-20"), ret("RB-X4", E, "2025-06-20")],
          claims=[claim("RB-PE", A, "2025-06-02"), claim("RB-EP", B, "2025-06-02", refunded_vat="5.00", **NO_CERT),
                  claim("RB-RE", A, "2025-06-03"), claim("RB-X3", D, "2025-06-20"), claim("RB-X4", E, "2025-06-20")],
          expect={k("RB-PE"): ("REVISED", "EXEMPT", "", (0,)),
                  k("RB-EP"): ("REVISED", "PENDING", "BACKPAY_REQUIRED", (0,)),
                  k("RB-RE"): ("REVISED", "EXEMPT", "", (0,)),
                  k("RB-X3"): ("NEW", "REJECTED", "QTY_EXCEEDS_EXPORT", ()),
                  k("RB-X4"): ("NEW", "REJECTED", "QTY_EXCEEDS_EXPORT", ())}),
    # L's export arrives after its return; C is cancelled after RB-VOID was exempted; RB-WD3 is deleted (appType 3),
    # which frees D for RB-X3.
    Night("n3",
          exports=[export(L, "1")],
          cancels=[ListCancel(cop_no="COP-" + C[-9:], invt_no=C, app_time="20250801100000")],
          returns=[ret("RB-WD3", D, "2025-07-15", app_type="3")],
          expect={k("RB-LATE"): ("REVISED", "EXEMPT", "", (0,)),
                  k("RB-VOID"): ("REVISED", "REJECTED", "EXPORT_VOID", (0,)),
                  k("RB-WD3"): ("WITHDRAWN", "EXEMPT", "", (0,)),
                  k("RB-X3"): ("REVISED", "EXEMPT", "", (1,))}),
    # RB-WD4 refused by customs (CEB214 status 100), which frees E for RB-X4; RB-NC's claim arrives; a new line.
    Night("n4",
          returns=[ret("RB-N4", F, "2025-07-01")],
          receipts=[ReturnReceipt(co_el_no="RB-WD4", invt_no=E, status="100", time="20250716100000000")],
          claims=[claim("RB-NC", F, "2025-06-05"), claim("RB-N4", F, "2025-07-01")],
          expect={k("RB-WD4"): ("WITHDRAWN", "EXEMPT", "", (0,)),
                  k("RB-X4"): ("REVISED", "EXEMPT", "", (1,)),
                  k("RB-NC"): ("REVISED", "EXEMPT", "", (0,)),
                  k("RB-N4"): ("NEW", "EXEMPT", "", ())}),
    Night("n4-rerun", rerun_of=3),
    # After the rerun: a REVISED and a WITHDRAWN of lines the rerun repeated; either batch that reported them
    # identically may be named.
    Night("n6",
          receipts=[ReturnReceipt(co_el_no="RB-NC", invt_no=F, status="100", time="20250720100000000")],
          claims=[claim("RB-N4", F, "2025-07-01", reason_code="OTHER")],
          expect={k("RB-N4"): ("REVISED", "REJECTED", "REASON_NOT_ELIGIBLE", (3, 4)),
                  k("RB-NC"): ("WITHDRAWN", "EXEMPT", "", (3, 4))}),
]


def check_expected(night: Night, f: ReconciliationFile, batches: List[str]) -> None:
    got = {r.key: r for r in f.records}
    assert set(got) == set(night.expect), (
        f"night {night.name}: lines reported {sorted(got)}, expected {sorted(night.expect)}\n  "
        + "\n  ".join(r.brief() for r in f.records))
    for key, (change, decision, reason, may_supersede) in night.expect.items():
        r = got[key]
        assert (r.change, r.decision) == (change, decision), f"night {night.name}: {r.brief()}, expected {change} " \
                                                             f"{decision}"
        assert (reason in r.reasons) if reason else not r.reasons, \
            f"night {night.name}: {r.brief()}, expected reasons {reason or 'none'}"
        allowed = {batches[i] for i in may_supersede} or {""}
        assert r.supersedes in allowed, f"night {night.name}: {r.brief()} supersedes {r.supersedes!r}, " \
                                        f"expected one of {sorted(allowed)}"


def check_csv_matches_xml(night: Night, out: Path, f: ReconciliationFile) -> None:
    """decisions.csv and reconciliation.xml report the same lines with the same change (CONTRACT §5)."""
    header, rows = read_decisions_csv(out)
    assert len(header) == 22 and header[-2:] == CSV_HEADER_END, f"night {night.name}: decisions.csv header {header}"
    assert {r["batch_id"] for r in rows} <= {f.batch_id}
    from_csv = Counter((r["return_id"], int(r["gnum"]), r["change"], r["supersedes"], r["decision"],
                        tuple(sorted(c for c in r["reasons"].split(";") if c))) for r in rows)
    from_xml = Counter((*r.key, r.change, r.supersedes, r.decision, r.reasons) for r in f.records)
    assert from_csv == from_xml, f"night {night.name}: decisions.csv {sorted(from_csv)} != reconciliation.xml " \
                                 f"{sorted(from_xml)}"


# =========================================================================== the tests

def test_bureau_table_equals_ledger_night_after_night(ledger_url, tmp_path):
    """Every night's file, applied by the bureau alone, leaves its table equal to the ledger's decisions in force;
    every control total adds up; a rerun repeats its night and changes nothing."""
    bureau = Bureau()
    batches: List[str] = []
    files: List[ReconciliationFile] = []
    for i, night in enumerate(NIGHTS):
        inbox = tmp_path / f"inbox-{night.name}"
        if night.rerun_of is None:
            night.write(inbox)
        else:
            inbox = tmp_path / f"inbox-{NIGHTS[night.rerun_of].name}"
        out = tmp_path / f"out-{night.name}"
        extra = ("--reference", str(REFERENCE)) + (("--init",) if i == 0 else ())
        code, summary, output = run_batch(inbox, out, *extra, ledger=ledger_url)
        assert code == 0, f"night {night.name}: exit {code}: {output}"
        f = read_reconciliation(out / "reconciliation.xml")
        assert f.batch_id == summary["batch_id"] and f.batch_id not in batches, f"night {night.name}: {f.batch_id}"
        batches.append(f.batch_id)
        files.append(f)
        check_csv_matches_xml(night, out, f)

        applied, repeats = bureau.import_file(f, f"night {night.name}")
        if night.rerun_of is None:
            assert repeats == 0, f"night {night.name}: {repeats} records repeat what the bureau already holds"
            check_expected(night, f, batches)
        else:
            first = files[night.rerun_of]
            assert (applied, repeats) == (0, len(first.records)), \
                f"night {night.name}: a rerun must only repeat its night; it changed {applied} rows"
            same = lambda fl: sorted((r.key, r.change, r.supersedes, r.content) for r in fl.records)  # noqa: E731
            assert same(f) == same(first), f"night {night.name}: the rerun wrote other records than its night"

        ledger = ledger_in_force(ledger_url)
        table = bureau.in_force()
        diff = {key: (table.get(key), ledger.get(key)) for key in set(table) | set(ledger)
                if table.get(key) != ledger.get(key)}
        assert not diff, f"night {night.name}: the bureau's table (left) differs from the ledger (right): " + \
                         "".join(f"\n  {key}: {ours} | {theirs}" for key, (ours, theirs) in sorted(diff.items()))


def _record(key, change, decision, amount, supersedes="", reasons=()) -> Record:
    amounts = (Decimal(amount),) + tuple(Decimal("0.00") for _ in MONEY[1:])
    return Record(key, change, supersedes, decision, tuple(reasons), amounts,
                  content=(("decision", decision, ()), ("customsValueCny", amount, ())))


def test_bureau_is_strict():
    """The bureau itself: it applies what it should and refuses a record it cannot place, so the test above
    cannot pass by a bureau that accepts anything."""
    b = Bureau()
    x, y = ("R1", 1), ("R2", 1)
    assert b.apply("B1", _record(x, "NEW", "PENDING", "710.00", reasons=("CERTIFICATE_MISSING",)))
    assert b.apply("B1", _record(y, "NEW", "EXEMPT", "710.00"))
    assert not b.apply("B1b", _record(y, "NEW", "EXEMPT", "710.00"))                  # a rerun's repeat
    with pytest.raises(BureauRefuses):
        b.apply("B2", _record(y, "NEW", "REJECTED", "710.00"))                      # NEW over a held line
    with pytest.raises(BureauRefuses):
        b.apply("B2", _record(x, "REVISED", "EXEMPT", "710.00", supersedes="B0"))   # names the wrong batch
    with pytest.raises(BureauRefuses):
        b.apply("B2", _record(("R9", 1), "WITHDRAWN", "EXEMPT", "710.00", supersedes="B1"))  # nothing to withdraw
    with pytest.raises(BureauRefuses):
        b.apply("B2", _record(y, "WITHDRAWN", "PENDING", "1.00", supersedes="B1"))  # not the decision it cancels

    before = b.totals()
    assert b.apply("B2", _record(x, "REVISED", "EXEMPT", "700.00", supersedes="B1"))
    assert b.apply("B2", _record(y, "WITHDRAWN", "EXEMPT", "710.00", supersedes="B1b"))
    assert not b.apply("B2b", _record(y, "WITHDRAWN", "EXEMPT", "710.00", supersedes="B1b"))  # repeated withdrawal
    net = {g: b.totals()[g].minus(before[g]) for g in before}
    assert (net["PENDING"].lines, net["PENDING"].amounts[0]) == (-1, Decimal("-710.00"))
    assert (net["EXEMPT"].lines, net["EXEMPT"].amounts[0]) == (0, Decimal("-10.00"))
    assert (net["ALL"].lines, net["ALL"].amounts[0]) == (-1, Decimal("-720.00"))
    assert b.in_force() == {x: ("EXEMPT", (), _record(x, "NEW", "EXEMPT", "700.00").amounts)}
