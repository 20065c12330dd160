"""Immutable domain records, one per business record of the inputs.

Readers build these from validated fields; the ledger stores them; the decision core reads them.
Quantities, prices and money are Decimal; dates are real dates. Field names follow the messages
(snake_case of the CEB element names) so a reader can follow a value from XML to report.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import NamedTuple


def _sent_whole(cls):
    """Pickle as one constructor call: a record read in a reader process is rebuilt in the batch's, and a
    slotted dataclass's default (a setattr per field, after looking its fields up) cost more than reading it."""
    names = [f.name for f in fields(cls)]
    values = attrgetter(*names) if len(names) > 1 else (lambda self: (getattr(self, names[0]),))
    cls.__reduce__ = lambda self: (cls, values(self))
    return cls


class ExportItem(NamedTuple):
    """CEB603 InventoryList: one item of an export declaration list. A named tuple, like ExportList: a
    night holds millions of them, and a tuple is built several times faster than a frozen dataclass."""

    gnum: int
    item_no: str
    item_name: str | None
    gcode: str
    gname: str
    gmodel: str
    country: str
    currency: str
    qty: Decimal
    qty1: Decimal
    qty2: Decimal | None
    unit: str
    unit1: str
    unit2: str | None
    price: Decimal
    total_price: Decimal


class ExportList(NamedTuple):
    """CEB603 Inventory: an export declaration list (出口申报清单) with its items."""

    cop_no: str
    invt_no: str | None  # filled in later by a CEB604 receipt when the list was sent without it
    pre_no: str | None
    app_type: str
    app_time: datetime
    app_status: str
    customs_code: str
    port_code: str
    ebp_code: str
    ebc_code: str
    agent_code: str
    owner_code: str
    order_no: str
    logistics_no: str
    ie_flag: str
    ie_date: date
    trade_mode: str
    statistics_flag: str
    iac_code: str | None
    ems_no: str | None
    variant: str  # "202205" or "2018": which message specification the list satisfied
    items: tuple[ExportItem, ...]

    @property
    def list_key(self) -> str:
        """copNo is unique within the sending enterprise; the list is known by it until invtNo arrives."""
        return f"{self.ebc_code}|{self.cop_no}"


@_sent_whole
@dataclass(frozen=True, slots=True)
class ListReceipt:
    """CEB604 InventoryReturn: customs' receipt for a list; gives invtNo for a copNo, or refuses it (100)."""

    cop_no: str
    pre_no: str
    invt_no: str
    agent_code: str
    ebc_code: str
    ebp_code: str
    return_status: str
    return_time: datetime
    return_info: str

    @property
    def list_key(self) -> str:
        return f"{self.ebc_code}|{self.cop_no}"


@_sent_whole
@dataclass(frozen=True, slots=True)
class ListCancel:
    """CEB605 InvtCancel: cancellation of an export list; later returns against it are EXPORT_VOID."""

    cop_no: str
    invt_no: str
    pre_no: str | None
    app_type: str
    app_time: datetime
    app_status: str
    customs_code: str
    agent_code: str
    ebc_code: str
    reason: str


@_sent_whole
@dataclass(frozen=True, slots=True)
class ReturnLine:
    """CEB213 InvtRefundList: one returned item, naming the original item by gnum. The return line."""

    gnum: int
    gcode: str
    gname: str
    gmodel: str
    qty: Decimal
    qty1: Decimal
    unit: str
    unit1: str
    qty2: Decimal | None
    unit2: str | None


@_sent_whole
@dataclass(frozen=True, slots=True)
class ReturnApplication:
    """CEB213 InvtRefund: an export-return application (零售出口退货申请单) for one original list."""

    co_el_no: str
    invt_no: str
    pre_no: str | None
    app_type: str  # 1 new, 2 change (replaces), 3 delete (withdraws)
    app_time: datetime
    app_status: str
    customs_code: str
    ebp_code: str
    ebc_code: str
    agent_code: str
    logistics_no: str
    ie_flag: str
    trade_mode: str | None
    reason: str
    lines: tuple[ReturnLine, ...]


@_sent_whole
@dataclass(frozen=True, slots=True)
class ReturnReceipt:
    """CEB214 RefundReturn: customs' receipt for a return application; status 100 withdraws it."""

    co_el_no: str
    invt_no: str
    pre_no: str | None
    agent_code: str
    ebp_code: str | None
    ebc_code: str | None
    return_status: str
    return_time: datetime
    return_info: str


@_sent_whole
@dataclass(frozen=True, slots=True)
class ClaimItem:
    """One returned gnum of a claim: its state and the export taxes already refunded or paid."""

    gnum: int
    accessories_added: bool
    processed: bool
    used: bool
    trial_use_evidence: bool
    export_duty_paid: Decimal
    refunded_vat: Decimal
    refunded_ct: Decimal
    customs_value: Decimal | None


@_sent_whole
@dataclass(frozen=True, slots=True)
class Claim:
    """The exemption claim for one return (CONTRACT.md section 2): what CEB213 does not carry."""

    co_el_no: str
    invt_no: str
    return_date: date
    reason_code: str  # UNSOLD | BUYER_RETURN | OTHER
    self_declaration_no: str | None
    return_record_no: str | None
    return_agreement_no: str | None
    certificate_type: str | None  # PAID_BACK | NOT_REFUNDED
    certificate_no: str | None
    zone_exit_date: date | None
    items: tuple[ClaimItem, ...]
