"""Properties of deciding again across nights (CONTRACT §6 "Quantity held", "Decisions follow their inputs",
"What is reported"), over random sequences of nights.

A scenario has a few export items (qty 1-3), returns against them (lines of qty 1-2), claims that are sometimes
missing and sometimes replaced by one with a refund or another reason, withdrawals (CEB213 appType 3 or CEB214
status 100), and exports that may arrive after their returns; its events are spread over 2-4 nights.  After each
night, against one ledger:

(a) no export item has more held against it (qty of its current EXEMPT and PENDING lines) than was exported by then:
    a return may never be exempted twice over for goods that left once;
(b) decisions.csv links every row to what the bureau already has: a REVISED or WITHDRAWN row supersedes the batch
    that reported its line last (read from every decisions.csv written so far), a NEW row supersedes nothing and
    its line was never reported before (unless its last report was a withdrawal), and a line withdrawn is never
    revised or withdrawn again;
(c) after the last night, rerunning it (same inbox, same ledger) writes the same rows, batch_id aside, and leaves
    the decisions in force as they were;
(d) the decisions.csv files so far, replayed in order (NEW and REVISED set a line, WITHDRAWN removes it), give the
    ledger's decisions in force: without this, a processor that never decides anything again would pass (a)-(c);
(e) no line in force is still REJECTED NO_SUCH_EXPORT once its export is stored, or QTY_EXCEEDS_EXPORT while its
    item has room for it: both are decided again when that changes.

In-process runs (readers not forked), a modest number of examples, derandomized and without the example database
so CI is reproducible.  A failing example prints its nights as a story, and what each night wrote.
"""
from __future__ import annotations

import csv
import os
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from unittest import mock

from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

from .casebook import writer as W
from .casebook.writer import Claim, ClaimItem, ExportItem, ExportList, ReturnApp, ReturnLine, ReturnReceipt
from .helpers import ledger_rows, run_batch

REFERENCE = Path(__file__).resolve().parent / "casebook" / "reference"   # plain goods at 7.1000 a USD
GOODS, PRICE, EXPORTED_ON = "8471300000", "100.00", "2025-05-06"        # returns in June 2025 are in the window
HEADER_END = ["change", "supersedes"]

# What a claim says, by kind: what it would decide on its own, with nothing else wrong.
CLAIM_KINDS = {
    "UNSOLD": {},                                                          # complete: EXEMPT
    "NO_CERTIFICATE": {"certificate": None},                               # PENDING CERTIFICATE_MISSING
    "REFUND": {"certificate": None, "refunded_vat": "5.00"},               # PENDING BACKPAY_REQUIRED
    "OTHER": {"reason_code": "OTHER"},                                     # REJECTED REASON_NOT_ELIGIBLE
    "BUYER_RETURN": {"reason_code": "BUYER_RETURN", "self_declaration_no": None, "return_record_no": "RR-0001"},
}
WITHDRAWALS = ("CEB213 appType 3", "CEB214 status 100")


# =========================================================================== scenarios

@dataclass(frozen=True)
class ExportPlan:
    invt_no: str
    qtys: Tuple[int, ...]                 # exported qty of gnum 1, 2, ...
    night: int

    def story(self) -> str:
        items = ", ".join(f"gnum {g} qty {q}" for g, q in enumerate(self.qtys, 1))
        return f"CEB603 list {self.invt_no}: {items}"


