"""The input kinds of CONTRACT.md section 1-2: which root, which record element, which schema, which record.

Each kind names its record element and builds its domain record from the checked fields. The
builders add the code, date and consistency checks of processor/validation.py; any error leaves the
record unbuilt, so it is quarantined whole and never half-stored.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from .. import records as r
from ..fields import record_shape
from ..validation import CHECKS, Checker
from .extract import Node, canonical_of

CEB_NS = "http://www.chinaport.gov.cn/ceb"
CENT = Decimal("0.01")
CLAIM_NS = "urn:cbec-returns:claim:1"


@dataclass(frozen=True)
class MessageKind:
    name: str  # CEB603, CEB604, CEB605, CEB213, CEB214, ReturnClaims
    roots: tuple  # accepted root local names; the first is the official one
    namespace: str
    record_tag: str
    schemas: tuple  # (variant, schema file) in order of preference
    build: Callable  # (node, checker, warnings, variant) -> record
    key: Callable  # (node) -> the record key quarantine rows and messages name, e.g. "copNo=... invtNo=..."
    order: int  # ingestion order within a batch: lists before their receipts, returns before claims
    envelope: bool = True  # CEB messages carry a guid attribute on the root
    transfer: bool = False  # enterprise declarations (not customs' receipts) carry one BaseTransfer


def _head_key(node: Node, head: str | None, fields: tuple) -> str:
    src = node.kids.get(head, [None])[0] if head else node
    if src is None:
        return ""
    return _key_text((f, src.raw.get(f)) for f in fields)


def _key_text(pairs) -> str:
    """A record's key for messages: its present key fields, "copNo=... invtNo=..."."""
    return " ".join(f"{f}={v}" for f, v in pairs if v)


def _opt(node: Node, name: str):
    return node.values.get(name) or None


def _int(value: Decimal) -> int:
    return int(value)


def list_warnings(trade_mode, iac_code, items, line_of) -> list:
    """A list's items against its head: worth a warning, never a lost list (the figures are the sender's).

    items: (gnum, itemRecordNo, qty, price, totalPrice) of each item in order, None where absent;
    line_of(i): the line of item i (from 1), or of the head for 0. Shared by both ways a list is built."""
    warnings = []
    gnums = sorted(int(g) for g, *_ in items if g is not None)
    if gnums != list(range(1, len(gnums) + 1)):
        warnings.append(("InventoryList/gnum", line_of(0), "item numbers are not 1, 2, 3... without gaps"))
    bonded = trade_mode == "1210"
    if bonded and not iac_code:
        warnings.append(("InventoryHead/iacCode", line_of(0), "a 1210 (bonded) list without the zone enterprise "
                                                               "(iacCode, 特殊区域模式必填)"))
    for i, (_gnum, record_no, qty, price, total) in enumerate(items, 1):
        if bonded and not record_no:
            warnings.append((f"InventoryList[{i}]/itemRecordNo", line_of(i), "a 1210 (bonded) item without its "
                                                                              "record number (保税出口模式必填)"))
        if qty is not None and price is not None and total is not None and abs(qty * price - total) > CENT:
            warnings.append((f"InventoryList[{i}]/totalPrice", line_of(i), f"totalPrice {total} is not qty {qty} x "
                                                                            f"price {price}"))
    return warnings


def _list_consistency(head: Node, items: list, warnings: list) -> None:
    h = head.values
    warnings.extend(list_warnings(
        h.get("tradeMode"), h.get("iacCode"),
        [(v.get("gnum"), v.get("itemRecordNo"), v.get("qty"), v.get("price"), v.get("totalPrice"))
         for it in items for v in (it.values,)],
        lambda i: items[i - 1].line if i else head.line))


