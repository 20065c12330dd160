"""Casebook test: runs the processor as a user would (subprocess: `python -m processor.cli` from this checkout's root,
so the code judged is this checkout's) against one SQLite ledger, in this order (STEPS):

  night1 (`run --init`), init-again (`processor init` on the existing ledger: changes nothing), night1-rerun,
  night2, night2-rerun, ... night5, night5-rerun, each night with its own --reference folder (cases.REFERENCE_OF),
  reassess (`processor reassess --since cases.REASSESS_SINCE`), reassess-again (the same once more: no row),

and compares each decisions.csv with the expectations in tests/casebook/cases.py, derived from CONTRACT.md and LAW.md
(where they are silent, the case's note gives the reading taken).  A rerun expects its night's rows; `supersedes` is
resolved from the night named in the expectation to the batch that reported the line last (CONTRACT §6, and issue
#11: "every reported row's supersedes names the batch that reported that line last"): a night's rerun writes every row
of its night again, so a row superseding night N names night N's rerun (its summary.json), while the rerun's own rows
repeat the first run's exactly.

Per case and step one test, and every expectation is strict: any disagreement fails, a row nobody expects fails too.
The one exception is a known gap documented in the case (the contract asks for something the processor does not do
yet): xfailed while the disagreements are exactly the documented ones, failed when they differ or when the gap closes.

Run as a script (python tests/test_casebook.py) to print the full disagreement report.
"""
from __future__ import annotations

import calendar
import csv
import datetime as dt
import json
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent                      # the checkout whose code is under test
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.casebook import writer as W  # noqa: E402
from tests.casebook.cases import (CASES, COLUMNS, DECIDED, NIGHTS, REASSESS, REASSESS_SINCE, REFERENCE_OF,  # noqa: E402
                                  Case, Night, rows_for)

CASEBOOK = HERE / "casebook"
REFERENCE = CASEBOOK / "reference"
BUNDLED = ROOT / "processor" / "data"   # CONTRACT §3 bundled defaults (policies.csv among them)
# The checkout's own code, whatever is installed: `python -m processor.cli` run from the checkout's root imports
# ROOT/processor first (sys.path[0] is the working directory), as tests/test_crash.py does.
PROCESSOR = [sys.executable, "-m", "processor.cli"]
SHARED = ROOT.parent / "shared"         # the checkout sits beside ../shared (CONTRACT §1: ../shared/ceb/)

# CONTRACT §5, in this order: the twenty columns "unchanged from the first version of this contract", then the two
# added at the end
HEADER = ["batch_id", "return_id", "return_date", "invt_no", "gnum", "gcode", "qty", "export_date", "trade_mode",
          "window_end", "policy", "decision", "reasons", "customs_value_cny", "import_duty", "consumption_tax",
          "import_vat", "export_duty_refund", "backpay_vat", "backpay_ct"]
CHANGE_COLUMNS = ["change", "supersedes"]
assert HEADER[1:] == DECIDED and HEADER + CHANGE_COLUMNS == ["batch_id"] + COLUMNS


def reference_dir(key: int) -> Path:
    return CASEBOOK / REFERENCE_OF[key]


@dataclass(frozen=True)
class Step:
    name: str
    command: str                        # run | init | reassess
    key: Optional[int] = None           # expectation key (night, REASSESS); None: no decisions.csv row expected
    night: int = 0                      # the inbox of a run
    init: bool = False                  # run --init
    decides: bool = True                # writes decisions.csv (init does not)


def _steps() -> List[Step]:
    steps = []
    for n in NIGHTS:
        steps.append(Step(f"night{n}", "run", n, n, init=(n == NIGHTS[0])))
        if n == NIGHTS[0]:
            steps.append(Step("init-again", "init", decides=False))
        steps.append(Step(f"night{n}-rerun", "run", n, n))
    steps.append(Step("reassess", "reassess", REASSESS))
    steps.append(Step("reassess-again", "reassess", None))
    return steps


STEPS = _steps()
STEP = {s.name: s for s in STEPS}
DECIDING = [s for s in STEPS if s.decides]
KEY_NAME = {**{n: f"night{n}" for n in NIGHTS}, REASSESS: "reassess"}


# =========================================================================== inbox