@dataclass(frozen=True)
class ReturnPlan:
    co_el_no: str
    invt_no: str
    lines: Tuple[Tuple[int, int], ...]    # (gnum, qty) of each return line
    day: str                              # the return date (appTime and the claim's returnDate)
    night: int
    claim: Optional[str] = None           # a CLAIM_KINDS key, None: no claim ever
    claim_night: Optional[int] = None
    replaced_by: Optional[str] = None     # a second claim for the same coElNo, replacing the first
    replaced_night: Optional[int] = None
    withdrawal: Optional[str] = None      # one of WITHDRAWALS
    withdrawal_night: Optional[int] = None

    def events(self):
        lines = ", ".join(f"gnum {g} qty {q}" for g, q in self.lines)
        yield self.night, f"CEB213 {self.co_el_no} against {self.invt_no}: {lines} (return date {self.day})"
        if self.claim:
            yield self.claim_night, f"claim for {self.co_el_no}: {self.claim}"
        if self.replaced_by:
            yield self.replaced_night, f"claim for {self.co_el_no} replaced: {self.replaced_by}"
        if self.withdrawal:
            yield self.withdrawal_night, f"{self.co_el_no} withdrawn by {self.withdrawal}"


@dataclass(frozen=True)
class Scenario:
    nights: int
    exports: Tuple[ExportPlan, ...]
    returns: Tuple[ReturnPlan, ...]

    def __repr__(self) -> str:
        events = [(e.night, e.story()) for e in self.exports] + [ev for r in self.returns for ev in r.events()]
        story = "\n".join(f"  night {n + 1}: {what}" for n, what in sorted(events, key=lambda e: e[0]))
        return f"Scenario of {self.nights} nights:\n{story}\n"

    def _repr_pretty_(self, printer, cycle) -> None:        # how Hypothesis prints a failing example
        printer.text(repr(self))

    def inbox(self, night: int, folder: Path) -> None:
        """The files of one night, in the order a night's folder sorts them."""
        folder.mkdir(parents=True)
        tag = f"night{night}"
        lists = [ExportList(cop_no="COP-" + e.invt_no[-9:], invt_no=e.invt_no, ie_date=EXPORTED_ON,
                            trade_mode="9610",
                            items=[ExportItem(gnum=g, gcode=GOODS, qty=str(q), price=PRICE)
                                   for g, q in enumerate(e.qtys, 1)])
                 for e in self.exports if e.night == night]
        if lists:
            (folder / "01-ceb603.xml").write_bytes(W.ceb603(lists, tag))
        arrive = [_return_app(r, r.day, "1") for r in self.returns if r.night == night]
        if arrive:
            (folder / "02-ceb213.xml").write_bytes(W.ceb213(arrive, tag))
        deleted = [_return_app(r, "2025-07-20", "3") for r in self.returns
                   if r.withdrawal == WITHDRAWALS[0] and r.withdrawal_night == night]
        if deleted:
            (folder / "03-ceb213-delete.xml").write_bytes(W.ceb213(deleted, tag + "-delete"))
        refused = [ReturnReceipt(co_el_no=r.co_el_no, invt_no=r.invt_no, status="100", time="20250721100000000")
                   for r in self.returns if r.withdrawal == WITHDRAWALS[1] and r.withdrawal_night == night]
        if refused:
            (folder / "04-ceb214.xml").write_bytes(W.ceb214(refused, tag))
        first = [_claim(r, r.claim) for r in self.returns if r.claim and r.claim_night == night]
        if first:
            (folder / "05-claims.xml").write_bytes(W.claims(first))
        second = [_claim(r, r.replaced_by) for r in self.returns if r.replaced_by and r.replaced_night == night]
        if second:
            (folder / "06-claims-replaced.xml").write_bytes(W.claims(second))

    def exported_by(self, night: int) -> Dict[Tuple[str, int], Decimal]:
        """Every export item stored by the end of `night`, with its exported qty."""
        return {(e.invt_no, g): Decimal(q) for e in self.exports if e.night <= night
                for g, q in enumerate(e.qtys, 1)}


def _return_app(r: ReturnPlan, day: str, app_type: str) -> ReturnApp:
    return ReturnApp(co_el_no=r.co_el_no, invt_no=r.invt_no, app_time=day.replace("-", "") + "100000",
                     lines=[ReturnLine(gnum=g, gcode=GOODS, qty=str(q)) for g, q in r.lines], app_type=app_type)


