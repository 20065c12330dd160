"""Settling a batch: receipts and cancellations applied to the lists and returns they name, in whatever
order they came. The ledger fetches each affected record with its facts; the law (law/versions.py) says
what holds; the ledger stores the answer where it changed."""
from __future__ import annotations

from ..law.versions import REFUSED, invt_no_from_receipts, list_void_reason, return_withdrawal
from ..problems import WARNING, Problem
from .archive import bring_back, bring_back_certificates
from .store import cancel_key, journalled


def settle(ledger, batch_id: str) -> list:
    """Fill invtNo from CEB604 receipts, void refused, cancelled or deleted lists, withdraw returns.
    Returns the warnings (a receipt naming an invtNo another list holds)."""
    problems, numbered = _number_lists(ledger, batch_id)
    _void_lists(ledger, batch_id, numbered)
    _withdraw_returns(ledger, batch_id)
    return problems + waiting(ledger, batch_id)


def waiting(ledger, batch_id: str) -> list:
    """Warnings for what this batch stored that names nothing in the ledger yet (kept, and applied when the
    list or return arrives): receipts and cancellations waiting for their list, claims for returns not in
    the ledger, and certificate numbers presented for more than one return. Each names the file and line
    the record came from."""
    found = ledger.query(
        "SELECT content_hash, list_key, invt_no FROM list_receipts r WHERE batch_id = ? AND NOT EXISTS "
        "(SELECT 1 FROM export_lists l WHERE l.list_key = r.list_key)", (batch_id,))
    where = _sources(ledger, "CEB604", batch_id, [(key, h) for h, key, _i in found])
    receipts = [(where.get(h, ("", None)), key, invt) for h, key, invt in found]
    found = ledger.query(
        "SELECT content_hash, cop_no, ebc_code, invt_no FROM list_cancels c WHERE batch_id = ? AND NOT EXISTS "
        "(SELECT 1 FROM export_lists l WHERE l.invt_no = c.invt_no OR l.list_key = c.ebc_code || '|' || c.cop_no)",
        (batch_id,))
    where = _sources(ledger, "CEB605", batch_id, [(cancel_key(invt, ebc, cop), h) for h, cop, ebc, invt in found])
    cancels = [(where.get(h, ("", None)), cop, ebc, invt) for h, cop, ebc, invt in found]
    mine = ("FROM batch_touched t JOIN claims c ON c.co_el_no = t.co_el_no AND c.batch_id = t.batch_id "
            "WHERE t.batch_id = ?")  # the claims this batch stored, through the returns it touched
    found = ledger.query(f"SELECT c.content_hash, c.co_el_no {mine} AND NOT EXISTS "
                         "(SELECT 1 FROM return_apps r WHERE r.co_el_no = c.co_el_no)", (batch_id,))
    where = _sources(ledger, "ReturnClaims", batch_id, [(co, h) for h, co in found])
    claims = [(where.get(h, ("", None)), co) for h, co in found]
    bring_back_certificates(ledger, [r[0] for r in ledger.query(
        f"SELECT DISTINCT c.certificate_no {mine} AND c.certificate_no IS NOT NULL AND c.certificate_no <> ''",
        (batch_id,))])  # an archived claim presented the same certificate: its list comes back to be compared
    certificates = ledger.query(
        "SELECT o.certificate_no, o.co_el_no FROM claims o WHERE o.certificate_no IN (SELECT c.certificate_no "
        f"{mine} AND c.certificate_no IS NOT NULL AND c.certificate_no <> '') "
        "ORDER BY o.certificate_no, o.co_el_no", (batch_id,))
    return waiting_problems(receipts, cancels, claims, certificates)


