"""Deterministic synthetic nights: the demo fixtures, benchmark inputs and test data.

`demo_night` writes fixtures/demo/: a few hundred export items over several lists and supervision
codes, return applications with their claims chosen to show every kind of decision, one CEB604 and one
CEB605, and a couple of defective records. `synth_night` writes nights of any size for `make bench`,
streaming, so a 10M-item night never sits in memory. The same seed always gives the same bytes.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

CEB_NS = "http://www.chinaport.gov.cn/ceb"
CLAIM_NS = "urn:cbec-returns:claim:1"
ELIGIBLE = ("9610", "1210", "9710", "9810")


@dataclass(frozen=True)
class Goods:
    gcode: str
    gname: str
    gmodel: str
    unit: str
    unit1: str
    currency: str
    price: Decimal
    legal_per_unit: Decimal  # qty1 per declared unit (e.g. kg per piece)


CATALOGUE = (
    Goods("8517130000", "智能手机", "128GB 黑色", "011", "011", "502", Decimal("180.00"), Decimal("1")),
    Goods("8471300000", "笔记本电脑", "14英寸 16GB", "011", "011", "502", Decimal("420.00"), Decimal("1")),
    Goods("8518300000", "蓝牙耳机", "无线 降噪", "011", "011", "502", Decimal("25.50"), Decimal("1")),
    Goods("8516310000", "电吹风", "1800W", "011", "011", "300", Decimal("32.00"), Decimal("1")),
    Goods("6110200000", "棉制套头衫", "M码 全棉", "011", "011", "502", Decimal("12.80"), Decimal("1")),
    Goods("6403990000", "皮鞋", "42码 牛皮", "025", "025", "303", Decimal("48.00"), Decimal("1")),
    Goods("4202210000", "皮革手提包", "中号 牛皮", "011", "011", "300", Decimal("66.00"), Decimal("1")),
    Goods("3304990000", "护肤霜", "50ml 保湿", "011", "035", "502", Decimal("15.00"), Decimal("0.06")),
    Goods("9102110000", "机械手表", "自动上链 40mm", "011", "011", "116", Decimal("26000"), Decimal("1")),
    Goods("9503008900", "拼装玩具", "塑料 500片", "011", "011", "110", Decimal("95.00"), Decimal("1")),
    Goods("3926909090", "骑行面罩", "无牌 均码 塑料", "011", "035", "502", Decimal("3.20"), Decimal("0.0475")),
    Goods("0901210000", "焙炒咖啡豆", "500g 袋装", "011", "035", "502", Decimal("9.90"), Decimal("0.5")),
    Goods("2204210000", "葡萄酒", "750ml 红葡萄酒", "095", "095", "300", Decimal("21.00"), Decimal("0.75")),
)
FOOD = {"0901210000", "2204210000"}

PARTIES = (("3301960001", "杭州跨境优品电子商务有限公司", "3301980888", "浙江跨境电商平台有限公司"),
           ("4403960002", "深圳出海科技有限公司", "4403980777", "深圳环球购平台有限公司"),
           ("3502960003", "厦门海丝贸易有限公司", "3301980888", "浙江跨境电商平台有限公司"))
AGENT = ("3301980123", "杭州通关报关有限公司")
LOGISTICS = ("3301980456", "中通国际物流有限公司")


@dataclass
class Item:
    gnum: int
    goods: Goods
    qty: Decimal

    @property
    def qty1(self) -> Decimal:
        return plain(self.qty * self.goods.legal_per_unit)

    @property
    def total(self) -> Decimal:
        return self.qty * self.goods.price


@dataclass
class ExportListSpec:
    cop_no: str
    invt_no: str | None
    ie_date: date
    trade_mode: str
    party: tuple
    items: list
    customs: str = "3301"
    app_time: datetime | None = None
    ie_flag: str = "E"
    variant: str = "202205"

    @property
    def ebc_code(self) -> str:
        return self.party[0]

    @property
    def ebp_code(self) -> str:
        return self.party[2]


@dataclass
class ReturnSpec:
    co_el_no: str
    export: ExportListSpec
    lines: list  # (gnum, qty) or (gnum, qty, overrides dict)
    app_time: datetime
    app_type: str = "1"
    party: tuple | None = None


@dataclass
class ClaimSpec:
    co_el_no: str
    invt_no: str
    return_date: str
    reason: str
    items: list  # dicts: gnum and optional flags/amounts
    self_declaration: str | None = None
    return_record: str | None = None
    return_agreement: str | None = None
    certificate: tuple | None = None  # (type, no)
    zone_exit_date: str | None = None
    raw_return_date: str | None = None  # to write a deliberately broken date


def plain(value: Decimal) -> str:
    """A decimal as plain digits without trailing zeros (never 2E+1)."""
    text = format(value.normalize(), "f")
    return text


def _t(tag: str, value) -> str:
    return f"<ceb:{tag}>{escape(str(value))}</ceb:{tag}>" if value is not None else ""


def _guid(rng: random.Random) -> str:
    h = "%032X" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def invt_no(customs: str, year: int, serial: int) -> str:
    """4-digit customs + 4-digit year + E + 9-digit serial: 18 characters, as customs assigns them."""
    return f"{customs}{year}E{serial:09d}"


def inventory_xml(spec: ExportListSpec, rng: random.Random) -> str:
    ebc_code, ebc_name, ebp_code, ebp_name = spec.party
    app_time = spec.app_time or datetime.combine(spec.ie_date, datetime.min.time()) - timedelta(hours=6)
    head = "".join((
        _t("guid", _guid(rng)), _t("appType", "1"), _t("appTime", app_time.strftime("%Y%m%d%H%M%S")),
        _t("appStatus", "2"), _t("customsCode", spec.customs), _t("ebpCode", ebp_code), _t("ebpName", ebp_name),
        _t("orderNo", f"ORD{spec.cop_no}"), _t("logisticsCode", LOGISTICS[0]), _t("logisticsName", LOGISTICS[1]),
        _t("logisticsNo", f"LN{spec.cop_no[-12:]}"), _t("copNo", spec.cop_no),
        _t("invtNo", spec.invt_no) if spec.invt_no else "", _t("ieFlag", spec.ie_flag),
        _t("portCode", spec.customs), _t("ieDate", spec.ie_date.strftime("%Y%m%d")), _t("statisticsFlag", "A"),
        _t("agentCode", AGENT[0]), _t("agentName", AGENT[1]), _t("ebcCode", ebc_code), _t("ebcName", ebc_name),
        _t("ownerCode", ebc_code), _t("ownerName", ebc_name),
        (_t("iacCode", "3301660001") + _t("iacName", "综保区仓储有限公司")) if spec.trade_mode == "1210" else "",
        _t("tradeMode", spec.trade_mode), _t("trafMode", "5"), _t("trafName", "飞机"), _t("voyageNo", "CA937"),
        _t("billNo", f"999-{spec.cop_no[-8:]}"), _t("country", "502"), _t("POD", "USA"), _t("freight", "0"),
        _t("fCurrency", "142"), _t("fFlag", "3"), _t("insuredFee", "0"), _t("iCurrency", "142"), _t("iFlag", "3"),
        _t("wrapType", "2"), _t("packNo", len(spec.items)), _t("grossWeight", "1.5"), _t("netWeight", "1.2"),
    ))
    items = []
    for it in spec.items:
        g = it.goods
        items.append("<ceb:InventoryList>" + "".join((
            _t("gnum", it.gnum), _t("itemNo", f"SKU-{g.gcode[:6]}-{it.gnum}"),
            _t("itemRecordNo", f"REC{g.gcode[:8]}") if spec.trade_mode == "1210" else "",
            _t("itemName", g.gname), _t("gcode", g.gcode), _t("gname", g.gname), _t("gmodel", g.gmodel),
            _t("barCode", "无"), _t("country", "502"), _t("currency", g.currency), _t("qty", it.qty),
            _t("qty1", it.qty1), _t("unit", g.unit), _t("unit1", g.unit1), _t("price", g.price),
            _t("totalPrice", it.total))) + "</ceb:InventoryList>")
    return f"<ceb:Inventory><ceb:InventoryHead>{head}</ceb:InventoryHead>{''.join(items)}</ceb:Inventory>\n"


def _envelope(root: str, body_parts, rng: random.Random, transfer: bool = True) -> str:
    transfer_xml = ("<ceb:BaseTransfer><ceb:copCode>%s</ceb:copCode><ceb:copName>%s</ceb:copName>"
                    "<ceb:dxpMode>DXP</ceb:dxpMode><ceb:dxpId>DXPENT0000012345</ceb:dxpId></ceb:BaseTransfer>\n"
                    % (AGENT[0], AGENT[1])) if transfer else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<ceb:{root} guid="{_guid(rng)}" version="1.0" '
            f'xmlns:ceb="{CEB_NS}">\n' + "".join(body_parts) + transfer_xml + f"</ceb:{root}>\n")


def write_ceb603(path: Path, lists, rng: random.Random) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<ceb:CEB603Message guid="{_guid(rng)}" version="1.0" '
                 f'xmlns:ceb="{CEB_NS}">\n')
        for spec in lists:
            fh.write(inventory_xml(spec, rng))
        fh.write("<ceb:BaseTransfer><ceb:copCode>%s</ceb:copCode><ceb:copName>%s</ceb:copName><ceb:dxpMode>DXP"
                 "</ceb:dxpMode><ceb:dxpId>DXPENT0000012345</ceb:dxpId></ceb:BaseTransfer>\n"
                 "</ceb:CEB603Message>\n" % AGENT)


def write_ceb604(path: Path, receipts, rng: random.Random) -> None:
    """receipts: (ExportListSpec, invt_no, status, when, info)."""
    parts = []
    for spec, invt, status, when, info in receipts:
        parts.append("<ceb:InventoryReturn>" + "".join((
            _t("guid", _guid(rng)), _t("agentCode", AGENT[0]), _t("copNo", spec.cop_no),
            _t("preNo", f"P{spec.cop_no[-17:]:0>17}"), _t("invtNo", invt), _t("ebcCode", spec.ebc_code),
            _t("ebpCode", spec.ebp_code), _t("orderNo", f"ORD{spec.cop_no}"), _t("statisticsFlag", "A"),
            _t("returnStatus", status), _t("returnTime", when.strftime("%Y%m%d%H%M%S") + "000"),
            _t("returnInfo", info))) + "</ceb:InventoryReturn>\n")
    path.write_text(_envelope("CEB604Message", parts, rng, transfer=False), encoding="utf-8")


def write_ceb605(path: Path, cancels, rng: random.Random) -> None:
    """cancels: (ExportListSpec, when, reason)."""
    parts = []
    for spec, when, reason in cancels:
        parts.append("<ceb:InvtCancel>" + "".join((
            _t("guid", _guid(rng)), _t("appType", "1"), _t("appTime", when.strftime("%Y%m%d%H%M%S")),
            _t("appStatus", "2"), _t("customsCode", spec.customs), _t("copNo", spec.cop_no),
            _t("invtNo", spec.invt_no), _t("reason", reason), _t("agentCode", AGENT[0]), _t("agentName", AGENT[1]),
            _t("ebcCode", spec.ebc_code), _t("ebcName", spec.party[1]))) + "</ceb:InvtCancel>\n")
    path.write_text(_envelope("CEB605Message", parts, rng), encoding="utf-8")


def refund_xml(ret: ReturnSpec, rng: random.Random) -> str:
    party = ret.party or ret.export.party
    head = "".join((
        _t("guid", _guid(rng)), _t("appType", ret.app_type), _t("appTime", ret.app_time.strftime("%Y%m%d%H%M%S")),
        _t("appStatus", "2"), _t("customsCode", ret.export.customs), _t("ebpCode", party[2]),
        _t("ebpName", party[3]), _t("ebcCode", party[0]), _t("ebcName", party[1]),
        _t("logisticsNo", f"RL{ret.co_el_no[-10:]}"), _t("logisticsCode", LOGISTICS[0]),
        _t("logisticsName", LOGISTICS[1]), _t("coElNo", ret.co_el_no), _t("invtNo", ret.export.invt_no),
        _t("agentCode", AGENT[0]), _t("agentName", AGENT[1]), _t("billNo", f"RB{ret.co_el_no[-10:]}"),
        _t("ieFlag", "I"), _t("trafMode", "5"), _t("trafName", "飞机"), _t("portCode", ret.export.customs),
        _t("reason", "买家退货"), _t("country", "502"), _t("voyageNo", "CA938")))
    by_gnum = {it.gnum: it for it in ret.export.items}
    lines = []
    for entry in ret.lines:
        gnum, qty = entry[0], Decimal(entry[1])
        over = entry[2] if len(entry) > 2 else {}
        it = by_gnum[gnum]
        g = it.goods
        lines.append("<ceb:InvtRefundList>" + "".join((
            _t("gnum", gnum), _t("gcode", over.get("gcode", g.gcode)), _t("gname", g.gname), _t("gmodel", g.gmodel),
            _t("qty", qty), _t("qty1", plain(qty * g.legal_per_unit)), _t("unit", over.get("unit", g.unit)),
            _t("unit1", g.unit1))) + "</ceb:InvtRefundList>")
    return f"<ceb:InvtRefund><ceb:InvtRefundHead>{head}</ceb:InvtRefundHead>{''.join(lines)}</ceb:InvtRefund>\n"


def write_ceb213(path: Path, returns, rng: random.Random) -> None:
    path.write_text(_envelope("CEB213Message", [refund_xml(r, rng) for r in returns], rng), encoding="utf-8")


def ceb214_text(receipts, rng: random.Random) -> str:
    """A CEB214 message of receipts for return applications: (coElNo, invtNo, returnStatus)."""
    parts = ["<ceb:RefundReturn>" + "".join((
        _t("guid", _guid(rng)), _t("ebpCode", PARTIES[0][2]), _t("ebcCode", PARTIES[0][0]), _t("agentCode", AGENT[0]),
        _t("coElNo", co), _t("invtNo", invt), _t("returnStatus", status), _t("returnTime", "20261123093000123"),
        _t("returnInfo", "退单" if status == "100" else "审核通过"))) + "</ceb:RefundReturn>\n"
        for co, invt, status in receipts]
    return _envelope("CEB214Message", parts, rng, transfer=False)


def claim_xml(c: ClaimSpec) -> str:
    def t(tag, value):
        return f"<{tag}>{escape(str(value))}</{tag}>" if value is not None else ""
    items = []
    for it in c.items:
        inner = t("gnum", it["gnum"]) + "".join(
            t(k, str(it[k]).lower() if isinstance(it[k], bool) else it[k])
            for k in ("accessoriesAdded", "processed", "used", "trialUseEvidence", "exportDutyPaid", "refundedVat",
                      "refundedCt", "customsValue") if k in it)
        items.append(f"    <Item>{inner}</Item>\n")
    cert = f'<certificate type="{c.certificate[0]}" no="{c.certificate[1]}"/>' if c.certificate else ""
    return ("  <Claim>\n    " + t("coElNo", c.co_el_no) + t("invtNo", c.invt_no)
            + t("returnDate", c.raw_return_date or c.return_date) + t("reasonCode", c.reason)
            + t("selfDeclarationNo", c.self_declaration) + t("returnRecordNo", c.return_record)
            + t("returnAgreementNo", c.return_agreement) + cert + t("zoneExitDate", c.zone_exit_date) + "\n"
            + "".join(items) + "  </Claim>\n")


def write_claims(path: Path, claims) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<ReturnClaims xmlns="{CLAIM_NS}">\n')
        for c in claims:
            fh.write(claim_xml(c))
        fh.write("</ReturnClaims>\n")


# -- the demo night ---------------------------------------------------------------------------------------
def _random_list(rng: random.Random, serial: int, ie_date: date, trade_mode: str, with_invt: bool,
                 catalogue=CATALOGUE) -> ExportListSpec:
    party = PARTIES[serial % len(PARTIES)]
    n = rng.randint(1, 5)
    goods = rng.sample([g for g in catalogue if g.gcode not in FOOD] + [rng.choice(catalogue)], n)
    items = [Item(i + 1, g, Decimal(rng.randint(1, 20))) for i, g in enumerate(goods)]
    cop = f"COP{ie_date:%Y%m%d}{serial:06d}"
    return ExportListSpec(cop, invt_no("3301", ie_date.year, serial) if with_invt else None, ie_date, trade_mode,
                          party, items)


def demo_night(out_dir: Path, seed: int = 20261126) -> dict:
    """Write fixtures/demo: one night's inbox whose returns show every decision and reason."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.xml"):
        old.unlink()
    phone, laptop, earbuds, dryer, sweater, shoes, bag, cream, watch, toy, mask, coffee, wine = CATALOGUE

    def exp(serial, ie, mode, goods_qty, party=0, with_invt=True, customs="3301"):
        items = [Item(i + 1, g, Decimal(q)) for i, (g, q) in enumerate(goods_qty)]
        return ExportListSpec(f"COP{ie:%Y%m%d}{serial:06d}", invt_no(customs, ie.year, serial) if with_invt else None,
                              ie, mode, PARTIES[party], items, customs=customs)

    d = date.fromisoformat
    s = {  # the scenario exports, by what their return will show
        "exempt_phone": exp(1, d("2026-08-10"), "9610", [(phone, 3), (earbuds, 10)]),
        "exempt_1210": exp(2, d("2026-06-01"), "1210", [(laptop, 2)], party=1),
        "exempt_cream": exp(3, d("2026-07-03"), "9710", [(cream, 40), (bag, 2)]),
        "backpay": exp(4, d("2026-09-01"), "9810", [(dryer, 12)], party=2),
        "no_claim": exp(5, d("2026-10-12"), "9610", [(sweater, 20)]),
        "no_docs": exp(6, d("2026-09-20"), "9610", [(shoes, 4)], party=1),
        "holiday_edge": exp(7, d("2026-04-01"), "9610", [(toy, 6)]),
        "expired": exp(8, d("2026-03-10"), "9610", [(phone, 2)]),
        "food": exp(9, d("2026-09-05"), "9610", [(coffee, 30), (mask, 50)]),
        "used": exp(10, d("2026-08-22"), "9610", [(watch, 1)], party=1),
        "general_trade": exp(11, d("2026-09-15"), "0110", [(bag, 5)]),
        "cancelled": exp(12, d("2026-09-25"), "9610", [(earbuds, 8)]),
        "other_reason": exp(13, d("2026-10-02"), "9710", [(sweater, 6)], party=2),
        "mismatch": exp(14, d("2026-08-30"), "9610", [(shoes, 3)]),
        "too_many": exp(15, d("2026-09-09"), "9610", [(mask, 5)]),
        "via_ceb604": exp(16, d("2026-10-20"), "9610", [(laptop, 1), (phone, 1)], with_invt=False),
        "refused": exp(17, d("2026-10-21"), "9610", [(dryer, 2)], with_invt=False),
        "old_policy": exp(18, d("2025-12-15"), "9610", [(phone, 4)], party=1),
    }
    # CEB604 gives the two lists sent without invtNo their numbers; customs refuses the second one (100)
    s["via_ceb604"] = replace(s["via_ceb604"])
    assigned_604 = invt_no("3301", 2026, 16)
    refused_604 = invt_no("3301", 2026, 17)

    bulk = []
    serial = 100
    start = d("2025-11-01")
    while sum(len(x.items) for x in bulk) < 240:
        ie = start + timedelta(days=rng.randint(0, 380))
        mode = rng.choice(("9610", "9610", "9610", "1210", "9710", "9810", "0110"))
        bulk.append(_random_list(rng, serial, ie, mode, with_invt=True))
        serial += 1
    bulk_a = [x for x in bulk if x.ie_date < d("2026-05-01")]
    bulk_b = [x for x in bulk if x.ie_date >= d("2026-05-01")]
    scen = list(s.values())

    # one list with an impossible export date: quarantined, its neighbours stored
    broken = exp(90, d("2026-02-28"), "9610", [(toy, 2)])
    write_ceb603(out_dir / "01-CEB603-2025Q4-2026Q1.xml", bulk_a, rng)
    write_ceb603(out_dir / "02-CEB603-2026Q2-Q4.xml", bulk_b, rng)
    text = "".join(inventory_xml(x, rng) for x in scen[:9])
    bad = inventory_xml(broken, rng).replace("<ceb:ieDate>20260228</ceb:ieDate>", "<ceb:ieDate>20260230</ceb:ieDate>")
    text2 = "".join(inventory_xml(x, rng) for x in scen[9:])
    (out_dir / "03-CEB603-returned-goods.xml").write_text(
        _envelope("CEB603Message", [text, bad, text2], rng), encoding="utf-8")

    write_ceb604(out_dir / "04-CEB604-receipts.xml", [
        (s["via_ceb604"], assigned_604, "800", datetime(2026, 10, 20, 9, 15), "放行"),
        (s["refused"], refused_604, "100", datetime(2026, 10, 21, 11, 2), "海关退单: 商品编码与品名不符"),
    ], rng)
    s["via_ceb604"] = replace(s["via_ceb604"], invt_no=assigned_604)
    s["refused"] = replace(s["refused"], invt_no=refused_604)
    write_ceb605(out_dir / "05-CEB605-cancel.xml", [(s["cancelled"], datetime(2026, 9, 27, 14, 0), "订单取消 撤单")],
                 rng)

    at = datetime(2026, 11, 20, 10, 0)
    other_party = PARTIES[1]
    returns = [
        ReturnSpec("BACK-20261120-0001", s["exempt_phone"], [(1, 1), (2, 2)], at),
        ReturnSpec("BACK-20261120-0002", s["exempt_1210"], [(1, 1)], at),
        ReturnSpec("BACK-20261120-0003", s["exempt_cream"], [(1, 10)], at),
        ReturnSpec("BACK-20261121-0004", s["backpay"], [(1, 5)], at + timedelta(days=1)),
        ReturnSpec("BACK-20261121-0005", s["no_claim"], [(1, 3)], at + timedelta(days=1)),
        ReturnSpec("BACK-20261121-0006", s["no_docs"], [(1, 1)], at + timedelta(days=1)),
        ReturnSpec("BACK-20261008-0007", s["holiday_edge"], [(1, 2)], datetime(2026, 10, 8, 9, 30)),
        ReturnSpec("BACK-20261122-0008", s["expired"], [(1, 1)], at + timedelta(days=2)),
        ReturnSpec("BACK-20261122-0009", s["food"], [(1, 5), (2, 10)], at + timedelta(days=2)),
        ReturnSpec("BACK-20261122-0010", s["used"], [(1, 1)], at + timedelta(days=2)),
        ReturnSpec("BACK-20261123-0011", s["general_trade"], [(1, 1)], at + timedelta(days=3)),
        ReturnSpec("BACK-20261123-0012", s["cancelled"], [(1, 2)], at + timedelta(days=3)),
        ReturnSpec("BACK-20261123-0013", s["other_reason"], [(1, 2)], at + timedelta(days=3)),
        ReturnSpec("BACK-20261124-0014", s["mismatch"], [(1, 1, {"unit": "011"})], at + timedelta(days=4),
                   party=other_party),
        ReturnSpec("BACK-20261124-0015", s["too_many"], [(1, 6)], at + timedelta(days=4)),
        ReturnSpec("BACK-20261124-0016", s["via_ceb604"], [(1, 1)], at + timedelta(days=4)),
        ReturnSpec("BACK-20261125-0017", s["refused"], [(1, 1)], at + timedelta(days=5)),
        ReturnSpec("BACK-20261125-0018", s["old_policy"], [(1, 2)], datetime(2026, 5, 20, 16, 0)),
    ]
    write_ceb213(out_dir / "06-CEB213-returns.xml", returns, rng)

    nr = ("NOT_REFUNDED", "3301202611200001")
    pb = ("PAID_BACK", "3301202611200002")
    claims = [
        ClaimSpec("BACK-20261120-0001", s["exempt_phone"].invt_no, "20261120", "BUYER_RETURN",
                  [{"gnum": 1}, {"gnum": 2}], return_record="AMZ-RMA-20261101-88231", certificate=nr),
        ClaimSpec("BACK-20261120-0002", s["exempt_1210"].invt_no, "20261125", "UNSOLD",
                  [{"gnum": 1, "refundedVat": "409.50"}], self_declaration="SD-2026-1125-02", certificate=pb,
                  zone_exit_date="20260615"),
        ClaimSpec("BACK-20261120-0003", s["exempt_cream"].invt_no, "20261118", "UNSOLD",
                  [{"gnum": 1, "exportDutyPaid": "0.00"}], self_declaration="SD-2026-1118-01", certificate=nr),
        ClaimSpec("BACK-20261121-0004", s["backpay"].invt_no, "20261121", "BUYER_RETURN",
                  [{"gnum": 1, "refundedVat": "130.00"}], return_agreement="RA-2026-0099", certificate=nr),
        ClaimSpec("BACK-20261121-0006", s["no_docs"].invt_no, "20261121", "BUYER_RETURN", [{"gnum": 1}]),
        ClaimSpec("BACK-20261008-0007", s["holiday_edge"].invt_no, "20261008", "UNSOLD", [{"gnum": 1}],
                  self_declaration="SD-2026-1008-07", certificate=nr),
        ClaimSpec("BACK-20261122-0008", s["expired"].invt_no, "20261122", "BUYER_RETURN", [{"gnum": 1}],
                  return_record="RMA-0008", certificate=nr),
        ClaimSpec("BACK-20261122-0009", s["food"].invt_no, "20261122", "UNSOLD", [{"gnum": 1}, {"gnum": 2}],
                  self_declaration="SD-2026-1122-09", certificate=nr),
        ClaimSpec("BACK-20261122-0010", s["used"].invt_no, "20261122", "BUYER_RETURN",
                  [{"gnum": 1, "used": True}], return_record="RMA-0010", certificate=nr),
        ClaimSpec("BACK-20261123-0011", s["general_trade"].invt_no, "20261123", "UNSOLD", [{"gnum": 1}],
                  self_declaration="SD-0011", certificate=nr),
        ClaimSpec("BACK-20261123-0012", s["cancelled"].invt_no, "20261123", "UNSOLD", [{"gnum": 1}],
                  self_declaration="SD-0012", certificate=nr),
        ClaimSpec("BACK-20261123-0013", s["other_reason"].invt_no, "20261123", "OTHER", [{"gnum": 1}],
                  certificate=nr),
        ClaimSpec("BACK-20261124-0014", s["mismatch"].invt_no, "20261124", "BUYER_RETURN", [{"gnum": 1}],
                  return_record="RMA-0014", certificate=nr),
        ClaimSpec("BACK-20261124-0015", s["too_many"].invt_no, "20261124", "BUYER_RETURN", [{"gnum": 1}],
                  return_record="RMA-0015", certificate=nr),
        ClaimSpec("BACK-20261124-0016", s["via_ceb604"].invt_no, "20261124", "BUYER_RETURN",
                  [{"gnum": 1, "customsValue": "2950.00"}], return_agreement="RA-0016", certificate=nr),
        ClaimSpec("BACK-20261125-0017", s["refused"].invt_no, "20261125", "UNSOLD", [{"gnum": 1}],
                  self_declaration="SD-0017", certificate=nr),
        ClaimSpec("BACK-20261125-0018", s["old_policy"].invt_no, "20260520", "BUYER_RETURN", [{"gnum": 1}],
                  return_record="RMA-0018", certificate=nr),
        # a claim whose return date is not a real date: quarantined, the others stored
        ClaimSpec("BACK-20261199-0099", s["exempt_phone"].invt_no, "", "UNSOLD", [{"gnum": 1}],
                  self_declaration="SD-0099", certificate=nr, raw_return_date="20261131"),
    ]
    write_claims(out_dir / "07-claims.xml", claims)
    n_items = sum(len(x.items) for x in bulk + scen + [broken])
    return {"export_lists": len(bulk) + len(scen) + 1, "export_items": n_items, "returns": len(returns),
            "claims": len(claims)}