def _claim(r: ReturnPlan, kind: str) -> Claim:
    says = dict(CLAIM_KINDS[kind])
    refunded = says.pop("refunded_vat", None)
    return Claim(co_el_no=r.co_el_no, invt_no=r.invt_no, return_date=r.day,
                 items=[ClaimItem(gnum=g, refunded_vat=refunded) for g, _q in r.lines], **says)


@st.composite
def scenarios(draw) -> Scenario:
    nights = draw(st.integers(2, 4))
    any_night = st.integers(0, nights - 1)
    exports = tuple(ExportPlan(invt_no=f"29922025E{950 + i:05d}0001",
                               qtys=tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2))),
                               night=draw(any_night))
                    for i in range(draw(st.integers(1, 3))))
    returns = []
    for n in range(draw(st.integers(1, 5))):
        export = draw(st.sampled_from(exports))
        gnums = draw(st.lists(st.integers(1, len(export.qtys)), min_size=1, max_size=2, unique=True))
        arrives = draw(any_night)
        from_then = st.integers(arrives, nights - 1)
        plan = dict(co_el_no=f"RP-{n + 1}", invt_no=export.invt_no,
                    lines=tuple((g, draw(st.integers(1, 2))) for g in sorted(gnums)),
                    day=f"2025-06-{draw(st.integers(1, 28)):02d}", night=arrives)
        claim = draw(st.sampled_from([None, *CLAIM_KINDS]))
        if claim:
            plan.update(claim=claim, claim_night=draw(from_then))
            if plan["claim_night"] < nights - 1 and draw(st.booleans()):
                plan.update(replaced_by=draw(st.sampled_from([k for k in CLAIM_KINDS if k != claim])),
                            replaced_night=draw(st.integers(plan["claim_night"] + 1, nights - 1)))
        withdrawal = draw(st.sampled_from([None, None, *WITHDRAWALS]))
        if withdrawal:
            plan.update(withdrawal=withdrawal, withdrawal_night=draw(from_then))
        returns.append(ReturnPlan(**plan))
    return Scenario(nights, exports, tuple(returns))


# =========================================================================== what the processor wrote

def decisions_csv(out: Path) -> Tuple[List[str], List[Dict[str, str]]]:
    with open(out / "decisions.csv", encoding="utf-8-sig", newline="") as fh:
        rd = csv.reader(fh)
        header = next(rd)
        return header, [dict(zip(header, r)) for r in rd]


Line = Tuple[str, int]                 # (return_id, gnum): one return line
Item = Tuple[str, int]                 # (invt_no, gnum): one export item


@dataclass(frozen=True)
class InForce:
    """A line's decision in force in the ledger (its status 'current' row)."""
    item: Item
    qty: Decimal
    decision: str
    reasons: Tuple[str, ...]


def in_force(url: str) -> Dict[Line, InForce]:
    rows = ledger_rows(url, "SELECT co_el_no, gnum, invt_no, qty, decision, reasons FROM decisions "
                            "WHERE status = 'current'")
    return {(co_el_no, int(gnum)): InForce((invt_no, int(gnum)), Decimal(str(qty)), decision,
                                           tuple(sorted(c for c in (reasons or "").split(";") if c)))
            for co_el_no, gnum, invt_no, qty, decision, reasons in rows}


def held(lines: Dict[Line, InForce]) -> Dict[Item, Decimal]:
    """Quantity held per export item: its lines decided EXEMPT or PENDING."""
    out: Dict[Item, Decimal] = defaultdict(Decimal)
    for d in lines.values():
        if d.decision in ("EXEMPT", "PENDING"):
            out[d.item] += d.qty
    return out


