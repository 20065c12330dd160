"""What the people who read the workbook and the page see: column headings in Chinese and English, the
decisions and reason codes in words, and what a PENDING line still needs. Presentation only: the codes and
their legal meaning are the law's (law/rules.py, clauses.csv)."""
from __future__ import annotations

from datetime import date

HEADINGS = {
    "batch_id": "批次 Batch", "return_id": "退货单号 Return (coElNo)", "return_date": "退运日期 Return date",
    "invt_no": "清单编号 List (invtNo)", "gnum": "项号 Item (gnum)", "gcode": "商品编码 HS code", "qty": "数量 Qty",
    "export_date": "出口日期 Export date", "trade_mode": "监管方式 Supervision code", "window_end": "期限 Window end",
    "policy": "政策版本 Policy", "decision": "结论 Decision", "reasons": "原因代码 Reasons",
    "customs_value_cny": "完税价格 Customs value (CNY)", "import_duty": "进口关税 Import duty",
    "consumption_tax": "消费税 Consumption tax", "import_vat": "进口增值税 Import VAT",
    "export_duty_refund": "退还出口关税 Export duty refund", "backpay_vat": "补缴增值税 VAT to pay back",
    "backpay_ct": "补缴消费税 CT to pay back", "change": "变更 Change", "supersedes": "取代批次 Supersedes",
    "gname": "商品名称 Goods", "ebc_code": "电商企业 Enterprise (ebcCode)", "ebp_code": "电商平台 Platform (ebpCode)",
    "price_currency": "币制 Currency", "certificate_type": "证明类型 Certificate type",
    "certificate_no": "证明编号 Certificate no.", "claim_reason": "退运原因 Claim reason",
    "days_left": "剩余天数 Days left", "missing": "尚缺 What is missing", "decided_in": "决定批次 Decided in",
    "file": "文件 File", "line": "行 Line", "kind": "类型 Kind", "record_key": "记录 Record", "field": "字段 Field",
    "problem": "问题 Problem", "expected": "应为 Expected",
}

DECISION_WORDS = {"EXEMPT": "免税 EXEMPT", "PENDING": "待补 PENDING", "REJECTED": "不予免税 REJECTED"}
CHANGE_WORDS = {"NEW": "新 NEW", "REVISED": "更正 REVISED", "WITHDRAWN": "撤回 WITHDRAWN"}

# What a PENDING line still needs, by its reason code (CONTRACT.md 6)
MISSING = {
    "CLAIM_MISSING": "缺退运申请 the exemption claim (ReturnClaims) for this return",
    "DOCUMENTS_MISSING": "缺证明材料 the self-declaration (UNSOLD), or the return record or agreement (BUYER_RETURN)",
    "CERTIFICATE_MISSING": "缺已补税/未退税证明 the PAID_BACK or NOT_REFUNDED certificate",
    "BACKPAY_REQUIRED": "需补缴已退税款 the export refund paid back, shown by a PAID_BACK certificate",
    "CERTIFICATE_CONFLICT": "证明与退税不符 a PAID_BACK certificate (NOT_REFUNDED given, yet a refund was granted)",
    "TARIFF_UNKNOWN": "缺税率或汇率 a tariff row or exchange rate for the line (reference data)",
    "CALENDAR_UNKNOWN": "缺节假日安排 the holiday calendar of the window's year (rest_days.csv)",
}


URGENT_DAYS = 15  # a PENDING line whose window ends within this many days is highlighted, in the workbook and page


def days_left(window_end: str | None, as_of: date) -> int | None:
    """Days from `as_of` to a PENDING line's window end (negative: overdue; None: no window end known)."""
    return (date.fromisoformat(window_end) - as_of).days if window_end else None


def missing_words(reasons: str) -> str:
    return "; ".join(MISSING.get(c, c) for c in reasons.split(";") if c)


def heading(column: str) -> str:
    return HEADINGS.get(column, column)
