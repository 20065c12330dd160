"""The plain records the law reads and writes: an export item, a return line, the quantity held, the
parameters, and the decision. Built by keyword wherever they are built; nothing here does I/O."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

ZERO = Decimal("0")
REJECTED, PENDING, EXEMPT = "REJECTED", "PENDING", "EXEMPT"
DECISIONS = (EXEMPT, PENDING, REJECTED)


@dataclass(frozen=True, slots=True)
class ExportFacts:
    """The original export item (CEB603 InventoryList) with what its list, in force, says."""

    invt_no: str
    gnum: int
    ie_date: date
    trade_mode: str
    ebc_code: str
    ebp_code: str
    void_reason: str | None  # versions.list_void_reason: cancelled, refused or deleted
    gcode: str
    unit: str
    unit1: str
    qty: Decimal
    qty1: Decimal
    price: Decimal
    currency: str

    @property
    def key(self) -> tuple[str, int]:
        return (self.invt_no, self.gnum)


@dataclass(frozen=True, slots=True)
class LineFacts:
    """One return line (CEB213 InvtRefundList) with its application's head."""

    co_el_no: str
    invt_no: str
    app_time: datetime
    ebc_code: str
    ebp_code: str
    gnum: int
    gcode: str
    unit: str
    unit1: str
    qty: Decimal
    qty1: Decimal

    @property
    def export_key(self) -> tuple[str, int]:
        """The export item it names: (invtNo, gnum)."""
        return (self.invt_no, self.gnum)


@dataclass(frozen=True, slots=True)
class Held:
    """Quantity of an export item held by other EXEMPT or PENDING return lines."""

    qty: Decimal = ZERO
    qty1: Decimal = ZERO

    def plus(self, qty: Decimal, qty1: Decimal) -> "Held":
        return Held(self.qty + qty, self.qty1 + qty1)


@dataclass(frozen=True, slots=True)
class Params:
    """What a decision depends on besides its inputs and the reference data."""

    extend_over_rest_days: bool = True


@dataclass(frozen=True)
class Decision:
    """One return line decided: the columns of decisions.csv, the clauses cited, and the trail of rules."""

    co_el_no: str
    gnum: int
    invt_no: str
    return_date: date
    gcode: str
    qty: Decimal
    qty1: Decimal
    export_date: date | None
    trade_mode: str | None
    window_end: date | None
    policy: str | None
    decision: str
    reasons: tuple
    customs_value: Decimal | None
    import_duty: Decimal | None
    consumption_tax: Decimal | None
    import_vat: Decimal | None
    export_duty_refund: Decimal
    backpay_vat: Decimal
    backpay_ct: Decimal
    citations: dict = field(default_factory=dict, compare=False)  # announcement, basis, reason code -> clause
    trail: tuple = field(default=(), compare=False)
    calendar_note: str | None = field(default=None, compare=False)

    @property
    def holds(self) -> bool:
        """EXEMPT and PENDING lines hold their quantity against the export item (CONTRACT.md 6)."""
        return self.decision != REJECTED
