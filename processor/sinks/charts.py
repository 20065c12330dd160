"""The page's charts: matplotlib drawn to SVG text, inlined in report.html (nothing fetched, nothing to install
in the reader's browser). Text stays text (svg.fonttype none): the browser draws the labels, Chinese included,
and a test can read them."""
from __future__ import annotations

import io
import logging
import re
import warnings

_XML_HEAD = re.compile(r"^.*?(<svg\b)", re.S)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display, no GUI toolkit
    import matplotlib.pyplot as plt

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # a CJK glyph it lacks: the browser has it
    matplotlib.rcParams.update({"svg.fonttype": "none", "font.size": 10, "axes.spines.top": False,
                                "axes.spines.right": False, "svg.hashsalt": "processor",  # the same bytes each run
                                "font.family": "DejaVu Sans"})  # for layout; the browser draws the text
    return plt


def _svg(fig, plt) -> str:
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a CJK glyph missing from matplotlib's fonts: the browser draws the text
        fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return _XML_HEAD.sub(r"\1", out.getvalue(), count=1)


def _nothing(ax) -> None:
    """An empty chart says so, rather than showing bare axes."""
    ax.text(0.5, 0.5, "无 none", ha="center", va="center", transform=ax.transAxes)
    ax.set_yticks([])


def _finished(fig, ax, plt, title: str, xlabel: str) -> str:
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    return _svg(fig, plt)


def bar_chart(title: str, labels: list, values: list, xlabel: str, color: str = "#2F5597") -> str:
    """A horizontal bar chart, a bar per label, each with its value written at its end."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * max(len(labels), 2) + 1.2))
    if labels:
        bars = ax.barh(range(len(labels)), values, color=color)
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.bar_label(bars, labels=[f"{v:,.2f}" if isinstance(v, float) else f"{v:,}" for v in values], padding=3)
    else:
        _nothing(ax)
    return _finished(fig, ax, plt, title, xlabel)


def grouped_bars(title: str, frame, xlabel: str) -> str:
    """One bar per (row, column) of a small pandas frame (rows: policy versions; columns: supervision codes)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 0.6 * max(len(frame.index), 2) + 1.4))
    if len(frame.index) and len(frame.columns):
        frame.plot.barh(ax=ax, width=0.8)
        ax.invert_yaxis()
        for container in ax.containers:
            ax.bar_label(container, labels=[f"{v:,.2f}" if v else "" for v in container.datavalues], padding=3)
        ax.legend(title="监管方式 code", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        ax.set_ylabel("政策版本 policy")
    else:
        _nothing(ax)
    return _finished(fig, ax, plt, title, xlabel)
