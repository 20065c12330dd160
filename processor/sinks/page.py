"""report.html: the night on one self-contained page (inline CSS and SVG, no script, nothing fetched), in
Chinese and English: counts and money totals (the same figures as summary.json), charts of the decisions by
reason, the exempted amounts by policy version and supervision code, and the PENDING backlog by days left;
tables of revisions, pay-backs, the backlog and quarantine; each return id a link to its trail of rules (what
`processor explain` prints). A big night shows the first rows of each table: report.xlsx has them all."""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date
from html import escape
from pathlib import Path

from . import MONEY, money
from .charts import bar_chart, grouped_bars
from .words import CHANGE_WORDS, DECISION_WORDS, days_left, heading, missing_words

FIRST_ROWS = 200  # per table on the page
BUCKETS = (("已过期 overdue", None, -1), ("0-7 天 days", 0, 7), ("8-15 天 days", 8, 15), ("16-30 天 days", 16, 30),
           ("31-60 天 days", 31, 60), ("60 天以上 over 60 days", 61, None))
EXEMPTED = ("import_duty", "consumption_tax", "import_vat", "export_duty_refund")
STYLE = """
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:24px;
color:#1f2328;max-width:1240px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;border-bottom:2px solid #2F5597;padding-bottom:3px;margin-top:28px}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0}th,td{border:1px solid #c8ccd1;padding:3px 6px;
text-align:left;vertical-align:top}th{background:#DDEBF7}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.urgent td{background:#FCE4D6}.note{color:#57606a;font-size:12px}figure{margin:10px 0}
figcaption{font-weight:bold;font-size:13px}.charts{display:flex;flex-wrap:wrap;gap:18px}
.charts figure{flex:1 1 560px}svg{max-width:100%;height:auto}article{border-left:3px solid #2F5597;
padding-left:10px;margin:14px 0}article:target{background:#FFF7E0}code{font-size:12px}
"""