def waiting_problems(receipts, cancels, claims, certificates) -> list:
    """The warnings of waiting(), from what each engine found, each with (file, line) where it was read:
    receipts (where, list_key, invtNo) and cancellations (where, copNo, ebcCode, invtNo) naming no list,
    claims (where, coElNo) naming no return, and (certificate number, coElNo) of the claims that share a
    number with a claim of this batch, in that order."""
    out = []
    for at, key, invt in receipts:
        out.append(Problem(*at, "CEB604", f"list={key}", "copNo",
                           f"a receipt (invtNo {invt or '-'}) for list {key}, which is not in the ledger: kept, and "
                           "applied when the list arrives", "the CEB603 of the list", WARNING, "WAITING_FOR_LIST"))
    for at, cop, ebc, invt in cancels:
        out.append(Problem(*at, "CEB605", f"invtNo={invt or '-'}", "invtNo",
                           f"a cancellation of list {invt or ebc + '|' + cop}, which is not in the ledger: kept, and "
                           "applied when the list arrives", "the CEB603 of the list", WARNING, "WAITING_FOR_LIST"))
    for at, co in claims:
        out.append(Problem(*at, "ReturnClaims", f"coElNo={co}", "coElNo",
                           f"a claim for return {co}, which is not in the ledger: kept, and applied when its CEB213 "
                           "arrives", "the CEB213 of the return", WARNING, "CLAIM_WITHOUT_RETURN"))
    shared: dict = {}
    for no, co in certificates:
        shared.setdefault(no, []).append(co)
    for no, cos in shared.items():
        if len(cos) > 1:
            out.append(Problem("", None, "ReturnClaims", f"certificate={no}", "certificate/@no",
                               f"certificate {no} is presented for {len(cos)} returns: {', '.join(cos[:20])}"
                               + (" ..." if len(cos) > 20 else ""), "one certificate per return", WARNING,
                               "CERTIFICATE_SHARED"))
    return out


def _sources(ledger, kind: str, batch_id: str, keyed: list) -> dict:
    """content hash -> (file name, line) of the records of `kind` this batch stored, given as (record key,
    content hash) (the journal's)."""
    return journalled(ledger, "SELECT j.record_key, j.content_hash, f.file_name, j.line FROM journal j "
                      "JOIN input_files f ON f.batch_id = j.batch_id AND f.sha256 = j.file_sha256 "
                      "WHERE j.kind = ? AND j.batch_id = ?", kind, keyed, (batch_id,))


def _number_lists(ledger, batch_id: str) -> list:
    receipts: dict = {}
    for key, invt_no, time in ledger.query(
            "SELECT l.list_key, r.invt_no, r.return_time FROM export_lists l JOIN list_receipts r "
            "ON r.list_key = l.list_key WHERE l.invt_no IS NULL AND r.invt_no <> ''"):
        receipts.setdefault(key, []).append((time, invt_no))
    wanted = {key: invt_no_from_receipts(pairs) for key, pairs in sorted(receipts.items())}
    bring_back(ledger, invt_nos=list(wanted.values()))  # an archived list holding one of these numbers is taken too
    taken = {i: k for k, i in ledger._lookup("SELECT list_key, invt_no FROM export_lists", "invt_no",
                                             list(wanted.values()))}
    numbered, problems = number(wanted, taken)
    fills = [(invt_no, batch_id, key) for key, invt_no in numbered.items()]
    ledger.executemany("UPDATE export_lists SET invt_no = ?, invt_batch_id = ? WHERE list_key = ?", fills)
    ledger.touch_lists(invt_no for invt_no, _b, _k in fills)
    return problems, list(numbered)


def number(wanted: dict, taken: dict) -> tuple[dict, list]:
    """list_key -> the invtNo its receipts give, for the lists in key order; `taken`: invtNo -> the list that
    holds it. A list whose invtNo another list holds keeps waiting, and says so (INVT_NO_TAKEN)."""
    taken = dict(taken)
    fills, problems = {}, []
    for key, invt_no in wanted.items():
        if invt_no in taken and taken[invt_no] != key:
            problems.append(Problem("", None, "CEB604", f"list={key}", "invtNo",
                                    f"receipt gives invtNo {invt_no}, already held by list {taken[invt_no]}",
                                    "an invtNo not used by another list", WARNING, "INVT_NO_TAKEN"))
            continue
        taken[invt_no] = key
        fills[key] = invt_no
    return fills, problems