# -- nights of any size, for benchmarks ----------------------------------------------------------------------
DAY0 = date(2026, 5, 1)
RETURNS_FROM_NIGHTS = 60  # a night's returns are drawn from the exports of the nights before it, this many back
RETURNS_WITHIN_DAYS = 180  # ... and from no night further back than this (nights a month apart: the six before)
NO_CERTIFICATE_EVERY = 5  # a return's first claim comes without its certificate one time in this many (PENDING) ...
CERTIFICATE_AFTER_NIGHTS = 1  # ... and the certificate comes with a new claim this many nights later ...
NEVER_CERTIFIED_EVERY = 50  # ... except for one in this many of them: a backlog that stays, as a broker's does


def night_date(night: int, days: int = 1, first: date = DAY0) -> date:
    """The day of consecutive night `night` (1 is `first`), nights `days` apart (30: a month's exports a night,
    the years of a ledger in a few dozen nights)."""
    return first + timedelta(days=(night - 1) * days)


def night_list(seed: int, night: int, local: int, items: int, days: int = 1, first: date = DAY0) -> tuple:
    """(spec, its own random source) of the `local`-th list of consecutive night `night` of `items` export items:
    drawn from its own seed, so a later night can name it again (for a return) without writing the night anew.
    Serials, copNo and invtNo are unique across nights."""
    serial = (night - 1) * items + local
    rng = random.Random((seed << 40) + serial)
    ie = night_date(night, days, first) - timedelta(days=local % 3)
    return _random_list(rng, serial, ie, ELIGIBLE[serial % 4], with_invt=True), rng


