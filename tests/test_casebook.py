"""Casebook test: runs the processor as a user would (subprocess: `python -m processor.cli` from this checkout's root,
so the code judged is this checkout's) on night 1, night 2 and a rerun of night 2 against one ledger, and compares
decisions.csv with the expectations in tests/casebook/cases.py, derived from CONTRACT.md and LAW.md (where they are
silent, the case's note gives the reading taken).

Per case and night one test, and every expectation is strict: any disagreement fails.  The one exception is a known
gap documented in the case (the contract asks for something the processor does not do yet): xfailed while the
disagreements are exactly the documented ones, failed when they differ or when the gap closes.

Run as a script (python tests/test_casebook.py) to print the full disagreement report.
"""
from __future__ import annotations

import calendar
import csv
import datetime as dt
import subprocess
import sys
import tempfile
import warnings
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent                      # the checkout whose code is under test
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.casebook import writer as W  # noqa: E402
from tests.casebook.cases import CASES, COLUMNS, Case, Night, rows_for  # noqa: E402

REFERENCE = HERE / "casebook" / "reference"
# The checkout's own code, whatever is installed: `python -m processor.cli` run from the checkout's root imports
# ROOT/processor first (sys.path[0] is the working directory), as tests/test_crash.py does.
PROCESSOR = [sys.executable, "-m", "processor.cli"]
SHARED = ROOT.parent / "shared"         # the checkout sits beside ../shared (CONTRACT §1: ../shared/ceb/)

# CONTRACT §5, in this order: the twenty columns "unchanged from the first version of this contract"
HEADER = ["batch_id", "return_id", "return_date", "invt_no", "gnum", "gcode", "qty", "export_date", "trade_mode",
          "window_end", "policy", "decision", "reasons", "customs_value_cny", "import_duty", "consumption_tax",
          "import_vat", "export_duty_refund", "backpay_vat", "backpay_ct"]
CHANGE_COLUMNS = ["change", "supersedes"]      # CONTRACT §5, added at the end
NIGHT_NAMES = {1: "night1", 2: "night2", 3: "night2-rerun"}


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

def run_processor(inbox: Path, out: Path, ledger: Path) -> subprocess.CompletedProcess:
    cmd = [*PROCESSOR, "run", "--inbox", str(inbox), "--out", str(out),
           "--ledger", "sqlite:///" + str(ledger.resolve()), "--reference", str(REFERENCE)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)