def build_export_list(node: Node, ck: Checker, warnings: list, variant: str):
    head = node.kids["InventoryHead"][0]
    items = node.kids.get("InventoryList", [])
    checked = ck.fields(head, CHECKS["CEB603", "InventoryHead"], "InventoryHead")
    for i, it in enumerate(items, 1):
        ck.fields(it, CHECKS["CEB603", "InventoryList"], f"InventoryList[{i}]")
    ck.unique_gnums(items, "InventoryList")
    if ck.defects:
        return None
    _list_consistency(head, items, warnings)
    h = head.values
    built = tuple(
        r.ExportItem(gnum=_int(v["gnum"]), item_no=v["itemNo"], item_name=_opt(it, "itemName"), gcode=v["gcode"],
                     gname=v["gname"], gmodel=v["gmodel"], country=v["country"], currency=v["currency"],
                     qty=v["qty"], qty1=v["qty1"], qty2=v.get("qty2"), unit=v["unit"], unit1=v["unit1"],
                     unit2=_opt(it, "unit2"), price=v["price"], total_price=v["totalPrice"])
        for it in items for v in (it.values,))
    return r.ExportList(
        cop_no=h["copNo"], invt_no=_opt(head, "invtNo"), pre_no=_opt(head, "preNo"), app_type=h["appType"],
        app_time=checked["appTime"], app_status=h["appStatus"], customs_code=h["customsCode"],
        port_code=h["portCode"], ebp_code=h["ebpCode"], ebc_code=h["ebcCode"], agent_code=h["agentCode"],
        owner_code=h["ownerCode"], order_no=h["orderNo"], logistics_no=h["logisticsNo"], ie_flag=h["ieFlag"],
        ie_date=checked["ieDate"], trade_mode=h["tradeMode"], statistics_flag=h["statisticsFlag"],
        iac_code=_opt(head, "iacCode"), ems_no=_opt(head, "emsNo"), variant=variant, items=built)


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(w.capitalize() for w in rest)


class MatchedListBuilder:
    """A CEB603 list built straight from the fast path's matches (fastpath.py), as build_export_list builds
    it from nodes: the same record, canonical text, key and warnings, without a dictionary or node per
    item (a night holds millions of items). None when a check fails: the generic path then reports it.
    tests/test_fastpath.py compares the two on every record of the demo night and of a synthetic one.

    The match has settled every code check of CHECKS; the builder checks what a match cannot (the
    calendar of ieDate and appTime, a repeated gnum). The records are built by position, in the order
    of their fields (HEAD, ITEM, checked against records.py when the builder is made): by keyword, a
    named tuple costs about 1.5 us more to build, about 0.2 s for the 100k items and 33k lists of a
    100k night on one core. build_export_list, off the hot path, builds them by keyword."""

    KIND, HEAD_PART, ITEM_PART = "CEB603", "InventoryHead", "InventoryList"
    HEAD = ("copNo", "invtNo", "preNo", "appType", "appTime", "appStatus", "customsCode", "portCode", "ebpCode",
            "ebcCode", "agentCode", "ownerCode", "orderNo", "logisticsNo", "ieFlag", "ieDate", "tradeMode",
            "statisticsFlag", "iacCode", "emsNo")
    ITEM = ("gnum", "itemNo", "itemName", "gcode", "gname", "gmodel", "country", "currency", "qty", "qty1", "qty2",
            "unit", "unit1", "unit2", "price", "totalPrice", "itemRecordNo")

    def __init__(self, head_names, item_names, record_name: str):
        if self.HEAD != tuple(map(_camel, r.ExportList._fields[:-2])) or \
                self.ITEM[:-1] != tuple(map(_camel, r.ExportItem._fields)):
            raise ValueError("MatchedListBuilder.HEAD and ITEM are not in the order of ExportList and ExportItem")
        head_checks, item_checks = CHECKS[self.KIND, self.HEAD_PART], CHECKS[self.KIND, self.ITEM_PART]
        left = list(head_checks.unmatched) + list(item_checks.unmatched)
        if left != ["ieDate", "appTime", "qty", "qty1"]:  # what build() checks after the match
            raise ValueError(f"CHECKS of a list ask for checks the matched builder does not make: {left}")
        self.date_of, self.time_of = head_checks["ieDate"].valid, head_checks["appTime"].valid
        h = {n: i for i, n in enumerate(head_names)}
        t = {n: i for i, n in enumerate(item_names)}
        self.h = [h[n] for n in self.HEAD]
        self.t = [t[n] for n in self.ITEM]
        self.record_name = record_name

    def build(self, head, item, hg: tuple, item_groups: list, variant: str, line_of):
        """(record, key, canonical text, warnings) of one list, or None."""
        (cop, invt, pre, app_type, app_time, app_status, customs, port, ebp, ebc, agent, owner, order, logistics,
         ie_flag, ie_date, trade_mode, statistics, iac, ems) = (hg[i] for i in self.h)
        ie_date = self.date_of(ie_date)
        app_time = self.time_of(app_time)
        if ie_date is None or app_time is None:
            return None
        gi, no, name, gcode, gname, gmodel, country, currency, q, q1, q2, unit, unit1, unit2, price, total, rec_no = \
            self.t
        items = []
        seen = set()
        for g in item_groups:
            gnum = int(g[gi])
            if gnum in seen:
                return None  # a repeated gnum: the generic path names it
            seen.add(gnum)
            qty2 = g[q2]
            qty, qty1 = Decimal(g[q]), Decimal(g[q1])
            if qty <= 0 or qty1 <= 0:
                return None  # a declaration of nothing: the generic path names it (validation.AboveZero)
            items.append(r.ExportItem(gnum, g[no], g[name] or None, g[gcode], g[gname], g[gmodel], g[country],
                                      g[currency], qty, qty1,
                                      None if qty2 is None else Decimal(qty2), g[unit], g[unit1], g[unit2] or None,
                                      Decimal(g[price]), Decimal(g[total])))
        warnings = list_warnings(trade_mode, iac, [(it.gnum, g[rec_no], it.qty, it.price, it.total_price)
                                                   for it, g in zip(items, item_groups)], line_of)
        record = r.ExportList(cop, invt or None, pre or None, app_type, app_time, app_status, customs, port, ebp, ebc,
                              agent, owner, order, logistics, ie_flag, ie_date, trade_mode, statistics, iac or None,
                              ems or None, variant, tuple(items))
        key = _key_text((("copNo", cop), ("invtNo", invt)))
        canonical = canonical_of(self.record_name, [head.canonical(hg)] + [item.canonical(g) for g in item_groups])
        return record, key, canonical, warnings