def _void_lists(ledger, batch_id: str, numbered: list) -> None:
    """The lists this batch stored, numbered, cancelled or refused, with the facts list_void_reason reads;
    a list with none of them and no reason yet is left as it is. The candidates are found through what is
    small or indexed (this batch's cancellations and refusals, every cancellation and refusal: rare records, the
    lists deleted by appType 3): scanning the lists for those of the batch grew with the ledger."""
    # A CEB605 names its list by invtNo, or, where customs had not numbered the list yet, by ebcCode|copNo (the
    # list stays cancelled when a CEB604 numbers it later).
    # written as IN (...) on the list's indexed key: the lists are reached from the cancellations, never scanned
    by_cancel = ("SELECT l.list_key FROM export_lists l WHERE l.invt_no IN (SELECT c.invt_no FROM list_cancels c "
                 "WHERE c.invt_no <> '' AND {0}) AND {1} UNION SELECT l.list_key FROM export_lists l WHERE l.list_key "
                 "IN (SELECT c.ebc_code || '|' || c.cop_no FROM list_cancels c WHERE c.invt_no = '' AND {0}) AND {1}")
    refused = (f"SELECT r.list_key FROM list_receipts r JOIN export_lists l ON l.list_key = r.list_key "
               f"WHERE r.return_status = '{REFUSED}' AND ")
    candidates = (
        "SELECT list_key FROM export_lists WHERE batch_id = ? AND app_type = '3' UNION "  # deleted (appType 3)
        + by_cancel.format("c.batch_id = ?", "TRUE") + " UNION "  # this batch's cancellations
        + refused + "r.batch_id = ? UNION "  # this batch's refusals
        + by_cancel.format("TRUE", "l.batch_id = ?") + " UNION "  # stored now, cancelled before
        + refused + "l.batch_id = ?")  # stored now, refused before
    keys = [r[0] for r in ledger.query(candidates, (batch_id,) * candidates.count("?"))] + numbered
    rows = ledger._lookup(
        "SELECT list_key, invt_no, app_type, void_reason, "
        " EXISTS (SELECT 1 FROM list_cancels c WHERE c.invt_no = e.invt_no OR (c.invt_no = '' "
        "   AND c.ebc_code || '|' || c.cop_no = e.list_key)), "
        f" EXISTS (SELECT 1 FROM list_receipts r WHERE r.list_key = e.list_key AND r.return_status = '{REFUSED}') "
        "FROM export_lists e WHERE e.list_key <> ''", "e.list_key", keys)  # (its own WHERE: _lookup adds AND)
    changes = [(reason, key, invt_no) for key, invt_no, app_type, held, cancelled, refused in sorted(rows)
               if (reason := list_void_reason(app_type, bool(cancelled), bool(refused))) != held]
    ledger.executemany("UPDATE export_lists SET void_reason = ? WHERE list_key = ?", [c[:2] for c in changes])
    ledger.touch_lists(c[2] for c in changes)


def _withdraw_returns(ledger, batch_id: str) -> None:
    rows = ledger.query(
        "SELECT co_el_no, app_type, withdrawn, "
        f" EXISTS (SELECT 1 FROM return_receipts x WHERE x.co_el_no = return_apps.co_el_no "
        f"   AND x.return_status = '{REFUSED}') "
        "FROM return_apps WHERE co_el_no IN (SELECT co_el_no FROM batch_touched WHERE batch_id = ?)",
        (batch_id,))  # the returns this batch read (CEB213, CEB214, claims): by its key, not a scan of them all
    changes = [(why, co) for co, app_type, held, refused in rows
               if (why := return_withdrawal(app_type, bool(refused))) != held]
    ledger.executemany("UPDATE return_apps SET withdrawn = ? WHERE co_el_no = ?", changes)
