"""The casebook: return lines and the decisions.csv rows expected for them, derived by hand from
../shared/spec/CONTRACT.md and ../shared/spec/LAW.md.

The runs share one ledger (tests/test_casebook.py): night 1 (`run --init`), `processor init` again on the existing
ledger (changes nothing), then nights 1..5 each run twice, the second time a rerun of the same inbox (CONTRACT §6 last
sentence: it "changes nothing and writes the same rows as the first time (only batch_id differs)", so a rerun's
expectations are its night's, change and supersedes included), then `processor reassess --since REASSESS_SINCE` twice
(the second writes no row).  Each night has its own --reference folder (REFERENCE_OF below).

Every row carries CONTRACT §5's `change` and `supersedes`: NEW for a line's first decision; REVISED when the line is
decided again with any decided column different from the row reported last; WITHDRAWN once for a withdrawn line whose
decision had been reported, repeating that row.  `supersedes` is written here symbolically, as the night that reported
the replaced row; the test resolves it to the batch that reported the line last (issue #11: "every reported row's
supersedes names the batch that reported that line last"), which is that night's rerun: a rerun writes every row of
its night again, as the first run wrote it (same change and supersedes), so a later REVISED or WITHDRAWN row names
the rerun's batch.
A line decided again with an unchanged row is not written: such lines are listed in `absent` where the case means it.

Reference data (tests/casebook/reference/, CONTRACT §3), chosen so the sums are easy to check by hand:
  tariff   3304 (cosmetics)  duty 10 %, CT 15 % ad valorem, VAT 13 %      <- LAW worked example
           8471 (computers)  duty 0, VAT 13 %                             <- the "plain goods" of most cases
           8517              duty 5 % from 2023-01-01, duty 0 from 2026-01-01 (a row with a later valid_from)
           6109 12 %, 610910 6 % (longest prefix)
           8521              duty 3 % + 100.00/unit, CT 10 % + 2.00/unit  <- compound duty and CT
           2710              duty 5 %, CT 1.52/unit (specific only)
           2106              duty 20 % (food, also in food_hs.csv)
           9102              only valid from 2027-01-01                   <- no usable row before 2027
           4202 10 % (2023) and 8 % (2026), 420221 6 % (2023)
           9503              no row at all (night 3's reference adds one)  <- TARIFF_UNKNOWN
  rates    502 (USD) 7.1000 every month 2023-01..2027-12 except 2025-04 = 7.2000; 116 (JPY) 0.048123 for 2025-07;
           300 (EUR) 7.8000 for 2025-01..2025-06 only; no 142 (CNY) rows: CNY is always 1 (CONTRACT §3).
  food     0901, 2106, 22.
  calendar no rest_days.csv: chinesecalendar (2004..2026); 2027 and 2028 uncovered until nights 3 and 4.

Plain goods: 8471300000, USD 100.00 a unit, so per returned unit V = 710.00, D = 0.00, C = 0.00, T = 92.30.

Every expectation is clear-cut: any disagreement fails.  Where the contract is silent, the expectation is the
processor's present behaviour when it is what a customs broker would expect, and the case's note says "Reading:" and
why.  `absent` lists (return_id, gnum) rows that must NOT be in a night's decisions.csv.

Known gaps (none at present; the mechanism stays for the next one): where the contract says something the processor
does not do yet, the expectation is the contract's and `gaps` lists, per night, the
exact disagreements the processor produces today as (return_id, gnum, field, value it writes), with `gap` saying
which clause it misses.  Such a case is xfailed only while its disagreements are exactly those; any other
disagreement fails, and so does the gap closing (the processor meeting the contract), so the entry gets removed.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Dict, List, Tuple

from .writer import (Claim, ClaimItem, ExportItem, ExportList, ListCancel, ListReceipt, ReturnApp,
                     ReturnLine, ReturnReceipt)

# Every column of decisions.csv but batch_id (CONTRACT §5), in its order; `supersedes` is compared after resolving the
# symbolic value a Row holds (the night that reported the decision replaced) to the batch that reported it last.
DECIDED = ["return_id", "return_date", "invt_no", "gnum", "gcode", "qty", "export_date", "trade_mode",
           "window_end", "policy", "decision", "reasons", "customs_value_cny", "import_duty",
           "consumption_tax", "import_vat", "export_duty_refund", "backpay_vat", "backpay_ct"]
COLUMNS = DECIDED + ["change", "supersedes"]

# The runs (tests/test_casebook.py): nights 1..5, each followed by a rerun of itself (CONTRACT §6 last sentence: it
# writes the same rows, only batch_id differs), then `processor reassess` twice.  Expectations are keyed by night
# number; REASSESS keys the first reassess (the second one writes no row at all).
NIGHTS = (1, 2, 3, 4, 5)
REASSESS = 9
# --reference of each night (a folder beside this file; CONTRACT §3: a file found there replaces the bundled one):
#   reference     the base data described below
#   reference-n3  + tariff row 9503 (toys: duty 5 %, VAT 13 %) + rest_days.csv covering 2027 (a made-up notice:
#                 no rest day in March; National Day 2027-10-01..07 rest, 2027-09-26 Sun and 2027-10-09 Sat work)
#   reference-n4  + rest_days.csv rows for 2028 (元旦 2028-01-01..03 rest, Mon 01-03 being the substitute day)
#   reference-n5  as n4, with a policies.csv lacking the 2026-16 row (the bundled policies.csv minus that row)
REFERENCE_OF = {1: "reference", 2: "reference", 3: "reference-n3", 4: "reference-n4", 5: "reference-n5",
                REASSESS: "reference-n4"}
REASSESS_SINCE = "2026-01-01"     # processor reassess --since: lines whose return date is on or after it

G = "8471300000"          # plain goods
P = "100.00"              # USD a unit


# --------------------------------------------------------------------------- structures

@dataclass
class Night:
    exports: List[ExportList] = field(default_factory=list)
    list_receipts: List[ListReceipt] = field(default_factory=list)
    cancels: List[ListCancel] = field(default_factory=list)
    returns: List[ReturnApp] = field(default_factory=list)
    return_receipts: List[ReturnReceipt] = field(default_factory=list)
    claims: List[Claim] = field(default_factory=list)
    late_exports: List[ExportList] = field(default_factory=list)   # written to a file sorting after the returns
    odd_cancels: List[ListCancel] = field(default_factory=list)    # written with BOM + default namespace
    odd_exports: List[ExportList] = field(default_factory=list)    # CEB603 written with BOM + default namespace
    exports_2018: List[ExportList] = field(default_factory=list)   # CEB603 lists valid only under the 2018 table
    odd_return_receipts: List[ReturnReceipt] = field(default_factory=list)  # CEB214 with root spelled "CEB214"


@dataclass
class Row:
    return_id: str
    gnum: int
    return_date: str
    invt_no: str
    gcode: str
    qty: str
    export_date: str
    trade_mode: str
    window_end: str
    policy: str
    decision: str
    reasons: str
    customs_value_cny: str
    import_duty: str
    consumption_tax: str
    import_vat: str
    export_duty_refund: str = "0.00"
    backpay_vat: str = "0.00"
    backpay_ct: str = "0.00"
    change: str = "NEW"                 # NEW | REVISED | WITHDRAWN (CONTRACT §5)
    supersedes: object = ""             # "" for NEW, else the night (int) that reported the replaced row

    def as_dict(self) -> Dict[str, str]:
        """The row as decisions.csv spells it, `supersedes` still symbolic (the test resolves it)."""
        return {c: str(getattr(self, c)) for c in COLUMNS}

    def decided(self) -> Dict[str, str]:
        return {c: str(getattr(self, c)) for c in DECIDED}


def revised(row: "Row", night: int) -> "Row":
    """The row written when its line is decided again with a different result (CONTRACT §6 'What is reported')."""
    return replace(row, change="REVISED", supersedes=night)


def withdrawn(row: "Row", night: int) -> "Row":
    """The row written once for a withdrawn line whose decision `row` (reported by `night`) had been reported: it
    repeats that decision's columns (CONTRACT §5 change WITHDRAWN)."""
    return replace(row, change="WITHDRAWN", supersedes=night)


@dataclass
class Case:
    id: str
    clause: str
    note: str
    nights: Dict[int, Night]
    expect: Dict[int, List[Row]]
    absent: Dict[int, List[Tuple[str, int]]] = field(default_factory=dict)
    gaps: Dict[int, Tuple[Tuple[str, int, str, str], ...]] = field(default_factory=dict)
    gap: str = ""                       # the clause the processor does not meet yet, and what it does instead


# --------------------------------------------------------------------------- builders

def invt(n: int, k: int = 1) -> str:
    """18-character list number: customs code 2992, year, E, 9 digits."""
    return f"29922025E{n:05d}{k:04d}"


def item(gnum, qty, gcode=G, price=P, currency="502", qty1=None, unit="001", unit1="001",
         gname="笔记本电脑", gmodel="14英寸/8GB") -> ExportItem:
    return ExportItem(gnum=gnum, gcode=gcode, qty=qty, price=price, currency=currency, qty1=qty1,
                      unit=unit, unit1=unit1, gname=gname, gmodel=gmodel)


def line(gnum, qty, gcode=G, qty1=None, unit="001", unit1="001", gname="笔记本电脑",
         gmodel="14英寸/8GB") -> ReturnLine:
    return ReturnLine(gnum=gnum, gcode=gcode, qty=qty, qty1=qty1, unit=unit, unit1=unit1,
                      gname=gname, gmodel=gmodel)


def lst(cop, invt_no, ie, tm, items, **kw) -> ExportList:
    return ExportList(cop_no=cop, invt_no=invt_no, ie_date=ie, trade_mode=tm, items=items, **kw)


def ret(co, invt_no, app_date, lines, hms="100000", app_type="1", **kw) -> ReturnApp:
    return ReturnApp(co_el_no=co, invt_no=invt_no, app_time=app_date.replace("-", "") + hms,
                     lines=lines, app_type=app_type, **kw)


def claim(co, invt_no, rdate, items, **kw) -> Claim:
    return Claim(co_el_no=co, invt_no=invt_no, return_date=rdate, items=items, **kw)


def ci(gnum, **kw) -> ClaimItem:
    return ClaimItem(gnum=gnum, **kw)


def plain(qty: int):
    """(V, D, C, T) for `qty` units of the plain goods at 7.1000."""
    v = {1: "710.00", 2: "1420.00", 3: "2130.00", 4: "2840.00"}[qty]
    t = {1: "92.30", 2: "184.60", 3: "276.90", 4: "369.20"}[qty]
    return v, "0.00", "0.00", t


def R(rid, gnum, rdate, invt_no, qty, edate, tm, wend, pol, dec, reasons, money, gcode=G, **kw) -> Row:
    v, d, c, t = money
    return Row(rid, gnum, rdate, invt_no, gcode, str(qty), edate, tm, wend, pol, dec, reasons, v, d, c, t, **kw)


NONE = ("", "", "", "")

CASES: List[Case] = []


def case(*a, **kw):
    CASES.append(Case(*a, **kw))


# =========================================================================== taxes (LAW "The taxes")

I = invt(1)
case("C01-worked-example", "LAW taxes 1-5, worked example; CONTRACT §5",
     "USD 1,000 at 7.1000, duty 10 %, CT 15 %, VAT 13 %: V 7100.00, D 710.00, C 1378.24, T 1194.47. "
     "exportDutyPaid 12.50 refunded because EXEMPT.",
     {1: Night(exports=[lst("COP-C01", I, "2025-03-05", "9610",
                            [item(1, "1", gcode="3304990099", price="1000.00", qty1="0.05", unit="007",
                                  unit1="035", gname="面霜", gmodel="50g")])],
               returns=[ret("RET-C01", I, "2025-05-20",
                            [line(1, "1", gcode="3304990099", qty1="0.05", unit="007", unit1="035",
                                  gname="面霜", gmodel="50g")])],
               claims=[claim("RET-C01", I, "2025-05-20", [ci(1, export_duty_paid="12.50")])])},
     {1: [R("RET-C01", 1, "2025-05-20", I, 1, "2025-03-05", "9610", "2025-09-05", "2023-34", "EXEMPT", "",
            ("7100.00", "710.00", "1378.24", "1194.47"), gcode="3304990099", export_duty_refund="12.50")]})

# =========================================================================== windows (LAW six-month window)

I = invt(2)
case("C02-window-2025-03-15", "LAW window: 2025-03-15 -> 2025-09-15; CONTRACT §6 WINDOW_EXPIRED",
     "Return on window_end is in time (<=), the next day is not.",
     {1: Night(exports=[lst("COP-C02", I, "2025-03-15", "9610", [item(1, "1"), item(2, "1")])]),
      2: Night(returns=[ret("RET-C02-ON", I, "2025-09-15", [line(1, "1")]),
                        ret("RET-C02-LATE", I, "2025-09-16", [line(2, "1")])],
               claims=[claim("RET-C02-ON", I, "2025-09-15", [ci(1)]),
                       claim("RET-C02-LATE", I, "2025-09-16", [ci(2)])])},
     {2: [R("RET-C02-ON", 1, "2025-09-15", I, 1, "2025-03-15", "9610", "2025-09-15", "2023-34", "EXEMPT", "",
            plain(1)),
          R("RET-C02-LATE", 2, "2025-09-16", I, 1, "2025-03-15", "9610", "2025-09-15", "2023-34", "REJECTED",
            "WINDOW_EXPIRED", plain(1))]})

I = invt(3)
case("C03-window-2025-08-31", "LAW window: 2025-08-31 -> 2026-02-28 (month without day 31 -> last day)",
     "2026-02-28 is a Saturday but an adjusted working day (Spring Festival make-up day, chinesecalendar "
     "is_workday True), so no extension: window_end 2026-02-28 and a return on Monday 2026-03-02 is late.",
     {1: Night(exports=[lst("COP-C03", I, "2025-08-31", "9610", [item(1, "1"), item(2, "1")])]),
      2: Night(returns=[ret("RET-C03-ON", I, "2026-02-28", [line(1, "1")]),
                        ret("RET-C03-LATE", I, "2026-03-02", [line(2, "1")])],
               claims=[claim("RET-C03-ON", I, "2026-02-28", [ci(1)]),
                       claim("RET-C03-LATE", I, "2026-03-02", [ci(2)])])},
     {2: [R("RET-C03-ON", 1, "2026-02-28", I, 1, "2025-08-31", "9610", "2026-02-28", "2023-34", "EXEMPT", "",
            plain(1)),
          R("RET-C03-LATE", 2, "2026-03-02", I, 1, "2025-08-31", "9610", "2026-02-28", "2023-34", "REJECTED",
            "WINDOW_EXPIRED", plain(1))]})

I = invt(4)
case("C04-window-2023-08-31", "LAW window: 2023-08-31 -> 2024-02-29 (leap year)", "Thursday, a working day.",
     {1: Night(exports=[lst("COP-C04", I, "2023-08-31", "9610", [item(1, "1"), item(2, "1")])]),
      2: Night(returns=[ret("RET-C04-ON", I, "2024-02-29", [line(1, "1")]),
                        ret("RET-C04-LATE", I, "2024-03-01", [line(2, "1")])],
               claims=[claim("RET-C04-ON", I, "2024-02-29", [ci(1)]),
                       claim("RET-C04-LATE", I, "2024-03-01", [ci(2)])])},
     {2: [R("RET-C04-ON", 1, "2024-02-29", I, 1, "2023-08-31", "9610", "2024-02-29", "2023-34", "EXEMPT", "",
            plain(1)),
          R("RET-C04-LATE", 2, "2024-03-01", I, 1, "2023-08-31", "9610", "2024-02-29", "2023-34", "REJECTED",
            "WINDOW_EXPIRED", plain(1))]})

I = invt(5)
case("C05-window-2026-04-01", "LAW window: 2026-04-01 -> nominal 2026-10-01 in National Day holiday -> next working day",
     "chinesecalendar: 2026-10-01..07 holidays, 2026-10-08 (Thu) working day -> window_end 2026-10-08.",
     {1: Night(exports=[lst("COP-C05", I, "2026-04-01", "9610", [item(1, "1"), item(2, "1")])]),
      2: Night(returns=[ret("RET-C05-ON", I, "2026-10-08", [line(1, "1")]),
                        ret("RET-C05-LATE", I, "2026-10-09", [line(2, "1")])],
               claims=[claim("RET-C05-ON", I, "2026-10-08", [ci(1)]),
                       claim("RET-C05-LATE", I, "2026-10-09", [ci(2)])])},
     {2: [R("RET-C05-ON", 1, "2026-10-08", I, 1, "2026-04-01", "9610", "2026-10-08", "2026-16", "EXEMPT", "",
            plain(1)),
          R("RET-C05-LATE", 2, "2026-10-09", I, 1, "2026-04-01", "9610", "2026-10-08", "2026-16", "REJECTED",
            "WINDOW_EXPIRED", plain(1))]})

