"""A small, independent XML writer for the casebook's input records.

Written from the official GACC 202205 export field tables (shared/ceb/xsd/export-202205.xsd, element order and
lengths as published) and from CONTRACT.md section 2 for the claim format.  It does not use anything from the
processor package.

Every required CEB field is written, in the official sequence, with a valid value:
  * message root attributes guid (36 chars, upper case) and version "1.0";
  * ieFlag E on CEB603, I on CEB213; 14-digit appTime YYYYMMDDhhmmss; 17-digit returnTime;
  * 3-digit country / currency / unit codes, 4-digit customs and port codes, 10-digit gcode;
  * the BaseTransfer envelope (once) on CEB603, CEB605 and CEB213 (CEB604 and CEB214 have none in the XSD).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Optional, Sequence
from xml.sax.saxutils import escape

CEB_NS = "http://www.chinaport.gov.cn/ceb"
CLAIM_NS = "urn:cbec-returns:claim:1"

# Parties used unless a case says otherwise (10-character customs registration codes).
EBP_CODE = "3301960EBP"
EBP_NAME = "跨境测试平台有限公司"
EBC_CODE = "3302960EBC"
EBC_NAME = "杭州测试电商有限公司"
AGENT_CODE = "3303960AGT"
AGENT_NAME = "杭州测试报关有限公司"
LOGI_CODE = "3304960LOG"
LOGI_NAME = "杭州测试物流有限公司"


def guid(*parts: str) -> str:
    """Deterministic 36-character upper-case guid."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "casebook:" + ":".join(parts))).upper()


def _ymd(iso: str) -> str:
    return iso.replace("-", "")


def _dec(v) -> str:
    d = Decimal(str(v))
    s = format(d, "f")
    return s


# --------------------------------------------------------------------------- records

@dataclass
class ExportItem:
    gnum: int
    gcode: str
    qty: str
    price: str
    currency: str = "502"
    qty1: Optional[str] = None          # default: same as qty
    unit: str = "001"
    unit1: str = "001"
    gname: str = "笔记本电脑"
    gmodel: str = "14英寸/8GB"

    @property
    def q1(self) -> str:
        return self.qty1 if self.qty1 is not None else self.qty


@dataclass
class ExportList:
    """One CEB603 Inventory (head + items)."""
    cop_no: str
    invt_no: Optional[str]              # None: sent without invtNo (a CEB604 fills it in)
    ie_date: str                        # ISO date
    trade_mode: str
    items: Sequence[ExportItem]
    ebc_code: str = EBC_CODE
    ebp_code: str = EBP_CODE
    variant: str = "202205"             # "2018": lengths only the 2018 table allows (logisticsNo 40, totalPackageNo 50)
    app_type: str = "1"                 # "2": a change (变更) of a list sent before, replacing it
    app_time: Optional[str] = None      # 14 digits; default: the ieDate at 09:00:00


@dataclass
class ListReceipt:
    """One CEB604 InventoryReturn."""
    cop_no: str
    invt_no: str
    status: str
    ebc_code: str = EBC_CODE
    ebp_code: str = EBP_CODE
    time: str = "20250101120000000"


@dataclass
class ListCancel:
    """One CEB605 InvtCancel."""
    cop_no: str
    invt_no: str
    app_time: str = "20250101120000"
    ebc_code: str = EBC_CODE


@dataclass
class ReturnLine:
    gnum: int
    gcode: str
    qty: str
    qty1: Optional[str] = None
    unit: str = "001"
    unit1: str = "001"
    gname: str = "笔记本电脑"
    gmodel: str = "14英寸/8GB"

    @property
    def q1(self) -> str:
        return self.qty1 if self.qty1 is not None else self.qty


@dataclass
class ReturnApp:
    """One CEB213 InvtRefund (head + lines)."""
    co_el_no: str
    invt_no: str
    app_time: str                       # 14 digits YYYYMMDDhhmmss
    lines: Sequence[ReturnLine]
    app_type: str = "1"
    ebc_code: str = EBC_CODE
    ebp_code: str = EBP_CODE


@dataclass
class ReturnReceipt:
    """One CEB214 RefundReturn."""
    co_el_no: str
    invt_no: str
    status: str
    time: str = "20250101120000000"