def synth_night(out_dir: Path, items: int, returns: int, seed: int = 7, lists_per_file: int = 100,
                bad_every: int = 997, night: int | None = None, night_days: int = 1, first: date = DAY0) -> dict:
    """A night of `items` export items (1-5 per list, all four codes) and `returns` returns with claims.

    Every `bad_every`-th list carries a defect (an impossible date, a wrong ieFlag or an over-long field)
    so that validation always has work to do. Returns are drawn from the exports written; with `night` (one of
    consecutive nights on one ledger, 1 the first, on day `first`), keys are unique across nights, the night's
    exports are dated in the three days before it, its returns are drawn from the exports of the
    RETURNS_FROM_NIGHTS nights before it (the first night's from its own) within RETURNS_WITHIN_DAYS, and it
    brings the certificates missing from the claims of night - CERTIFICATE_AFTER_NIGHTS (but for one in
    NEVER_CERTIFIED_EVERY); `night_days`: the days between consecutive nights.
    """
    rng = random.Random(seed if night is None else seed * 100_003 + night)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    serial = 0
    file_no = 0
    picks: list = []  # reservoir of (spec) for returns
    defects = 0
    while written < items:
        file_no += 1
        path = out_dir / f"CEB603-{file_no:06d}.xml"
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<ceb:CEB603Message guid="{_guid(rng)}" '
                     f'version="1.0" xmlns:ceb="{CEB_NS}">\n')
            for _ in range(lists_per_file):
                if written >= items:
                    break
                serial += 1
                if night is None:
                    ie = DAY0 + timedelta(days=serial % 180)
                    spec, list_rng = _random_list(rng, serial, ie, ELIGIBLE[serial % 4], with_invt=True), rng
                else:
                    spec, list_rng = night_list(seed, night, serial, items, night_days, first)
                    ie = spec.ie_date
                spec.items = spec.items[: max(1, min(len(spec.items), items - written))]
                xml = inventory_xml(spec, list_rng)
                if _defective(spec, bad_every):
                    defects += 1
                    xml = [xml.replace("<ceb:ieFlag>E</ceb:ieFlag>", "<ceb:ieFlag>X</ceb:ieFlag>"),
                           xml.replace(f"<ceb:ieDate>{ie:%Y%m%d}</ceb:ieDate>", f"<ceb:ieDate>{ie:%Y%m}32</ceb:ieDate>"),
                           xml.replace("<ceb:currency>", "<ceb:currency>1", 1)][_serial(spec) % 3]
                elif night is not None:
                    pass
                elif len(picks) < returns:
                    picks.append(spec)
                elif returns:
                    j = rng.randrange(serial)
                    if j < returns:
                        picks[j] = spec
                fh.write(xml)
                written += len(spec.items)
            fh.write("<ceb:BaseTransfer><ceb:copCode>%s</ceb:copCode><ceb:copName>%s</ceb:copName><ceb:dxpMode>DXP"
                     "</ceb:dxpMode><ceb:dxpId>DXPENT0000012345</ceb:dxpId></ceb:BaseTransfer>\n"
                     "</ceb:CEB603Message>\n" % AGENT)
    late: list = []
    if night is None:
        rets, claims = _returns(picks[:returns], None, lambda spec, n: spec.ie_date + timedelta(days=30 + n % 200))
    else:
        rets, claims = _night_returns(seed, night, items, returns, bad_every, night_days, first)
        if night > CERTIFICATE_AFTER_NIGHTS:
            late = _late_certificates(seed, night - CERTIFICATE_AFTER_NIGHTS, items, returns, bad_every,
                                      night_days, first)
    for i in range(0, len(rets), 100):
        write_ceb213(out_dir / f"CEB213-{i // 100 + 1:06d}.xml", rets[i:i + 100], rng)
    for i in range(0, len(claims), 10000):
        write_claims(out_dir / f"claims-{i // 10000 + 1:04d}.xml", claims[i:i + 10000])
    for i in range(0, len(late), 10000):
        write_claims(out_dir / f"claims-late-{i // 10000 + 1:04d}.xml", late[i:i + 10000])
    return {"items": written, "lists": serial, "defective_lists": defects, "returns": len(rets),
            "late_certificates": len(late),
            "files": file_no + (len(rets) + 99) // 100 + (len(claims) + 9999) // 10000 + (len(late) + 9999) // 10000}


def _returns(picks: list, night: int | None, day) -> tuple[list, list]:
    """The returns of `picks` (one line each, on `day(spec, n)`) and their claims, one in NO_CERTIFICATE_EVERY
    without a certificate."""
    rets, claims = [], []
    reasons = ("UNSOLD", "BUYER_RETURN", "BUYER_RETURN", "OTHER")
    for n, spec in enumerate(picks, 1):
        co = f"BACK-SYN-{n:08d}" if night is None else f"BACK-N{night:04d}-{n:08d}"
        it = spec.items[0]
        ret_day = day(spec, n)
        rets.append(ReturnSpec(co, spec, [(it.gnum, 1)], datetime.combine(ret_day, datetime.min.time())))
        reason = reasons[n % 4]
        claims.append(ClaimSpec(co, spec.invt_no, f"{ret_day:%Y%m%d}", reason, [{"gnum": it.gnum}],
                                self_declaration="SD-SYN" if reason == "UNSOLD" else None,
                                return_record="RMA-SYN" if reason == "BUYER_RETURN" else None,
                                certificate=_certificate(night, n) if n % NO_CERTIFICATE_EVERY else None))
    return rets, claims


def _certificate(night: int | None, n: int) -> tuple:
    """The certificate of the `n`-th claim of a night (`night`: of consecutive nights)."""
    return "NOT_REFUNDED", f"CERT{n:010d}" if night is None else f"CERT{night:04d}{n:08d}"


def _night_returns(seed: int, night: int, items: int, returns: int, bad_every: int, days: int,
                   first: date) -> tuple[list, list]:
    """The returns and claims of consecutive night `night`: from a random source of their own, so that a later
    night can name them again."""
    rng = random.Random((seed * 100_003 + night) * 2 + 1)
    picks = _earlier_exports(rng, seed, night, items, returns, bad_every, days, first)
    return _returns(picks, night, lambda spec, n: night_date(night, days, first))


def _late_certificates(seed: int, night: int, items: int, returns: int, bad_every: int, days: int,
                       first: date) -> list:
    """The claims of night `night` that came without a certificate, again with it (a claim for a coElNo that has
    one replaces it, CONTRACT.md 2), but for one in NEVER_CERTIFIED_EVERY of them."""
    _, claims = _night_returns(seed, night, items, returns, bad_every, days, first)
    late = []
    for n, claim in enumerate(claims, 1):
        if claim.certificate is None and n % (NO_CERTIFICATE_EVERY * NEVER_CERTIFIED_EVERY):
            late.append(replace(claim, certificate=_certificate(night, n)))
    return late


def _serial(spec) -> int:
    return int(spec.cop_no[11:])  # COP + yyyymmdd + serial


def _defective(spec, bad_every: int) -> bool:
    return _serial(spec) % bad_every == 0


def _earlier_exports(rng: random.Random, seed: int, night: int, items: int, returns: int, bad_every: int,
                     days: int = 1, first: date = DAY0) -> list:
    """The export lists a night's returns come back for: each from one of the RETURNS_FROM_NIGHTS nights before
    within RETURNS_WITHIN_DAYS (the first night: its own), one of that night's first items // 5 lists, which no
    night cuts short."""
    picks = []
    cap = max(1, items // 5 - 1)
    back = max(1, min(RETURNS_FROM_NIGHTS, RETURNS_WITHIN_DAYS // days))
    while len(picks) < returns:
        m = night if night == 1 else night - 1 - rng.randrange(min(back, night - 1))
        spec, _ = night_list(seed, m, rng.randint(1, cap), items, days, first)
        if not _defective(spec, bad_every):
            picks.append(spec)
    return picks