I = invt(6)
E06 = ("2026-09-06", "9610", "2027-03-08", "2026-16")
case("C06-window-2027-uncovered-year", "LAW window 'Never decide on rest days that are not known'; CONTRACT §6 "
     "CALENDAR_UNKNOWN; §3 rest_days.csv",
     "2026-09-06 -> nominal 2027-03-06, a Saturday in 2027, which neither chinesecalendar nor the casebook's reference "
     "(no rest_days.csv) covers.  window_end is the estimate moved over weekends only, Monday 2027-03-08.  On the "
     "nominal day: in time.  03-08, 03-09 and 03-21 (15 days after) depend on rest days not yet known: PENDING "
     "CALENDAR_UNKNOWN.  03-22 (16 days after): WINDOW_EXPIRED.  Night 3's reference brings rest_days.csv with "
     "2027 (no rest day in March): the three PENDING CALENDAR_UNKNOWN lines are decided again (§6: PENDING with "
     "CALENDAR_UNKNOWN and the batch's reference data differ) and REVISED: the true window_end is Monday 03-08 "
     "(Sat 03-06 and Sun 03-07 rest), equal to the estimate, so ON is EXEMPT and LATE and D15 WINDOW_EXPIRED.  "
     "NOMINAL (EXEMPT) and D16 (REJECTED) are not decided again on night 3 (no trigger); the reassess (reference "
     "with 2027, --since 2026-01-01) decides all five again, every row unchanged, so none is written.",
     {1: Night(exports=[lst("COP-C06", I, "2026-09-06", "9610", [item(g, "1") for g in range(1, 6)])]),
      2: Night(returns=[ret("RET-C06-ON", I, "2027-03-08", [line(1, "1")]),
                        ret("RET-C06-LATE", I, "2027-03-09", [line(2, "1")]),
                        ret("RET-C06-NOMINAL", I, "2027-03-06", [line(3, "1")]),
                        ret("RET-C06-D15", I, "2027-03-21", [line(4, "1")]),
                        ret("RET-C06-D16", I, "2027-03-22", [line(5, "1")])],
               claims=[claim("RET-C06-ON", I, "2027-03-08", [ci(1)]),
                       claim("RET-C06-LATE", I, "2027-03-09", [ci(2)]),
                       claim("RET-C06-NOMINAL", I, "2027-03-06", [ci(3)]),
                       claim("RET-C06-D15", I, "2027-03-21", [ci(4)]),
                       claim("RET-C06-D16", I, "2027-03-22", [ci(5)])])},
     {2: [R("RET-C06-ON", 1, "2027-03-08", I, 1, *E06, "PENDING", "CALENDAR_UNKNOWN", plain(1)),
          R("RET-C06-LATE", 2, "2027-03-09", I, 1, *E06, "PENDING", "CALENDAR_UNKNOWN", plain(1)),
          R("RET-C06-NOMINAL", 3, "2027-03-06", I, 1, *E06, "EXEMPT", "", plain(1)),
          R("RET-C06-D15", 4, "2027-03-21", I, 1, *E06, "PENDING", "CALENDAR_UNKNOWN", plain(1)),
          R("RET-C06-D16", 5, "2027-03-22", I, 1, *E06, "REJECTED", "WINDOW_EXPIRED", plain(1))],
      3: [revised(R("RET-C06-ON", 1, "2027-03-08", I, 1, *E06, "EXEMPT", "", plain(1)), 2),
          revised(R("RET-C06-LATE", 2, "2027-03-09", I, 1, *E06, "REJECTED", "WINDOW_EXPIRED", plain(1)), 2),
          revised(R("RET-C06-D15", 4, "2027-03-21", I, 1, *E06, "REJECTED", "WINDOW_EXPIRED", plain(1)), 2)]},
     absent={3: [("RET-C06-NOMINAL", 3), ("RET-C06-D16", 5)],
             REASSESS: [("RET-C06-ON", 1), ("RET-C06-LATE", 2), ("RET-C06-NOMINAL", 3), ("RET-C06-D15", 4),
                        ("RET-C06-D16", 5)]})

I = invt(7)
case("C07-window-2027-national-day", "LAW window 'Never decide on rest days that are not known'; CONTRACT §6 "
     "CALENDAR_UNKNOWN and its re-decision; §4 reassess ('a newly published holiday calendar')",
     "2027-04-01 -> nominal 2027-10-01, a Friday, almost surely inside the 2027 National Day holiday, but no calendar "
     "here covers 2027 (chinesecalendar stops at 2026, no rest_days.csv): window_end is the weekends-only estimate "
     "2027-10-01; a return on that day is in time, one on 2027-10-04 is PENDING CALENDAR_UNKNOWN (decided again when "
     "the 2027 calendar arrives), not late.  Night 3's reference covers 2027 (National Day 10-01..07 rest): LATE is "
     "decided again and REVISED to EXEMPT with the true window_end 2027-10-08 (Friday).  ON, EXEMPT, has no "
     "trigger on night 3 and keeps its row with the estimate 2027-10-01; the reassess (§4: 'a newly published "
     "holiday calendar must be applied to decisions already made') decides it again: window_end 2027-10-08, "
     "REVISED (superseding night 2), still EXEMPT.  LATE is unchanged in the reassess: not written.",
     {1: Night(exports=[lst("COP-C07", I, "2027-04-01", "9610", [item(1, "1"), item(2, "1")])]),
      2: Night(returns=[ret("RET-C07-ON", I, "2027-10-01", [line(1, "1")]),
                        ret("RET-C07-LATE", I, "2027-10-04", [line(2, "1")])],
               claims=[claim("RET-C07-ON", I, "2027-10-01", [ci(1)]),
                       claim("RET-C07-LATE", I, "2027-10-04", [ci(2)])])},
     {2: [R("RET-C07-ON", 1, "2027-10-01", I, 1, "2027-04-01", "9610", "2027-10-01", "2026-16", "EXEMPT", "",
            plain(1)),
          R("RET-C07-LATE", 2, "2027-10-04", I, 1, "2027-04-01", "9610", "2027-10-01", "2026-16", "PENDING",
            "CALENDAR_UNKNOWN", plain(1))],
      3: [revised(R("RET-C07-LATE", 2, "2027-10-04", I, 1, "2027-04-01", "9610", "2027-10-08", "2026-16", "EXEMPT",
                    "", plain(1)), 2)],
      REASSESS: [revised(R("RET-C07-ON", 1, "2027-10-01", I, 1, "2027-04-01", "9610", "2027-10-08", "2026-16",
                           "EXEMPT", "", plain(1)), 2)]},
     absent={3: [("RET-C07-ON", 1)], REASSESS: [("RET-C07-LATE", 2)]})

I = invt(8)
case("C08-window-2025-04-01", "LAW window: rest-day extension over the 2025 National Day / Mid-Autumn holiday",
     "2025-04-01 -> nominal 2025-10-01; 2025-10-01..08 are holidays, 2025-10-09 (Thu) is a working day.",
     {1: Night(exports=[lst("COP-C08", I, "2025-04-01", "9610", [item(1, "1"), item(2, "1")])]),
      2: Night(returns=[ret("RET-C08-ON", I, "2025-10-09", [line(1, "1")]),
                        ret("RET-C08-LATE", I, "2025-10-10", [line(2, "1")])],
               claims=[claim("RET-C08-ON", I, "2025-10-09", [ci(1)]),
                       claim("RET-C08-LATE", I, "2025-10-10", [ci(2)])])},
     {2: [R("RET-C08-ON", 1, "2025-10-09", I, 1, "2025-04-01", "9610", "2025-10-09", "2023-34", "EXEMPT", "",
            plain(1)),
          R("RET-C08-LATE", 2, "2025-10-10", I, 1, "2025-04-01", "9610", "2025-10-09", "2023-34", "REJECTED",
            "WINDOW_EXPIRED", plain(1))]})

# ---------------------------------------------------------------- 1210 zoneExitDate

I = invt(9)
case("C09-1210-zone-exit", "LAW window: for 1210 the export date is the claim's zoneExitDate",
     "ieDate 2025-01-10 would end the window on 2025-07-10; zoneExitDate 2025-02-20 ends it on 2025-08-20.",
     {1: Night(exports=[lst("COP-C09", I, "2025-01-10", "1210", [item(1, "1")])],
               returns=[ret("RET-C09", I, "2025-08-15", [line(1, "1")])],
               claims=[claim("RET-C09", I, "2025-08-15", [ci(1)], zone_exit_date="2025-02-20")])},
     {1: [R("RET-C09", 1, "2025-08-15", I, 1, "2025-02-20", "1210", "2025-08-20", "2023-34", "EXEMPT", "",
            plain(1))]})

I = invt(10)
case("C10-9610-zone-exit-ignored", "LAW window: zoneExitDate counts only for tradeMode 1210",
     "A 9610 export with a zoneExitDate in the claim still starts from ieDate 2025-01-10 -> window_end 2025-07-10.",
     {1: Night(exports=[lst("COP-C10", I, "2025-01-10", "9610", [item(1, "1")])],
               returns=[ret("RET-C10", I, "2025-08-15", [line(1, "1")])],
               claims=[claim("RET-C10", I, "2025-08-15", [ci(1)], zone_exit_date="2025-02-20")])},
     {1: [R("RET-C10", 1, "2025-08-15", I, 1, "2025-01-10", "9610", "2025-07-10", "2023-34", "REJECTED",
            "WINDOW_EXPIRED", plain(1))]})

I = invt(11)
case("C11-1210-no-zone-exit", "LAW window: 1210 without zoneExitDate -> ieDate",
     "",
     {1: Night(exports=[lst("COP-C11", I, "2025-01-10", "1210", [item(1, "1")])],
               returns=[ret("RET-C11", I, "2025-06-10", [line(1, "1")])],
               claims=[claim("RET-C11", I, "2025-06-10", [ci(1)])])},
     {1: [R("RET-C11", 1, "2025-06-10", I, 1, "2025-01-10", "1210", "2025-07-10", "2023-34", "EXEMPT", "",
            plain(1))]})

I = invt(12)
row = R("RET-C12", 1, "2026-03-10", I, 1, "2026-01-05", "1210", "2026-07-06", "2023-34", "EXEMPT", "",
        plain(1))
case("C12-1210-zone-exit-across-policies", "LAW policy versions ('The window filters the export declaration date'); "
     "CONTRACT §5 policy",
     "ieDate 2025-12-20 (2023-34) but zoneExitDate 2026-01-05 (2026-16).  Reading: the policy is that of the export "
     "DECLARATION date, ieDate (LAW: the policy windows filter the export declaration date; zoneExitDate moves only "
     "the six-month window, clause 1), so 2023-34, as the processor does; CONTRACT §5's 'holds the export date' is "
     "read as the declaration date.  Window: 2026-01-05 -> 2026-07-05 (Sunday) -> 2026-07-06.",
     {1: Night(exports=[lst("COP-C12", I, "2025-12-20", "1210", [item(1, "1")])]),
      2: Night(returns=[ret("RET-C12", I, "2026-03-10", [line(1, "1")])],
               claims=[claim("RET-C12", I, "2026-03-10", [ci(1)], zone_exit_date="2026-01-05")])},
     {2: [row]})

# ---------------------------------------------------------------- policy periods

I = invt(13)
case("C13-policy-2023-01-29", "LAW policy versions; CONTRACT §6 OUTSIDE_POLICY_PERIOD; §5 policy empty if none",
     "Export 2023-01-29 is one day before 2023-4/2023-34 start.  Reading (window_end): the contract does not say "
     "whether it is reported when no policy applies; the six-month rule is applied anyway, as the processor does, so "
     "the broker sees the line would also have been late or not: 2023-07-29 Sat -> 2023-07-31.",
     {1: Night(exports=[lst("COP-C13", I, "2023-01-29", "9610", [item(1, "1")])],
               returns=[ret("RET-C13", I, "2023-06-01", [line(1, "1")])],
               claims=[claim("RET-C13", I, "2023-06-01", [ci(1)])])},
     {1: [R("RET-C13", 1, "2023-06-01", I, 1, "2023-01-29", "9610", "2023-07-31", "", "REJECTED",
            "OUTSIDE_POLICY_PERIOD", plain(1))]})

I = invt(14)
case("C14-policy-2023-01-30", "LAW policy versions (first day); window rest-day extension over a weekend",
     "Export 2023-01-30 -> nominal 2023-07-30 (Sunday) -> 2023-07-31; return on 2023-07-31 is in time.",
     {1: Night(exports=[lst("COP-C14", I, "2023-01-30", "9610", [item(1, "1")])],
               returns=[ret("RET-C14", I, "2023-07-31", [line(1, "1")])],
               claims=[claim("RET-C14", I, "2023-07-31", [ci(1)])])},
     {1: [R("RET-C14", 1, "2023-07-31", I, 1, "2023-01-30", "9610", "2023-07-31", "2023-34", "EXEMPT", "",
            plain(1))]})

I = invt(15)
case("C15-policy-2025-12-31", "LAW policy versions: last day of 2023-34", "",
     {1: Night(exports=[lst("COP-C15", I, "2025-12-31", "9610", [item(1, "1")])]),
      2: Night(returns=[ret("RET-C15", I, "2026-03-02", [line(1, "1")])],
               claims=[claim("RET-C15", I, "2026-03-02", [ci(1)])])},
     {2: [R("RET-C15", 1, "2026-03-02", I, 1, "2025-12-31", "9610", "2026-06-30", "2023-34", "EXEMPT", "",
            plain(1))]})

I = invt(16)
case("C16-policy-2026-01-01", "LAW policy versions: first day of 2026-16", "",
     {1: Night(exports=[lst("COP-C16", I, "2026-01-01", "9610", [item(1, "1")])]),
      2: Night(returns=[ret("RET-C16", I, "2026-03-02", [line(1, "1")])],
               claims=[claim("RET-C16", I, "2026-03-02", [ci(1)])])},
     {2: [R("RET-C16", 1, "2026-03-02", I, 1, "2026-01-01", "9610", "2026-07-01", "2026-16", "EXEMPT", "",
            plain(1))]})

I = invt(17)
case("C17-policy-2024-after-2023-4", "LAW policy versions: 2024 export only in 2023-34",
     "Export 2024-03-01 -> nominal 2024-09-01 (Sunday) -> 2024-09-02.",
     {1: Night(exports=[lst("COP-C17", I, "2024-03-01", "9610", [item(1, "1")])],
               returns=[ret("RET-C17", I, "2024-06-03", [line(1, "1")])],
               claims=[claim("RET-C17", I, "2024-06-03", [ci(1)])])},
     {1: [R("RET-C17", 1, "2024-06-03", I, 1, "2024-03-01", "9610", "2024-09-02", "2023-34", "EXEMPT", "",
            plain(1))]})

# ---------------------------------------------------------------- supervision codes

for n, tm, dec, rs in ((18, "0110", "REJECTED", "CODE_NOT_ELIGIBLE"), (19, "9710", "EXEMPT", ""),
                       (20, "9810", "EXEMPT", "")):
    I = invt(n)
    case(f"C{n}-trade-mode-{tm}", "CONTRACT §6 CODE_NOT_ELIGIBLE; LAW eligible codes 1210/9610/9710/9810; §5 policy "
         "'whatever the decision'", "",
         {1: Night(exports=[lst(f"COP-C{n}", I, "2025-05-06", tm, [item(1, "1")])],
                   returns=[ret(f"RET-C{n}", I, "2025-07-01", [line(1, "1")])],
                   claims=[claim(f"RET-C{n}", I, "2025-07-01", [ci(1)])])},
         {1: [R(f"RET-C{n}", 1, "2025-07-01", I, 1, "2025-05-06", tm, "2025-11-06", "2023-34", dec, rs, plain(1))]})

# ---------------------------------------------------------------- void lists, receipts