@dataclass
class ClaimItem:
    gnum: int
    accessories_added: Optional[object] = None   # bool, or a raw lexical value such as "1"
    processed: Optional[object] = None
    used: Optional[object] = None
    trial_use_evidence: Optional[object] = None
    export_duty_paid: Optional[str] = None
    refunded_vat: Optional[str] = None
    refunded_ct: Optional[str] = None
    customs_value: Optional[str] = None


@dataclass
class Claim:
    co_el_no: str
    invt_no: str
    return_date: str                    # ISO date
    reason_code: str = "UNSOLD"
    self_declaration_no: Optional[str] = "AUTO"   # "AUTO": a number is made up; None: element left out
    return_record_no: Optional[str] = None
    return_agreement_no: Optional[str] = None
    certificate: Optional[tuple] = ("NOT_REFUNDED", "AUTO")  # (type, no) or None
    zone_exit_date: Optional[str] = None
    items: Sequence[ClaimItem] = field(default_factory=list)


# --------------------------------------------------------------------------- serialisers

def _el(name: str, value, prefix: str = "ceb:") -> str:
    return f"<{prefix}{name}>{escape(str(value))}</{prefix}{name}>"


def _base_transfer(p: str) -> str:
    return (f"<{p}BaseTransfer>" + _el("copCode", AGENT_CODE, p) + _el("copName", AGENT_NAME, p)
            + _el("dxpMode", "DXP", p) + _el("dxpId", "DXPENT0000012345", p) + f"</{p}BaseTransfer>")


