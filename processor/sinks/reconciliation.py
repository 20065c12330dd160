"""reconciliation.xml: the tax bureau's import file (schemas/reconciliation.xsd), written streaming.

Each Decision names the announcement its policy version applies and cites, for each reason code, the
clause it was decided under (kept with the decision in the ledger, so a decision reported again says
what it said when it was made); an EXEMPT decision carries its legal basis.
"""
from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path

from lxml import etree

from ..law.clauses import announcement_of
from ..law.facts import DECISIONS
from ..ledger.packing import unpack
from . import CHANGES, MONEY, money

NS = "urn:cbec-returns:reconciliation:1"
MONEY_ELEMENTS = {"customs_value_cny": "customsValueCny", "import_duty": "importDuty",
                  "consumption_tax": "consumptionTax", "import_vat": "importVat",
                  "export_duty_refund": "exportDutyRefund", "backpay_vat": "backpayVat", "backpay_ct": "backpayCt"}


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _el(tag: str, **attrs):
    """A detached element in the default namespace (no ns0: prefixes when written inside xmlfile)."""
    return etree.Element(_q(tag), attrs, nsmap={None: NS})


class ReconciliationXml:
    """reconciliation.xml written as decisions stream by: header, each Decision, then the control totals."""

    file_name = "reconciliation.xml"

    def open(self, path: Path, header) -> None:
        self._file = open(path, "wb")  # noqa: SIM115 - closed in close() or discard()
        self._reference = header.reference
        try:
            self._begin(header)
        except BaseException:
            self._file.close()
            raise

    def _begin(self, header) -> None:
        self._cm = etree.xmlfile(self._file, encoding="utf-8")
        xf = self._xf = self._cm.__enter__()
        xf.write_declaration()
        self._root = xf.element(_q("Reconciliation"), {"version": "1"}, nsmap={None: NS})
        self._root.__enter__()
        with xf.element(_q("Batch"), {"id": header.batch_id, "runAt": header.run_at}):
            xf.write(_el("Software", name="processor", version=header.software_version))
            params = _el("Parameters")
            for p in header.reference.policies:
                etree.SubElement(params, _q("Policy"), version=p.version, exportFrom=p.export_from.isoformat(),
                                 exportTo=p.export_to.isoformat(), eligibleCodes=" ".join(sorted(p.eligible_codes)),
                                 windowMonths=str(p.window_months), announcement=p.announcement)
            for name, src in sorted(header.reference.sources.items()):
                etree.SubElement(params, _q("ReferenceFile"), name=name, sha256=src["sha256"],
                                 bundled="true" if src["bundled"] else "false")
            for name, value in sorted(header.settings.items()):
                etree.SubElement(params, _q("Setting"), name=name, value=str(value))
            xf.write(params)
            with xf.element(_q("InputFiles")):
                for f in header.files:
                    xf.write(_el("File", name=f["name"], sha256=f["sha256"], kind=f["kind"] or "FILE",
                                 records=str(f["read"]), stored=str(f["stored"]), quarantined=str(f["quarantined"]),
                                 duplicates=str(f["duplicates"])))
        self._decisions = xf.element(_q("Decisions"))
        self._decisions.__enter__()
        self._pending: list = []

    def decision(self, r: dict) -> None:
        self._pending.append(_decision(r, self._citations(r)))
        if len(self._pending) >= 256:
            self._flush()

    def _citations(self, r: dict) -> dict:
        """What the decision cited when it was made; for a decision stored before citations were kept, the
        clauses of the reference data now, under its policy version."""
        if r.get("citations"):
            return _loaded(r["citations"])
        ref = self._reference
        policy = next((p for p in ref.policies if p.version == r["policy"]), None)
        announcement = announcement_of(policy, ref.policies)
        on = date.fromisoformat(r["return_date"])
        out = {"reasons": {c: _cite(ref.clauses, c, r["policy"], announcement, on)
                           for c in r["reasons"].split(";") if c}}
        if policy is not None:
            out["announcement"] = policy.announcement
        if r["decision"] == "EXEMPT":
            out["basis"] = _cite(ref.clauses, "EXEMPTION", r["policy"], announcement, on)
        return out

    def _flush(self) -> None:
        """Decisions are written as text (_decision), between what xmlfile writes: a night may bring a
        million of them, and building each as an lxml element cost more than the rest of the reports."""
        self._xf.flush()
        self._file.write("".join(self._pending).encode("utf-8"))
        self._pending.clear()

    def close(self, totals: dict) -> None:
        self._flush()
        self._xf.write("\n")
        self._decisions.__exit__(None, None, None)
        ct = _el("ControlTotals")
        for d in DECISIONS:
            _totals(etree.SubElement(ct, _q("ByDecision"), decision=d), totals[d])
        _totals(etree.SubElement(ct, _q("All")), totals["ALL"])
        for c in CHANGES:
            _totals(etree.SubElement(ct, _q("ByChange"), change=c), totals[c])
        for d in DECISIONS:
            _totals(etree.SubElement(ct, _q("NetChange"), decision=d), totals["NET"][d])
        _totals(etree.SubElement(ct, _q("NetChange")), totals["NET"]["ALL"])
        self._xf.write(ct)
        self._root.__exit__(None, None, None)
        try:
            self._cm.__exit__(None, None, None)
        finally:
            self._file.close()

    def discard(self) -> None:
        self._file.close()