def run_night(inbox: Path, out: Path, url: str, label: str) -> Tuple[str, List[Dict[str, str]]]:
    # Read in this process: the property is about deciding, and forking readers for a handful of records would
    # cost most of each night's time.
    with mock.patch.dict(os.environ, {"PROCESSOR_READ_WORKERS": "0"}):
        code, summary, output = run_batch(inbox, out, "--init", "--reference", str(REFERENCE), ledger=url)
    assert code == 0, f"{label}: exit {code}: {output}"
    header, rows = decisions_csv(out)
    assert len(header) == 22 and header[-2:] == HEADER_END, f"{label}: decisions.csv header {header}"
    note(f"{label}: batch {summary['batch_id']} wrote\n" + "\n".join(
        f"    {r['return_id']}/{r['gnum']} {r['change']}{' of ' + r['supersedes'] if r['supersedes'] else ''}: "
        f"{r['decision']} {r['reasons']}" for r in rows))
    assert {r["batch_id"] for r in rows} <= {summary["batch_id"]}, f"{label}: rows of another batch"
    return summary["batch_id"], rows


# =========================================================================== the property

# A night that frees quantity: RP-2 holds all of item 1 of list 951 so RP-3 exceeds, until RP-2 is refused by
# CEB214; RP-1's export arrives a night after it; RP-3 is deleted by appType 3 on the last night.
LATE, FULL = "29922025E009500001", "29922025E009510001"
RICH = Scenario(3, (ExportPlan(LATE, (2,), night=1), ExportPlan(FULL, (1,), night=0)), (
    ReturnPlan("RP-1", LATE, ((1, 1),), "2025-06-03", night=0, claim="UNSOLD", claim_night=0,
               replaced_by="REFUND", replaced_night=1),
    ReturnPlan("RP-2", FULL, ((1, 1),), "2025-06-01", night=0, claim="NO_CERTIFICATE", claim_night=0,
               withdrawal=WITHDRAWALS[1], withdrawal_night=1),
    ReturnPlan("RP-3", FULL, ((1, 1),), "2025-06-02", night=0, claim="UNSOLD", claim_night=0,
               withdrawal=WITHDRAWALS[0], withdrawal_night=2)))

@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenario=scenarios())
@example(scenario=RICH)
def test_held_quantity_and_supersedes_chain_over_random_nights(tmp_path_factory, scenario):
    """(a) held <= exported after every night; (b) REVISED/WITHDRAWN rows supersede the batch that reported their
    line last, NEW rows only lines never reported (or withdrawn); (c) a rerun of the last night writes the same;
    (d) the reports so far, replayed, give the ledger's decisions in force; (e) nothing is left rejected for a
    reason that no longer holds."""
    base = tmp_path_factory.mktemp("redecide")
    url = f"sqlite:///{(base / 'ledger.sqlite').resolve()}"
    last_report: Dict[Line, Tuple[str, str]] = {}      # line -> (batch that reported it last, its change)
    reported: Dict[Line, Tuple[str, Tuple[str, ...]]] = {}   # line -> (decision, reasons) as the reports say
    rows: List[Dict[str, str]] = []
    for night in range(scenario.nights):
        label = f"night {night + 1}"
        scenario.inbox(night, base / f"inbox-{night}")
        batch_id, rows = run_night(base / f"inbox-{night}", base / f"out-{night}", url, label)
        ledger = in_force(url)
        exported = scenario.exported_by(night)
        check_held(label, ledger, exported)
        check_links(label, batch_id, rows, last_report)
        check_reports_replay_to_ledger(label, rows, reported, ledger)
        check_nothing_left_behind(label, ledger, exported)

    # (c) the last night again: same rows, batch_id aside, and nothing in force changes
    last = scenario.nights - 1
    before = in_force(url)
    _rerun_id, again = run_night(base / f"inbox-{last}", base / "out-rerun", url, f"night {last + 1} rerun")
    strip = lambda rs: sorted(tuple((k, v) for k, v in r.items() if k != "batch_id") for r in rs)  # noqa: E731
    assert strip(again) == strip(rows), f"the rerun of night {last + 1} wrote other rows than the night itself"
    assert in_force(url) == before, f"the rerun of night {last + 1} changed decisions in force"