def read_decisions(path: Path) -> Tuple[List[str], List[Dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rd = csv.reader(fh)
        header = next(rd)
        rows = [dict(zip(header, r)) for r in rd]
    return header, rows


def execute_all(base: Path) -> Dict[int, dict]:
    ledger = base / "ledger" / "ledger.sqlite"
    ledger.parent.mkdir(parents=True, exist_ok=True)
    results = {}
    for night, inbox_night in ((1, 1), (2, 2), (3, 2)):
        inbox = base / f"inbox-{inbox_night}"
        if not inbox.exists():
            write_inbox(inbox_night, inbox)
        out = base / f"out-{NIGHT_NAMES[night]}"
        proc = run_processor(inbox, out, ledger)
        res = {"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr, "out": out}
        dpath = out / "decisions.csv"
        if dpath.exists():
            res["header"], res["rows"] = read_decisions(dpath)
        else:
            res["header"], res["rows"] = None, []
        q = out / "quarantine.csv"
        res["quarantine"] = q.read_text(encoding="utf-8-sig") if q.exists() else ""
        results[night] = res
    return results


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


def _same(field: str, exp: str, got: str) -> bool:
    if field == "qty":
        try:
            return Decimal(exp) == Decimal(got)
        except Exception:
            return exp == got
    return exp == (got if got is not None else "<missing column>")


def compare_case(case: Case, night: int, actual_rows: List[Dict[str, str]]) -> List[dict]:
    """Every disagreement of one case and night: expected rows missing or different, rows that should not be."""
    found = []
    n = 2 if night == 3 else night
    expected = {(r.return_id, r.gnum): r for r in case.expect.get(n, [])}
    mine = {}
    for a in actual_rows:
        if CASE_OF_RETURN.get(a.get("return_id")) is case:
            try:
                key = (a["return_id"], int(Decimal(a.get("gnum") or "0")))
            except Exception:
                key = (a["return_id"], a.get("gnum"))
            mine.setdefault(key, []).append(a)
    for key, exp in expected.items():
        got_rows = mine.get(key, [])
        if not got_rows:
            found.append(dict(case=case.id, night=NIGHT_NAMES[night], key=key, field="<row>", expected="present",
                              got="missing", clause=case.clause))
            continue
        if len(got_rows) > 1:
            found.append(dict(case=case.id, night=NIGHT_NAMES[night], key=key, field="<row>", expected="1 row",
                              got=f"{len(got_rows)} rows", clause="CONTRACT §5 one row per return line"))
        got = got_rows[0]
        for f in COLUMNS:
            e = exp.as_dict()[f]
            g = got.get(f)
            if f == "gnum":
                continue
            if not _same(f, e, g):
                found.append(dict(case=case.id, night=NIGHT_NAMES[night], key=key, field=f, expected=e, got=g,
                                  clause=case.clause))
    for key, got_rows in mine.items():
        if key in expected:
            continue
        # a row neither expected nor listed in `absent` fails all the same: the case names every row of its night
        found.append(dict(case=case.id, night=NIGHT_NAMES[night], key=key, field="<row>", expected="absent",
                          got=f"{got_rows[0].get('decision')} {got_rows[0].get('reasons')}", clause=case.clause))
    return found


def judge(case: Case, night: int, found: List[dict]) -> Tuple[str, str]:
    """("agree" | "gap" | "fail", message).  A case with a documented gap is "gap" only while its disagreements are
    exactly the documented ones; no disagreement at all then is a failure too (the gap closed: remove its entry)."""
    n = 2 if night == 3 else night
    documented = {((rid, gnum), fld, got) for rid, gnum, fld, got in case.gaps.get(n, ())}
    seen = {(d["key"], d["field"], d["got"]) for d in found}
    if documented and seen == documented:
        return "gap", f"known gap ({case.gap}): " + " | ".join(_fmt(d) for d in found)
    if documented and not found:
        return "fail", (f"{case.id} [{NIGHT_NAMES[night]}] now meets the contract where a gap was documented "
                        f"({case.gap}): remove its `gaps`/`gap` from tests/casebook/cases.py")
    if not found:
        return "agree", ""
    msg = "\n".join(_fmt(d) for d in found) + f"\nnote: {case.note}"
    if documented:
        msg += f"\ndocumented gap differs: expected exactly {sorted(documented)}"
    return "fail", msg


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
    return execute_all(base)


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
    for night in (1, 2):
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
                errors.append(f"{f.name}: {s.error_log.last_error}")
    assert not errors, "\n".join(errors)


def _win_end(export_iso: str) -> str:
    import chinese_calendar as cc
    d = dt.date.fromisoformat(export_iso)
    m = d.month + 6
    y = d.year + (m - 1) // 12
    m = (m - 1) % 12 + 1
    e = dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))

    def rest(x):
        try:
            return not cc.is_workday(x)
        except NotImplementedError:        # year not covered: weekends only (LAW)
            return x.weekday() >= 5
    while rest(e):
        e += dt.timedelta(days=1)
    return e.isoformat()


def _load_ref():
    tariff = list(csv.DictReader((REFERENCE / "tariff.csv").open(encoding="utf-8")))
    rates = {(r["month"], r["currency"]): Decimal(r["cny_per_unit"])
             for r in csv.DictReader((REFERENCE / "exchange_rates.csv").open(encoding="utf-8"))}
    return tariff, rates


def _q(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _oracle(gcode, qty, qty1, price, currency, rdate, cv):
    """LAW 'The taxes' steps 1-4, my own arithmetic check."""
    tariff, rates = _load_ref()
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
    """My literal expectations agree with an independent recomputation (window by chinesecalendar, taxes by LAW)."""
    problems = []
    lists = {}
    cop_invt = {}
    claims = {}
    for c in CASES:
        for n, night in sorted(c.nights.items()):
            for l in night.exports + night.late_exports + night.odd_exports + night.exports_2018:
                lists[(c.id, l.cop_no)] = l
            for r in night.list_receipts:
                if r.status != "100":
                    cop_invt[r.cop_no] = r.invt_no
            for cl in night.claims:
                claims[(cl.co_el_no, n)] = cl
    items = {}
    for (_cid, cop), l in lists.items():
        no = l.invt_no or cop_invt.get(cop)
        for it in l.items:
            items[(no, it.gnum)] = (l, it)
    for c in CASES:
        for n, rows in c.expect.items():
            for r in rows:
                if r.export_date:
                    if r.window_end != _win_end(r.export_date):
                        problems.append(f"{c.id} {r.return_id}: window_end {r.window_end} != {_win_end(r.export_date)}")
                    l, it = items[(r.invt_no, r.gnum)]
                    cl = claims.get((r.return_id, n)) or claims.get((r.return_id, 1))
                    cv = None
                    if cl and cl.invt_no == r.invt_no:
                        for ci in cl.items:
                            if ci.gnum == r.gnum:
                                cv = ci.customs_value
                    qty1 = r.qty
                    for night in c.nights.values():
                        for ret in night.returns:
                            if ret.co_el_no == r.return_id:
                                for ln in ret.lines:
                                    if ln.gnum == r.gnum and Decimal(ln.qty) == Decimal(r.qty):
                                        qty1 = ln.q1
                    exp = _oracle(it.gcode, r.qty, qty1, it.price, it.currency, r.return_date, cv)
                    got = (r.customs_value_cny, r.import_duty, r.consumption_tax, r.import_vat)
                    if exp != got:
                        problems.append(f"{c.id} {r.return_id}/{r.gnum}: money {got} != oracle {exp}")
                    ie = l.ie_date
                    pol = "2026-16" if "2026-01-01" <= ie <= "2027-12-31" else (
                        "2023-34" if "2023-01-30" <= ie <= "2025-12-31" else "")
                    if pol != r.policy:
                        problems.append(f"{c.id} {r.return_id}: policy {r.policy} != {pol}")
                else:
                    if any((r.window_end, r.policy, r.trade_mode)):
                        problems.append(f"{c.id} {r.return_id}: export fields without export")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("night", [1, 2, 3], ids=lambda n: NIGHT_NAMES[n])
def test_batch_completed(runs, night):
    """Exit 0 and decisions.csv with the twenty columns of CONTRACT §5 first, in order."""
    r = runs[night]
    assert r["rc"] == 0, f"exit {r['rc']}\nstderr:\n{r['stderr'][-3000:]}"
    assert r["header"] is not None and r["header"][:len(HEADER)] == HEADER, f"decisions.csv header {r['header']}"


@pytest.mark.parametrize("night", [1, 2, 3], ids=lambda n: NIGHT_NAMES[n])
def test_header_ends_with_change_and_supersedes(runs, night):
    """CONTRACT §5: exactly twenty-two columns, `change` and `supersedes` added at the end.  Known gap while the
    processor writes the first twenty only (xfailed on exactly that header; any other header fails)."""
    header = runs[night]["header"]
    if header == HEADER:
        pytest.xfail("known gap: decisions.csv lacks CONTRACT §5's change and supersedes columns")
    assert header == HEADER + CHANGE_COLUMNS


@pytest.mark.parametrize("night", [1, 2, 3], ids=lambda n: NIGHT_NAMES[n])
def test_no_rows_outside_casebook(runs, night):
    stray = [a for a in runs[night]["rows"] if a.get("return_id") not in CASE_OF_RETURN]
    assert not stray, f"rows for returns not in the casebook: {stray[:5]}"


def test_rerun_writes_same_decisions(runs):
    """CONTRACT §4: rerunning the same inbox against the same ledger writes the same decisions."""
    strip = lambda rows: sorted(tuple((k, v) for k, v in r.items() if k != "batch_id") for r in rows)  # noqa: E731
    assert strip(runs[2]["rows"]) == strip(runs[3]["rows"])


def _speaks(c: Case, night: int) -> bool:
    n = 2 if night == 3 else night
    return bool(c.expect.get(n) or c.absent.get(n) or c.gaps.get(n))


PARAMS = [(night, c) for night in (1, 2, 3) for c in CASES if _speaks(c, night)]


def _fmt(d):
    return (f"[{d['night']}] {d['case']} {d['key']} {d['field']}: expected {d['expected']!r}, got {d['got']!r} "
            f"({d['clause']})")


@pytest.mark.parametrize("night,case", PARAMS, ids=[f"{NIGHT_NAMES[n]}-{c.id}" for n, c in PARAMS])
def test_case(runs, night, case):
    verdict, msg = judge(case, night, compare_case(case, night, runs[night]["rows"]))
    if verdict == "gap":
        pytest.xfail(msg)
    assert verdict == "agree", msg


def _rows_of(case: Case, night: int) -> List[Dict[str, str]]:
    """decisions.csv rows exactly as the case expects them on the night."""
    return [dict(r.as_dict(), batch_id="B") for r in case.expect.get(2 if night == 3 else night, [])]


def test_judge_is_strict():
    """The comparison itself: a case that agrees passes; any change fails, also in a case whose contract is silent
    (formerly xfailed as ambiguous); a documented gap xfails only on exactly its disagreements, and its closing
    fails."""
    by_id = {c.id: c for c in CASES}
    plain = by_id["C89-boolean-one"]
    rows = _rows_of(plain, 1)
    assert judge(plain, 1, compare_case(plain, 1, rows))[0] == "agree"
    changed = [dict(rows[0], decision="EXEMPT", reasons="")]
    assert judge(plain, 1, compare_case(plain, 1, changed))[0] == "fail"
    extra = rows + [dict(rows[0], gnum="2")]
    assert judge(plain, 1, compare_case(plain, 1, extra))[0] == "fail"
    gap = by_id["C91-claim-replaced-after-exempt"]
    assert judge(gap, 2, compare_case(gap, 2, []))[0] == "gap"              # today's output: no night-2 row
    assert judge(gap, 2, compare_case(gap, 2, _rows_of(gap, 2)))[0] == "fail"   # contract met: remove the gap
    wrong = [dict(_rows_of(gap, 2)[0], decision="EXEMPT", reasons="")]
    assert judge(gap, 2, compare_case(gap, 2, wrong))[0] == "fail"             # another disagreement


@pytest.mark.parametrize("night", [1, 2, 3], ids=lambda n: NIGHT_NAMES[n])
def test_no_rows_for_cases_quiet_on_the_night(runs, night):
    """A case that expects nothing on a night gets no row on it (CONTRACT §6: a line is decided and reported again
    only when something for it changed)."""
    found = [d for c in CASES if not _speaks(c, night) for d in compare_case(c, night, runs[night]["rows"])]
    assert not found, "\n".join(_fmt(d) for d in found)


# =========================================================================== report (script use)

def main() -> int:
    base = Path(tempfile.mkdtemp(prefix="casebook-"))
    results = execute_all(base)
    failing = gaps = 0
    for night in (1, 2, 3):
        r = results[night]
        exp_rows = rows_for(night)
        print(f"== {NIGHT_NAMES[night]}: exit {r['rc']}, expected rows {len(exp_rows)}, actual rows {len(r['rows'])}, "
              f"cases {len({c.id for c, _ in exp_rows})}, header {'+'.join(r['header'][len(HEADER):]) or 'twenty'}"
              if r["header"] else f"== {NIGHT_NAMES[night]}: exit {r['rc']}, no decisions.csv")
        if r["rc"] != 0:
            print(r["stderr"][-3000:])
        agree = 0
        for c in CASES:
            found = compare_case(c, night, r["rows"])
            verdict, msg = judge(c, night, found)
            if verdict == "agree":
                agree += _speaks(c, night)
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
    print(f"failing cases: {failing}, known gaps (case x night): {gaps}; outputs in {base}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