def _root(name: str, body: str, seed: str, default_ns: bool = False, bom: bool = False) -> bytes:
    p = "" if default_ns else "ceb:"
    nsdecl = f'xmlns="{CEB_NS}"' if default_ns else f'xmlns:ceb="{CEB_NS}"'
    text = (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<{p}{name} guid="{guid(name, seed)}" version="1.0" {nsdecl}>\n{body}\n</{p}{name}>\n')
    data = text.encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def ceb603(lists: Sequence[ExportList], seed: str, default_ns: bool = False, bom: bool = False) -> bytes:
    assert 1 <= len(lists) <= 100
    p = "" if default_ns else "ceb:"
    e = lambda n, v: _el(n, v, p)  # noqa: E731
    out = []
    for lst in lists:
        assert 1 <= len(lst.items) <= 100
        ie = _ymd(lst.ie_date)
        app_time = lst.app_time or ie + "090000"
        assert len(app_time) == 14 and app_time.isdigit()
        g = guid("603", lst.cop_no) if (lst.app_type, lst.app_time) == ("1", None) else \
            guid("603", lst.cop_no, lst.app_type, app_time)
        head = [
            e("guid", g), e("appType", lst.app_type), e("appTime", app_time),
            e("appStatus", "2"), e("customsCode", "2992"),
            e("ebpCode", lst.ebp_code), e("ebpName", EBP_NAME),
            e("orderNo", "ORD-" + lst.cop_no), e("logisticsCode", LOGI_CODE), e("logisticsName", LOGI_NAME),
            e("logisticsNo", ("LN" + lst.cop_no[-20:]) if lst.variant != "2018" else ("LN" + lst.cop_no).ljust(40, "0")),
            e("copNo", lst.cop_no),
        ]
        if lst.invt_no is not None:
            head.append(e("invtNo", lst.invt_no))
        head += [
            e("ieFlag", "E"), e("portCode", "2992"), e("ieDate", ie), e("statisticsFlag", "A"),
            e("agentCode", AGENT_CODE), e("agentName", AGENT_NAME),
            e("ebcCode", lst.ebc_code), e("ebcName", EBC_NAME),
            e("ownerCode", lst.ebc_code), e("ownerName", EBC_NAME),
            e("tradeMode", lst.trade_mode), e("trafMode", "5"), e("trafName", "飞机"),
            e("voyageNo", "CA0987"), e("billNo", "999-12345678"),
        ]
        if lst.variant == "2018":
            head.append(e("totalPackageNo", ("TP" + lst.cop_no).ljust(50, "0")))
        head += [
            e("country", "502"), e("POD", "502"),
            e("freight", "0"), e("fCurrency", "142"), e("fFlag", "3"),
            e("insuredFee", "0"), e("iCurrency", "142"), e("iFlag", "3"),
            e("wrapType", "2"), e("packNo", "1"), e("grossWeight", "2.5"), e("netWeight", "2"),
        ]
        items = []
        for it in lst.items:
            total = Decimal(it.qty) * Decimal(it.price)
            items.append(
                f"<{p}InventoryList>" + "".join([
                    e("gnum", it.gnum), e("itemNo", f"SKU-{it.gnum:04d}"),
                    e("itemName", it.gname),
                    e("gcode", it.gcode), e("gname", it.gname), e("gmodel", it.gmodel),
                    e("barCode", "6900000000000"), e("country", "502"), e("currency", it.currency),
                    e("qty", it.qty), e("qty1", it.q1),
                    e("unit", it.unit), e("unit1", it.unit1),
                    e("price", it.price), e("totalPrice", _dec(total)),
                ]) + f"</{p}InventoryList>")
        out.append(f"<{p}Inventory><{p}InventoryHead>" + "".join(head) + f"</{p}InventoryHead>"
                   + "".join(items) + f"</{p}Inventory>")
    body = "\n".join(out) + "\n" + _base_transfer(p)
    return _root("CEB603Message", body, seed, default_ns, bom)


def ceb604(receipts: Sequence[ListReceipt], seed: str, default_ns: bool = False, bom: bool = False) -> bytes:
    p = "" if default_ns else "ceb:"
    e = lambda n, v: _el(n, v, p)  # noqa: E731
    out = []
    for i, r in enumerate(receipts):
        out.append(f"<{p}InventoryReturn>" + "".join([
            e("guid", guid("604", r.cop_no, r.status)), e("agentCode", AGENT_CODE), e("copNo", r.cop_no),
            e("preNo", "E" + f"{uuid.uuid5(uuid.NAMESPACE_URL, r.cop_no).int % 10**17:017d}"),
            e("invtNo", r.invt_no), e("ebcCode", r.ebc_code), e("ebpCode", r.ebp_code),
            e("orderNo", "ORD-" + r.cop_no), e("statisticsFlag", "A"),
            e("returnStatus", r.status), e("returnTime", r.time),
            e("returnInfo", "海关退单" if r.status == "100" else "放行"),
        ]) + f"</{p}InventoryReturn>")
    return _root("CEB604Message", "\n".join(out), seed, default_ns, bom)


def ceb605(cancels: Sequence[ListCancel], seed: str, default_ns: bool = False, bom: bool = False) -> bytes:
    p = "" if default_ns else "ceb:"
    e = lambda n, v: _el(n, v, p)  # noqa: E731
    out = []
    for c in cancels:
        out.append(f"<{p}InvtCancel>" + "".join([
            e("guid", guid("605", c.cop_no)), e("appType", "1"), e("appTime", c.app_time), e("appStatus", "2"),
            e("customsCode", "2992"), e("copNo", c.cop_no), e("invtNo", c.invt_no), e("reason", "订单取消"),
            e("agentCode", AGENT_CODE), e("agentName", AGENT_NAME),
            e("ebcCode", c.ebc_code), e("ebcName", EBC_NAME),
        ]) + f"</{p}InvtCancel>")
    body = "\n".join(out) + "\n" + _base_transfer(p)
    return _root("CEB605Message", body, seed, default_ns, bom)


def ceb213(returns: Sequence[ReturnApp], seed: str, default_ns: bool = False, bom: bool = False) -> bytes:
    assert 1 <= len(returns) <= 100
    p = "" if default_ns else "ceb:"
    e = lambda n, v: _el(n, v, p)  # noqa: E731
    out = []
    for r in returns:
        assert len(r.app_time) == 14 and r.app_time.isdigit()
        head = [
            e("guid", guid("213", r.co_el_no, r.app_type, r.app_time)), e("appType", r.app_type),
            e("appTime", r.app_time), e("appStatus", "2"), e("customsCode", "2992"),
            e("ebpCode", r.ebp_code), e("ebpName", EBP_NAME), e("ebcCode", r.ebc_code), e("ebcName", EBC_NAME),
            e("logisticsNo", "RL" + r.co_el_no), e("logisticsCode", LOGI_CODE), e("logisticsName", LOGI_NAME),
            e("coElNo", r.co_el_no), e("invtNo", r.invt_no),
            e("agentCode", AGENT_CODE), e("agentName", AGENT_NAME), e("billNo", "999-87654321"),
            e("ieFlag", "I"), e("trafMode", "5"), e("trafName", "飞机"), e("portCode", "2992"),
            e("reason", "退货"), e("country", "502"), e("voyageNo", "CA0988"),
        ]
        lines = []
        for ln in r.lines:
            lines.append(f"<{p}InvtRefundList>" + "".join([
                e("gnum", ln.gnum), e("gcode", ln.gcode), e("gname", ln.gname), e("gmodel", ln.gmodel),
                e("qty", ln.qty), e("qty1", ln.q1), e("unit", ln.unit), e("unit1", ln.unit1),
            ]) + f"</{p}InvtRefundList>")
        out.append(f"<{p}InvtRefund><{p}InvtRefundHead>" + "".join(head) + f"</{p}InvtRefundHead>"
                   + "".join(lines) + f"</{p}InvtRefund>")
    body = "\n".join(out) + "\n" + _base_transfer(p)
    return _root("CEB213Message", body, seed, default_ns, bom)


def ceb214(receipts: Sequence[ReturnReceipt], seed: str, default_ns: bool = False, bom: bool = False,
           root: str = "CEB214Message") -> bytes:
    p = "" if default_ns else "ceb:"
    e = lambda n, v: _el(n, v, p)  # noqa: E731
    out = []
    for r in receipts:
        out.append(f"<{p}RefundReturn>" + "".join([
            e("guid", guid("214", r.co_el_no, r.status)), e("ebpCode", EBP_CODE), e("ebcCode", EBC_CODE),
            e("agentCode", AGENT_CODE), e("coElNo", r.co_el_no), e("invtNo", r.invt_no),
            e("returnStatus", r.status), e("returnTime", r.time),
            e("returnInfo", "海关退单" if r.status == "100" else "海关入库"),
        ]) + f"</{p}RefundReturn>")
    return _root(root, "\n".join(out), seed, default_ns, bom)


def claims(cls: Sequence[Claim], bom: bool = False) -> bytes:
    def c(n, v):
        return _el(n, v, "")

    def b(v) -> str:
        if isinstance(v, str):
            return v
        return "true" if v else "false"

    out = []
    for cl in cls:
        parts = [c("coElNo", cl.co_el_no), c("invtNo", cl.invt_no), c("returnDate", _ymd(cl.return_date)),
                 c("reasonCode", cl.reason_code)]
        if cl.self_declaration_no is not None:
            sd = "SD-" + cl.co_el_no if cl.self_declaration_no == "AUTO" else cl.self_declaration_no
            parts.append(c("selfDeclarationNo", sd))
        if cl.return_record_no is not None:
            parts.append(c("returnRecordNo", cl.return_record_no))
        if cl.return_agreement_no is not None:
            parts.append(c("returnAgreementNo", cl.return_agreement_no))
        if cl.certificate is not None:
            ctype, cno = cl.certificate
            if cno == "AUTO":
                cno = "3301" + _ymd(cl.return_date) + "0001"
            parts.append(f'<certificate type="{ctype}" no="{escape(cno)}"/>')
        if cl.zone_exit_date is not None:
            parts.append(c("zoneExitDate", _ymd(cl.zone_exit_date)))
        assert cl.items, cl.co_el_no
        for it in cl.items:
            ip = [c("gnum", it.gnum)]
            for name, val in (("accessoriesAdded", it.accessories_added), ("processed", it.processed),
                              ("used", it.used), ("trialUseEvidence", it.trial_use_evidence)):
                if val is not None:
                    ip.append(c(name, b(val)))
            for name, val in (("exportDutyPaid", it.export_duty_paid), ("refundedVat", it.refunded_vat),
                              ("refundedCt", it.refunded_ct), ("customsValue", it.customs_value)):
                if val is not None:
                    ip.append(c(name, val))
            parts.append("<Item>" + "".join(ip) + "</Item>")
        out.append("<Claim>" + "".join(parts) + "</Claim>")
    text = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ReturnClaims xmlns="{CLAIM_NS}">\n'
            + "\n".join(out) + "\n</ReturnClaims>\n")
    data = text.encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def chunks(seq: Sequence, n: int = 100) -> Iterable[Sequence]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]