def build_list_receipt(node: Node, ck: Checker, warnings: list, variant: str):
    ts = ck.fields(node, CHECKS["CEB604", "InventoryReturn"])["returnTime"]
    if ck.defects:
        return None
    v = node.values
    return r.ListReceipt(cop_no=v["copNo"], pre_no=v["preNo"], invt_no=v["invtNo"], agent_code=v["agentCode"],
                         ebc_code=v["ebcCode"], ebp_code=v["ebpCode"], return_status=v["returnStatus"],
                         return_time=ts, return_info=v["returnInfo"])


def build_list_cancel(node: Node, ck: Checker, warnings: list, variant: str):
    ts = ck.fields(node, CHECKS["CEB605", "InvtCancel"])["appTime"]
    if not node.values.get("invtNo") and not (node.values.get("copNo") and node.values.get("ebcCode")):
        # a list customs has not numbered yet is named by its sender's ebcCode and copNo (CONTRACT.md 1)
        ck.fail(node, "invtNo", "", "the list number to cancel is empty, and no ebcCode and copNo name the list",
                "the invtNo of the list to cancel, or its ebcCode and copNo")
    if ck.defects:
        return None
    v = node.values
    return r.ListCancel(cop_no=v["copNo"], invt_no=v["invtNo"], pre_no=_opt(node, "preNo"), app_type=v["appType"],
                        app_time=ts, app_status=v["appStatus"], customs_code=v["customsCode"],
                        agent_code=v["agentCode"], ebc_code=v["ebcCode"], reason=v["reason"])


def build_return(node: Node, ck: Checker, warnings: list, variant: str):
    head = node.kids["InvtRefundHead"][0]
    lines = node.kids.get("InvtRefundList", [])
    p = "InvtRefundHead"
    app_time = ck.fields(head, CHECKS["CEB213", p], p)["appTime"]
    if not head.values.get("coElNo"):
        ck.fail(head, "coElNo", p, "the return number is empty", "the enterprise's return number")
    if not head.values.get("invtNo"):
        ck.fail(head, "invtNo", p, "the original list number is empty", "the invtNo of the original export list")
    for i, ln in enumerate(lines, 1):
        ck.fields(ln, CHECKS["CEB213", "InvtRefundList"], f"InvtRefundList[{i}]")
    ck.unique_gnums(lines, "InvtRefundList")
    if ck.defects:
        return None
    h = head.values
    built = tuple(
        r.ReturnLine(gnum=_int(v["gnum"]), gcode=v["gcode"], gname=v["gname"], gmodel=v["gmodel"], qty=v["qty"],
                     qty1=v["qty1"], unit=v["unit"], unit1=v["unit1"], qty2=v.get("qty2"), unit2=_opt(ln, "unit2"))
        for ln in lines for v in (ln.values,))
    return r.ReturnApplication(
        co_el_no=h["coElNo"], invt_no=h["invtNo"], pre_no=_opt(head, "preNo"), app_type=h["appType"],
        app_time=app_time, app_status=h["appStatus"], customs_code=h["customsCode"], ebp_code=h["ebpCode"],
        ebc_code=h["ebcCode"], agent_code=h["agentCode"], logistics_no=h["logisticsNo"], ie_flag=h["ieFlag"],
        trade_mode=_opt(head, "tradeMode"), reason=h["reason"], lines=built)