def check_held(label: str, ledger: Dict[Line, InForce], exported: Dict[Item, Decimal]) -> None:
    """(a) No export item holds more than was exported (nothing, for an item not exported yet)."""
    for item, qty in held(ledger).items():
        assert qty <= exported.get(item, Decimal(0)), (
            f"{label}: export item {item[0]} gnum {item[1]} holds {qty}, exported {exported.get(item, 'nothing yet')}: "
            + ", ".join(f"{k[0]}/{k[1]} {d.decision} {d.qty}" for k, d in sorted(ledger.items()) if d.item == item))


def check_links(label: str, batch_id: str, rows: List[Dict[str, str]], last_report: Dict[Line, Tuple[str, str]]):
    """(b) Each row of the night supersedes the batch that reported its line last, or nothing if it is NEW."""
    seen = set()
    for r in rows:
        line = (r["return_id"], int(r["gnum"]))
        assert line not in seen, f"{label}: line {line} written twice"
        seen.add(line)
        before = last_report.get(line)
        if r["change"] == "NEW":
            assert r["supersedes"] == "", f"{label}: NEW row of {line} supersedes {r['supersedes']!r}"
            assert before is None or before[1] == "WITHDRAWN", \
                f"{label}: NEW row of {line}, already reported by {before[0]} ({before[1]})"
        elif r["change"] in ("REVISED", "WITHDRAWN"):
            assert before is not None, f"{label}: {r['change']} row of {line}, never reported before"
            assert before[1] != "WITHDRAWN", f"{label}: {r['change']} row of {line}, withdrawn by {before[0]} already"
            assert r["supersedes"] == before[0], (
                f"{label}: {r['change']} row of {line} supersedes {r['supersedes']!r}, the batch that reported it "
                f"last is {before[0]}")
        else:
            raise AssertionError(f"{label}: row of {line} with change {r['change']!r}")
    for line in seen:
        last_report[line] = (batch_id, next(r["change"] for r in rows if (r["return_id"], int(r["gnum"])) == line))


def check_reports_replay_to_ledger(label: str, rows, reported: Dict[Line, tuple], ledger: Dict[Line, InForce]):
    """(d) Whoever applies every decisions.csv so far (NEW and REVISED set a line, WITHDRAWN removes it) holds the
    ledger's decisions in force: a line decided again with another result is reported, a withdrawn one leaves."""
    for r in rows:
        line = (r["return_id"], int(r["gnum"]))
        if r["change"] == "WITHDRAWN":
            reported.pop(line, None)
        else:
            reported[line] = (r["decision"], tuple(sorted(c for c in r["reasons"].split(";") if c)))
    in_ledger = {line: (d.decision, d.reasons) for line, d in ledger.items()}
    differ = sorted(line for line in set(reported) | set(in_ledger) if reported.get(line) != in_ledger.get(line))
    assert not differ, f"{label}: the reports replayed (left) differ from the ledger's decisions in force (right):" + \
        "".join(f"\n    {line}: {reported.get(line, 'none')} | {in_ledger.get(line, 'none')}" for line in differ)


def check_nothing_left_behind(label: str, ledger: Dict[Line, InForce], exported: Dict[Item, Decimal]) -> None:
    """(e) A line rejected because its export was missing or its item full is decided again once its export
    arrives or quantity is released (CONTRACT §6), so those reasons hold at the end of every night."""
    holding = held(ledger)
    for line, d in sorted(ledger.items()):
        if "NO_SUCH_EXPORT" in d.reasons:
            assert d.item not in exported, f"{label}: {line} still NO_SUCH_EXPORT, its export item {d.item} is stored"
        if "QTY_EXCEEDS_EXPORT" in d.reasons:
            room = exported.get(d.item, Decimal(0)) - holding[d.item]
            assert d.qty > room, (f"{label}: {line} still QTY_EXCEEDS_EXPORT with qty {d.qty}, its item {d.item} has "
                                  f"{room} free")
