"""A performance report: metrics, equity curve, drawdown, monthly returns, round trips.

Two origins, one shape:

* ``from_backtest(result)`` — the backtest's own per-bar equity curve, trades and metrics.
* ``from_fills(fills, capital)`` — live or paper trading from the journal, for any source
  (manual, ``bot:<id>``, or all) and date range. The curve has one point at the start and
  one per fill: ``capital`` + realized P&L − fees so far. Open positions are not marked to
  market (the journal holds fills, not prices), so the curve moves only when a fill
  realizes P&L or pays a fee. A fee charged in the base asset is valued at the fill's price.
  Round trips are rebuilt per symbol from the fills (flat to flat); ``bars_held`` is 0 for
  them because live fills carry no bar index. Metrics are computed on the curve's daily
  closes (``daily_curve``): fills can be seconds apart, and annualising such spacing means
  nothing.

``to_json`` gives a JSON-ready dict (non-finite numbers become null); ``app.reports.html``
renders the HTML file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from app.backtest.config import BacktestConfig
from app.backtest.metrics import compute_metrics
from app.backtest.trades import BacktestFill, RoundTrip, RoundTripBuilder
from app.engine.domain.errors import ValidationError
from app.engine.domain.fills import Fill
from app.engine.trade_export import iso_utc
from app.reports.curves import FloatArray, IntArray, MonthlyReturns, drawdown, monthly_returns

DAY_NS = 86_400 * 1_000_000_000


class _Metrics(Protocol):
    def to_dict(self) -> Mapping[str, Any]: ...


class BacktestLike(Protocol):
    """What a report reads of ``app.backtest.runner.BacktestResult`` (named structurally:
    the window reads reports without importing the runner, which drives the paper venue)."""

    @property
    def metrics(self) -> _Metrics: ...
    @property
    def ts(self) -> IntArray: ...
    @property
    def equity(self) -> FloatArray: ...
    @property
    def trades(self) -> list[RoundTrip]: ...
    @property
    def params(self) -> dict[str, Any]: ...
    @property
    def strategy_id(self) -> str: ...
    @property
    def config(self) -> BacktestConfig: ...


@dataclass(frozen=True, slots=True)
class PerformanceReport:
    title: str
    subtitle: str
    metrics: dict[str, Any]
    ts: IntArray
    equity: FloatArray
    drawdown: FloatArray
    monthly: MonthlyReturns
    trades: list[RoundTrip]
    info: dict[str, str] = field(default_factory=dict)  # strategy, params, source, period...


def build_report(
    title: str,
    ts: IntArray,
    equity: FloatArray,
    trades: Sequence[RoundTrip],
    metrics: Mapping[str, Any],
    *,
    subtitle: str = "",
    info: Mapping[str, str] | None = None,
) -> PerformanceReport:
    ts = np.asarray(ts, dtype=np.int64)
    equity = np.asarray(equity, dtype=np.float64)
    return PerformanceReport(
        title,
        subtitle,
        dict(metrics),
        ts,
        equity,
        drawdown(equity),
        monthly_returns(ts, equity),
        list(trades),
        dict(info or {}),
    )


def from_backtest(result: BacktestLike, title: str = "") -> PerformanceReport:
    config = result.config
    period = _period(result.ts)
    info = {
        "strategy": result.strategy_id,
        "parameters": ", ".join(f"{k}={v}" for k, v in result.params.items()),
        "symbol": str(config.symbol),
        "period": period,
        "starting cash": f"{config.cash} {config.currency}",
        "fees": f"{config.fees_bps} bps",
        "slippage": f"{config.slippage_bps} bps",
        "fill": str(config.fill),
    }
    return build_report(
        title or f"Backtest: {result.strategy_id} on {config.symbol}",
        result.ts,
        result.equity,
        result.trades,
        result.metrics.to_dict(),
        subtitle=period,
        info=info,
    )


def _quote_fee(fill: Fill) -> float:
    base = fill.symbol.split("/", 1)[0]
    if fill.fee_currency and fill.fee_currency == base:
        return float(fill.fee * fill.price)
    return float(fill.fee)


def fills_curve(
    fills: Sequence[Fill], capital: float, start_ns: int | None = None
) -> tuple[IntArray, FloatArray]:
    """One point at ``start_ns`` (or the first fill's time) holding ``capital``, then one
    per fill: capital + realized P&L − fees up to and including that fill."""
    if not fills and start_ns is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    first = start_ns if start_ns is not None else fills[0].ts
    ts = [min(first, fills[0].ts) if fills else first]
    equity = [capital]
    level = capital
    for f in fills:
        level += float(f.realized_pnl or 0) - _quote_fee(f)
        ts.append(f.ts)
        equity.append(level)
    return np.asarray(ts, dtype=np.int64), np.asarray(equity, dtype=np.float64)


def fills_round_trips(fills: Iterable[Fill]) -> list[RoundTrip]:
    """Round trips per symbol (flat to flat), ordered by entry time; open ones included,
    marked at their symbol's last fill price."""
    builders: dict[str, RoundTripBuilder] = {}
    last_price: dict[str, float] = {}
    for f in fills:
        builder = builders.setdefault(f.symbol, RoundTripBuilder())
        qty = Decimal(f.quantity)
        bf = BacktestFill(
            f.ts, 0, f.side.value, float(qty), float(f.price), _quote_fee(f), f.source
        )
        builder.add(bf, qty)
        last_price[f.symbol] = float(f.price)
    trips: list[RoundTrip] = []
    for symbol, builder in builders.items():
        trips.extend(builder.finish(last_price[symbol], 0))
    trips.sort(key=lambda t: t.entry_ts)
    return trips


def from_fills(
    fills: Sequence[Fill],
    capital: float | Decimal,
    *,
    source: str | None = None,
    since_ns: int | None = None,
    until_ns: int | None = None,
    title: str = "",
) -> PerformanceReport:
    """Report of journal fills (already filtered by the caller); see the module docstring."""
    capital = float(capital)
    if not math.isfinite(capital) or capital <= 0:
        raise ValidationError("--capital", "must be a number greater than 0", capital)
    fills = sorted(fills, key=lambda f: f.ts)
    ts, equity = fills_curve(fills, capital, since_ns)
    trips = fills_round_trips(fills)
    metrics: dict[str, Any] = {}
    if len(ts):
        metrics = _fills_metrics(ts, equity, trips, capital, math.fsum(map(_quote_fee, fills)))
        metrics["fills"] = len(fills)
    who = source or "all sources"
    period = _period(ts) if len(ts) else "no fills"
    if since_ns is not None or until_ns is not None:
        period = (
            f"{iso_utc(since_ns)[:10] if since_ns is not None else '…'} to "
            f"{iso_utc(until_ns)[:10] if until_ns is not None else '…'}"
        )
    info = {
        "source": who,
        "period": period,
        "fills": str(len(fills)),
        "capital": f"{capital:,.2f}",
        "equity curve": "capital + realized P&L − fees at each fill (open positions not marked)",
        "metrics": "from the equity at each UTC day's end (Sharpe, Sortino and CAGR over "
        "calendar days; none for a single day)",
    }
    return build_report(
        title or f"Trading performance: {who}",
        ts,
        equity,
        trips,
        metrics,
        subtitle=period,
        info=info,
    )


def daily_curve(ts: IntArray, equity: FloatArray) -> tuple[IntArray, FloatArray]:
    """Equity at the end of every UTC day from the first point's day to the last one's
    (days without a fill carry the previous value), stamped with the day's start."""
    days = ts // DAY_NS
    span = np.arange(days[0], days[-1] + 1, dtype=np.int64)
    last = np.searchsorted(days, span, side="right") - 1  # last point on or before each day
    return span * DAY_NS, equity[last]


def _fills_metrics(
    ts: IntArray, equity: FloatArray, trips: list[RoundTrip], capital: float, fees: float
) -> dict[str, Any]:
    """Metrics of a fills curve on its daily closes: fills come at any moment (seconds
    apart on a busy day), and annualising their spacing would be meaningless (and overflow
    CAGR). One day of data gives no annualised figures (0)."""
    day_ts, day_eq = daily_curve(ts, equity)
    try:
        found = compute_metrics(day_ts, day_eq, trips, 0, initial_equity=capital, fees=fees)
    except OverflowError:  # a huge gain over very few days: CAGR beyond a float
        found = compute_metrics(
            np.zeros(len(day_ts), dtype=np.int64),
            day_eq,
            trips,
            0,
            initial_equity=capital,
            fees=fees,
        )
    out = {k: v for k, v in found.to_dict().items() if k not in ("exposure", "bars")}
    out["days"] = len(day_ts)
    return out


def _period(ts: IntArray) -> str:
    if len(ts) == 0:
        return ""
    first, last = (iso_utc(int(t))[:16].replace("T", " ") for t in (ts[0], ts[-1]))
    return f"{first} to {last} UTC"


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_json(report: PerformanceReport) -> dict[str, Any]:
    return {
        "title": report.title,
        "subtitle": report.subtitle,
        "info": report.info,
        "metrics": {k: _clean(v) for k, v in report.metrics.items()},
        "equity": [
            {"time": iso_utc(int(t)), "equity": _clean(float(e)), "drawdown": _clean(float(d))}
            for t, e, d in zip(report.ts, report.equity, report.drawdown, strict=True)
        ],
        "monthly_returns": {
            str(y): {
                "months": [_clean(v) for v in report.monthly.table[y]],
                "year": _clean(report.monthly.yearly[y]),
            }
            for y in report.monthly.years
        },
        "trades": [
            {
                "entry_time": iso_utc(t.entry_ts),
                "exit_time": None if t.exit_ts is None else iso_utc(t.exit_ts),
                "side": "long" if t.side > 0 else "short",
                "qty": t.qty,
                "entry_price": t.entry_price,
                "exit_price": t.exit_price,
                "pnl": _clean(t.pnl),
                "fees": t.fees,
                "return_pct": _clean(t.return_pct),
                "bars_held": t.bars_held,
                "open": t.open,
            }
            for t in report.trades
        ],
    }


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path``: the file appears complete or not at all."""
    path = Path(path)
    if not path.parent.exists():
        raise ValidationError("--out", f"folder {path.parent} does not exist", str(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_report(report: PerformanceReport, path: Path) -> None:
    """``.html``/``.htm`` -> the HTML page, ``.json`` -> ``to_json``; anything else refused."""
    suffix = Path(path).suffix.lower()
    if suffix in (".html", ".htm"):
        from app.reports.html import render_html

        write_atomic(path, render_html(report))
    elif suffix == ".json":
        write_atomic(path, json.dumps(to_json(report), indent=1, allow_nan=False) + "\n")
    else:
        raise ValidationError("--out", "must end in .html or .json", str(path))