def write_inbox(night: int, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    nights: List[Night] = [c.nights[night] for c in CASES if night in c.nights]
    exports = [x for n in nights for x in n.exports]
    late = [x for n in nights for x in n.late_exports]
    receipts = [x for n in nights for x in n.list_receipts]
    cancels = [x for n in nights for x in n.cancels]
    odd_cancels = [x for n in nights for x in n.odd_cancels]
    returns = [x for n in nights for x in n.returns]
    rreceipts = [x for n in nights for x in n.return_receipts]
    claims = [x for n in nights for x in n.claims]
    odd_exports = [x for n in nights for x in n.odd_exports]
    exports_2018 = [x for n in nights for x in n.exports_2018]
    odd_rreceipts = [x for n in nights for x in n.odd_return_receipts]
    tag = f"n{night}"
    for i, chunk in enumerate(W.chunks(exports)):
        (folder / f"01-ceb603-{i}.xml").write_bytes(W.ceb603(chunk, f"{tag}-603-{i}"))
    if odd_exports:
        (folder / "01-ceb603-bom.xml").write_bytes(W.ceb603(odd_exports, f"{tag}-603b", default_ns=True, bom=True))
    if exports_2018:
        (folder / "01-ceb603-2018.xml").write_bytes(W.ceb603(exports_2018, f"{tag}-603-2018"))
    if receipts:
        (folder / "02-ceb604.xml").write_bytes(W.ceb604(receipts, f"{tag}-604"))
    if cancels:
        (folder / "03-ceb605.xml").write_bytes(W.ceb605(cancels, f"{tag}-605"))
    if odd_cancels:
        (folder / "03-ceb605-bom.xml").write_bytes(W.ceb605(odd_cancels, f"{tag}-605b", default_ns=True, bom=True))
    for i, chunk in enumerate(W.chunks(returns)):
        (folder / f"04-ceb213-{i}.xml").write_bytes(W.ceb213(chunk, f"{tag}-213-{i}"))
    if rreceipts:
        (folder / "05-ceb214.xml").write_bytes(W.ceb214(rreceipts, f"{tag}-214"))
    if odd_rreceipts:
        (folder / "05-ceb214-root.xml").write_bytes(W.ceb214(odd_rreceipts, f"{tag}-214r", root="CEB214"))
    if claims:
        (folder / "06-claims.xml").write_bytes(W.claims(claims))
    if late:
        (folder / "zz-late-ceb603.xml").write_bytes(W.ceb603(late, f"{tag}-603-late"))


# =========================================================================== running

def _url(ledger: Path) -> str:
    return "sqlite:///" + str(ledger.resolve())


def command_of(step: Step, base: Path, ledger: Path) -> List[str]:
    """CONTRACT §4: processor init --ledger URL; processor run --inbox DIR --out DIR [--ledger URL] [--reference DIR]
    [--init]; processor reassess --out DIR [--ledger URL] [--reference DIR] [--since YYYY-MM-DD]."""
    if step.command == "init":
        return [*PROCESSOR, "init", "--ledger", _url(ledger)]
    out = base / f"out-{step.name}"
    if step.command == "run":
        cmd = [*PROCESSOR, "run", "--inbox", str(base / f"inbox-{step.night}"), "--out", str(out),
               "--ledger", _url(ledger), "--reference", str(reference_dir(step.night))]
        return cmd + (["--init"] if step.init else [])
    return [*PROCESSOR, "reassess", "--out", str(out), "--ledger", _url(ledger),
            "--reference", str(reference_dir(REASSESS)), "--since", REASSESS_SINCE]


def read_decisions(path: Path) -> Tuple[List[str], List[Dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rd = csv.reader(fh)
        header = next(rd, [])
        rows = [dict(zip(header, r)) for r in rd]
    return header, rows


def _batch_id(out: Path, rows: List[Dict[str, str]]) -> Optional[str]:
    """The run's batch_id: summary.json's "batch_id", else the one batch_id of its decisions.csv rows."""
    try:
        b = json.loads((out / "summary.json").read_text(encoding="utf-8")).get("batch_id")
        if b:
            return str(b)
    except (OSError, ValueError, AttributeError):
        pass
    ids = {r.get("batch_id") for r in rows}
    return ids.pop() if len(ids) == 1 else None


def execute_all(base: Path, between=None) -> Dict[str, dict]:
    """Every step in turn on one ledger; `between(ledger_path)`, if given, after each (tests/test_archive.py)."""
    ledger = base / "ledger" / "ledger.sqlite"
    ledger.parent.mkdir(parents=True, exist_ok=True)
    results = {}
    for step in STEPS:
        if step.command == "run" and not (base / f"inbox-{step.night}").exists():
            write_inbox(step.night, base / f"inbox-{step.night}")
        proc = subprocess.run(command_of(step, base, ledger), cwd=ROOT, capture_output=True, text=True, timeout=900)
        out = base / f"out-{step.name}"
        res = {"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr, "out": out,
               "header": None, "rows": [], "quarantine": "", "batch_id": None}
        dpath = out / "decisions.csv"
        if step.decides and dpath.exists():
            res["header"], res["rows"] = read_decisions(dpath)
        if step.decides:
            q = out / "quarantine.csv"
            res["quarantine"] = q.read_text(encoding="utf-8-sig") if q.exists() else ""
            res["batch_id"] = _batch_id(out, res["rows"])
        results[step.name] = res
        if between is not None:
            between(ledger)
    return results


def batches_of(results: Dict[str, dict]) -> Dict[int, str]:
    """Symbolic `supersedes` (a night, or REASSESS) -> the batch that reported the night's rows last: the night's
    rerun, which writes them all again, where there is one."""
    out = {}
    for k, name in KEY_NAME.items():
        last = f"{name}-rerun" if f"{name}-rerun" in STEP else name
        out[k] = results.get(last, {}).get("batch_id") or f"<batch_id of {last} unknown>"
    return out


# =========================================================================== comparison

CASE_OF_RETURN: Dict[str, Case] = {}
for _c in CASES:
    for _n, _rows in _c.expect.items():
        for _r in _rows:
            CASE_OF_RETURN.setdefault(_r.return_id, _c)
    for _n, _keys in _c.absent.items():
        for _k in _keys:
            CASE_OF_RETURN.setdefault(_k[0], _c)
    for _n, _night in _c.nights.items():
        for _ret in _night.returns:
            CASE_OF_RETURN.setdefault(_ret.co_el_no, _c)


def _same(field: str, exp: str, got: Optional[str]) -> bool:
    if got is None:
        return False                    # the column is missing altogether
    if field == "qty":
        try:
            return Decimal(exp) == Decimal(got)
        except Exception:
            return exp == got
    return exp == got


def expected_row(row, batches: Dict[int, str]) -> Dict[str, str]:
    """An expected Row as decisions.csv must spell it: `supersedes` resolved to a batch_id."""
    d = row.as_dict()
    d["supersedes"] = batches.get(row.supersedes, f"<batch_id of {row.supersedes}>") if row.supersedes != "" else ""
    return d


def compare_case(case: Case, step: Step, actual_rows: List[Dict[str, str]], batches: Dict[int, str]) -> List[dict]:
    """Every disagreement of one case and step: expected rows missing or different, rows that should not be."""
    found = []
    expected = {(r.return_id, r.gnum): r for r in case.expect.get(step.key, [])} if step.key is not None else {}
    mine: Dict[tuple, List[Dict[str, str]]] = {}
    for a in actual_rows:
        owner = CASE_OF_RETURN.get(a.get("return_id"))
        if owner is not None and owner.id == case.id:
            try:
                key = (a["return_id"], int(Decimal(a.get("gnum") or "0")))
            except Exception:
                key = (a["return_id"], a.get("gnum"))
            mine.setdefault(key, []).append(a)
    for key, exp in expected.items():
        got_rows = mine.get(key, [])
        if not got_rows:
            found.append(dict(case=case.id, step=step.name, key=key, field="<row>", expected="present",
                              got="missing", clause=case.clause))
            continue
        if len(got_rows) > 1:
            found.append(dict(case=case.id, step=step.name, key=key, field="<row>", expected="1 row",
                              got=f"{len(got_rows)} rows", clause="CONTRACT §5 one row per return line"))
        got = got_rows[0]
        e_row = expected_row(exp, batches)
        for f in COLUMNS:
            if f == "gnum":
                continue
            if not _same(f, e_row[f], got.get(f)):
                g = got.get(f)
                found.append(dict(case=case.id, step=step.name, key=key, field=f, expected=e_row[f],
                                  got=g if g is not None else "<missing column>", clause=case.clause))
    for key, got_rows in mine.items():
        if key in expected:
            continue
        # a row neither expected nor listed in `absent` fails all the same: the case names every row of its night
        g = got_rows[0]
        found.append(dict(case=case.id, step=step.name, key=key, field="<row>", expected="absent",
                          got=f"{g.get('change')} {g.get('decision')} {g.get('reasons')}".strip(),
                          clause=case.clause if step.key is not None
                          else "CONTRACT §4: a second reassess finds nothing changed, so it writes no row"))
    return found


def judge(case: Case, step: Step, found: List[dict]) -> Tuple[str, str]:
    """("agree" | "gap" | "fail", message).  A case with a documented gap is "gap" only while its disagreements are
    exactly the documented ones; no disagreement at all then is a failure too (the gap closed: remove its entry)."""
    documented = {((rid, gnum), fld, got) for rid, gnum, fld, got in case.gaps.get(step.key, ())}
    seen = {(d["key"], d["field"], d["got"]) for d in found}
    if documented and seen == documented:
        return "gap", f"known gap ({case.gap}): " + " | ".join(_fmt(d) for d in found)
    if documented and not found:
        return "fail", (f"{case.id} [{step.name}] now meets the contract where a gap was documented "
                        f"({case.gap}): remove its `gaps`/`gap` from tests/casebook/cases.py")
    if not found:
        return "agree", ""
    msg = "\n".join(_fmt(d) for d in found) + f"\nnote: {case.note}"
    if documented:
        msg += f"\ndocumented gap differs: expected exactly {sorted(documented)}"
    return "fail", msg


def _fmt(d):
    return (f"[{d['step']}] {d['case']} {d['key']} {d['field']}: expected {d['expected']!r}, got {d['got']!r} "
            f"({d['clause']})")


def _speaks(c: Case, key: Optional[int]) -> bool:
    return key is not None and bool(c.expect.get(key) or c.absent.get(key) or c.gaps.get(key))


# =========================================================================== pytest plumbing

def need_shared(path: Path, why: str) -> Path:
    """The official file at `path` (under ../shared beside the checkout), or a loud skip: a warning in the run's
    summary and a skip reason naming the missing path and what goes unchecked without it."""
    if not path.exists():
        msg = (f"official reference file missing: {path} (expected in {SHARED}, the folder beside the checkout "
               f"{ROOT}); {why}")
        warnings.warn(msg, stacklevel=2)
        pytest.skip(msg)
    return path


def test_subprocess_runs_this_checkout():
    """The casebook judges the code of this checkout: the processor it starts imports ROOT/processor, not an
    installed copy or another clone's."""
    probe = subprocess.run([sys.executable, "-c", "import processor.cli; print(processor.cli.__file__)"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    assert Path(probe.stdout.strip()).resolve() == (ROOT / "processor" / "cli.py").resolve()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("casebook")
    results = execute_all(base)
    results["_batches"] = batches_of(results)
    return results


def test_writer_records_valid_against_official_xsd(tmp_path):
    """My own writer's CEB files validate against GACC's published 202205 export XSD (claims against the project's
    published claim XSD), so disagreements below are not input defects of mine."""
    from lxml import etree
    why = ("without GACC's published XSDs the casebook's CEB input files are not checked, so a casebook failure "
           "could be a defect of its own writer rather than of the processor")
    xsd = need_shared(SHARED / "ceb" / "xsd" / "export-202205.xsd", why)
    xsd_2018 = need_shared(SHARED / "ceb" / "xsd" / "export-2018.xsd", why)
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    schema_2018 = etree.XMLSchema(etree.parse(str(xsd_2018)))
    claims_xsd = etree.XMLSchema(etree.parse(str(HERE.parent / "schemas" / "return-claims.xsd")))
    errors = []
    for night in NIGHTS:
        folder = tmp_path / f"n{night}"
        write_inbox(night, folder)
        for f in sorted(folder.iterdir()):
            doc = etree.parse(str(f))
            if f.name == "05-ceb214-root.xml":
                # the root spelled CEB214 (as in GACC's own sample) is not in the XSD: validate its records
                doc = etree.fromstring(f.read_bytes().replace(b"CEB214 ", b"CEB214Message ")
                                       .replace(b"CEB214>", b"CEB214Message>"))
            s = claims_xsd if "claims" in f.name else schema
            if "2018" in f.name:
                s = schema_2018
                if schema.validate(doc):
                    errors.append(f"{f.name}: meant to be valid only under the 2018 table")
            if not s.validate(doc):
                errors.append(f"n{night}/{f.name}: {s.error_log.last_error}")
    assert not errors, "\n".join(errors)


def _csv_lines(path: Path) -> List[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_reference_folders_are_what_the_cases_say():
    """The per-night reference folders differ from the base one exactly as cases.REFERENCE_OF describes, so no case
    is decided on data it does not know about (a copy that drifted from the base would)."""
    n3, n4, n5 = (CASEBOOK / f"reference-n{n}" for n in (3, 4, 5))
    for name in ("exchange_rates.csv", "food_hs.csv"):
        for d in (n3, n4, n5):
            assert _csv_lines(d / name) == _csv_lines(REFERENCE / name), f"{d.name}/{name} drifted from reference/"
    assert _csv_lines(n3 / "tariff.csv") == _csv_lines(REFERENCE / "tariff.csv") + ["9503,2023-01-01,0.05,,,,0.13,"]
    assert _csv_lines(n4 / "tariff.csv") == _csv_lines(n3 / "tariff.csv") == _csv_lines(n5 / "tariff.csv")
    assert not (REFERENCE / "rest_days.csv").exists() and not (REFERENCE / "policies.csv").exists()
    r3, r4 = _csv_lines(n3 / "rest_days.csv"), _csv_lines(n4 / "rest_days.csv")
    assert r3[0] == "date,kind,name" and {ln[:4] for ln in r3[1:]} == {"2027"}
    assert r4[:len(r3)] == r3 and {ln[:4] for ln in r4[len(r3):]} == {"2028"}
    assert _csv_lines(n5 / "rest_days.csv") == r4
    assert not (n3 / "policies.csv").exists() and not (n4 / "policies.csv").exists()
    bundled = _csv_lines(BUNDLED / "policies.csv")
    assert any(ln.startswith("2026-16,") for ln in bundled), "the bundled policies.csv lost its 2026-16 row"
    assert _csv_lines(n5 / "policies.csv") == [ln for ln in bundled if not ln.startswith("2026-16,")], \
        "reference-n5/policies.csv must be the bundled policies.csv minus its 2026-16 row"


# --------------------------------------------------------------------------- my own arithmetic, independently

class _Cal:
    """The holiday calendar a reference folder gives (CONTRACT §3 rest_days.csv over the bundled chinesecalendar)."""

    def __init__(self, ref: Path):
        self.years, self.rest, self.work = set(), set(), set()
        f = ref / "rest_days.csv"
        if f.exists():
            for r in csv.DictReader(f.open(encoding="utf-8")):
                d = dt.date.fromisoformat(r["date"])
                self.years.add(d.year)
                (self.rest if r["kind"] == "rest" else self.work).add(d)

    def covers(self, d: dt.date) -> bool:
        if d.year in self.years:
            return True
        import chinese_calendar as cc
        try:
            cc.is_workday(d)
            return True
        except NotImplementedError:
            return False

    def is_rest(self, d: dt.date) -> bool:
        """Rest day; in a year no calendar covers, weekends only (LAW: the window_end estimate)."""
        if d.year in self.years:
            return d in self.rest or (d.weekday() >= 5 and d not in self.work)
        import chinese_calendar as cc
        try:
            return not cc.is_workday(d)
        except NotImplementedError:
            return d.weekday() >= 5


def _win_end(export_iso: str, ref: Path = REFERENCE) -> str:
    cal = _Cal(ref)
    d = dt.date.fromisoformat(export_iso)
    m = d.month + 6
    y = d.year + (m - 1) // 12
    m = (m - 1) % 12 + 1
    e = dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))
    while cal.is_rest(e):
        e += dt.timedelta(days=1)
    return e.isoformat()


def _load_ref(ref: Path = REFERENCE):
    tariff = list(csv.DictReader((ref / "tariff.csv").open(encoding="utf-8")))
    rates = {(r["month"], r["currency"]): Decimal(r["cny_per_unit"])
             for r in csv.DictReader((ref / "exchange_rates.csv").open(encoding="utf-8"))}
    return tariff, rates


def _policy(ie: str, ref: Path) -> str:
    """CONTRACT §5 policy: the latest-issued version whose export window holds the export declaration date."""
    f = ref / "policies.csv" if (ref / "policies.csv").exists() else BUNDLED / "policies.csv"
    rows = [r for r in csv.DictReader(f.open(encoding="utf-8")) if r["export_from"] <= ie <= r["export_to"]]
    return max(rows, key=lambda r: r["issued"])["version"] if rows else ""


def _q(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _oracle(gcode, qty, qty1, price, currency, rdate, cv, ref: Path = REFERENCE):
    """LAW 'The taxes' steps 1-4, my own arithmetic check."""
    tariff, rates = _load_ref(ref)
    if cv is not None:
        v = _q(Decimal(cv))
    elif price is None:
        v = None
    else:
        rate = Decimal(1) if currency == "142" else rates.get((rdate[:7], currency))
        v = None if rate is None else _q(Decimal(qty) * Decimal(price) * rate)
    rows = [t for t in tariff if gcode.startswith(t["hs_prefix"]) and t["valid_from"] <= rdate]
    if v is None or not rows:
        return (f"{v}" if v is not None else "", "", "", "")
    longest = max(len(t["hs_prefix"]) for t in rows)
    row = max((t for t in rows if len(t["hs_prefix"]) == longest), key=lambda t: t["valid_from"])
    z = lambda s: Decimal(s) if s else Decimal(0)  # noqa: E731
    q1 = Decimal(qty1)
    d = _q(v * z(row["import_duty_rate"]) + q1 * z(row["import_duty_per_unit"]))
    ctr, ctu = z(row["consumption_tax_rate"]), z(row["consumption_tax_per_unit"])
    c = _q((v + d + q1 * ctu) / (1 - ctr) * ctr + q1 * ctu)
    t = _q((v + d + c) * z(row["vat_rate"]))
    return (str(v), str(d), str(c), str(t))


def test_casebook_arithmetic_selfcheck():
    """My literal expectations agree with an independent recomputation (window by the night's calendar, taxes by
    LAW with the night's tariff and rates, policy by the night's policies.csv), each row against the inputs and
    reference data of the run that decided it (a WITHDRAWN row: of the run whose decision it repeats)."""
    problems = []
    last_night = max(NIGHTS)
    for c in CASES:
        def upto(n, what):
            return [(k, x) for k, night in sorted(c.nights.items()) if k <= n for x in what(night)]

        for key, rows in c.expect.items():
            for r in rows:
                decided_at = r.supersedes if r.change == "WITHDRAWN" else key
                n = last_night if decided_at == REASSESS else decided_at
                ref = CASEBOOK / REFERENCE_OF[decided_at]
                numbers = {rc.cop_no: rc.invt_no for _k, rc in upto(n, lambda x: x.list_receipts)
                           if rc.status != "100"}
                item_of = {}
                for _k, l in upto(n, lambda x: x.exports + x.late_exports + x.odd_exports + x.exports_2018):
                    for it in l.items:
                        item_of[(l.invt_no or numbers.get(l.cop_no), it.gnum)] = (l, it)   # latest version wins
                cl = None
                for _k, x in upto(n, lambda x: x.claims):
                    if x.co_el_no == r.return_id:
                        cl = x
                if r.export_date:
                    if (r.invt_no, r.gnum) not in item_of:
                        problems.append(f"{c.id} {r.return_id}: export fields but no export item by night {n}")
                        continue
                    l, it = item_of[(r.invt_no, r.gnum)]
                    start = cl.zone_exit_date if (cl and l.trade_mode == "1210" and cl.zone_exit_date) else l.ie_date
                    if r.export_date != start:
                        problems.append(f"{c.id} {r.return_id}: export_date {r.export_date} != {start}")
                    if r.window_end != _win_end(r.export_date, ref):
                        problems.append(f"{c.id} {r.return_id} [{KEY_NAME[key]}]: window_end {r.window_end} != "
                                        f"{_win_end(r.export_date, ref)}")
                    cv = None
                    if cl and cl.invt_no == r.invt_no:
                        for ci in cl.items:
                            if ci.gnum == r.gnum:
                                cv = ci.customs_value
                    qty1 = r.qty
                    for _k, ret in upto(n, lambda x: x.returns):
                        if ret.co_el_no == r.return_id:
                            for ln in ret.lines:
                                if ln.gnum == r.gnum and Decimal(ln.qty) == Decimal(r.qty):
                                    qty1 = ln.q1
                    exp = _oracle(it.gcode, r.qty, qty1, it.price, it.currency, r.return_date, cv, ref)
                    got = (r.customs_value_cny, r.import_duty, r.consumption_tax, r.import_vat)
                    if exp != got:
                        problems.append(f"{c.id} {r.return_id}/{r.gnum} [{KEY_NAME[key]}]: money {got} != oracle "
                                        f"{exp}")
                    pol = _policy(l.ie_date, ref)
                    if pol != r.policy:
                        problems.append(f"{c.id} {r.return_id} [{KEY_NAME[key]}]: policy {r.policy} != {pol}")
                else:
                    if any((r.window_end, r.policy, r.trade_mode)):
                        problems.append(f"{c.id} {r.return_id}: export fields without export")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- the runs

def _explain(r: dict) -> str:
    return f"exit {r['rc']}\nstdout:\n{r['stdout'][-1500:]}\nstderr:\n{r['stderr'][-3000:]}"


@pytest.mark.parametrize("step", [s.name for s in STEPS])
def test_step_completed(runs, step):
    """Exit 0 (CONTRACT §4: 'the batch completed and its reports are in place'; `init` on an existing ledger
    'changes nothing and says so': reading, a success, so 0) and, for run and reassess, a decisions.csv."""
    r = runs[step]
    assert r["rc"] == 0, _explain(r)
    if STEP[step].decides:
        assert r["header"] is not None, f"no decisions.csv in {r['out']}"


@pytest.mark.parametrize("step", [s.name for s in DECIDING])
def test_header_has_the_22_columns(runs, step):
    """CONTRACT §5: exactly these twenty-two columns in this order, `change` and `supersedes` added at the end."""
    header = runs[step]["header"]
    assert header == HEADER + CHANGE_COLUMNS, f"decisions.csv header {header}"


@pytest.mark.parametrize("step", [s.name for s in DECIDING])
def test_rows_carry_their_batch_id(runs, step):
    """Every row's batch_id is the run's own (summary.json), and every run has a batch_id of its own (a rerun's
    rows differ from its night's 'only' by batch_id, CONTRACT §6)."""
    r = runs[step]
    assert r["batch_id"], f"no batch_id in {r['out']}/summary.json"
    wrong = [x for x in r["rows"] if x.get("batch_id") != r["batch_id"]]
    assert not wrong, f"rows whose batch_id is not {r['batch_id']}: {wrong[:3]}"
    others = {s.name: runs[s.name]["batch_id"] for s in DECIDING if s.name != step}
    assert r["batch_id"] not in others.values(), f"batch_id {r['batch_id']} shared with {others}"


@pytest.mark.parametrize("step", [s.name for s in DECIDING])
def test_no_rows_outside_casebook(runs, step):
    stray = [a for a in runs[step]["rows"] if a.get("return_id") not in CASE_OF_RETURN]
    assert not stray, f"rows for returns not in the casebook: {stray[:5]}"


@pytest.mark.parametrize("night", NIGHTS, ids=[f"night{n}" for n in NIGHTS])
def test_rerun_writes_same_decisions(runs, night):
    """CONTRACT §6: 'Running the same inbox again against the same ledger changes nothing and writes the same rows
    as the first time (only batch_id differs)': change and supersedes included."""
    strip = lambda rows: sorted(tuple((k, v) for k, v in r.items() if k != "batch_id") for r in rows)  # noqa: E731
    first, again = runs[f"night{night}"]["rows"], runs[f"night{night}-rerun"]["rows"]
    assert strip(first) == strip(again), (f"night{night}: {len(first)} rows, its rerun {len(again)}; first "
                                          f"differences: {sorted(set(strip(first)) ^ set(strip(again)))[:4]}")


def test_reassess_again_writes_header_only(runs):
    """CONTRACT §4: reassess writes 'only the lines whose result changed'; right after a reassess under the same
    reference data and parameters nothing changes: decisions.csv is the header alone."""
    r = runs["reassess-again"]
    assert r["rc"] == 0, _explain(r)
    assert r["header"] == HEADER + CHANGE_COLUMNS and r["rows"] == [], \
        f"header {r['header']}, {len(r['rows'])} rows: {r['rows'][:3]}"


PARAMS = [(s, c) for s in DECIDING for c in CASES if _speaks(c, s.key)]


@pytest.mark.parametrize("step,case", PARAMS, ids=[f"{s.name}-{c.id}" for s, c in PARAMS])
def test_case(runs, step, case):
    verdict, msg = judge(case, step, compare_case(case, step, runs[step.name]["rows"], runs["_batches"]))
    if verdict == "gap":
        pytest.xfail(msg)
    assert verdict == "agree", msg


@pytest.mark.parametrize("step", [s.name for s in DECIDING])
def test_no_rows_for_cases_quiet_on_the_night(runs, step):
    """A case that expects nothing on a step gets no row on it (CONTRACT §6: a line is decided and reported again
    only when something for it changed; a second reassess writes nothing at all)."""
    s = STEP[step]
    found = [d for c in CASES if not _speaks(c, s.key)
             for d in compare_case(c, s, runs[step]["rows"], runs["_batches"])]
    assert not found, "\n".join(_fmt(d) for d in found)


@pytest.mark.parametrize("command", ["run", "reassess"])
def test_no_ledger_no_batch(tmp_path, command):
    """CONTRACT §4: 'run and reassess on a URL where no ledger exists stop with exit status 2 and a message naming
    the URL' (without --init), and no ledger is created."""
    ledger = tmp_path / "typo" / "ledger.sqlite"
    url = _url(ledger)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    cmd = [*PROCESSOR, command, "--out", str(tmp_path / "out"), "--ledger", url]
    if command == "run":
        cmd += ["--inbox", str(inbox)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, f"exit {proc.returncode}\n{proc.stdout[-800:]}\n{proc.stderr[-1500:]}"
    said = proc.stdout + proc.stderr
    assert url in said or str(ledger) in said, f"the message does not name the ledger URL {url}: {said[-800:]}"
    assert "Traceback" not in said
    assert not ledger.exists(), "a ledger was created by a run without --init"


def _rows_of(case: Case, key: int, batches: Dict[int, str]) -> List[Dict[str, str]]:
    """decisions.csv rows exactly as the case expects them at `key`."""
    return [dict(expected_row(r, batches), batch_id="B") for r in case.expect.get(key, [])]


def test_judge_is_strict():
    """The comparison itself: a case that agrees passes; any change fails, supersedes and change included, and so do
    a missing column and an extra row; a documented gap xfails only on exactly its disagreements, and its closing
    fails."""
    from dataclasses import replace as _replace
    by_id = {c.id: c for c in CASES}
    batches = {n: f"B-night{n}" for n in NIGHTS} | {REASSESS: "B-reassess"}
    n1, n2, n3 = STEP["night1"], STEP["night2"], STEP["night3"]
    plain = by_id["C89-boolean-one"]
    rows = _rows_of(plain, 1, batches)
    assert judge(plain, n1, compare_case(plain, n1, rows, batches))[0] == "agree"
    assert judge(plain, STEP["night1-rerun"], compare_case(plain, STEP["night1-rerun"], rows, batches))[0] == "agree"
    for f, v in (("decision", "EXEMPT"), ("change", "REVISED"), ("supersedes", "B-night1"), ("qty", "2")):
        assert judge(plain, n1, compare_case(plain, n1, [dict(rows[0], **{f: v})], batches))[0] == "fail", f
    no_column = [{k: v for k, v in rows[0].items() if k != "change"}]
    assert judge(plain, n1, compare_case(plain, n1, no_column, batches))[0] == "fail"
    extra = rows + [dict(rows[0], gnum="2")]
    assert judge(plain, n1, compare_case(plain, n1, extra, batches))[0] == "fail"
    assert judge(plain, STEP["reassess-again"], compare_case(plain, STEP["reassess-again"], rows, batches))[0] == "fail"
    # supersedes is resolved to the batch of the night named, and only that one is right
    rev = by_id["C106-exempt-revoked-then-restored"]
    good = _rows_of(rev, 4, batches)
    assert good[0]["supersedes"] == "B-night3"
    assert judge(rev, STEP["night4"], compare_case(rev, STEP["night4"], good, batches))[0] == "agree"
    wrong = [dict(good[0], supersedes="B-night2")]
    assert judge(rev, STEP["night4"], compare_case(rev, STEP["night4"], wrong, batches))[0] == "fail"
    # a line expected absent (decided again, unchanged) fails when written
    quiet = by_id["C110-ceb214-other-status-after-exempt"]
    again = [dict(_rows_of(quiet, 2, batches)[0], change="REVISED", supersedes="B-night2")]
    assert judge(quiet, n3, compare_case(quiet, n3, again, batches))[0] == "fail"
    assert judge(quiet, n3, compare_case(quiet, n3, [], batches))[0] == "agree"
    # the gap mechanism, on a copy of a case given a gap
    base = by_id["C91-claim-replaced-after-exempt"]
    gap = _replace(base, gaps={2: (("RET-C91", 1, "<row>", "missing"),)}, gap="test: no night-2 row yet")
    assert judge(gap, n2, compare_case(gap, n2, [], batches))[0] == "gap"
    assert judge(gap, n2, compare_case(gap, n2, _rows_of(gap, 2, batches), batches))[0] == "fail"   # gap closed
    off = [dict(_rows_of(gap, 2, batches)[0], decision="EXEMPT", reasons="")]
    assert judge(gap, n2, compare_case(gap, n2, off, batches))[0] == "fail"             # another disagreement


# =========================================================================== report (script use)

def main() -> int:
    base = Path(tempfile.mkdtemp(prefix="casebook-"))
    results = execute_all(base)
    batches = batches_of(results)
    failing = gaps = 0
    for step in STEPS:
        r = results[step.name]
        if not step.decides:
            print(f"== {step.name}: exit {r['rc']}  {(r['stdout'] + r['stderr']).strip()[-300:]}")
            continue
        exp_rows = rows_for(step.key) if step.key is not None else []
        head = (f"header {'+'.join(r['header'][len(HEADER):]) or 'twenty columns'}" if r["header"] is not None
                else "no decisions.csv")
        print(f"== {step.name}: exit {r['rc']}, batch {r['batch_id']}, expected rows {len(exp_rows)}, actual rows "
              f"{len(r['rows'])}, cases {len({c.id for c, _ in exp_rows})}, {head}")
        if r["rc"] != 0:
            print("   " + (r["stdout"] + r["stderr"]).strip()[-1500:].replace("\n", "\n   "))
        agree = 0
        for c in CASES:
            found = compare_case(c, step, r["rows"], batches)
            verdict, msg = judge(c, step, found)
            if verdict == "agree":
                agree += _speaks(c, step.key)
                continue
            label = "GAP    " if verdict == "gap" else "FAIL   "
            for d in found:
                print("  " + label, _fmt(d))
            if verdict == "fail" and not found:
                print("  FAIL   ", msg)
            failing += verdict == "fail"
            gaps += verdict == "gap"
        print(f"  cases fully agreeing: {agree}")
        if r["quarantine"].strip():
            lines = r["quarantine"].strip().splitlines()
            print(f"  quarantine.csv: {len(lines) - 1} rows")
            for ln in lines[:20]:
                print("    ", ln)
    print(f"failing (case x step): {failing}, known gaps (case x step): {gaps}; outputs in {base}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
