"""A performance report as one self-contained HTML file.

Everything is inline: the style sheet, the equity and drawdown charts (SVG polylines), the
metrics table, the monthly returns heat table and the trades. No script, font or image is
fetched, so the file opens the same offline, in a mail attachment or years later. Every
text that came from data is escaped.
"""

from __future__ import annotations

import itertools
import math
from html import escape
from typing import Any

import numpy as np

from app.engine.trade_export import iso_utc
from app.reports.curves import FloatArray, IntArray
from app.reports.performance import PerformanceReport

MAX_POINTS = 1500  # chart vertices: more adds bytes, not detail, at page width
MAX_TRADES = 500  # trades listed in the page (the CSV export has them all)
_W, _H, _PAD = 900, 260, 48

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PERCENT = {"total_return", "cagr", "max_drawdown", "win_rate", "exposure"}

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d232a;
background:#fff}h1{font-size:22px;margin:0}h2{font-size:16px;margin:28px 0 8px}
.sub{color:#5b6570;margin:4px 0 16px}table{border-collapse:collapse;font-variant-numeric:
tabular-nums}td,th{padding:3px 8px;border:1px solid #dde2e7;text-align:right}
th{background:#f3f5f7}td.l,th.l{text-align:left}svg{background:#fbfcfd;border:1px solid
#dde2e7}.axis{font-size:11px;fill:#5b6570}.pos{color:#137333}.neg{color:#b3261e}
"""


def _fmt_metric(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "∞" if value > 0 else "—"
        if key in _PERCENT:
            return f"{value * 100:,.2f} %"
        return f"{value:,.4f}" if abs(value) < 100 else f"{value:,.2f}"
    return escape(str(value))


def _thin(ts: IntArray, values: FloatArray) -> tuple[FloatArray, FloatArray]:
    """At most ~MAX_POINTS vertices; every bucket keeps its min and max, so a drawdown's
    bottom and a peak survive the thinning."""
    x = ts.astype(np.float64)
    n = len(values)
    if n <= MAX_POINTS:
        return x, values
    edges = np.linspace(0, n, MAX_POINTS // 2 + 1).astype(np.int64)
    keep: list[int] = []
    for a, b in itertools.pairwise(edges.tolist()):
        if b <= a:
            continue
        seg = values[a:b]
        lo, hi = a + int(np.argmin(seg)), a + int(np.argmax(seg))
        keep.extend(sorted({lo, hi}))
    idx = np.asarray(keep, dtype=np.int64)
    return x[idx], values[idx]


def svg_chart(
    ts: IntArray, values: FloatArray, *, colour: str, fill: bool = False, percent: bool = False
) -> str:
    """A line chart of ``values`` over time with min/max labels and first/last dates."""
    if len(values) == 0:
        return '<p class="sub">no data</p>'
    x, y = _thin(np.asarray(ts, dtype=np.int64), np.asarray(values, dtype=np.float64))
    y = np.where(np.isfinite(y), y, 0.0)
    x0, x1 = float(x[0]), float(x[-1])
    lo, hi = float(y.min()), float(y.max())
    if hi == lo:
        hi, lo = hi + 1.0, lo - 1.0
    span_x = (x1 - x0) or 1.0
    px = _PAD + (x - x0) / span_x * (_W - 2 * _PAD)
    py = _H - _PAD / 2 - (y - lo) / (hi - lo) * (_H - _PAD)
    points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))

    def label(v: float) -> str:
        return f"{v * 100:.1f} %" if percent else f"{v:,.2f}"

    parts = [f'<svg viewBox="0 0 {_W} {_H}" width="100%" role="img">']
    if fill:
        base = _H - _PAD / 2 - (min(max(0.0, lo), hi) - lo) / (hi - lo) * (_H - _PAD)
        area = f"{px[0]:.1f},{base:.1f} {points} {px[-1]:.1f},{base:.1f}"
        parts.append(f'<polygon points="{area}" fill="{colour}" fill-opacity="0.25"/>')
    parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
    top, bottom = _PAD / 2, _H - _PAD / 2
    parts += [
        f'<text class="axis" x="4" y="{top + 4:.0f}">{escape(label(hi))}</text>',
        f'<text class="axis" x="4" y="{bottom:.0f}">{escape(label(lo))}</text>',
        f'<text class="axis" x="{_PAD}" y="{_H - 4}">{iso_utc(int(x0))[:10]}</text>',
        f'<text class="axis" x="{_W - _PAD}" y="{_H - 4}" text-anchor="end">'
        f"{iso_utc(int(x1))[:10]}</text>",
        "</svg>",
    ]
    return "".join(parts)


def _heat(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "<td></td>"
    strength = min(1.0, abs(value) / 0.10)  # ±10 % a month is full colour
    rgb = "19,115,51" if value >= 0 else "179,38,30"
    alpha = 0.12 + 0.6 * strength
    return f'<td style="background:rgba({rgb},{alpha:.2f})">{value * 100:.2f} %</td>'


def monthly_table(report: PerformanceReport) -> str:
    m = report.monthly
    if not m.years:
        return '<p class="sub">no data</p>'
    head = "".join(f"<th>{name}</th>" for name in _MONTHS)
    rows = [f'<table><tr><th class="l">Year</th>{head}<th>Year</th></tr>']
    for year in m.years:
        cells = "".join(_heat(v) for v in m.table[year])
        rows.append(f'<tr><th class="l">{year}</th>{cells}{_heat(m.yearly[year])}</tr>')
    rows.append("</table>")
    return "".join(rows)


def _kv_table(items: dict[str, Any], *, metrics: bool) -> str:
    rows = []
    for key, value in items.items():
        shown = _fmt_metric(key, value) if metrics else escape(str(value))
        rows.append(f'<tr><th class="l">{escape(key.replace("_", " "))}</th><td>{shown}</td></tr>')
    return "<table>" + "".join(rows) + "</table>"


def trades_table(report: PerformanceReport) -> str:
    if not report.trades:
        return '<p class="sub">no trades</p>'
    head = ("Entry", "Exit", "Side", "Qty", "Entry price", "Exit price", "P&L", "Return")
    rows = ["<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for t in report.trades[:MAX_TRADES]:
        tone = "pos" if t.pnl > 0 else "neg" if t.pnl < 0 else ""
        exit_time = "open" if t.exit_ts is None else iso_utc(t.exit_ts)[:16].replace("T", " ")
        exit_price = "—" if t.exit_price is None else f"{t.exit_price:,.4f}"
        rows.append(
            f'<tr><td class="l">{iso_utc(t.entry_ts)[:16].replace("T", " ")}</td>'
            f'<td class="l">{exit_time}</td><td class="l">{"long" if t.side > 0 else "short"}</td>'
            f"<td>{t.qty:,.6g}</td><td>{t.entry_price:,.4f}</td><td>{exit_price}</td>"
            f'<td class="{tone}">{t.pnl:,.2f}</td><td class="{tone}">{t.return_pct:.2f} %</td></tr>'
        )
    rows.append("</table>")
    more = len(report.trades) - MAX_TRADES
    if more > 0:
        rows.append(f'<p class="sub">… and {more:,} more (export the trades CSV for all)</p>')
    return "".join(rows)


def render_html(report: PerformanceReport) -> str:
    title = escape(report.title)
    body = [
        f"<h1>{title}</h1>",
        f'<p class="sub">{escape(report.subtitle)}</p>',
        _kv_table(report.info, metrics=False) if report.info else "",
        "<h2>Metrics</h2>",
        _kv_table(report.metrics, metrics=True),
        "<h2>Equity</h2>",
        svg_chart(report.ts, report.equity, colour="#1a73e8"),
        "<h2>Drawdown</h2>",
        svg_chart(report.ts, report.drawdown, colour="#b3261e", fill=True, percent=True),
        "<h2>Monthly returns</h2>",
        monthly_table(report),
        f"<h2>Trades ({len(report.trades):,})</h2>",
        trades_table(report),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