def anchor(co_el_no: str) -> str:
    """The page's id of a return's trail: stable, and safe whatever characters the return id holds."""
    return "r-" + hashlib.blake2b(co_el_no.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()


def _td(value, numeric: bool = False) -> str:
    text = "" if value is None else str(value)
    return f'<td class="n">{escape(text)}</td>' if numeric else f"<td>{escape(text)}</td>"


def _return_link(co: str) -> str:
    return f'<td><a href="#{anchor(co)}">{escape(co)}</a></td>'


class Page:
    """The report.html sink (sinks protocol)."""

    file_name = "report.html"

    def open(self, path: Path, header) -> None:
        self._path = path
        self._header = header
        self._reasons: Counter = Counter()
        self._exempted: Counter = Counter()  # (policy, trade mode) -> exempted amount
        self._shown: dict = {"decisions": [], "revisions": [], "payback": []}
        self._counts = Counter()
        self._keys: set = set()

    def decision(self, r: dict) -> None:
        for code in (r["reasons"].split(";") if r["reasons"] else [r["decision"]]):
            self._reasons[code] += 1
        if r["decision"] == "EXEMPT" and r.get("change") != "WITHDRAWN" and r["batch_id"] == self._header.batch_id:
            # what this batch exempted (a rerun's rows, reported again as an earlier batch decided them, are not)
            self._exempted[(r["policy"] or "-", r["trade_mode"] or "-")] += sum(
                float(r[m] or 0) for m in EXEMPTED)
        kinds = ["decisions"]
        if r.get("change") in ("REVISED", "WITHDRAWN"):
            kinds.append("revisions")
        if float(r["backpay_vat"] or 0) or float(r["backpay_ct"] or 0):
            kinds.append("payback")
        for kind in kinds:
            self._counts[kind] += 1
            if len(self._shown[kind]) < FIRST_ROWS:
                self._shown[kind].append(r)
                self._keys.add((r["co_el_no"], r["gnum"], r["version"]))

    def close(self, totals: dict) -> None:
        views = self._header.views
        as_of = views.as_of if views is not None else date.today()
        buckets = Counter()
        for window_end, n in (views.pending_by_window_end() if views is not None else ()):
            buckets[_bucket(days_left(window_end, as_of))] += n
        n_backlog = sum(buckets.values())
        backlog = list(views.pending(FIRST_ROWS)) if views is not None else []
        self._keys.update((p["co_el_no"], p["gnum"], p["version"]) for p in backlog)
        quarantine, n_quarantine = [], 0
        for q in (views.quarantined() if views is not None else ()):
            n_quarantine += 1
            if len(quarantine) < FIRST_ROWS:
                quarantine.append(q)
        trails = views.trails(self._keys) if views is not None else {}
        html = "".join(self._page(totals, as_of, backlog, n_backlog, buckets, quarantine, n_quarantine, trails))
        self._path.write_text(html, encoding="utf-8")

    def discard(self) -> None:
        pass

    # -- the page ------------------------------------------------------------------------------------
    def _page(self, totals, as_of, backlog, n_backlog, buckets, quarantine, n_quarantine, trails):
        h = self._header
        yield ('<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
               '<meta name="viewport" content="width=device-width, initial-scale=1">'
               f"<title>退运批次报告 Batch report {escape(h.batch_id)}</title><style>{STYLE}</style></head><body>\n")
        yield ("<header><h1>跨境电商出口退运 批次报告 · Cross-border export returns: batch report</h1>"
               f'<p>批次 Batch <b id="batch-id">{escape(h.batch_id)}</b> · 运行 Run at {escape(h.run_at)} · '
               f"报告日期 As of {as_of.isoformat()} · processor {escape(h.software_version)}</p></header>\n")
        yield from self._totals(totals)
        yield from self._charts(buckets)
        yield from self._table("revisions", "更正 Revisions (REVISED / WITHDRAWN)", self._shown["revisions"],
                               self._counts["revisions"],
                               ("return_id", "gnum", "invt_no", "change", "supersedes", "prev_decision", "decision",
                                "reasons", "import_vat", "backpay_vat"))
        yield from self._table("payback", "补税 Pay-back", self._shown["payback"], self._counts["payback"],
                               ("return_id", "gnum", "invt_no", "gname", "decision", "backpay_vat", "backpay_ct",
                                "certificate_type", "certificate_no", "change"))
        yield from self._backlog(backlog, n_backlog)
        yield from self._table("decisions", "决定 Decisions", self._shown["decisions"], self._counts["decisions"],
                               ("return_id", "gnum", "invt_no", "gname", "return_date", "window_end", "decision",
                                "reasons", "import_duty", "consumption_tax", "import_vat", "change"))
        yield from self._quarantine(quarantine, n_quarantine)
        yield from self._trails(trails)
        yield "</body></html>\n"

    def _totals(self, totals):
        net = totals["NET"]
        rows = [("报告行数 Lines reported", "decisions.lines", totals["ALL"]["lines"])]
        rows += [(DECISION_WORDS[d], f"decisions.{d}", totals[d]["lines"]) for d in DECISION_WORDS]
        rows += [(f"{CHANGE_WORDS[c]} rows", f"totals.{c}.lines", totals[c]["lines"]) for c in CHANGE_WORDS]
        rows += [("仅重报 Reported again only (a rerun)", "totals.AGAIN.lines", totals["AGAIN"]["lines"])]
        amounts = [(f"免税 Exempted: {heading(m)}", f"net_change.EXEMPT.{m}", money(net["EXEMPT"][m]))
                   for m in EXEMPTED]
        amounts += [(f"补税 Pay-back: {heading(m)}", f"net_change.ALL.{m}", money(net["ALL"][m]))
                    for m in ("backpay_vat", "backpay_ct")]
        yield '<section id="totals"><h2>本批次 This batch</h2><p class="note">金额为本批次所作决定的净变化（CNY）。' \
              " Amounts are the net change this batch's decisions make (CNY), as summary.json's net_change.</p>"
        yield '<div class="charts"><table><tr><th>项目 Item</th><th>行 Lines</th></tr>'
        for label, key, value in rows:
            yield f'<tr><td>{escape(label)}</td><td class="n" data-summary="{key}">{value}</td></tr>'
        yield '</table><table><tr><th>项目 Item</th><th>金额 Amount (CNY)</th></tr>'
        for label, key, value in amounts:
            yield f'<tr><td>{escape(label)}</td><td class="n" data-summary="{key}">{value}</td></tr>'
        yield "</table></div></section>\n"

    def _charts(self, buckets: Counter):
        import pandas as pd

        reasons = pd.Series(self._reasons, dtype="int64").sort_values(ascending=False)
        exempted = pd.DataFrame([(p, c, v) for (p, c), v in self._exempted.items()],
                                columns=["policy", "code", "amount"])
        table = (exempted.pivot_table(index="policy", columns="code", values="amount", aggfunc="sum", fill_value=0.0)
                 if len(exempted) else pd.DataFrame())
        yield '<section id="charts"><h2>图表 Charts</h2><div class="charts">'
        yield ('<figure data-chart="reasons"><figcaption>决定及原因 Decisions by reason</figcaption>'
               + bar_chart("按原因代码 by reason code (EXEMPT: none)", [str(i) for i in reasons.index],
                           [int(v) for v in reasons.values], "行数 lines") + "</figure>")
        yield ('<figure data-chart="exempted"><figcaption>免税金额 Exempted amounts by policy version and '
               "supervision code</figcaption>"
               + grouped_bars("免税税额 exempted taxes (CNY)", table, "CNY") + "</figure>")
        labels = [b[0] for b in BUCKETS]
        yield ('<figure data-chart="backlog"><figcaption>待补积压 PENDING backlog by days left</figcaption>'
               + bar_chart("按剩余天数 by days left to window end", labels, [buckets[label] for label in labels],
                           "行数 lines", color="#C55A11") + "</figure>")
        yield "</div></section>\n"

    def _table(self, section: str, title: str, rows: list, n: int, columns: tuple):
        yield f'<section id="{section}"><h2>{escape(title)}</h2>'
        if not rows:
            yield '<p class="note">无 None.</p></section>\n'
            return
        if n > len(rows):
            yield f'<p class="note">前 {len(rows):,} 行，共 {n:,} 行；全部见 report.xlsx。 The first {len(rows):,} of ' \
                  f"{n:,} rows; report.xlsx has them all.</p>"
        yield "<table><tr>" + "".join(f"<th>{escape(heading(c) if c != 'prev_decision' else '原结论 Before')}</th>"
                                      for c in columns) + "</tr>"
        for r in rows:
            cells = []
            for c in columns:
                if c == "return_id":
                    cells.append(_return_link(r["co_el_no"]))
                else:
                    value = r.get(c)
                    cells.append(_td(money(value) if c in MONEY and value is not None else value, c in MONEY))
            yield "<tr>" + "".join(cells) + "</tr>"
        yield "</table></section>\n"

    def _backlog(self, backlog: list, n: int):
        yield '<section id="pending"><h2>待补 PENDING backlog (全部账本 every PENDING line in the ledger)</h2>'
        if not backlog:
            yield '<p class="note">无 None.</p></section>\n'
            return
        if n > len(backlog):
            yield f'<p class="note">前 {len(backlog):,} 行，共 {n:,} 行；全部见 report.xlsx。 The first ' \
                  f"{len(backlog):,} of {n:,} lines; report.xlsx has them all.</p>"
        columns = ("return_id", "gnum", "invt_no", "gname", "window_end", "days_left", "missing")
        yield "<table><tr>" + "".join(f"<th>{escape(heading(c))}</th>" for c in columns) + "</tr>"
        for p in backlog:
            yield (f'<tr{" class=urgent" if p["urgent"] else ""}>' + _return_link(p["co_el_no"]) + _td(p["gnum"], True)
                   + _td(p["invt_no"]) + _td(p["gname"]) + _td(p["window_end"]) + _td(p["days_left"], True)
                   + _td(missing_words(p["reasons"])) + "</tr>")
        yield "</table></section>\n"

    def _quarantine(self, rows: list, n: int):
        yield f'<section id="quarantine"><h2>隔离 Quarantine ({n:,})</h2>'
        if not rows:
            yield '<p class="note">无 None.</p></section>\n'
            return
        if n > len(rows):
            yield f'<p class="note">The first {len(rows):,} of {n:,} rows; quarantine.csv and report.xlsx have all.</p>'
        columns = ("file", "line", "kind", "record_key", "field", "problem", "expected")
        yield "<table><tr>" + "".join(f"<th>{escape(heading(c))}</th>" for c in columns) + "</tr>"
        for q in rows:
            yield "<tr>" + "".join(_td(v, i == 1) for i, v in enumerate(q)) + "</tr>"
        yield "</table></section>\n"

    def _trails(self, trails: dict):
        yield '<section id="trails"><h2>决定过程 How each line was decided (processor explain)</h2>'
        by_return: dict = {}
        for (co, gnum, version), trail in sorted(trails.items()):
            by_return.setdefault(co, []).append((gnum, version, trail))
        for co, lines in by_return.items():
            yield f'<article id="{anchor(co)}"><h3>退货单 Return {escape(co)}</h3>'
            for gnum, version, trail in lines:
                yield f"<p><b>项号 gnum {gnum}</b> · 版本 version {version}</p><table>"
                for step in json.loads(trail):
                    label = step.get("code") or step["step"]
                    yield (f"<tr><td><code>{escape(label)}</code></td><td>{escape(step['detail'])}<br>"
                           f'<span class="note">{escape(step["reference"])}</span></td></tr>')
                yield "</table>"
            yield "</article>"
        yield "</section>\n"


def _bucket(days: int | None) -> str:
    if days is None:
        return BUCKETS[-1][0]
    for label, low, high in BUCKETS:
        if (low is None or days >= low) and (high is None or days <= high):
            return label
    return BUCKETS[-1][0]