def build_return_receipt(node: Node, ck: Checker, warnings: list, variant: str):
    ts = ck.fields(node, CHECKS["CEB214", "RefundReturn"])["returnTime"]
    if not node.values.get("coElNo"):
        ck.fail(node, "coElNo", "", "the return number is empty", "the coElNo of a CEB213 return")
    if ck.defects:
        return None
    v = node.values
    return r.ReturnReceipt(co_el_no=v["coElNo"], invt_no=v["invtNo"], pre_no=_opt(node, "preNo"),
                           agent_code=v["agentCode"], ebp_code=_opt(node, "ebpCode"), ebc_code=_opt(node, "ebcCode"),
                           return_status=v["returnStatus"], return_time=ts, return_info=v["returnInfo"])


def build_claim(node: Node, ck: Checker, warnings: list, variant: str):
    checked = ck.fields(node, CHECKS["ReturnClaims", "Claim"])
    return_date, zone_exit = checked["returnDate"], checked["zoneExitDate"]
    items = node.kids.get("Item", [])
    ck.unique_gnums(items, "Item")
    cert = node.kids.get("certificate", [None])[0]
    if ck.defects:
        return None
    v = node.values
    built = tuple(
        r.ClaimItem(gnum=_int(w["gnum"]), accessories_added=w.get("accessoriesAdded", False),
                    processed=w.get("processed", False), used=w.get("used", False),
                    trial_use_evidence=w.get("trialUseEvidence", False),
                    export_duty_paid=w.get("exportDutyPaid", Decimal("0")),
                    refunded_vat=w.get("refundedVat", Decimal("0")), refunded_ct=w.get("refundedCt", Decimal("0")),
                    customs_value=w.get("customsValue"))
        for it in items for w in (it.values,))
    return r.Claim(
        co_el_no=v["coElNo"], invt_no=v["invtNo"], return_date=return_date, reason_code=v["reasonCode"],
        self_declaration_no=_opt(node, "selfDeclarationNo"), return_record_no=_opt(node, "returnRecordNo"),
        return_agreement_no=_opt(node, "returnAgreementNo"),
        certificate_type=cert.values.get("@type") if cert else None,
        certificate_no=cert.values.get("@no") if cert else None, zone_exit_date=zone_exit, items=built)


KINDS = (
    MessageKind("CEB603", ("CEB603Message",), CEB_NS, "Inventory",
                (("202205", "ceb603-202205.xsd"), ("2018", "ceb603-2018.xsd")), build_export_list,
                lambda n: _head_key(n, "InventoryHead", ("copNo", "invtNo")), 0, transfer=True),
    MessageKind("CEB604", ("CEB604Message",), CEB_NS, "InventoryReturn", (("202205", "ceb604.xsd"),),
                build_list_receipt, lambda n: _head_key(n, None, ("copNo", "invtNo")), 1),
    MessageKind("CEB605", ("CEB605Message",), CEB_NS, "InvtCancel", (("202205", "ceb605.xsd"),),
                build_list_cancel, lambda n: _head_key(n, None, ("copNo", "invtNo")), 2, transfer=True),
    MessageKind("CEB213", ("CEB213Message",), CEB_NS, "InvtRefund", (("202205", "ceb213.xsd"),),
                build_return, lambda n: _head_key(n, "InvtRefundHead", ("coElNo", "invtNo")), 3, transfer=True),
    MessageKind("CEB214", ("CEB214Message", "CEB214"), CEB_NS, "RefundReturn", (("202205", "ceb214.xsd"),),
                build_return_receipt, lambda n: _head_key(n, None, ("coElNo", "invtNo")), 4),
    MessageKind("ReturnClaims", ("ReturnClaims",), CLAIM_NS, "Claim", (("1", "return-claims.xsd"),),
                build_claim, lambda n: _head_key(n, None, ("coElNo", "invtNo")), 5, envelope=False),
)
BY_ROOT = {root: kind for kind in KINDS for root in kind.roots}
BY_NAME = {kind.name: kind for kind in KINDS}


def shapes(kind: MessageKind):
    """[(variant, RecordShape)] for the record element, compiled once per process."""
    return [(variant, record_shape(schema, kind.record_tag)) for variant, schema in kind.schemas]


# CEB messages that exist but are not inputs of this processor, with what they are, for clear messages.
NOT_INPUTS = {
    "CEB607Message": "an export manifest (清单总分单)",
    "CEB215Message": "an export-return tally (出口退运理货明细单)",
    "CEB216Message": "a receipt of the export-return tally",
    "CEB792Message": "a summary result (汇总结果单)",
}
