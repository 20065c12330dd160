"""The taxes exempted (or due) on a return line, in Decimal, rounded half-up to 0.01 CNY at each step.

LAW.md, "The taxes exempted (or due)": dutiable value, import duty (ad valorem, specific, compound),
consumption tax (ad valorem, specific, compound, on the composite assessable price), import VAT.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
CNY = "142"



def cents(value: Decimal) -> Decimal:
    """Round half-up to 0.01 CNY (分)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Taxes:
    customs_value: Decimal | None
    import_duty: Decimal | None
    consumption_tax: Decimal | None
    import_vat: Decimal | None
    steps: tuple  # (label, formula with figures, the key of its clause in clauses.csv)


def tariff_row(tariff, gcode: str, on: date):
    """The longest hs_prefix that starts gcode among rows valid on the day; the latest valid_from wins."""
    best = None
    for row in tariff:
        if row.valid_from > on or not gcode.startswith(row.hs_prefix):
            continue
        if best is None or (len(row.hs_prefix), row.valid_from) > (len(best.hs_prefix), best.valid_from):
            best = row
    return best


def exchange_rate(rates: dict, currency: str, on: date) -> Decimal | None:
    if currency == CNY:
        return Decimal("1")
    return rates.get((f"{on:%Y-%m}", currency))


def compute(qty: Decimal, qty1: Decimal, price: Decimal | None, rate: Decimal | None, declared_value: Decimal | None,
            row) -> Taxes:
    """V, D, C and T of LAW.md, each rounded half-up to 0.01 as it is computed; None where it cannot be."""
    steps = []
    if declared_value is not None:
        value = cents(declared_value)
        steps.append(("customs value", f"V = customsValue of the claim = {value}", "CUSTOMS_VALUE"))
    elif price is not None and rate is not None:
        value = cents(qty * price * rate)
        steps.append(("customs value", f"V = qty {qty} x price {price} x rate {rate} = {value}", "CUSTOMS_VALUE"))
    else:
        value = None
        steps.append(("customs value", "V cannot be computed: no matched export price or no exchange rate",
                      "CUSTOMS_VALUE"))
    if value is None or row is None:
        if row is None:
            steps.append(("tariff", "no tariff row for the goods on the return date", "TARIFF"))
        return Taxes(value, None, None, None, tuple(steps))
    steps.append(("tariff", f"tariff row hs_prefix {row.hs_prefix} valid from {row.valid_from}", "TARIFF"))
    duty = cents(value * row.import_duty_rate + qty1 * row.import_duty_per_unit)
    steps.append(("import duty", f"D = V {value} x {row.import_duty_rate} + qty1 {qty1} x "
                                 f"{row.import_duty_per_unit} = {duty}", "IMPORT_DUTY"))
    ct_unit = qty1 * row.consumption_tax_per_unit
    if row.consumption_tax_rate or row.consumption_tax_per_unit:
        ct = cents((value + duty + ct_unit) / (1 - row.consumption_tax_rate) * row.consumption_tax_rate + ct_unit)
    else:
        ct = ZERO
    steps.append(("consumption tax", f"C = (V {value} + D {duty} + qty1 {qty1} x {row.consumption_tax_per_unit}) / "
                                     f"(1 - {row.consumption_tax_rate}) x {row.consumption_tax_rate} + qty1 {qty1} x "
                                     f"{row.consumption_tax_per_unit} = {ct}", "CONSUMPTION_TAX"))
    vat = cents((value + duty + ct) * row.vat_rate)
    steps.append(("import VAT", f"T = (V {value} + D {duty} + C {ct}) x {row.vat_rate} = {vat}", "IMPORT_VAT"))
    return Taxes(value, duty, ct, vat, tuple(steps))