@lru_cache(maxsize=4096)
def _loaded(text: str) -> dict:
    """A decision's citations as stored (packed), parsed once per distinct text (a night has a few hundred)."""
    return json.loads(unpack(text))


@lru_cache(maxsize=4096)
def _attr(text: str) -> str:
    return text.translate(_ATTR)


def _cite(clauses, key: str, policy, announcement: str, on: date) -> str:
    try:
        return clauses.cite(key, policy, announcement, on)
    except KeyError:  # a code the reference data no longer knows: say so rather than fail the report
        return f"{key} (no clause in the reference data)"


def _totals(el, t: dict) -> None:
    el.set("lines", str(t["lines"]))
    for m in MONEY:
        el.set(MONEY_ELEMENTS[m], money(t[m]))


_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;",
                       "\t": "&#9;"})
_FIELDS = (("returnId", "co_el_no"), ("returnDate", "return_date"), ("invtNo", "invt_no"), ("gnum", "gnum"),
           ("gcode", "gcode"), ("qty", "qty"), ("priceCurrency", "price_currency"), ("exportDate", "export_date"),
           ("tradeMode", "trade_mode"), ("windowEnd", "window_end"), ("policy", "policy"))


def _decision(r: dict, citations: dict) -> str:
    """One Decision element, as lxml would serialise it (tests/test_decisions.py holds the two together)."""
    change = r.get("change") or "NEW"
    supersedes = f' supersedes="{_attr(r["supersedes"])}"' if r.get("supersedes") else ""
    parts = [f'\n<Decision xmlns="{NS}" decidedInBatch="{str(r["batch_id"]).translate(_ATTR)}" change="{change}"'
             f'{supersedes}>']
    for tag, key in _FIELDS:
        value = r.get(key)
        if value is not None and value != "":
            parts.append(f"<{tag}>{str(value).translate(_TEXT)}</{tag}>")
    if citations.get("announcement"):
        parts.append(f"<announcement>{citations['announcement'].translate(_TEXT)}</announcement>")
    for tag, key in (("ebcCode", "ebc_code"), ("ebpCode", "ebp_code"), ("claimReason", "claim_reason")):
        if r.get(key):
            parts.append(f"<{tag}>{str(r[key]).translate(_TEXT)}</{tag}>")
    if r.get("certificate_type"):
        no = f' no="{_attr(r["certificate_no"])}"' if r.get("certificate_no") else ""
        parts.append(f'<Certificate type="{_attr(r["certificate_type"])}"{no}/>')
    parts.append(f"<decision>{r['decision'].translate(_TEXT)}</decision>")
    clauses = citations.get("reasons", {})
    codes = [c for c in r["reasons"].split(";") if c]
    parts.append("<Reasons>" + "".join(
        f'<Reason code="{_attr(c)}" clause="{_attr(clauses.get(c, c))}"/>' for c in codes)
        + "</Reasons>" if codes else "<Reasons/>")
    if citations.get("basis"):
        parts.append(f'<Basis clause="{_attr(citations["basis"])}"/>')
    for m in MONEY:
        if r[m] is not None:
            tag = MONEY_ELEMENTS[m]
            parts.append(f"<{tag}>{money(r[m])}</{tag}>")
    parts.append("</Decision>")
    return "".join(parts)
