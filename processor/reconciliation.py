"""reconciliation.xml: the tax bureau's import file (schemas/reconciliation.xsd), written streaming."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from lxml import etree

from .law.rules import CLAUSES

NS = "urn:cbec-returns:reconciliation:1"
MONEY = ("customs_value_cny", "import_duty", "consumption_tax", "import_vat", "export_duty_refund", "backpay_vat",
         "backpay_ct")
MONEY_ELEMENTS = {"customs_value_cny": "customsValueCny", "import_duty": "importDuty",
                  "consumption_tax": "consumptionTax", "import_vat": "importVat",
                  "export_duty_refund": "exportDutyRefund", "backpay_vat": "backpayVat", "backpay_ct": "backpayCt"}
DECISIONS = ("EXEMPT", "PENDING", "REJECTED")


def money(value) -> str:
    return f"{Decimal(value):.2f}"


class Totals:
    """Lines and money per decision and overall; an amount that could not be computed counts as 0."""

    def __init__(self):
        self.by_key = {d: {"lines": 0, **{m: Decimal("0.00") for m in MONEY}} for d in (*DECISIONS, "ALL")}

    def add(self, r: dict) -> None:
        for key in (r["decision"], "ALL"):
            t = self.by_key[key]
            t["lines"] += 1
            for m in MONEY:
                if r[m] is not None:
                    t[m] += Decimal(r[m])


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _el(tag: str, **attrs):
    """A detached element in the default namespace (no ns0: prefixes when written inside xmlfile)."""
    return etree.Element(_q(tag), attrs, nsmap={None: NS})


class Writer:
    """reconciliation.xml written as decisions stream by: header, each Decision, then the control totals."""

    def __init__(self, path: Path, batch: dict, files):
        """`files`: the input files' entries, an iterable (written one by one: a night may bring 40,000)."""
        self.path, self.batch, self.files = path, batch, files

    def __enter__(self) -> "Writer":
        self._file = open(self.path, "wb")  # noqa: SIM115 - closed in __exit__
        try:
            return self._begin()
        except BaseException:
            self._file.close()
            raise

    def _begin(self) -> "Writer":
        batch = self.batch
        self._cm = etree.xmlfile(self._file, encoding="utf-8")
        xf = self._xf = self._cm.__enter__()
        xf.write_declaration()
        self._root = xf.element(_q("Reconciliation"), {"version": "1"}, nsmap={None: NS})
        self._root.__enter__()
        with xf.element(_q("Batch"), {"id": batch["batch_id"], "runAt": batch["run_at"]}):
            xf.write(_el("Software", name="processor", version=batch["software_version"]))
            params = _el("Parameters")
            for p in batch["policies"]:
                etree.SubElement(params, _q("Policy"), version=p.version, exportFrom=p.export_from.isoformat(),
                                 exportTo=p.export_to.isoformat(), eligibleCodes=" ".join(sorted(p.eligible_codes)),
                                 windowMonths=str(p.window_months))
            for name, src in sorted(batch["reference"].items()):
                etree.SubElement(params, _q("ReferenceFile"), name=name, sha256=src["sha256"],
                                 bundled="true" if src["bundled"] else "false")
            for name, value in sorted(batch["settings"].items()):
                etree.SubElement(params, _q("Setting"), name=name, value=str(value))
            xf.write(params)
            with xf.element(_q("InputFiles")):
                for f in self.files:
                    xf.write(_el("File", name=f["name"], sha256=f["sha256"], kind=f["kind"] or "FILE",
                                 records=str(f["read"]), stored=str(f["stored"]), quarantined=str(f["quarantined"]),
                                 duplicates=str(f["duplicates"])))
        self._decisions = xf.element(_q("Decisions"))
        self._decisions.__enter__()
        self._pending: list = []
        return self

    def decision(self, r: dict) -> None:
        self._pending.append(_decision(r))
        if len(self._pending) >= 256:
            self._flush()

    def _flush(self) -> None:
        """Decisions are written as text (decision_text), between what xmlfile writes: a night may bring a
        million of them, and building each as an lxml element cost more than the rest of the reports."""
        self._xf.flush()
        self._file.write("".join(self._pending).encode("utf-8"))
        self._pending.clear()

    def finish(self, totals: dict) -> None:
        self._flush()
        self._xf.write("\n")
        self._decisions.__exit__(None, None, None)
        ct = _el("ControlTotals")
        for d in DECISIONS:
            _totals(etree.SubElement(ct, _q("ByDecision"), decision=d), totals[d])
        _totals(etree.SubElement(ct, _q("All")), totals["ALL"])
        self._xf.write(ct)
        self._root.__exit__(None, None, None)
        self._finished = True

    def __exit__(self, *exc) -> None:
        try:
            self._cm.__exit__(*exc)
        finally:
            self._file.close()


def _totals(el, t: dict) -> None:
    el.set("lines", str(t["lines"]))
    for m in MONEY:
        el.set(MONEY_ELEMENTS[m], money(t[m]))


_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;",
                       "\t": "&#9;"})
_FIELDS = (("returnId", "co_el_no"), ("returnDate", "return_date"), ("invtNo", "invt_no"), ("gnum", "gnum"),
           ("gcode", "gcode"), ("qty", "qty"), ("exportDate", "export_date"), ("tradeMode", "trade_mode"),
           ("windowEnd", "window_end"), ("policy", "policy"), ("decision", "decision"))
_REASONS = {code: f'<Reason code="{code.translate(_ATTR)}" clause="{clause.translate(_ATTR)}"/>'
            for code, clause in CLAUSES.items()}


def _decision(r: dict) -> str:
    """One Decision element, as lxml would serialise it (tests/test_decisions.py holds the two together)."""
    parts = [f'\n<Decision xmlns="{NS}" decidedInBatch="{str(r["batch_id"]).translate(_ATTR)}">']
    for tag, key in _FIELDS:
        value = r[key]
        if value is not None and value != "":
            parts.append(f"<{tag}>{str(value).translate(_TEXT)}</{tag}>")
    codes = [c for c in r["reasons"].split(";") if c]
    parts.append("<Reasons>" + "".join(_REASONS[c] for c in codes) + "</Reasons>" if codes else "<Reasons/>")
    for m in MONEY:
        if r[m] is not None:
            tag = MONEY_ELEMENTS[m]
            parts.append(f"<{tag}>{money(r[m])}</{tag}>")
    parts.append("</Decision>")
    return "".join(parts)