I = invt(21)
case("C21-ceb605-void", "CONTRACT §1 CEB605; §6 EXPORT_VOID", "",
     {1: Night(exports=[lst("COP-C21", I, "2025-05-06", "9610", [item(1, "1")])],
               cancels=[ListCancel("COP-C21", I, app_time="20250507100000")]),
      2: Night(returns=[ret("RET-C21", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C21", I, "2025-07-01", [ci(1)])])},
     {2: [R("RET-C21", 1, "2025-07-01", I, 1, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
            "EXPORT_VOID", plain(1))]})

I = invt(22)
case("C22-ceb604-status-100", "CONTRACT §1 CEB604 status 100 (退单) voids; §6 EXPORT_VOID", "",
     {1: Night(exports=[lst("COP-C22", I, "2025-05-06", "9610", [item(1, "1")])],
               list_receipts=[ListReceipt("COP-C22", I, "100", time="20250506120000000")]),
      2: Night(returns=[ret("RET-C22", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C22", I, "2025-07-01", [ci(1)])])},
     {2: [R("RET-C22", 1, "2025-07-01", I, 1, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
            "EXPORT_VOID", plain(1))]})

I = invt(23)
case("C23-pending-then-void", "CONTRACT §6 last sentence (PENDING decided again when its claim arrives); §1 CEB605",
     "Night 1: no claim -> PENDING CLAIM_MISSING (return_date from appTime).  Night 2: the claim and a CEB605 for the "
     "list arrive (the CEB605 file has a BOM and the default namespace, CONTRACT §1) -> REJECTED EXPORT_VOID.  Night 1 "
     "reasons: CLAIM_MISSING alone (reading, the processor's: DOCUMENTS_MISSING and CERTIFICATE_MISSING judge a "
     "claim's content, so they wait for a claim).",
     {1: Night(exports=[lst("COP-C23", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C23", I, "2025-07-01", [line(1, "1")])]),
      2: Night(odd_cancels=[ListCancel("COP-C23", I, app_time="20250801100000")],
               claims=[claim("RET-C23", I, "2025-06-30", [ci(1)])])},
     {1: [R("RET-C23", 1, "2025-07-01", I, 1, "2025-05-06", "9610", "2025-11-06", "2023-34", "PENDING",
            "CLAIM_MISSING", plain(1))],
      2: [revised(R("RET-C23", 1, "2025-06-30", I, 1, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
                    "EXPORT_VOID", plain(1)), 1)]})

I = invt(24)
case("C24-ceb604-fills-invtno-same-night", "CONTRACT §1 CEB604 fills invtNo of a list sent without one",
     "CEB603 without invtNo, CEB604 (status 800) giving it, and the return, all in night 1 (files in the order "
     "603, 604, 213).",
     {1: Night(exports=[lst("COP-C24", None, "2025-05-06", "9610", [item(1, "1")])],
               list_receipts=[ListReceipt("COP-C24", I, "800", time="20250506120000000")],
               returns=[ret("RET-C24", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C24", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C24", 1, "2025-07-01", I, 1, "2025-05-06", "9610", "2025-11-06", "2023-34", "EXEMPT", "",
            plain(1))]})

I = invt(25)
case("C25-ceb604-fills-invtno-next-night", "CONTRACT §1 CEB604; §4 ledger persists across nights", "",
     {1: Night(exports=[lst("COP-C25", None, "2025-05-06", "9610", [item(1, "1")])]),
      2: Night(list_receipts=[ListReceipt("COP-C25", I, "800", time="20250506120000000")],
               returns=[ret("RET-C25", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C25", I, "2025-07-01", [ci(1)])])},
     {2: [R("RET-C25", 1, "2025-07-01", I, 1, "2025-05-06", "9610", "2025-11-06", "2023-34", "EXEMPT", "",
            plain(1))]})

I = invt(26)
case("C26-list-without-invtno-unreceipted", "CONTRACT §6 NO_SUCH_EXPORT (no ledger item (invtNo, gnum))",
     "The list was never given its invtNo, so the return's invtNo matches nothing.  Reasons: NO_SUCH_EXPORT alone "
     "(reading, the processor's: TARIFF_UNKNOWN is about missing reference data, not a missing export; without an "
     "export there is no price to convert, so no rate is needed).",
     {1: Night(exports=[lst("COP-C26", None, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C26", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C26", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C26", 1, "2025-07-01", I, 1, "", "", "", "", "REJECTED", "NO_SUCH_EXPORT", NONE)]})

I = invt(27)
case("C27-no-such-export", "CONTRACT §6 NO_SUCH_EXPORT; §5 empty money columns; LAW taxes 6 (pay-back whatever the "
     "decision)", "Reasons: NO_SUCH_EXPORT alone (reading as in C26).",
     {1: Night(returns=[ret("RET-C27", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C27", I, "2025-07-01", [ci(1, refunded_vat="5.00")],
                             certificate=("PAID_BACK", "AUTO"))])},
     {1: [R("RET-C27", 1, "2025-07-01", I, 1, "", "", "", "", "REJECTED", "NO_SUCH_EXPORT", NONE,
            backpay_vat="5.00")]})

I = invt(28)
case("C28-no-such-gnum", "CONTRACT §6 NO_SUCH_EXPORT keyed (invtNo, gnum)",
     "The list exists but has no gnum 2.  No export item matched, so export_date, trade_mode, window_end and policy "
     "are empty: export_date is stated outright ('empty if no export matched'); reading for the others (the "
     "processor's): they all describe the matched export item, and there is none.  Reasons: NO_SUCH_EXPORT alone, "
     "as in C26.",
     {1: Night(exports=[lst("COP-C28", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C28", I, "2025-07-01", [line(2, "1")])],
               claims=[claim("RET-C28", I, "2025-07-01", [ci(2)])])},
     {1: [R("RET-C28", 2, "2025-07-01", I, 1, "", "", "", "", "REJECTED", "NO_SUCH_EXPORT", NONE)]})

# ---------------------------------------------------------------- goods and parties

I = invt(29)
FOOD = ("710.00", "142.00", "0.00", "110.76")   # 5 x USD 20 x 7.1; duty 20 %; VAT (710+142) x 13 %
case("C29-food", "CONTRACT §6 FOOD_EXCLUDED; REJECTED wins over PENDING; reasons sorted",
     "2106909090 is food (food_hs.csv 2106).  Second return has no certificate: REJECTED with both codes, sorted.",
     {1: Night(exports=[lst("COP-C29", I, "2025-05-06", "9610",
                            [item(1, "10", gcode="2106909090", price="20.00", unit="035", unit1="035",
                                  gname="蛋白粉", gmodel="1kg/罐")])],
               returns=[ret("RET-C29-A", I, "2025-07-01", [line(1, "5", gcode="2106909090", unit="035", unit1="035",
                                                                gname="蛋白粉", gmodel="1kg/罐")]),
                        ret("RET-C29-B", I, "2025-07-02", [line(1, "5", gcode="2106909090", unit="035", unit1="035",
                                                                gname="蛋白粉", gmodel="1kg/罐")])],
               claims=[claim("RET-C29-A", I, "2025-07-01", [ci(1)]),
                       claim("RET-C29-B", I, "2025-07-02", [ci(1)], certificate=None)])},
     {1: [R("RET-C29-A", 1, "2025-07-01", I, 5, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
            "FOOD_EXCLUDED", FOOD, gcode="2106909090"),
          R("RET-C29-B", 1, "2025-07-02", I, 5, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
            "CERTIFICATE_MISSING;FOOD_EXCLUDED", FOOD, gcode="2106909090")]})

I = invt(30)
case("C30-goods-unit1", "CONTRACT §6 GOODS_MISMATCH (unit1 differs)", "",
     {1: Night(exports=[lst("COP-C30", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C30", I, "2025-07-01", [line(1, "1", unit1="011")])],
               claims=[claim("RET-C30", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C30", 1, "2025-07-01", I, 1, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
            "GOODS_MISMATCH", plain(1))]})

I = invt(31)
case("C31-goods-unit", "CONTRACT §6 GOODS_MISMATCH (unit differs)", "",
     {1: Night(exports=[lst("COP-C31", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C31", I, "2025-07-01", [line(1, "1", unit="011")])],
               claims=[claim("RET-C31", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C31", 1, "2025-07-01", I, 1, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
            "GOODS_MISMATCH", plain(1))]})

I = invt(32)
case("C32-goods-gcode", "CONTRACT §6 GOODS_MISMATCH (gcode differs)",
     "Both gcodes fall under tariff row 8471, so the taxes do not depend on which is used.  The gcode column: the "
     "return line's declared gcode (reading, the processor's: the column sits with the return's own fields, qty and "
     "return_date, and shows the broker what was declared that does not match).",
     {1: Night(exports=[lst("COP-C32", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C32", I, "2025-07-01", [line(1, "1", gcode="8471410000")])],
               claims=[claim("RET-C32", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C32", 1, "2025-07-01", I, 1, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
            "GOODS_MISMATCH", plain(1), gcode="8471410000")]})

I = invt(33)
case("C33-party-ebc", "CONTRACT §6 PARTY_MISMATCH (ebcCode)", "",
     {1: Night(exports=[lst("COP-C33", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C33", I, "2025-07-01", [line(1, "1")], ebc_code="3302960OTH")],
               claims=[claim("RET-C33", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C33", 1, "2025-07-01", I, 1, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
            "PARTY_MISMATCH", plain(1))]})

I = invt(34)
case("C34-party-ebp", "CONTRACT §6 PARTY_MISMATCH (ebpCode)", "",
     {1: Night(exports=[lst("COP-C34", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C34", I, "2025-07-01", [line(1, "1")], ebp_code="3301960OTH")],
               claims=[claim("RET-C34", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C34", 1, "2025-07-01", I, 1, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
            "PARTY_MISMATCH", plain(1))]})

# ---------------------------------------------------------------- quantities

I = invt(35)
case("C35-qty-exceeds-alone", "CONTRACT §6 QTY_EXCEEDS_EXPORT", "Export qty 3, return qty 4.",
     {1: Night(exports=[lst("COP-C35", I, "2025-05-06", "9610", [item(1, "3")])],
               returns=[ret("RET-C35", I, "2025-07-01", [line(1, "4")])],
               claims=[claim("RET-C35", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C35", 1, "2025-07-01", I, 4, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
            "QTY_EXCEEDS_EXPORT", plain(4))]})

I = invt(36)
case("C36-qty1-exceeds", "CONTRACT §6 QTY_EXCEEDS_EXPORT '(or qty1)'",
     "Export qty 10 / qty1 5 kg; return qty 2 / qty1 6 kg.",
     {1: Night(exports=[lst("COP-C36", I, "2025-05-06", "9610", [item(1, "10", qty1="5", unit1="035")])],
               returns=[ret("RET-C36", I, "2025-07-01", [line(1, "2", qty1="6", unit1="035")])],
               claims=[claim("RET-C36", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C36", 1, "2025-07-01", I, 2, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
            "QTY_EXCEEDS_EXPORT", plain(2))]})

I = invt(37)
case("C37-qty-held-by-exempt", "CONTRACT §6 QTY_EXCEEDS_EXPORT; EXEMPT holds its quantity",
     "Export qty 5.  Night 1: 3 EXEMPT.  Night 2: 3 more exceeds (REJECTED, holds nothing); then 2 more fits (3+2=5).",
     {1: Night(exports=[lst("COP-C37", I, "2025-05-06", "9610", [item(1, "5")])],
               returns=[ret("RET-C37-1", I, "2025-06-02", [line(1, "3")])],
               claims=[claim("RET-C37-1", I, "2025-06-02", [ci(1)])]),
      2: Night(returns=[ret("RET-C37-2", I, "2025-06-10", [line(1, "3")]),
                        ret("RET-C37-3", I, "2025-06-11", [line(1, "2")])],
               claims=[claim("RET-C37-2", I, "2025-06-10", [ci(1)]),
                       claim("RET-C37-3", I, "2025-06-11", [ci(1)])])},
     {1: [R("RET-C37-1", 1, "2025-06-02", I, 3, "2025-05-06", "9610", "2025-11-06", "2023-34", "EXEMPT", "",
            plain(3))],
      2: [R("RET-C37-2", 1, "2025-06-10", I, 3, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
            "QTY_EXCEEDS_EXPORT", plain(3)),
          R("RET-C37-3", 1, "2025-06-11", I, 2, "2025-05-06", "9610", "2025-11-06", "2023-34", "EXEMPT", "",
            plain(2))]})

I = invt(38)
case("C38-qty-held-by-pending", "CONTRACT §6 'Returns decided PENDING ... hold their quantity'",
     "Export qty 5.  Night 1: 3 PENDING (no certificate).  Night 2: 3 more exceeds; 2 more fits.  The night-1 line "
     "gets no new data and no quantity is released, so it is not decided again and has no night-2 row (§6 'Decisions "
     "follow their inputs').",
     {1: Night(exports=[lst("COP-C38", I, "2025-05-06", "9610", [item(1, "5")])],
               returns=[ret("RET-C38-1", I, "2025-06-02", [line(1, "3")])],
               claims=[claim("RET-C38-1", I, "2025-06-02", [ci(1)], certificate=None)]),
      2: Night(returns=[ret("RET-C38-2", I, "2025-06-10", [line(1, "3")]),
                        ret("RET-C38-3", I, "2025-06-11", [line(1, "2")])],
               claims=[claim("RET-C38-2", I, "2025-06-10", [ci(1)]),
                       claim("RET-C38-3", I, "2025-06-11", [ci(1)])])},
     {1: [R("RET-C38-1", 1, "2025-06-02", I, 3, "2025-05-06", "9610", "2025-11-06", "2023-34", "PENDING",
            "CERTIFICATE_MISSING", plain(3))],
      2: [R("RET-C38-2", 1, "2025-06-10", I, 3, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
            "QTY_EXCEEDS_EXPORT", plain(3)),
          R("RET-C38-3", 1, "2025-06-11", I, 2, "2025-05-06", "9610", "2025-11-06", "2023-34", "EXEMPT", "",
            plain(2))]},
     absent={2: [("RET-C38-1", 1)]})

I = invt(39)
case("C39-rejected-holds-nothing", "CONTRACT §6 'REJECTED ones do not' hold quantity",
     "Export qty 5.  Night 1: 4 processed -> REJECTED; then 4 EXEMPT (same night, later date).  Night 2: 1 fits "
     "(4+1=5, not exceeding), 1 more exceeds.",
     {1: Night(exports=[lst("COP-C39", I, "2025-05-06", "9610", [item(1, "5")])],
               returns=[ret("RET-C39-1", I, "2025-06-02", [line(1, "4")]),
                        ret("RET-C39-2", I, "2025-06-03", [line(1, "4")])],
               claims=[claim("RET-C39-1", I, "2025-06-02", [ci(1, processed=True)]),
                       claim("RET-C39-2", I, "2025-06-03", [ci(1)])]),
      2: Night(returns=[ret("RET-C39-3", I, "2025-06-10", [line(1, "1")]),
                        ret("RET-C39-4", I, "2025-06-11", [line(1, "1")])],
               claims=[claim("RET-C39-3", I, "2025-06-10", [ci(1)]),
                       claim("RET-C39-4", I, "2025-06-11", [ci(1)])])},
     {1: [R("RET-C39-1", 1, "2025-06-02", I, 4, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
            "NOT_ORIGINAL_STATE", plain(4)),
          R("RET-C39-2", 1, "2025-06-03", I, 4, "2025-05-06", "9610", "2025-11-06", "2023-34", "EXEMPT", "",
            plain(4))],
      2: [R("RET-C39-3", 1, "2025-06-10", I, 1, "2025-05-06", "9610", "2025-11-06", "2023-34", "EXEMPT", "",
            plain(1)),
          R("RET-C39-4", 1, "2025-06-11", I, 1, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
            "QTY_EXCEEDS_EXPORT", plain(1))]})

I = invt(40)
case("C40-order-by-return-date", "CONTRACT §6 order rule: return date first",
     "Export qty 5, two returns of 3 in one night.  ORD40-B has the earlier return date (claim) but the later appTime "
     "and sorts after ORD40-A by coElNo and in the file: B gets the quantity.",
     {1: Night(exports=[lst("COP-C40", I, "2025-05-06", "9610", [item(1, "5")])],
               returns=[ret("ORD40-A", I, "2025-06-09", [line(1, "3")]),
                        ret("ORD40-B", I, "2025-06-12", [line(1, "3")])],
               claims=[claim("ORD40-A", I, "2025-06-11", [ci(1)]),
                       claim("ORD40-B", I, "2025-06-10", [ci(1)])])},
     {1: [R("ORD40-A", 1, "2025-06-11", I, 3, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
            "QTY_EXCEEDS_EXPORT", plain(3)),
          R("ORD40-B", 1, "2025-06-10", I, 3, "2025-05-06", "9610", "2025-11-06", "2023-34", "EXEMPT", "",
            plain(3))]})

I = invt(41)
case("C41-order-by-coelno", "CONTRACT §6 order rule: same return date -> coElNo",
     "Same return date; ORD41-B comes first in the file and has the earlier appTime, ORD41-A wins by coElNo.",
     {1: Night(exports=[lst("COP-C41", I, "2025-05-06", "9610", [item(1, "5")])],
               returns=[ret("ORD41-B", I, "2025-06-10", [line(1, "3")], hms="080000"),
                        ret("ORD41-A", I, "2025-06-10", [line(1, "3")], hms="150000")],
               claims=[claim("ORD41-B", I, "2025-06-10", [ci(1)]),
                       claim("ORD41-A", I, "2025-06-10", [ci(1)])])},
     {1: [R("ORD41-A", 1, "2025-06-10", I, 3, "2025-05-06", "9610", "2025-11-06", "2023-34", "EXEMPT", "",
            plain(3)),
          R("ORD41-B", 1, "2025-06-10", I, 3, "2025-05-06", "9610", "2025-11-06", "2023-34", "REJECTED",
            "QTY_EXCEEDS_EXPORT", plain(3))]})

# ---------------------------------------------------------------- original state, reasons, documents, certificate

I = invt(42)
E42 = ("2025-05-06", "9610", "2025-11-06", "2023-34")
case("C42-original-state", "CONTRACT §6 NOT_ORIGINAL_STATE; LAW clause 3",
     "One return, five lines: accessories, processed, used without evidence -> REJECTED; used with trial-use "
     "evidence, evidence alone -> EXEMPT.",
     {1: Night(exports=[lst("COP-C42", I, "2025-05-06", "9610", [item(g, "1") for g in range(1, 6)])],
               returns=[ret("RET-C42", I, "2025-07-01", [line(g, "1") for g in range(1, 6)])],
               claims=[claim("RET-C42", I, "2025-07-01",
                             [ci(1, accessories_added=True), ci(2, processed=True), ci(3, used=True),
                              ci(4, used=True, trial_use_evidence=True), ci(5, trial_use_evidence=True)])])},
     {1: [R("RET-C42", 1, "2025-07-01", I, 1, *E42, "REJECTED", "NOT_ORIGINAL_STATE", plain(1)),
          R("RET-C42", 2, "2025-07-01", I, 1, *E42, "REJECTED", "NOT_ORIGINAL_STATE", plain(1)),
          R("RET-C42", 3, "2025-07-01", I, 1, *E42, "REJECTED", "NOT_ORIGINAL_STATE", plain(1)),
          R("RET-C42", 4, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1)),
          R("RET-C42", 5, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1))]})

I = invt(43)
case("C43-reason-other", "CONTRACT §6 REASON_NOT_ELIGIBLE",
     "OTHER has no document rule (DOCUMENTS_MISSING is defined for UNSOLD and BUYER_RETURN only).",
     {1: Night(exports=[lst("COP-C43", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C43", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C43", I, "2025-07-01", [ci(1)], reason_code="OTHER", self_declaration_no=None)])},
     {1: [R("RET-C43", 1, "2025-07-01", I, 1, *E42, "REJECTED", "REASON_NOT_ELIGIBLE", plain(1))]})

I = invt(44)
docs = [("A", dict(reason_code="UNSOLD", self_declaration_no=None), "PENDING", "DOCUMENTS_MISSING"),
        ("B", dict(reason_code="UNSOLD", self_declaration_no=None, return_record_no="RR-44B"), "PENDING",
         "DOCUMENTS_MISSING"),
        ("C", dict(reason_code="BUYER_RETURN", self_declaration_no=None), "PENDING", "DOCUMENTS_MISSING"),
        ("D", dict(reason_code="BUYER_RETURN", self_declaration_no=None, return_agreement_no="AG-44D"), "EXEMPT", ""),
        ("E", dict(reason_code="BUYER_RETURN", self_declaration_no=None, return_record_no="RR-44E"), "EXEMPT", "")]
case("C44-documents", "CONTRACT §6 DOCUMENTS_MISSING; LAW clause 4",
     "UNSOLD needs the self-declaration (a return record does not replace it); BUYER_RETURN needs a return record or "
     "an agreement.",
     {1: Night(exports=[lst("COP-C44", I, "2025-05-06", "9610", [item(g, "1") for g in range(1, 6)])],
               returns=[ret(f"RET-C44-{k}", I, "2025-07-01", [line(g, "1")]) for g, (k, *_ ) in enumerate(docs, 1)],
               claims=[claim(f"RET-C44-{k}", I, "2025-07-01", [ci(g)], **kw)
                       for g, (k, kw, *_ ) in enumerate(docs, 1)])},
     {1: [R(f"RET-C44-{k}", g, "2025-07-01", I, 1, *E42, dec, rs, plain(1))
          for g, (k, _kw, dec, rs) in enumerate(docs, 1)]})

I = invt(45)
certs = [("A", dict(certificate=None), ci(1), "PENDING", "CERTIFICATE_MISSING", {}),
         ("B", dict(certificate=None), ci(2, refunded_vat="26.00"), "PENDING", "BACKPAY_REQUIRED;CERTIFICATE_MISSING",
          dict(backpay_vat="26.00")),
         ("C", dict(certificate=("PAID_BACK", "AUTO")),
          ci(3, refunded_vat="26.00", refunded_ct="4.00", export_duty_paid="3.10"), "EXEMPT", "",
          dict(export_duty_refund="3.10", backpay_vat="26.00", backpay_ct="4.00")),
         ("D", dict(certificate=("NOT_REFUNDED", "AUTO")), ci(4, refunded_vat="26.00"), "PENDING",
          "BACKPAY_REQUIRED;CERTIFICATE_CONFLICT", dict(backpay_vat="26.00")),
         ("E", dict(certificate=("NOT_REFUNDED", "AUTO")), ci(5, refunded_ct="3.00"), "PENDING",
          "BACKPAY_REQUIRED;CERTIFICATE_CONFLICT", dict(backpay_ct="3.00")),
         ("F", dict(certificate=("PAID_BACK", "AUTO")), ci(6), "EXEMPT", "", {}),
         ("G", dict(certificate=None), ci(7, export_duty_paid="7.00"), "PENDING", "CERTIFICATE_MISSING", {})]
case("C45-certificate-and-backpay", "CONTRACT §6 CERTIFICATE_MISSING, BACKPAY_REQUIRED, CERTIFICATE_CONFLICT; "
     "§5 export_duty_refund 0.00 unless EXEMPT; LAW taxes 5-6",
     "A no certificate; B refund without certificate; C PAID_BACK after refund (EXEMPT, pay-back reported, export duty "
     "refunded); D NOT_REFUNDED while VAT refunded; E NOT_REFUNDED while CT refunded; F PAID_BACK without refund "
     "(no code applies); G PENDING with exportDutyPaid -> export_duty_refund 0.00.",
     {1: Night(exports=[lst("COP-C45", I, "2025-05-06", "9610", [item(g, "1") for g in range(1, 8)])],
               returns=[ret(f"RET-C45-{k}", I, "2025-07-01", [line(it.gnum, "1")]) for k, _c, it, *_ in certs],
               claims=[claim(f"RET-C45-{k}", I, "2025-07-01", [it], **kw) for k, kw, it, *_ in certs])},
     {1: [R(f"RET-C45-{k}", it.gnum, "2025-07-01", I, 1, *E42, dec, rs, plain(1), **extra)
          for k, _kw, it, dec, rs, extra in certs]})

I = invt(46)
case("C46-all-codes-collected", "CONTRACT §6 'A line collects every code that applies'; §5",
     "OTHER + no certificate + VAT refunded: REJECTED with three codes sorted; exportDutyPaid not refunded (not "
     "EXEMPT); pay-back reported whatever the decision.",
     {1: Night(exports=[lst("COP-C46", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C46", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C46", I, "2025-07-01", [ci(1, refunded_vat="11.00", export_duty_paid="9.99")],
                             reason_code="OTHER", self_declaration_no=None, certificate=None)])},
     {1: [R("RET-C46", 1, "2025-07-01", I, 1, *E42, "REJECTED",
            "BACKPAY_REQUIRED;CERTIFICATE_MISSING;REASON_NOT_ELIGIBLE", plain(1), backpay_vat="11.00")]})

# ---------------------------------------------------------------- claims across nights, receipts, appType

I = invt(47)
case("C47-claim-missing-then-arrives", "CONTRACT §6 CLAIM_MISSING; 'A PENDING line is decided again ... when new "
     "claim data ... arrive'; LAW window (returnDate else appTime)",
     "Export qty 2, return qty 2.  Night 1 without claim: PENDING, return_date = appTime date 2025-07-01.  Night 2 the "
     "claim (returnDate 2025-06-28) arrives: EXEMPT - its own night-1 hold must not count against it (§6 'every *other* "
     "line').  Night-1 reasons: CLAIM_MISSING alone (reading as in C23).",
     {1: Night(exports=[lst("COP-C47", I, "2025-05-06", "9610", [item(1, "2")])],
               returns=[ret("RET-C47", I, "2025-07-01", [line(1, "2")])]),
      2: Night(claims=[claim("RET-C47", I, "2025-06-28", [ci(1)])])},
     {1: [R("RET-C47", 1, "2025-07-01", I, 2, *E42, "PENDING", "CLAIM_MISSING", plain(2))],
      2: [revised(R("RET-C47", 1, "2025-06-28", I, 2, *E42, "EXEMPT", "", plain(2)), 1)]})

I = invt(48)
case("C48-claim-missing-and-late", "CONTRACT §6 CLAIM_MISSING + WINDOW_EXPIRED; LAW window (appTime when no claim)",
     "Export 2025-01-06 -> nominal 2025-07-06 (Sunday) -> 2025-07-07.  No claim, appTime 2025-07-08: late.  Reasons: "
     "CLAIM_MISSING;WINDOW_EXPIRED (a line collects every code; the claim-content codes wait for a claim, as in C23).",
     {1: Night(exports=[lst("COP-C48", I, "2025-01-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C48", I, "2025-07-08", [line(1, "1")])])},
     {1: [R("RET-C48", 1, "2025-07-08", I, 1, "2025-01-06", "9610", "2025-07-07", "2023-34", "REJECTED",
            "CLAIM_MISSING;WINDOW_EXPIRED", plain(1))]})

I = invt(49)
case("C49-claim-replaced", "CONTRACT §2 'A claim for a coElNo that already has one replaces it'; §6 last sentence",
     "Night 1 claim without certificate: PENDING.  Night 2 replacement with NOT_REFUNDED: EXEMPT.",
     {1: Night(exports=[lst("COP-C49", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C49", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C49", I, "2025-07-01", [ci(1)], certificate=None)]),
      2: Night(claims=[claim("RET-C49", I, "2025-07-01", [ci(1)],
                             certificate=("NOT_REFUNDED", "3301202507010099"))])},
     {1: [R("RET-C49", 1, "2025-07-01", I, 1, *E42, "PENDING", "CERTIFICATE_MISSING", plain(1))],
      2: [revised(R("RET-C49", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1)), 1)]})

I = invt(50)
case("C50-receipt-redecides-pending", "CONTRACT §6 'Decisions follow their inputs' (a CEB214 receipt is new data) "
     "and 'What is reported' (REVISED only when a column differs); §1 CEB214 non-100",
     "Night 1 PENDING (no certificate).  Night 2 a CEB214 with status 120 (not 100) arrives for it: decided again, "
     "nothing changed, so it is not written again: no night-2 row.",
     {1: Night(exports=[lst("COP-C50", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C50", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C50", I, "2025-07-01", [ci(1)], certificate=None)]),
      2: Night(return_receipts=[ReturnReceipt("RET-C50", I, "120", time="20250702100000000")])},
     {1: [R("RET-C50", 1, "2025-07-01", I, 1, *E42, "PENDING", "CERTIFICATE_MISSING", plain(1))]},
     absent={2: [("RET-C50", 1)]})

I = invt(51)
case("C51-apptype-3-withdraws", "CONTRACT §1 CEB213 appType 3 withdraws an earlier return with the same coElNo",
     "Export qty 5.  Night 1: 4 EXEMPT.  Night 2: that return deleted (appType 3) and a new return of 4 fits.  The "
     "deleted line's decision had been reported, so night 2 writes it once more with change WITHDRAWN, repeating the "
     "decision it cancels (§6 'What is reported'; the rerun writes the same rows, §6 last sentence).",
     {1: Night(exports=[lst("COP-C51", I, "2025-05-06", "9610", [item(1, "5")])],
               returns=[ret("RET-C51-DEL", I, "2025-06-02", [line(1, "4")])],
               claims=[claim("RET-C51-DEL", I, "2025-06-02", [ci(1)])]),
      2: Night(returns=[ret("RET-C51-DEL", I, "2025-06-15", [line(1, "4")], app_type="3"),
                        ret("RET-C51-NEW", I, "2025-06-20", [line(1, "4")])],
               claims=[claim("RET-C51-NEW", I, "2025-06-20", [ci(1)])])},
     {1: [R("RET-C51-DEL", 1, "2025-06-02", I, 4, *E42, "EXEMPT", "", plain(4))],
      2: [withdrawn(R("RET-C51-DEL", 1, "2025-06-02", I, 4, *E42, "EXEMPT", "", plain(4)), 1),
          R("RET-C51-NEW", 1, "2025-06-20", I, 4, *E42, "EXEMPT", "", plain(4))]})

I = invt(52)
case("C52-apptype-2-replaces", "CONTRACT §1 CEB213 appType 2 (change) replaces the return",
     "Export qty 3.  Night 1: 3 EXEMPT.  Night 2: changed to 2 (decided again, claim of night 1 still applies, its old "
     "hold of 3 released) and a new return of 1 fits (2+1=3).",
     {1: Night(exports=[lst("COP-C52", I, "2025-05-06", "9610", [item(1, "3")])],
               returns=[ret("RET-C52-CHG", I, "2025-06-02", [line(1, "3")])],
               claims=[claim("RET-C52-CHG", I, "2025-06-02", [ci(1)])]),
      2: Night(returns=[ret("RET-C52-CHG", I, "2025-06-15", [line(1, "2")], app_type="2"),
                        ret("RET-C52-NEW", I, "2025-06-20", [line(1, "1")])],
               claims=[claim("RET-C52-NEW", I, "2025-06-20", [ci(1)])])},
     {1: [R("RET-C52-CHG", 1, "2025-06-02", I, 3, *E42, "EXEMPT", "", plain(3))],
      2: [revised(R("RET-C52-CHG", 1, "2025-06-02", I, 2, *E42, "EXEMPT", "", plain(2)), 1),
          R("RET-C52-NEW", 1, "2025-06-20", I, 1, *E42, "EXEMPT", "", plain(1))]})

I = invt(53)
case("C53-ceb214-100-withdraws", "CONTRACT §1 CEB214 status 100 withdraws that return; §6 held quantity",
     "Export qty 5.  Night 1: 4 PENDING (no certificate, holds 4).  Night 2: CEB214 100 withdraws it; a new return "
     "of 4 fits.  The withdrawn line is written once more with change WITHDRAWN, repeating its PENDING decision "
     "(as C51).",
     {1: Night(exports=[lst("COP-C53", I, "2025-05-06", "9610", [item(1, "5")])],
               returns=[ret("RET-C53-WD", I, "2025-06-02", [line(1, "4")])],
               claims=[claim("RET-C53-WD", I, "2025-06-02", [ci(1)], certificate=None)]),
      2: Night(return_receipts=[ReturnReceipt("RET-C53-WD", I, "100", time="20250603100000000")],
               returns=[ret("RET-C53-NEW", I, "2025-06-20", [line(1, "4")])],
               claims=[claim("RET-C53-NEW", I, "2025-06-20", [ci(1)])])},
     {1: [R("RET-C53-WD", 1, "2025-06-02", I, 4, *E42, "PENDING", "CERTIFICATE_MISSING", plain(4))],
      2: [withdrawn(R("RET-C53-WD", 1, "2025-06-02", I, 4, *E42, "PENDING", "CERTIFICATE_MISSING", plain(4)), 1),
          R("RET-C53-NEW", 1, "2025-06-20", I, 4, *E42, "EXEMPT", "", plain(4))]})

I = invt(54)
case("C54-ceb214-100-same-night", "CONTRACT §1 CEB214 status 100; §6 'A withdrawn line whose decision had been "
     "reported is written once with change WITHDRAWN'",
     "The return and its refusal receipt arrive in the same night.  The withdrawn return is never decided, so it has "
     "no row (no decision of it was ever reported, so there is no WITHDRAWN row either) and holds nothing: a later "
     "return of 4 out of 5 is EXEMPT.",
     {1: Night(exports=[lst("COP-C54", I, "2025-05-06", "9610", [item(1, "5")])],
               returns=[ret("RET-C54-WD", I, "2025-06-02", [line(1, "4")]),
                        ret("RET-C54-NEW", I, "2025-06-03", [line(1, "4")])],
               return_receipts=[ReturnReceipt("RET-C54-WD", I, "100", time="20250602110000000")],
               claims=[claim("RET-C54-WD", I, "2025-06-02", [ci(1)]),
                       claim("RET-C54-NEW", I, "2025-06-03", [ci(1)])])},
     {1: [R("RET-C54-NEW", 1, "2025-06-03", I, 4, *E42, "EXEMPT", "", plain(4))]},
     absent={1: [("RET-C54-WD", 1)]})

# ---------------------------------------------------------------- reference data: tariff and rates

I = invt(55)
case("C55-no-tariff-row", "CONTRACT §6 TARIFF_UNKNOWN; §5 taxes empty without a tariff row",
     "9503 has no tariff row.  V = 2 x USD 10 x 7.1 = 142.00.  Night 2 (same reference) gives no trigger: no row.  "
     "Night 3's reference adds the row 9503 (duty 5 %, VAT 13 %): the line, PENDING TARIFF_UNKNOWN, is decided again "
     "(§6: the batch's reference data differ from those of its last decision): D = 7.10, C = 0.00, T = 149.10 x 0.13 "
     "= 19.383 -> 19.38; nothing else missing, so EXEMPT, REVISED (superseding night 1).",
     {1: Night(exports=[lst("COP-C55", I, "2025-05-06", "9610",
                            [item(1, "2", gcode="9503008900", price="10.00", unit="007", unit1="007",
                                  gname="玩具", gmodel="塑料")])],
               returns=[ret("RET-C55", I, "2025-07-01", [line(1, "2", gcode="9503008900", unit="007", unit1="007",
                                                              gname="玩具", gmodel="塑料")])],
               claims=[claim("RET-C55", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C55", 1, "2025-07-01", I, 2, *E42, "PENDING", "TARIFF_UNKNOWN", ("142.00", "", "", ""),
            gcode="9503008900")],
      3: [revised(R("RET-C55", 1, "2025-07-01", I, 2, *E42, "EXEMPT", "", ("142.00", "7.10", "0.00", "19.38"),
                    gcode="9503008900"), 1)]},
     absent={2: [("RET-C55", 1)]})

I = invt(56)
case("C56-no-exchange-rate", "CONTRACT §6 TARIFF_UNKNOWN (no exchange rate); §5 customs_value empty",
     "EUR (300) has rates only for 2025-01..06; return in 2025-09.  Nights 3, 4 and 5 bring other reference data "
     "(none with a EUR rate for 2025-09): the line is decided again each time (§6) with the same result, so it is "
     "not written again.",
     {1: Night(exports=[lst("COP-C56", I, "2025-05-06", "9610", [item(1, "1", price="50.00", currency="300")])],
               returns=[ret("RET-C56", I, "2025-09-01", [line(1, "1")])],
               claims=[claim("RET-C56", I, "2025-09-01", [ci(1)])])},
     {1: [R("RET-C56", 1, "2025-09-01", I, 1, *E42, "PENDING", "TARIFF_UNKNOWN", NONE)]},
     absent={3: [("RET-C56", 1)], 4: [("RET-C56", 1)], 5: [("RET-C56", 1)]})

I = invt(57)
case("C57-eur-rate", "CONTRACT §3 exchange_rates (currency code 300)", "1 x EUR 50 x 7.8 = 390.00; VAT 50.70.",
     {1: Night(exports=[lst("COP-C57", I, "2025-05-06", "9610", [item(1, "1", price="50.00", currency="300")])],
               returns=[ret("RET-C57", I, "2025-06-02", [line(1, "1")])],
               claims=[claim("RET-C57", I, "2025-06-02", [ci(1)])])},
     {1: [R("RET-C57", 1, "2025-06-02", I, 1, *E42, "EXEMPT", "", ("390.00", "0.00", "0.00", "50.70"))]})

I = invt(58)
case("C58-tariff-only-later-row", "CONTRACT §3 tariff rows with valid_from <= return date; §6 TARIFF_UNKNOWN",
     "9102's only row is valid from 2027-01-01; return in 2025.  Decided again, unchanged, on nights 3, 4 and 5 "
     "(new reference data, no usable 9102 row): not written again.",
     {1: Night(exports=[lst("COP-C58", I, "2025-05-06", "9610",
                            [item(1, "1", gcode="9102110000", unit="007", unit1="007", gname="手表", gmodel="石英")])],
               returns=[ret("RET-C58", I, "2025-07-01", [line(1, "1", gcode="9102110000", unit="007", unit1="007",
                                                              gname="手表", gmodel="石英")])],
               claims=[claim("RET-C58", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C58", 1, "2025-07-01", I, 1, *E42, "PENDING", "TARIFF_UNKNOWN", ("710.00", "", "", ""),
            gcode="9102110000")]},
     absent={3: [("RET-C58", 1)], 4: [("RET-C58", 1)], 5: [("RET-C58", 1)]})

I = invt(59)
case("C59-cny-and-half-up", "CONTRACT §3 (142 CNY always 1); LAW taxes 'rounded half-up to 0.01 at each step'",
     "Currency 142 with no rate rows.  gnum 1: price 100.005 -> V 100.01 (half-up; half-even or float gives 100.00), "
     "T 13.0013 -> 13.00.  gnum 2: V 10.50, T 1.365 -> 1.37 (half-up).",
     {1: Night(exports=[lst("COP-C59", I, "2025-05-06", "9610",
                            [item(1, "1", price="100.005", currency="142"), item(2, "1", price="10.50", currency="142")])],
               returns=[ret("RET-C59", I, "2025-09-01", [line(1, "1"), line(2, "1")])],
               claims=[claim("RET-C59", I, "2025-09-01", [ci(1), ci(2)])])},
     {1: [R("RET-C59", 1, "2025-09-01", I, 1, *E42, "EXEMPT", "", ("100.01", "0.00", "0.00", "13.00")),
          R("RET-C59", 2, "2025-09-01", I, 1, *E42, "EXEMPT", "", ("10.50", "0.00", "0.00", "1.37"))]})

I = invt(60)
case("C60-rate-of-return-month", "CONTRACT §3 'The rate used is that of the return date's month'",
     "Export in 2025-03 (7.1000), return 2025-04-15 (7.2000): V 720.00, T 93.60.",
     {1: Night(exports=[lst("COP-C60", I, "2025-03-10", "9610", [item(1, "1")])],
               returns=[ret("RET-C60", I, "2025-04-15", [line(1, "1")])],
               claims=[claim("RET-C60", I, "2025-04-15", [ci(1)])])},
     {1: [R("RET-C60", 1, "2025-04-15", I, 1, "2025-03-10", "9610", "2025-09-10", "2023-34", "EXEMPT", "",
            ("720.00", "0.00", "0.00", "93.60"))]})

I = invt(61)
case("C61-customs-value-override", "CONTRACT §2 customsValue; LAW taxes 1",
     "customsValue 1280.00 replaces 2 x 710.00; VAT 166.40.",
     {1: Night(exports=[lst("COP-C61", I, "2025-05-06", "9610", [item(1, "2")])],
               returns=[ret("RET-C61", I, "2025-07-01", [line(1, "2")])],
               claims=[claim("RET-C61", I, "2025-07-01", [ci(1, customs_value="1280.00")])])},
     {1: [R("RET-C61", 1, "2025-07-01", I, 2, *E42, "EXEMPT", "", ("1280.00", "0.00", "0.00", "166.40"))]})

I = invt(62)
case("C62-customs-value-without-rate", "CONTRACT §5 ('and no customsValue in the claim'); §6 TARIFF_UNKNOWN",
     "EUR without a rate for 2025-09 but the claim gives customsValue 500.00, so the amounts can be computed "
     "(V 500.00, VAT 65.00).  Reading (the processor's): the line needs no rate, so it lacks none: no TARIFF_UNKNOWN, "
     "EXEMPT (§5 too: V is empty only without a rate 'and no customsValue in the claim').",
     {1: Night(exports=[lst("COP-C62", I, "2025-05-06", "9610", [item(1, "1", price="50.00", currency="300")])],
               returns=[ret("RET-C62", I, "2025-09-01", [line(1, "1")])],
               claims=[claim("RET-C62", I, "2025-09-01", [ci(1, customs_value="500.00")])])},
     {1: [R("RET-C62", 1, "2025-09-01", I, 1, *E42, "EXEMPT", "", ("500.00", "0.00", "0.00", "65.00"))]})

I = invt(63)
case("C63-compound-duty-and-ct", "LAW taxes 2-4 (compound duty, compound CT); CONTRACT §3 per-unit x qty1",
     "2 x USD 150 x 7.1 = 2130.00; D = 2130.00 x 3 % + 2 x 100.00 = 263.90; "
     "C = (2130.00 + 263.90 + 2 x 2.00) / 0.90 x 0.10 + 2 x 2.00 = 270.4333 -> 270.43; "
     "T = (2130.00 + 263.90 + 270.43) x 13 % = 346.3629 -> 346.36.",
     {1: Night(exports=[lst("COP-C63", I, "2025-05-06", "9610",
                            [item(1, "2", gcode="8521909000", price="150.00", gname="录像机", gmodel="HD")])],
               returns=[ret("RET-C63", I, "2025-07-01", [line(1, "2", gcode="8521909000", gname="录像机",
                                                              gmodel="HD")])],
               claims=[claim("RET-C63", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C63", 1, "2025-07-01", I, 2, *E42, "EXEMPT", "", ("2130.00", "263.90", "270.43", "346.36"),
            gcode="8521909000")]})

I = invt(64)
case("C64-specific-ct", "LAW taxes 3 (specific CT: rate 0)",
     "200 l x USD 0.70 x 7.1 = 994.00; D = 49.70; C = 200 x 1.52 = 304.00; T = (994.00 + 49.70 + 304.00) x 13 % = "
     "175.201 -> 175.20.",
     {1: Night(exports=[lst("COP-C64", I, "2025-05-06", "9610",
                            [item(1, "200", gcode="2710199100", price="0.70", unit="095", unit1="095",
                                  gname="润滑油", gmodel="5W-30")])],
               returns=[ret("RET-C64", I, "2025-07-01", [line(1, "200", gcode="2710199100", unit="095", unit1="095",
                                                              gname="润滑油", gmodel="5W-30")])],
               claims=[claim("RET-C64", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C64", 1, "2025-07-01", I, 200, *E42, "EXEMPT", "", ("994.00", "49.70", "304.00", "175.20"),
            gcode="2710199100")]})

I = invt(65)
case("C65-longest-prefix", "CONTRACT §3 tariff: longest hs_prefix",
     "6109100011 -> row 610910 (6 %): D 8.52, T 19.57; 6109909000 -> row 6109 (12 %): D 17.04, T 20.68.",
     {1: Night(exports=[lst("COP-C65", I, "2025-05-06", "9610",
                            [item(1, "2", gcode="6109100011", price="10.00", unit="011", unit1="011", gname="T恤",
                                  gmodel="棉"),
                             item(2, "2", gcode="6109909000", price="10.00", unit="011", unit1="011", gname="T恤",
                                  gmodel="化纤")])],
               returns=[ret("RET-C65", I, "2025-07-01",
                            [line(1, "2", gcode="6109100011", unit="011", unit1="011", gname="T恤", gmodel="棉"),
                             line(2, "2", gcode="6109909000", unit="011", unit1="011", gname="T恤", gmodel="化纤")])],
               claims=[claim("RET-C65", I, "2025-07-01", [ci(1), ci(2)])])},
     {1: [R("RET-C65", 1, "2025-07-01", I, 2, *E42, "EXEMPT", "", ("142.00", "8.52", "0.00", "19.57"),
            gcode="6109100011"),
          R("RET-C65", 2, "2025-07-01", I, 2, *E42, "EXEMPT", "", ("142.00", "17.04", "0.00", "20.68"),
            gcode="6109909000")]})

I = invt(66)
E66 = ("2025-10-10", "9610", "2026-04-10", "2023-34")
case("C66-tariff-valid-from", "CONTRACT §3 tariff: latest valid_from <= return date",
     "8517: duty 5 % from 2023, 0 % from 2026-01-01.  Return 2025-12-31: D 35.50, T 745.50 x 13 % = 96.915 -> 96.92; "
     "return 2026-01-01: D 0.00, T 92.30.",
     {1: Night(exports=[lst("COP-C66", I, "2025-10-10", "9610",
                            [item(1, "1", gcode="8517620000", gname="路由器", gmodel="AX3000"),
                             item(2, "1", gcode="8517620000", gname="路由器", gmodel="AX3000")])]),
      2: Night(returns=[ret("RET-C66-A", I, "2025-12-31", [line(1, "1", gcode="8517620000", gname="路由器",
                                                                gmodel="AX3000")]),
                        ret("RET-C66-B", I, "2026-01-01", [line(2, "1", gcode="8517620000", gname="路由器",
                                                                gmodel="AX3000")])],
               claims=[claim("RET-C66-A", I, "2025-12-31", [ci(1)]),
                       claim("RET-C66-B", I, "2026-01-01", [ci(2)])])},
     {2: [R("RET-C66-A", 1, "2025-12-31", I, 1, *E66, "EXEMPT", "", ("710.00", "35.50", "0.00", "96.92"),
            gcode="8517620000"),
          R("RET-C66-B", 2, "2026-01-01", I, 1, *E66, "EXEMPT", "", ("710.00", "0.00", "0.00", "92.30"),
            gcode="8517620000")]})

I = invt(67)
case("C67-longest-prefix-vs-latest-row", "CONTRACT §3 tariff row choice",
     "Rows 4202@2023 10 %, 420221@2023 6 %, 4202@2026 8 %; return 2026-03-05.  'The row used is the longest hs_prefix "
     "... among rows with valid_from <= the return date (the latest such valid_from wins)': longest prefix first, the "
     "latest valid_from only among rows of that prefix: 6 % -> D 42.60, T 752.60 x 13 % = 97.838 -> 97.84 (latest "
     "row first would give 56.80 / 99.68).",
     {1: Night(exports=[lst("COP-C67", I, "2026-01-15", "9610",
                            [item(1, "1", gcode="4202210000", gname="手提包", gmodel="皮革")])]),
      2: Night(returns=[ret("RET-C67", I, "2026-03-05", [line(1, "1", gcode="4202210000", gname="手提包",
                                                              gmodel="皮革")])],
               claims=[claim("RET-C67", I, "2026-03-05", [ci(1)])])},
     {2: [R("RET-C67", 1, "2026-03-05", I, 1, "2026-01-15", "9610", "2026-07-15", "2026-16", "EXEMPT", "",
            ("710.00", "42.60", "0.00", "97.84"), gcode="4202210000")]})

I = invt(68)
case("C68-value-rounded-once", "LAW taxes 1 (V = qty x price converted to CNY, rounded)",
     "3 x USD 3.333 x 7.1 = 70.9929 -> 70.99 (rounding the foreign amount first would give 71.00); T 9.2287 -> 9.23.",
     {1: Night(exports=[lst("COP-C68", I, "2025-05-06", "9610", [item(1, "3", price="3.333")])],
               returns=[ret("RET-C68", I, "2025-07-01", [line(1, "3")])],
               claims=[claim("RET-C68", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C68", 1, "2025-07-01", I, 3, *E42, "EXEMPT", "", ("70.99", "0.00", "0.00", "9.23"))]})

# ---------------------------------------------------------------- batch-level readings (contract silent)

I = invt(69)
case("C69-export-file-sorted-after-returns", "CONTRACT §1 (one inbox, any mix of XML files); §6 order rule",
     "The export list is in a file named to sort after the return file of the same night.  Reading (the "
     "processor's): a night's inbox is one input whatever its files' names or order (§1 'any mix of XML files'; "
     "file names are data), so the export is there when the line is decided: EXEMPT.",
     {1: Night(late_exports=[lst("COP-C69", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C69", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C69", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C69", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1))]})

I = invt(70)
case("C70-claim-invtno-mismatch", "CONTRACT §2 claim invtNo 'must equal the CEB213's'",
     "The only claim for the return names another list.  Reading (the processor's): a claim whose invtNo is not the "
     "CEB213's is not a claim for this return (§2 'must equal the CEB213's'): PENDING CLAIM_MISSING, and its "
     "returnDate is not used either, so return_date is the appTime date.  (Whether the claim is also quarantined "
     "is not checked here: the processor keeps it in the ledger and explains the mismatch in the trail.)",
     {1: Night(exports=[lst("COP-C70", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C70", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C70", invt(70, 2), "2025-06-30", [ci(1)])])},
     {1: [R("RET-C70", 1, "2025-07-01", I, 1, *E42, "PENDING", "CLAIM_MISSING", plain(1))]})

I = invt(71)
case("C71-claim-before-return", "CONTRACT §2, §4 (ledger persists)",
     "The claim arrives on night 1, its CEB213 only on night 2.  Reading (the processor's): the ledger keeps what "
     "arrives (§4, §5 'stored in the ledger'), and a line's decision depends on its claim (§6), so the claim is used "
     "when its return arrives: EXEMPT.",
     {1: Night(exports=[lst("COP-C71", I, "2025-05-06", "9610", [item(1, "1")])],
               claims=[claim("RET-C71", I, "2025-07-01", [ci(1)])]),
      2: Night(returns=[ret("RET-C71", I, "2025-07-01", [line(1, "1")])])},
     {2: [R("RET-C71", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1))]})


# =========================================================================== second round: sharper edges

I = invt(72)
case("C72-window-adjusted-sunday", "LAW window: a weekend day that is an adjusted working day is not a rest day",
     "2025-03-28 -> 2025-09-28, a Sunday but a make-up working day for National Day 2025 (chinesecalendar "
     "is_workday True): window_end 2025-09-28, Monday 2025-09-29 is late.",
     {1: Night(exports=[lst("COP-C72", I, "2025-03-28", "9610", [item(1, "1"), item(2, "1")])]),
      2: Night(returns=[ret("RET-C72-ON", I, "2025-09-28", [line(1, "1")]),
                        ret("RET-C72-LATE", I, "2025-09-29", [line(2, "1")])],
               claims=[claim("RET-C72-ON", I, "2025-09-28", [ci(1)]),
                       claim("RET-C72-LATE", I, "2025-09-29", [ci(2)])])},
     {2: [R("RET-C72-ON", 1, "2025-09-28", I, 1, "2025-03-28", "9610", "2025-09-28", "2023-34", "EXEMPT", "",
            plain(1)),
          R("RET-C72-LATE", 2, "2025-09-29", I, 1, "2025-03-28", "9610", "2025-09-28", "2023-34", "REJECTED",
            "WINDOW_EXPIRED", plain(1))]})

I = invt(73)
case("C73-window-spring-festival-2024", "LAW window: extension runs to the next working day, which may be a Sunday",
     "2023-08-10 -> nominal 2024-02-10 (Spring Festival holiday 02-10..17); next working day is Sunday 2024-02-18 "
     "(make-up day).",
     {1: Night(exports=[lst("COP-C73", I, "2023-08-10", "9610", [item(1, "1"), item(2, "1")])]),
      2: Night(returns=[ret("RET-C73-ON", I, "2024-02-18", [line(1, "1")]),
                        ret("RET-C73-LATE", I, "2024-02-19", [line(2, "1")])],
               claims=[claim("RET-C73-ON", I, "2024-02-18", [ci(1)]),
                       claim("RET-C73-LATE", I, "2024-02-19", [ci(2)])])},
     {2: [R("RET-C73-ON", 1, "2024-02-18", I, 1, "2023-08-10", "9610", "2024-02-18", "2023-34", "EXEMPT", "",
            plain(1)),
          R("RET-C73-LATE", 2, "2024-02-19", I, 1, "2023-08-10", "9610", "2024-02-18", "2023-34", "REJECTED",
            "WINDOW_EXPIRED", plain(1))]})

I = invt(74)
case("C74-window-spring-festival-2026", "LAW window: holiday extension",
     "2025-08-16 -> nominal 2026-02-16 (Spring Festival 02-15..23) -> 2026-02-24.",
     {1: Night(exports=[lst("COP-C74", I, "2025-08-16", "9610", [item(1, "1"), item(2, "1")])]),
      2: Night(returns=[ret("RET-C74-ON", I, "2026-02-24", [line(1, "1")]),
                        ret("RET-C74-LATE", I, "2026-02-25", [line(2, "1")])],
               claims=[claim("RET-C74-ON", I, "2026-02-24", [ci(1)]),
                       claim("RET-C74-LATE", I, "2026-02-25", [ci(2)])])},
     {2: [R("RET-C74-ON", 1, "2026-02-24", I, 1, "2025-08-16", "9610", "2026-02-24", "2023-34", "EXEMPT", "",
            plain(1)),
          R("RET-C74-LATE", 2, "2026-02-25", I, 1, "2025-08-16", "9610", "2026-02-24", "2023-34", "REJECTED",
            "WINDOW_EXPIRED", plain(1))]})

I = invt(75)
case("C75-rounding-each-step", "LAW taxes: 'rounded half-up to 0.01 at each step'",
     "CNY 101.25 of cosmetics: D = 10.125 -> 10.13 (half-up); C = (101.25 + 10.13) / 0.85 x 0.15 = 19.6553 -> 19.66 "
     "(with unrounded D: 19.65); T = (101.25 + 10.13 + 19.66) x 0.13 = 17.0352 -> 17.04 (half-even / no intermediate "
     "rounding / float all give 10.12, 19.65, 17.03).",
     {1: Night(exports=[lst("COP-C75", I, "2025-05-06", "9610",
                            [item(1, "1", gcode="3304990099", price="101.25", currency="142", qty1="0.05", unit="007",
                                  unit1="035", gname="面霜", gmodel="50g")])],
               returns=[ret("RET-C75", I, "2025-07-01", [line(1, "1", gcode="3304990099", qty1="0.05", unit="007",
                                                              unit1="035", gname="面霜", gmodel="50g")])],
               claims=[claim("RET-C75", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C75", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", ("101.25", "10.13", "19.66", "17.04"),
            gcode="3304990099")]})

I = invt(76)
case("C76-partial-decimal-qty", "LAW taxes 1-4 with a fractional returned quantity; CONTRACT §5 qty as declared",
     "50.5 l of 200 l lubricant at USD 0.70: V = 250.985 -> 250.99; D = 12.5495 -> 12.55; C = 50.5 x 1.52 = 76.76; "
     "T = 340.30 x 0.13 = 44.239 -> 44.24.",
     {1: Night(exports=[lst("COP-C76", I, "2025-05-06", "9610",
                            [item(1, "200", gcode="2710199100", price="0.70", unit="095", unit1="095",
                                  gname="润滑油", gmodel="5W-30")])],
               returns=[ret("RET-C76", I, "2025-07-01", [line(1, "50.5", gcode="2710199100", unit="095", unit1="095",
                                                              gname="润滑油", gmodel="5W-30")])],
               claims=[claim("RET-C76", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C76", 1, "2025-07-01", I, "50.5", *E42, "EXEMPT", "", ("250.99", "12.55", "76.76", "44.24"),
            gcode="2710199100")]})

I = invt(77)
case("C77-jpy-rate", "CONTRACT §3 exchange_rates (116 JPY)",
     "JPY 12,345 x 0.048123 = 594.078435 -> 594.08; T = 77.2304 -> 77.23.",
     {1: Night(exports=[lst("COP-C77", I, "2025-05-06", "9610", [item(1, "1", price="12345", currency="116")])],
               returns=[ret("RET-C77", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C77", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C77", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", ("594.08", "0.00", "0.00", "77.23"))]})

I = invt(78)
case("C78-claim-return-date-beats-apptime", "LAW window: 'the claim's returnDate (else the CEB213 appTime date)'",
     "Window ends 2025-09-15.  A: appTime 09-20 but returnDate 09-12 -> in time.  B: appTime 09-10 but returnDate 09-16 "
     "-> late.",
     {1: Night(exports=[lst("COP-C78", I, "2025-03-15", "9610", [item(1, "1"), item(2, "1")])]),
      2: Night(returns=[ret("RET-C78-A", I, "2025-09-20", [line(1, "1")]),
                        ret("RET-C78-B", I, "2025-09-10", [line(2, "1")])],
               claims=[claim("RET-C78-A", I, "2025-09-12", [ci(1)]),
                       claim("RET-C78-B", I, "2025-09-16", [ci(2)])])},
     {2: [R("RET-C78-A", 1, "2025-09-12", I, 1, "2025-03-15", "9610", "2025-09-15", "2023-34", "EXEMPT", "",
            plain(1)),
          R("RET-C78-B", 2, "2025-09-16", I, 1, "2025-03-15", "9610", "2025-09-15", "2023-34", "REJECTED",
            "WINDOW_EXPIRED", plain(1))]})

I = invt(79)
case("C79-claim-arrival-changes-rate-month", "CONTRACT §3 rate of the return date's month; LAW window return date",
     "Night 1 no claim: return date = appTime 2025-04-01 (rate 7.2000): V 720.00.  Night 2 claim returnDate "
     "2025-03-31 (rate 7.1000): V 710.00, EXEMPT.  Night-1 reasons: CLAIM_MISSING alone (reading as in C23).",
     {1: Night(exports=[lst("COP-C79", I, "2025-03-04", "9610", [item(1, "1")])],
               returns=[ret("RET-C79", I, "2025-04-01", [line(1, "1")])]),
      2: Night(claims=[claim("RET-C79", I, "2025-03-31", [ci(1)])])},
     {1: [R("RET-C79", 1, "2025-04-01", I, 1, "2025-03-04", "9610", "2025-09-04", "2023-34", "PENDING",
            "CLAIM_MISSING", ("720.00", "0.00", "0.00", "93.60"))],
      2: [revised(R("RET-C79", 1, "2025-03-31", I, 1, "2025-03-04", "9610", "2025-09-04", "2023-34", "EXEMPT", "",
                    plain(1)), 1)]})

I = invt(80)
case("C80-redecided-rejected-releases-hold", "CONTRACT §6: REJECTED holds nothing; order rule within the batch",
     "Export qty 5.  Night 1: 3 PENDING (no certificate).  Night 2: its replaced claim says processed -> REJECTED "
     "(return date 06-02, taken first), which frees its 3; a new return of 4 (06-20) then fits.",
     {1: Night(exports=[lst("COP-C80", I, "2025-05-06", "9610", [item(1, "5")])],
               returns=[ret("RET-C80-1", I, "2025-06-02", [line(1, "3")])],
               claims=[claim("RET-C80-1", I, "2025-06-02", [ci(1)], certificate=None)]),
      2: Night(returns=[ret("RET-C80-2", I, "2025-06-20", [line(1, "4")])],
               claims=[claim("RET-C80-1", I, "2025-06-02", [ci(1, processed=True)]),
                       claim("RET-C80-2", I, "2025-06-20", [ci(1)])])},
     {1: [R("RET-C80-1", 1, "2025-06-02", I, 3, *E42, "PENDING", "CERTIFICATE_MISSING", plain(3))],
      2: [revised(R("RET-C80-1", 1, "2025-06-02", I, 3, *E42, "REJECTED", "NOT_ORIGINAL_STATE", plain(3)), 1),
          R("RET-C80-2", 1, "2025-06-20", I, 4, *E42, "EXEMPT", "", plain(4))]})

I = invt(81)
case("C81-redecided-vs-earlier-new-return", "CONTRACT §6 'Quantity held': 'every *other* line of the same export item "
     "that holds now, whatever its date'; order rule within a batch",
     "Export qty 5; night 1 a return of 3 dated 06-02 is PENDING (no claim) and holds 3.  Night 2 its claim arrives "
     "together with a NEW return of 3 dated 06-01.  Both are decided in night 2, the 06-01 one first; when it is "
     "decided the 06-02 line still holds 3 (PENDING, the decision standing 'now'; 'whatever its date': its later "
     "return date gives the new line no priority), so 3 + 3 > 5: RET-C81-0 REJECTED QTY_EXCEEDS_EXPORT (NEW).  Then "
     "RET-C81-1: the other line holds nothing (REJECTED), so EXEMPT, REVISED.  Reading: a line to be decided again "
     "later in the same batch holds per its standing decision until it is taken (this case was expected the other "
     "way round before the contract said 'holds now, whatever its date').  No quantity is released (RET-C81-1 "
     "still holds), so RET-C81-0 is not decided again.",
     {1: Night(exports=[lst("COP-C81", I, "2025-05-06", "9610", [item(1, "5")])],
               returns=[ret("RET-C81-1", I, "2025-06-02", [line(1, "3")])]),
      2: Night(returns=[ret("RET-C81-0", I, "2025-06-01", [line(1, "3")])],
               claims=[claim("RET-C81-1", I, "2025-06-02", [ci(1)]),
                       claim("RET-C81-0", I, "2025-06-01", [ci(1)])])},
     {1: [R("RET-C81-1", 1, "2025-06-02", I, 3, *E42, "PENDING", "CLAIM_MISSING", plain(3))],
      2: [R("RET-C81-0", 1, "2025-06-01", I, 3, *E42, "REJECTED", "QTY_EXCEEDS_EXPORT", plain(3)),
          revised(R("RET-C81-1", 1, "2025-06-02", I, 3, *E42, "EXEMPT", "", plain(3)), 1)]})

I = invt(82)
SINK = ";".join(sorted(["BACKPAY_REQUIRED", "CERTIFICATE_MISSING", "CODE_NOT_ELIGIBLE", "EXPORT_VOID",
                        "FOOD_EXCLUDED", "GOODS_MISMATCH", "NOT_ORIGINAL_STATE", "OUTSIDE_POLICY_PERIOD",
                        "PARTY_MISMATCH", "QTY_EXCEEDS_EXPORT", "REASON_NOT_ELIGIBLE", "WINDOW_EXPIRED"]))
case("C82-every-code-at-once", "CONTRACT §6 'A line collects every code that applies'; reasons sorted",
     "Cancelled 0110 food export of 2023-01-29 (no policy), returned late (2023-08-01 > 2023-07-31) by another ebc, "
     "unit1 changed, qty 3 of 2, used without evidence, reason OTHER, no certificate, VAT refunded.  V = 3 x 20 x 7.1 "
     "= 426.00, D = 85.20, T = 66.456 -> 66.46.  window_end reported although no policy applies (reading as in C13).",
     {1: Night(exports=[lst("COP-C82", I, "2023-01-29", "0110",
                            [item(1, "2", gcode="2106909090", price="20.00", unit="035", unit1="035",
                                  gname="蛋白粉", gmodel="1kg/罐")])],
               cancels=[ListCancel("COP-C82", I, app_time="20230130100000")],
               returns=[ret("RET-C82", I, "2023-08-01", [line(1, "3", gcode="2106909090", unit="035", unit1="011",
                                                              gname="蛋白粉", gmodel="1kg/罐")],
                            ebc_code="3302960OTH")],
               claims=[claim("RET-C82", I, "2023-08-01", [ci(1, used=True, refunded_vat="1.00")],
                             reason_code="OTHER", self_declaration_no=None, certificate=None)])},
     {1: [R("RET-C82", 1, "2023-08-01", I, 3, "2023-01-29", "0110", "2023-07-31", "", "REJECTED", SINK,
            ("426.00", "85.20", "0.00", "66.46"), gcode="2106909090", backpay_vat="1.00")]})

I = invt(83)
case("C83-export-resent-not-doubled", "CONTRACT §1 export ledger keyed (invtNo, gnum); §4 reading again changes nothing",
     "Export qty 5 sent on night 1 and the identical record again on night 2; a return of 7 still exceeds.",
     {1: Night(exports=[lst("COP-C83", I, "2025-05-06", "9610", [item(1, "5")])]),
      2: Night(exports=[lst("COP-C83", I, "2025-05-06", "9610", [item(1, "5")])],
               returns=[ret("RET-C83", I, "2025-07-01", [line(1, "7")])],
               claims=[claim("RET-C83", I, "2025-07-01", [ci(1)])])},
     {2: [R("RET-C83", 1, "2025-07-01", I, 7, *E42, "REJECTED", "QTY_EXCEEDS_EXPORT",
            ("4970.00", "0.00", "0.00", "646.10"))]})

I = invt(84)
case("C84-ceb214-root-spelled-CEB214", "CONTRACT §1 'CEB214Message (also accept root CEB214)'; status 100",
     "As C53 (WITHDRAWN row on night 2), with the receipt file's root spelled CEB214 as in the official sample.",
     {1: Night(exports=[lst("COP-C84", I, "2025-05-06", "9610", [item(1, "5")])],
               returns=[ret("RET-C84-WD", I, "2025-06-02", [line(1, "4")])],
               claims=[claim("RET-C84-WD", I, "2025-06-02", [ci(1)], certificate=None)]),
      2: Night(odd_return_receipts=[ReturnReceipt("RET-C84-WD", I, "100", time="20250603100000000")],
               returns=[ret("RET-C84-NEW", I, "2025-06-20", [line(1, "4")])],
               claims=[claim("RET-C84-NEW", I, "2025-06-20", [ci(1)])])},
     {1: [R("RET-C84-WD", 1, "2025-06-02", I, 4, *E42, "PENDING", "CERTIFICATE_MISSING", plain(4))],
      2: [withdrawn(R("RET-C84-WD", 1, "2025-06-02", I, 4, *E42, "PENDING", "CERTIFICATE_MISSING", plain(4)), 1),
          R("RET-C84-NEW", 1, "2025-06-20", I, 4, *E42, "EXEMPT", "", plain(4))]})

I = invt(85)
case("C85-ceb603-bom-default-namespace", "CONTRACT §1 'as the default namespace, with or without a UTF-8 BOM'", "",
     {1: Night(odd_exports=[lst("COP-C85", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C85", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C85", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C85", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1))]})

I = invt(86)
case("C86-ceb603-2018-variant", "CONTRACT §1 'Both the 202205 and the 2018 variants of CEB603 must be read'",
     "A list valid only under the 2018 field table (logisticsNo of 40 and totalPackageNo of 50 characters, which the "
     "202205 table limits to 32 and 37), invtNo of 18.",
     {1: Night(exports_2018=[lst("COP-C86", I, "2025-05-06", "9610", [item(1, "1")], variant="2018")],
               returns=[ret("RET-C86", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C86", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C86", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1))]})

I = invt(87)
case("C87-no-export-but-customs-value", "CONTRACT §5 'customs_value_cny [empty] without a matched export ... (and no "
     "customsValue in the claim)'",
     "No export, but customsValue 500.00: V 500.00.  Reading (the processor's): without an export item the tariff is "
     "looked up by the return line's own gcode (8471: T 65.00), since 'amounts are computed whatever the decision' "
     "(§5) and the line's gcode is the only one there is.  Reasons NO_SUCH_EXPORT alone, as in C26.",
     {1: Night(returns=[ret("RET-C87", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C87", I, "2025-07-01", [ci(1, customs_value="500.00")])])},
     {1: [R("RET-C87", 1, "2025-07-01", I, 1, "", "", "", "", "REJECTED", "NO_SUCH_EXPORT",
            ("500.00", "0.00", "0.00", "65.00"))]})

I = invt(88)
case("C88-empty-self-declaration", "CONTRACT §6 DOCUMENTS_MISSING",
     "<selfDeclarationNo/> present but empty (the published XSD allows it).  Reading (the processor's): an empty "
     "number names no document, so it is no self-declaration: PENDING DOCUMENTS_MISSING.",
     {1: Night(exports=[lst("COP-C88", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C88", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C88", I, "2025-07-01", [ci(1)], self_declaration_no="")])},
     {1: [R("RET-C88", 1, "2025-07-01", I, 1, *E42, "PENDING", "DOCUMENTS_MISSING", plain(1))]})

I = invt(89)
case("C89-boolean-one", "CONTRACT §2 booleans 'true|false'; published XSD type xs:boolean",
     "<used>1</used>: the published claim XSD types the flag xs:boolean, whose lexical '1' is true, so the goods were "
     "used (without trial-use evidence): NOT_ORIGINAL_STATE.",
     {1: Night(exports=[lst("COP-C89", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C89", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C89", I, "2025-07-01", [ci(1, used="1")])])},
     {1: [R("RET-C89", 1, "2025-07-01", I, 1, *E42, "REJECTED", "NOT_ORIGINAL_STATE", plain(1))]})

I = invt(90)
case("C90-claim-without-item-for-a-line", "CONTRACT §2 'Item 1..n one per returned gnum'",
     "The return has gnum 1 and 2, the claim only an Item for gnum 1.  Reading (the processor's): the claim has "
     "'one [Item] per returned gnum', so gnum 2 is not claimed: PENDING CLAIM_MISSING, while gnum 1 stands on its "
     "Item (EXEMPT).",
     {1: Night(exports=[lst("COP-C90", I, "2025-05-06", "9610", [item(1, "1"), item(2, "1")])],
               returns=[ret("RET-C90", I, "2025-07-01", [line(1, "1"), line(2, "1")])],
               claims=[claim("RET-C90", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C90", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1)),
          R("RET-C90", 2, "2025-07-01", I, 1, *E42, "PENDING", "CLAIM_MISSING", plain(1))]})

I = invt(91)
case("C91-claim-replaced-after-exempt", "CONTRACT §6 'A line is decided again, whatever its earlier decision "
     "(EXEMPT, PENDING or REJECTED), in the first batch where new data for it arrives: a claim'; 'What is reported'",
     "Night 1 EXEMPT; night 2 a replacing claim (VAT refund 8.00 granted, no certificate) arrives: decided again, "
     "PENDING BACKPAY_REQUIRED;CERTIFICATE_MISSING, written as REVISED since its row changed.",
     {1: Night(exports=[lst("COP-C91", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C91", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C91", I, "2025-07-01", [ci(1)])]),
      2: Night(claims=[claim("RET-C91", I, "2025-07-01", [ci(1, refunded_vat="8.00")], certificate=None)])},
     {1: [R("RET-C91", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1))],
      2: [revised(R("RET-C91", 1, "2025-07-01", I, 1, *E42, "PENDING", "BACKPAY_REQUIRED;CERTIFICATE_MISSING",
                    plain(1), backpay_vat="8.00"), 1)]})

I = invt(92)
case("C92-claim-replaced-after-rejected", "CONTRACT §6 'A line is decided again, whatever its earlier decision ... "
     "new data for it arrives: a claim'",
     "Night 1 REJECTED (OTHER); night 2 a replacing UNSOLD claim with its self-declaration and a NOT_REFUNDED "
     "certificate: decided again, EXEMPT (REVISED).",
     {1: Night(exports=[lst("COP-C92", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C92", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C92", I, "2025-07-01", [ci(1)], reason_code="OTHER", self_declaration_no=None)]),
      2: Night(claims=[claim("RET-C92", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C92", 1, "2025-07-01", I, 1, *E42, "REJECTED", "REASON_NOT_ELIGIBLE", plain(1))],
      2: [revised(R("RET-C92", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1)), 1)]})

I = invt(93)
case("C93-void-after-pending-without-new-claim", "CONTRACT §6 'new data for it arrives: ... a CEB603/604/605 that "
     "stores, replaces, numbers or voids its export list'",
     "Night 1 PENDING (no certificate); night 2 only a CEB605 cancelling its export list: decided again, REJECTED "
     "CERTIFICATE_MISSING;EXPORT_VOID (REVISED).",
     {1: Night(exports=[lst("COP-C93", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C93", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C93", I, "2025-07-01", [ci(1)], certificate=None)]),
      2: Night(cancels=[ListCancel("COP-C93", I, app_time="20250801100000")])},
     {1: [R("RET-C93", 1, "2025-07-01", I, 1, *E42, "PENDING", "CERTIFICATE_MISSING", plain(1))],
      2: [revised(R("RET-C93", 1, "2025-07-01", I, 1, *E42, "REJECTED", "CERTIFICATE_MISSING;EXPORT_VOID",
                    plain(1)), 1)]})

I = invt(94)
case("C94-buyer-return-with-self-declaration-only", "CONTRACT §6 DOCUMENTS_MISSING; LAW clause 4",
     "BUYER_RETURN needs a return record or agreement; a self-declaration does not do.",
     {1: Night(exports=[lst("COP-C94", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C94", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C94", I, "2025-07-01", [ci(1)], reason_code="BUYER_RETURN")])},
     {1: [R("RET-C94", 1, "2025-07-01", I, 1, *E42, "PENDING", "DOCUMENTS_MISSING", plain(1))]})

I = invt(95)
case("C95-export-after-2027", "LAW policy versions (2026-16 ends 2027-12-31); CONTRACT §6 OUTSIDE_POLICY_PERIOD + "
     "TARIFF_UNKNOWN; REJECTED wins",
     "Export 2028-01-03, return 2028-02-01: no policy, and no USD rate for 2028 -> V and taxes empty.  window_end "
     "reported although no policy applies (reading as in C13): nominal 2028-07-03, a Monday in an uncovered year, so "
     "the weekends-only estimate is that day; the return is long before it, so no CALENDAR_UNKNOWN.",
     {1: Night(exports=[lst("COP-C95", I, "2028-01-03", "9610", [item(1, "1")])],
               returns=[ret("RET-C95", I, "2028-02-01", [line(1, "1")])],
               claims=[claim("RET-C95", I, "2028-02-01", [ci(1)])])},
     {1: [R("RET-C95", 1, "2028-02-01", I, 1, "2028-01-03", "9610", "2028-07-03", "", "REJECTED",
            "OUTSIDE_POLICY_PERIOD;TARIFF_UNKNOWN", NONE)]})

I = invt(96)
case("C96-cancel-and-return-same-night", "CONTRACT §1 CEB605; §6 EXPORT_VOID", "",
     {1: Night(exports=[lst("COP-C96", I, "2025-05-06", "9610", [item(1, "1")])]),
      2: Night(cancels=[ListCancel("COP-C96", I, app_time="20250601100000")],
               returns=[ret("RET-C96", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C96", I, "2025-07-01", [ci(1)])])},
     {2: [R("RET-C96", 1, "2025-07-01", I, 1, *E42, "REJECTED", "EXPORT_VOID", plain(1))]})


I = invt(97)
case("C97-order-uses-return-date-not-apptime", "CONTRACT §6 order rule; LAW window return date (claim, else appTime)",
     "Export qty 5.  X has no claim (return date = appTime 06-05); Y's claim says 06-04 though its appTime is 06-10.  "
     "Y first -> EXEMPT; X then exceeds -> REJECTED CLAIM_MISSING;QTY_EXCEEDS_EXPORT (claim-less reasons as in C23).",
     {1: Night(exports=[lst("COP-C97", I, "2025-05-06", "9610", [item(1, "5")])],
               returns=[ret("RET-C97-X", I, "2025-06-05", [line(1, "3")]),
                        ret("RET-C97-Y", I, "2025-06-10", [line(1, "3")])],
               claims=[claim("RET-C97-Y", I, "2025-06-04", [ci(1)])])},
     {1: [R("RET-C97-X", 1, "2025-06-05", I, 3, *E42, "REJECTED", "CLAIM_MISSING;QTY_EXCEEDS_EXPORT", plain(3)),
          R("RET-C97-Y", 1, "2025-06-04", I, 3, *E42, "EXEMPT", "", plain(3))]})

I = invt(98)
case("C98-qty1-accumulates", "CONTRACT §6 QTY_EXCEEDS_EXPORT: 'this line plus earlier accepted returns ... exceed "
     "the exported qty (or qty1)'",
     "Export qty 10 / qty1 5 kg.  Two returns of qty 2 / qty1 3: qty 4 <= 10 but qty1 6 > 5, so the second exceeds.",
     {1: Night(exports=[lst("COP-C98", I, "2025-05-06", "9610", [item(1, "10", qty1="5", unit1="035")])],
               returns=[ret("RET-C98-1", I, "2025-06-02", [line(1, "2", qty1="3", unit1="035")]),
                        ret("RET-C98-2", I, "2025-06-03", [line(1, "2", qty1="3", unit1="035")])],
               claims=[claim("RET-C98-1", I, "2025-06-02", [ci(1)]),
                       claim("RET-C98-2", I, "2025-06-03", [ci(1)])])},
     {1: [R("RET-C98-1", 1, "2025-06-02", I, 2, *E42, "EXEMPT", "", plain(2)),
          R("RET-C98-2", 1, "2025-06-03", I, 2, *E42, "REJECTED", "QTY_EXCEEDS_EXPORT", plain(2))]})

I = invt(99)
case("C99-receipt-then-cancel-same-night", "CONTRACT §1 CEB604 fills invtNo; CEB605 voids by the original invtNo",
     "Night 1: list without invtNo, its CEB604 (800) giving the number, and a CEB605 cancelling that number.  Night 2 "
     "return -> EXPORT_VOID.",
     {1: Night(exports=[lst("COP-C99", None, "2025-05-06", "9610", [item(1, "1")])],
               list_receipts=[ListReceipt("COP-C99", I, "800", time="20250506120000000")],
               cancels=[ListCancel("COP-C99", I, app_time="20250507100000")]),
      2: Night(returns=[ret("RET-C99", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C99", I, "2025-07-01", [ci(1)])])},
     {2: [R("RET-C99", 1, "2025-07-01", I, 1, *E42, "REJECTED", "EXPORT_VOID", plain(1))]})

I = invt(100)
case("C100-claim-amounts-without-cents", "CONTRACT §5 money columns '2 decimals'; §2 customsValue etc.",
     "customsValue 1280, exportDutyPaid 15.6, refundedVat 26 (PAID_BACK) -> 1280.00, 15.60, 26.00; VAT 166.40.",
     {1: Night(exports=[lst("COP-C100", I, "2025-05-06", "9610", [item(1, "2")])],
               returns=[ret("RET-C100", I, "2025-07-01", [line(1, "2")])],
               claims=[claim("RET-C100", I, "2025-07-01",
                             [ci(1, customs_value="1280", export_duty_paid="15.6", refunded_vat="26")],
                             certificate=("PAID_BACK", "AUTO"))])},
     {1: [R("RET-C100", 1, "2025-07-01", I, 2, *E42, "EXEMPT", "", ("1280.00", "0.00", "0.00", "166.40"),
            export_duty_refund="15.60", backpay_vat="26.00")]})

I = invt(101)
case("C101-five-decimal-quantities", "CONTRACT §6 QTY_EXCEEDS_EXPORT compares quantities, not their spelling",
     "Export qty/qty1 '5.00000', price '100.00000' (GACC files often carry 5 decimals); return qty '5' -> not "
     "exceeding.  V = 3550.00, T = 461.50.",
     {1: Night(exports=[lst("COP-C101", I, "2025-05-06", "9610", [item(1, "5.00000", price="100.00000",
                                                                       qty1="5.00000")])],
               returns=[ret("RET-C101", I, "2025-07-01", [line(1, "5")])],
               claims=[claim("RET-C101", I, "2025-07-01", [ci(1)])])},
     {1: [R("RET-C101", 1, "2025-07-01", I, 5, *E42, "EXEMPT", "", ("3550.00", "0.00", "0.00", "461.50"))]})

I = invt(102)
case("C102-two-claims-same-night", "CONTRACT §2 'A claim for a coElNo that already has one replaces it'",
     "Two claims for the same coElNo in one claims file: the later one (NOT_REFUNDED certificate) replaces the "
     "earlier (no certificate) -> EXEMPT.",
     {1: Night(exports=[lst("COP-C102", I, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C102", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C102", I, "2025-07-01", [ci(1)], certificate=None),
                       claim("RET-C102", I, "2025-07-01", [ci(1)], certificate=("NOT_REFUNDED", "3301202507019999"))])},
     {1: [R("RET-C102", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1))]})


# =========================================================================== follow-up: nights 3, 4, 5 and reassess
# Each trigger of CONTRACT §6 'Decisions follow their inputs' in its own case, with what 'What is reported' says is
# written: REVISED (supersedes = the night that reported the line last) only when a column changed,
# nothing when the line is decided again unchanged, WITHDRAWN once for a withdrawn line whose decision was reported.

I = invt(104)
case("C104-late-export", "CONTRACT §6 'new data for it arrives: ... a CEB603 ... that stores ... its export list (so a "
     "line REJECTED with NO_SUCH_EXPORT is decided again when its export arrives)'; 'What is reported'",
     "Trigger (a).  Night 2: the return and its claim, no export: REJECTED NO_SUCH_EXPORT, no amounts (as C27).  "
     "Night 3: its CEB603 arrives (export 2025-05-06, 9610): decided again, EXEMPT with the amounts, REVISED "
     "superseding night 2.",
     {2: Night(returns=[ret("RET-C104", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C104", I, "2025-07-01", [ci(1)])]),
      3: Night(exports=[lst("COP-C104", I, "2025-05-06", "9610", [item(1, "1")])])},
     {2: [R("RET-C104", 1, "2025-07-01", I, 1, "", "", "", "", "REJECTED", "NO_SUCH_EXPORT", NONE)],
      3: [revised(R("RET-C104", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1)), 2)]})

I = invt(105)
case("C105-late-receipt-numbers-list", "CONTRACT §6 'a CEB603/604/605 that ... numbers ... its export list'; §1 CEB604 "
     "fills in invtNo",
     "Trigger (a), by a CEB604.  Night 2: the list arrives without invtNo (as C26) and the return names I: "
     "NO_SUCH_EXPORT.  Night 3: the CEB604 (status 800) gives the list the number I, so the line now has its export "
     "item: decided again, EXEMPT, REVISED superseding night 2.",
     {2: Night(exports=[lst("COP-C105", None, "2025-05-06", "9610", [item(1, "1")])],
               returns=[ret("RET-C105", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C105", I, "2025-07-01", [ci(1)])]),
      3: Night(list_receipts=[ListReceipt("COP-C105", I, "800", time="20250506120000000")])},
     {2: [R("RET-C105", 1, "2025-07-01", I, 1, "", "", "", "", "REJECTED", "NO_SUCH_EXPORT", NONE)],
      3: [revised(R("RET-C105", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1)), 2)]})

I = invt(106)
case("C106-exempt-revoked-then-restored", "CONTRACT §6 'decided again, whatever its earlier decision (EXEMPT ...)'; "
     "§2 'A claim for a coElNo that already has one replaces it'; §5 export_duty_refund 0.00 unless EXEMPT",
     "Trigger (b).  Night 2: EXEMPT, exportDutyPaid 5.00 refunded.  Night 3: a replacing claim reveals a VAT refund "
     "of 8.00 under a NOT_REFUNDED certificate: PENDING BACKPAY_REQUIRED;CERTIFICATE_CONFLICT (as C45-D), the "
     "export duty no longer refunded (0.00), pay-back 8.00: REVISED superseding night 2.  Night 4: another replacing "
     "claim with the PAID_BACK certificate: EXEMPT again (5.00 refunded, pay-back 8.00 still reported), REVISED "
     "superseding night 3 (PENDING -> EXEMPT).",
     {1: Night(exports=[lst("COP-C106", I, "2025-05-06", "9610", [item(1, "1")])]),
      2: Night(returns=[ret("RET-C106", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C106", I, "2025-07-01", [ci(1, export_duty_paid="5.00")])]),
      3: Night(claims=[claim("RET-C106", I, "2025-07-01", [ci(1, export_duty_paid="5.00", refunded_vat="8.00")],
                             certificate=("NOT_REFUNDED", "3301202507010106"))]),
      4: Night(claims=[claim("RET-C106", I, "2025-07-01", [ci(1, export_duty_paid="5.00", refunded_vat="8.00")],
                             certificate=("PAID_BACK", "3301202507080106"))])},
     {2: [R("RET-C106", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1), export_duty_refund="5.00")],
      3: [revised(R("RET-C106", 1, "2025-07-01", I, 1, *E42, "PENDING", "BACKPAY_REQUIRED;CERTIFICATE_CONFLICT",
                    plain(1), backpay_vat="8.00"), 2)],
      4: [revised(R("RET-C106", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1), export_duty_refund="5.00",
                    backpay_vat="8.00"), 3)]})

I = invt(107)
case("C107-rejected-then-exempt-by-replaced-claim", "CONTRACT §6 'decided again, whatever its earlier decision (... "
     "REJECTED)' on a new claim; LAW clause 3 (trial use)",
     "Trigger (b).  Night 2: used without trial-use evidence: REJECTED NOT_ORIGINAL_STATE.  Night 3: the replacing "
     "claim adds the trial-use evidence: EXEMPT, REVISED superseding night 2.",
     {1: Night(exports=[lst("COP-C107", I, "2025-05-06", "9610", [item(1, "1")])]),
      2: Night(returns=[ret("RET-C107", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C107", I, "2025-07-01", [ci(1, used=True)])]),
      3: Night(claims=[claim("RET-C107", I, "2025-07-01", [ci(1, used=True, trial_use_evidence=True)])])},
     {2: [R("RET-C107", 1, "2025-07-01", I, 1, *E42, "REJECTED", "NOT_ORIGINAL_STATE", plain(1))],
      3: [revised(R("RET-C107", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1)), 2)]})

I = invt(108)
case("C108-apptype-2-later-night", "CONTRACT §1 CEB213 appType 2 (change) replaces the return; §6 'a CEB213 change "
     "(appType 2)' is new data; 'What is reported'",
     "Trigger (c).  Export item 1 qty 3, item 2 qty 1.  Night 2: QTY returns 2 of item 1, SAME 1 of item 2: both "
     "EXEMPT.  Night 3: both changed (appType 2, later appTime): QTY now returns 1 -> qty and amounts change, "
     "REVISED superseding night 2; SAME is sent again with the same line (only its appTime differs, and the return "
     "date is the claim's, unchanged): decided again, row unchanged, not written.",
     {1: Night(exports=[lst("COP-C108", I, "2025-05-06", "9610", [item(1, "3"), item(2, "1")])]),
      2: Night(returns=[ret("RET-C108-QTY", I, "2025-06-02", [line(1, "2")]),
                        ret("RET-C108-SAME", I, "2025-06-03", [line(2, "1")])],
               claims=[claim("RET-C108-QTY", I, "2025-06-02", [ci(1)]),
                       claim("RET-C108-SAME", I, "2025-06-03", [ci(2)])]),
      3: Night(returns=[ret("RET-C108-QTY", I, "2025-06-20", [line(1, "1")], app_type="2"),
                        ret("RET-C108-SAME", I, "2025-06-21", [line(2, "1")], app_type="2")])},
     {2: [R("RET-C108-QTY", 1, "2025-06-02", I, 2, *E42, "EXEMPT", "", plain(2)),
          R("RET-C108-SAME", 2, "2025-06-03", I, 1, *E42, "EXEMPT", "", plain(1))],
      3: [revised(R("RET-C108-QTY", 1, "2025-06-02", I, 1, *E42, "EXEMPT", "", plain(1)), 2)]},
     absent={3: [("RET-C108-SAME", 2)]})

I = invt(109)
case("C109-ceb214-100-later-night", "CONTRACT §1 CEB214 status 100 withdraws that return; §5 change WITHDRAWN ('the "
     "row repeats the decision it cancels'); §6 'A withdrawn return ... releases what its lines held'",
     "Trigger (c), withdrawal.  Night 2: EX (2 of item 1, qty 2) EXEMPT; RJ (item 2) REJECTED REASON_NOT_ELIGIBLE.  "
     "Night 3: CEB214 status 100 for both: each written once as WITHDRAWN, repeating its night-2 row (a REJECTED "
     "decision is cancelled too: 'a withdrawn line whose decision had been reported'), superseding night 2; a new "
     "return NEW of 2 of item 1 fits, since EX no longer holds: EXEMPT.  Night 4 and later: no row for EX or RJ "
     "('written once').",
     {1: Night(exports=[lst("COP-C109", I, "2025-05-06", "9610", [item(1, "2"), item(2, "1")])]),
      2: Night(returns=[ret("RET-C109-EX", I, "2025-06-02", [line(1, "2")]),
                        ret("RET-C109-RJ", I, "2025-06-02", [line(2, "1")])],
               claims=[claim("RET-C109-EX", I, "2025-06-02", [ci(1)]),
                       claim("RET-C109-RJ", I, "2025-06-02", [ci(2)], reason_code="OTHER",
                             self_declaration_no=None)]),
      3: Night(return_receipts=[ReturnReceipt("RET-C109-EX", I, "100", time="20250620100000000"),
                                ReturnReceipt("RET-C109-RJ", I, "100", time="20250620100000000")],
               returns=[ret("RET-C109-NEW", I, "2025-06-25", [line(1, "2")])],
               claims=[claim("RET-C109-NEW", I, "2025-06-25", [ci(1)])])},
     {2: [R("RET-C109-EX", 1, "2025-06-02", I, 2, *E42, "EXEMPT", "", plain(2)),
          R("RET-C109-RJ", 2, "2025-06-02", I, 1, *E42, "REJECTED", "REASON_NOT_ELIGIBLE", plain(1))],
      3: [withdrawn(R("RET-C109-EX", 1, "2025-06-02", I, 2, *E42, "EXEMPT", "", plain(2)), 2),
          withdrawn(R("RET-C109-RJ", 2, "2025-06-02", I, 1, *E42, "REJECTED", "REASON_NOT_ELIGIBLE", plain(1)), 2),
          R("RET-C109-NEW", 1, "2025-06-25", I, 2, *E42, "EXEMPT", "", plain(2))]})

I = invt(110)
case("C110-ceb214-other-status-after-exempt", "CONTRACT §6 'a CEB214 receipt' is new data; 'What is reported' (not "
     "written again when unchanged); §1 CEB214 'nothing else changes'",
     "Trigger (c), non-withdrawing receipt.  Night 2: EXEMPT.  Night 3: a CEB214 with status 120 (not 100): decided "
     "again, same row, not written (as C50 for a PENDING line).",
     {1: Night(exports=[lst("COP-C110", I, "2025-05-06", "9610", [item(1, "1")])]),
      2: Night(returns=[ret("RET-C110", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C110", I, "2025-07-01", [ci(1)])]),
      3: Night(return_receipts=[ReturnReceipt("RET-C110", I, "120", time="20250702100000000")])},
     {2: [R("RET-C110", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1))]},
     absent={3: [("RET-C110", 1)]})

I = invt(111)
case("C111-withdrawal-frees-rejected", "CONTRACT §6 'quantity is released on its export item (another line "
     "withdrawn ...) and it was REJECTED with QTY_EXCEEDS_EXPORT'; 'Quantity held'",
     "Trigger (d).  Export qty 2, three returns of 1.  Night 2: R1 (06-02) EXEMPT and R2 (06-03, no certificate) "
     "PENDING hold 2; R3 (06-04) REJECTED QTY_EXCEEDS_EXPORT.  Night 3: a CEB214 status 100 withdraws R1: R1 "
     "WITHDRAWN (its EXEMPT row, superseding night 2); R3 decided again: R2 holds 1, 1 + 1 = 2: EXEMPT, REVISED "
     "superseding night 2.  R2 has no trigger: no row.",
     {1: Night(exports=[lst("COP-C111", I, "2025-05-06", "9610", [item(1, "2")])]),
      2: Night(returns=[ret("RET-C111-R1", I, "2025-06-02", [line(1, "1")]),
                        ret("RET-C111-R2", I, "2025-06-03", [line(1, "1")]),
                        ret("RET-C111-R3", I, "2025-06-04", [line(1, "1")])],
               claims=[claim("RET-C111-R1", I, "2025-06-02", [ci(1)]),
                       claim("RET-C111-R2", I, "2025-06-03", [ci(1)], certificate=None),
                       claim("RET-C111-R3", I, "2025-06-04", [ci(1)])]),
      3: Night(return_receipts=[ReturnReceipt("RET-C111-R1", I, "100", time="20250620100000000")])},
     {2: [R("RET-C111-R1", 1, "2025-06-02", I, 1, *E42, "EXEMPT", "", plain(1)),
          R("RET-C111-R2", 1, "2025-06-03", I, 1, *E42, "PENDING", "CERTIFICATE_MISSING", plain(1)),
          R("RET-C111-R3", 1, "2025-06-04", I, 1, *E42, "REJECTED", "QTY_EXCEEDS_EXPORT", plain(1))],
      3: [withdrawn(R("RET-C111-R1", 1, "2025-06-02", I, 1, *E42, "EXEMPT", "", plain(1)), 2),
          revised(R("RET-C111-R3", 1, "2025-06-04", I, 1, *E42, "EXEMPT", "", plain(1)), 2)]},
     absent={3: [("RET-C111-R2", 1)]})

I = invt(112)
case("C112-withdrawal-frees-one-of-two", "CONTRACT §6 release trigger; 'Within a batch, lines are taken in order of "
     "return date, then coElNo'",
     "Trigger (d), two rejected lines, room for one.  Export qty 2.  Night 2: 1 (06-02) and 2 (06-03) EXEMPT; Z "
     "(06-04) and Y (06-05) REJECTED QTY_EXCEEDS_EXPORT (Y sorts first by coElNo and in the file).  Night 3: 1 is "
     "deleted (CEB213 appType 3): WITHDRAWN.  Both rejected lines are decided again, by return date: Z first (2 "
     "holds 1, 1 + 1 = 2): EXEMPT, REVISED; then Y (2 and Z hold 2, 2 + 1 = 3 > 2): REJECTED QTY_EXCEEDS_EXPORT "
     "again, unchanged, not written.",
     {1: Night(exports=[lst("COP-C112", I, "2025-05-06", "9610", [item(1, "2")])]),
      2: Night(returns=[ret("RET-C112-Y", I, "2025-06-05", [line(1, "1")]),
                        ret("RET-C112-Z", I, "2025-06-04", [line(1, "1")]),
                        ret("RET-C112-1", I, "2025-06-02", [line(1, "1")]),
                        ret("RET-C112-2", I, "2025-06-03", [line(1, "1")])],
               claims=[claim("RET-C112-Y", I, "2025-06-05", [ci(1)]),
                       claim("RET-C112-Z", I, "2025-06-04", [ci(1)]),
                       claim("RET-C112-1", I, "2025-06-02", [ci(1)]),
                       claim("RET-C112-2", I, "2025-06-03", [ci(1)])]),
      3: Night(returns=[ret("RET-C112-1", I, "2025-06-25", [line(1, "1")], app_type="3")])},
     {2: [R("RET-C112-1", 1, "2025-06-02", I, 1, *E42, "EXEMPT", "", plain(1)),
          R("RET-C112-2", 1, "2025-06-03", I, 1, *E42, "EXEMPT", "", plain(1)),
          R("RET-C112-Z", 1, "2025-06-04", I, 1, *E42, "REJECTED", "QTY_EXCEEDS_EXPORT", plain(1)),
          R("RET-C112-Y", 1, "2025-06-05", I, 1, *E42, "REJECTED", "QTY_EXCEEDS_EXPORT", plain(1))],
      3: [withdrawn(R("RET-C112-1", 1, "2025-06-02", I, 1, *E42, "EXEMPT", "", plain(1)), 2),
          revised(R("RET-C112-Z", 1, "2025-06-04", I, 1, *E42, "EXEMPT", "", plain(1)), 2)]},
     absent={3: [("RET-C112-2", 1), ("RET-C112-Y", 1)]})

I = invt(113)
case("C113-holder-rejected-frees-rejected", "CONTRACT §6 'quantity is released on its export item (another line ... "
     "decided again and no longer holding)'",
     "Trigger (d), release by a re-decision.  Export qty 1.  Night 2: A (06-02) EXEMPT, B (06-03) REJECTED "
     "QTY_EXCEEDS_EXPORT.  Night 3: A's replacing claim says processed: A REJECTED NOT_ORIGINAL_STATE (REVISED), "
     "which releases its 1; B is decided again after it (later return date): nothing held, EXEMPT, REVISED.",
     {1: Night(exports=[lst("COP-C113", I, "2025-05-06", "9610", [item(1, "1")])]),
      2: Night(returns=[ret("RET-C113-A", I, "2025-06-02", [line(1, "1")]),
                        ret("RET-C113-B", I, "2025-06-03", [line(1, "1")])],
               claims=[claim("RET-C113-A", I, "2025-06-02", [ci(1)]),
                       claim("RET-C113-B", I, "2025-06-03", [ci(1)])]),
      3: Night(claims=[claim("RET-C113-A", I, "2025-06-02", [ci(1, processed=True)])])},
     {2: [R("RET-C113-A", 1, "2025-06-02", I, 1, *E42, "EXEMPT", "", plain(1)),
          R("RET-C113-B", 1, "2025-06-03", I, 1, *E42, "REJECTED", "QTY_EXCEEDS_EXPORT", plain(1))],
      3: [revised(R("RET-C113-A", 1, "2025-06-02", I, 1, *E42, "REJECTED", "NOT_ORIGINAL_STATE", plain(1)), 2),
          revised(R("RET-C113-B", 1, "2025-06-03", I, 1, *E42, "EXEMPT", "", plain(1)), 2)]})

I = invt(114)
case("C114-ceb605-after-exempt", "CONTRACT §6 'a CEB603/604/605 that ... voids its export list'; EXPORT_VOID",
     "Trigger (e).  Night 2: EXEMPT.  Night 3: a CEB605 cancels the list: REJECTED EXPORT_VOID, REVISED.",
     {1: Night(exports=[lst("COP-C114", I, "2025-05-06", "9610", [item(1, "1")])]),
      2: Night(returns=[ret("RET-C114", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C114", I, "2025-07-01", [ci(1)])]),
      3: Night(cancels=[ListCancel("COP-C114", I, app_time="20250710100000")])},
     {2: [R("RET-C114", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1))],
      3: [revised(R("RET-C114", 1, "2025-07-01", I, 1, *E42, "REJECTED", "EXPORT_VOID", plain(1)), 2)]})

I = invt(115)
case("C115-ceb604-100-after-exempt", "CONTRACT §1 CEB604 'status 100 (退单) voids the list'; §6 trigger",
     "Trigger (e).  Night 2: EXEMPT.  Night 3: a CEB604 with status 100 for the list: REJECTED EXPORT_VOID, "
     "REVISED.",
     {1: Night(exports=[lst("COP-C115", I, "2025-05-06", "9610", [item(1, "1")])]),
      2: Night(returns=[ret("RET-C115", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C115", I, "2025-07-01", [ci(1)])]),
      3: Night(list_receipts=[ListReceipt("COP-C115", I, "100", time="20250710120000000")])},
     {2: [R("RET-C115", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1))],
      3: [revised(R("RET-C115", 1, "2025-07-01", I, 1, *E42, "REJECTED", "EXPORT_VOID", plain(1)), 2)]})

I = invt(116)
case("C116-ceb604-800-after-exempt", "CONTRACT §6 trigger (a CEB604 for its list) and 'What is reported'",
     "Night 2: EXEMPT.  Night 3: a CEB604 with status 800 (not a refusal) for the list, which already had its "
     "number: decided again, nothing changed, not written.",
     {1: Night(exports=[lst("COP-C116", I, "2025-05-06", "9610", [item(1, "1")])]),
      2: Night(returns=[ret("RET-C116", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C116", I, "2025-07-01", [ci(1)])]),
      3: Night(list_receipts=[ListReceipt("COP-C116", I, "800", time="20250710120000000")])},
     {2: [R("RET-C116", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1))]},
     absent={3: [("RET-C116", 1)]})

I = invt(117)
case("C117-export-list-replaced", "CONTRACT §6 'its export item (the list's latest version ...)'; 'a CEB603 ... that "
     "... replaces ... its export list'; LAW taxes 1",
     "Trigger (e), replacement.  Night 2: EXEMPT at USD 100.00.  Night 3: the list is sent again as a change "
     "(CEB603 appType 2, later appTime) with the price corrected to USD 120.00: decided again, V = 852.00, "
     "T = 110.76, REVISED.  Reading: the later CEB603 for the same invtNo is the list's latest version (§1 keys the "
     "export ledger by (invtNo, gnum); §6 'the list's latest version').",
     {1: Night(exports=[lst("COP-C117", I, "2025-05-06", "9610", [item(1, "1")])]),
      2: Night(returns=[ret("RET-C117", I, "2025-07-01", [line(1, "1")])],
               claims=[claim("RET-C117", I, "2025-07-01", [ci(1)])]),
      3: Night(exports=[lst("COP-C117", I, "2025-05-06", "9610", [item(1, "1", price="120.00")], app_type="2",
                            app_time="20250710090000")])},
     {2: [R("RET-C117", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", plain(1))],
      3: [revised(R("RET-C117", 1, "2025-07-01", I, 1, *E42, "EXEMPT", "", ("852.00", "0.00", "0.00", "110.76")),
                  2)]})

I = invt(118)
E118 = ("2027-07-01", "9610")
case("C118-calendar-2028-arrives", "LAW window 'Never decide on rest days that are not known'; CONTRACT §6 "
     "CALENDAR_UNKNOWN and its re-decision; §3 rest_days.csv ('a year listed is that year's calendar')",
     "Trigger (f).  Export 2027-07-01 -> nominal 2028-01-01, a Saturday in a year no calendar covers (CNY prices, so "
     "no 2028 rate is needed).  Night 2: estimate (weekends only) Monday 2028-01-03; A returned 01-04 and B 01-05, "
     "3 and 4 days after the nominal day: both PENDING CALENDAR_UNKNOWN.  Night 3's reference covers 2027 only: "
     "decided again (reference changed), unchanged, not written.  Night 4's reference lists 2028 (元旦 01-01..03 "
     "rest): the true window_end is Tuesday 2028-01-04: A EXEMPT, B REJECTED WINDOW_EXPIRED, both REVISED "
     "superseding night 2, window_end changed from the estimate.  The reassess (2028 known) changes nothing.",
     {2: Night(exports=[lst("COP-C118", I, "2027-07-01", "9610", [item(1, "1", price="710.00", currency="142"),
                                                                  item(2, "1", price="710.00", currency="142")])],
               returns=[ret("RET-C118-A", I, "2028-01-04", [line(1, "1")]),
                        ret("RET-C118-B", I, "2028-01-05", [line(2, "1")])],
               claims=[claim("RET-C118-A", I, "2028-01-04", [ci(1)]),
                       claim("RET-C118-B", I, "2028-01-05", [ci(2)])])},
     {2: [R("RET-C118-A", 1, "2028-01-04", I, 1, *E118, "2028-01-03", "2026-16", "PENDING", "CALENDAR_UNKNOWN",
            plain(1)),
          R("RET-C118-B", 2, "2028-01-05", I, 1, *E118, "2028-01-03", "2026-16", "PENDING", "CALENDAR_UNKNOWN",
            plain(1))],
      4: [revised(R("RET-C118-A", 1, "2028-01-04", I, 1, *E118, "2028-01-04", "2026-16", "EXEMPT", "", plain(1)), 2),
          revised(R("RET-C118-B", 2, "2028-01-05", I, 1, *E118, "2028-01-04", "2026-16", "REJECTED", "WINDOW_EXPIRED",
                    plain(1)), 2)]},
     absent={3: [("RET-C118-A", 1), ("RET-C118-B", 2)], REASSESS: [("RET-C118-A", 1), ("RET-C118-B", 2)]})

I = invt(119)
TOY = dict(gcode="9503008900", unit="007", unit1="007", gname="玩具", gmodel="塑料")
case("C119-tariff-row-added", "CONTRACT §6 'PENDING with TARIFF_UNKNOWN and the batch's reference data differ from "
     "those of its last decision'; §3 tariff.csv; LAW taxes 2-4",
     "Trigger (g).  Two returns of 2 toys (9503, USD 10.00: V 142.00), no tariff row on night 2: A PENDING "
     "TARIFF_UNKNOWN; B (claim without certificate) PENDING CERTIFICATE_MISSING;TARIFF_UNKNOWN.  Night 3's reference "
     "adds 9503 (duty 5 %, VAT 13 %): D 7.10, C 0.00, T 19.38.  A: nothing else missing, EXEMPT; B: still PENDING "
     "CERTIFICATE_MISSING; both REVISED superseding night 2.",
     {1: Night(exports=[lst("COP-C119", I, "2025-05-06", "9610",
                            [item(1, "2", price="10.00", **TOY), item(2, "2", price="10.00", **TOY)])]),
      2: Night(returns=[ret("RET-C119-A", I, "2025-07-01", [line(1, "2", **TOY)]),
                        ret("RET-C119-B", I, "2025-07-01", [line(2, "2", **TOY)])],
               claims=[claim("RET-C119-A", I, "2025-07-01", [ci(1)]),
                       claim("RET-C119-B", I, "2025-07-01", [ci(2)], certificate=None)])},
     {2: [R("RET-C119-A", 1, "2025-07-01", I, 2, *E42, "PENDING", "TARIFF_UNKNOWN", ("142.00", "", "", ""),
            gcode="9503008900"),
          R("RET-C119-B", 2, "2025-07-01", I, 2, *E42, "PENDING", "CERTIFICATE_MISSING;TARIFF_UNKNOWN",
            ("142.00", "", "", ""), gcode="9503008900")],
      3: [revised(R("RET-C119-A", 1, "2025-07-01", I, 2, *E42, "EXEMPT", "", ("142.00", "7.10", "0.00", "19.38"),
                    gcode="9503008900"), 2),
          revised(R("RET-C119-B", 2, "2025-07-01", I, 2, *E42, "PENDING", "CERTIFICATE_MISSING",
                    ("142.00", "7.10", "0.00", "19.38"), gcode="9503008900"), 2)]})

I = invt(120)
E120 = ("2026-01-20", "9610", "2026-07-20")
case("C120-reassess-new-policy", "CONTRACT §4 processor reassess ('only the lines whose result changed'); §3 "
     "policies.csv; LAW 'A version published after its start date ... lines already decided may have to be decided "
     "again under it'",
     "Trigger (h).  Export 2026-01-20, returned 2026-02-05 (before No. 16 was published on 02-09).  Night 5's "
     "reference has a policies.csv without the 2026-16 row: the export date is in no version's window: REJECTED "
     "OUTSIDE_POLICY_PERIOD, policy empty (window_end reported as in C13: 2026-07-20, a Monday).  `processor "
     "reassess --since 2026-01-01` with the complete (bundled) policies.csv: EXEMPT under 2026-16, REVISED "
     "superseding night 5; of the other lines it covers only RET-C07-ON changes (its window_end, see C07).  The "
     "second reassess writes a header-only decisions.csv.",
     {1: Night(exports=[lst("COP-C120", I, "2026-01-20", "9610", [item(1, "1")])]),
      5: Night(returns=[ret("RET-C120", I, "2026-02-05", [line(1, "1")])],
               claims=[claim("RET-C120", I, "2026-02-05", [ci(1)])])},
     {5: [R("RET-C120", 1, "2026-02-05", I, 1, *E120, "", "REJECTED", "OUTSIDE_POLICY_PERIOD", plain(1))],
      REASSESS: [revised(R("RET-C120", 1, "2026-02-05", I, 1, *E120, "2026-16", "EXEMPT", "", plain(1)), 5)]})


def _bundled_calendar_rests(day: str) -> bool:
    """Whether the installed holiday calendar (the chinesecalendar package, LAW window) has `day` as a rest day."""
    import datetime as _dt

    import chinese_calendar
    return not chinese_calendar.is_workday(_dt.date.fromisoformat(day))


I = invt(103)
if _bundled_calendar_rests("2025-09-03"):
    C103 = ("2025-09-04", "EXEMPT", "")
else:
    C103 = ("2025-09-03", "REJECTED", "WINDOW_EXPIRED")
case("C103-window-2025-09-03", "LAW window: 'Use a maintained China holiday calendar (the chinesecalendar package), "
     "and let the user extend or correct it with rest_days.csv'",
     "2025-03-03 -> 2025-09-03 (Wed).  The casebook's reference has no rest_days.csv, so the bundled calendar decides: "
     "chinesecalendar 1.11.0 has 2025-09-03 as a working day, so window_end 2025-09-03 and a return on 09-04 is "
     "late.  I believe the State Council made 2025-09-03 (80th anniversary of the victory) a one-off national day "
     "off; a calendar that has it (a newer chinesecalendar; a user's rest_days.csv for 2025) gives window_end 09-04 "
     "and EXEMPT, so the expectation follows the installed package's answer for that day.",
     {1: Night(exports=[lst("COP-C103", I, "2025-03-03", "9610", [item(1, "1")])]),
      2: Night(returns=[ret("RET-C103", I, "2025-09-04", [line(1, "1")])],
               claims=[claim("RET-C103", I, "2025-09-04", [ci(1)])])},
     {2: [R("RET-C103", 1, "2025-09-04", I, 1, "2025-03-03", "9610", C103[0], "2023-34", C103[1], C103[2],
            plain(1))]})


# --------------------------------------------------------------------------- helpers for the test

KEYS = (*NIGHTS, REASSESS)              # expectation keys, in the order of the runs


def rows_for(key: int) -> List[Tuple[Case, Row]]:
    """Expected rows of a night (its rerun expects the same) or of the reassess (REASSESS)."""
    return [(c, r) for c in CASES for r in c.expect.get(key, [])]


def absent_for(key: int) -> List[Tuple[Case, Tuple[str, int]]]:
    return [(c, k) for c in CASES for k in c.absent.get(key, [])]


def _check_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    for n in KEYS:
        keys = [(r.return_id, r.gnum) for _c, r in rows_for(n)]
        assert len(keys) == len(set(keys)), f"duplicate expected rows night {n}"
    for c in CASES:
        assert set(c.expect) <= set(KEYS) and set(c.absent) <= set(KEYS) and set(c.nights) <= set(NIGHTS), c.id
        assert bool(c.gaps) == bool(c.gap), f"{c.id}: a known gap needs both its disagreements and its clause"
        for n, entries in c.gaps.items():
            known = {(r.return_id, r.gnum) for r in c.expect.get(n, [])} | set(c.absent.get(n, []))
            for rid, gnum, fld, _got in entries:
                assert (rid, gnum) in known, f"{c.id}: gap for {rid}/{gnum}, which night {n} neither expects nor bars"
                assert fld == "<row>" or fld in COLUMNS, f"{c.id}: gap names no column: {fld}"


def _check_reporting():
    """My own rows obey CONTRACT §5/§6 'What is reported', line by line across the runs: the first row of a line is
    NEW; a later one supersedes the night of the row before it, is REVISED only with some decided column changed and
    WITHDRAWN only repeating that row, and nothing follows a WITHDRAWN row; a line expected on a night is not also
    barred on it."""
    for c in CASES:
        history: Dict[Tuple[str, int], List[Tuple[int, Row]]] = {}
        for k in KEYS:
            for r in c.expect.get(k, []):
                assert (r.return_id, r.gnum) not in set(c.absent.get(k, [])), f"{c.id}: {r.return_id} expected and barred"
                history.setdefault((r.return_id, r.gnum), []).append((k, r))
        for key, rows in history.items():
            (k0, first), rest = rows[0], rows[1:]
            assert (first.change, first.supersedes) == ("NEW", ""), f"{c.id} {key}: first row must be NEW"
            prev_k, prev = k0, first
            for k, r in rest:
                where = f"{c.id} {key} night {k}"
                assert prev.change != "WITHDRAWN", f"{where}: a row after WITHDRAWN"
                assert r.supersedes == prev_k, f"{where}: supersedes {r.supersedes!r}, last reported {prev_k}"
                if r.change == "REVISED":
                    assert r.decided() != prev.decided(), f"{where}: REVISED with nothing changed"
                elif r.change == "WITHDRAWN":
                    assert r.decided() == prev.decided(), f"{where}: WITHDRAWN must repeat the decision it cancels"
                else:
                    raise AssertionError(f"{where}: change {r.change!r} for a line reported before")
                prev_k, prev = k, r


_check_unique()
_check_reporting()
