"""Performance figures of an equity curve and its round trips.

Conventions (the CLI's ``--json`` prints these fields):
- returns are fractions (0.12 = +12 %); ``max_drawdown`` is a positive fraction of the peak;
- per-bar returns are taken from the equity marked at each bar's close, the first against
  the starting equity; ``sharpe`` = mean / sample std × √(bars per year), ``sortino`` = mean /
  downside deviation (root mean square of the negative returns over all bars) × √(bars per
  year), risk-free rate 0;
- a year is 365.25 days of the median bar spacing (markets that close at night or at the
  weekend get fewer real bars per year, so their annualised figures read high);
- ``cagr`` compounds ``total_return`` over ``bars`` × median spacing;
- ``win_rate`` is over closed round trips (0 when none closed); ``profit_factor`` = gross win /
  gross loss of closed round trips: +inf with wins and no loss, 0 with no wins; ``sortino``
  is +inf with a positive mean and no losing bar. Infinite values become ``null`` in
  ``to_dict`` (JSON has no infinity);
- ``exposure`` = fraction of bars that ended with a position.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from app.backtest.trades import RoundTrip
from app.engine.series import FloatArray, IntArray

YEAR_NS = 365.25 * 86_400 * 1_000_000_000


@dataclass(frozen=True, slots=True)
class Metrics:
    bars: int
    trades: int
    closed_trades: int
    final_equity: float
    total_return: float
    cagr: float
    sharpe: float
    sortino: float
    max_drawdown: float
    win_rate: float
    profit_factor: float
    exposure: float
    fees: float
    bars_per_year: float

    def to_dict(self) -> dict[str, float | int | None]:
        """JSON-ready: non-finite floats (an infinite profit factor) become None."""
        out: dict[str, float | int | None] = {}
        for key, value in asdict(self).items():
            if isinstance(value, float) and not math.isfinite(value):
                out[key] = None
            else:
                out[key] = value
        return out


def bars_per_year(ts: IntArray) -> float:
    if len(ts) < 2:
        return 0.0
    spacing = float(np.median(np.diff(ts)))
    return YEAR_NS / spacing if spacing > 0 else 0.0


def max_drawdown(equity: FloatArray, initial: float) -> float:
    if len(equity) == 0:
        return 0.0
    curve = np.concatenate(([initial], equity))
    peak = np.maximum.accumulate(curve)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, 1.0 - curve / peak, 0.0)
    return float(max(dd.max(), 0.0))


def compute_metrics(
    ts: IntArray,
    equity: FloatArray,
    trades: Sequence[RoundTrip],
    exposure_bars: int,
    *,
    initial_equity: float,
    fees: float | None = None,
) -> Metrics:
    """Figures for ``equity`` (one value per bar at ``ts``, marked at the close) that began
    at ``initial_equity``. Walk-forward stitches segments and calls this on the whole."""
    n = len(equity)
    per_year = bars_per_year(ts)
    final = float(equity[-1]) if n else initial_equity
    total = final / initial_equity - 1.0
    years = n / per_year if per_year > 0 else 0.0
    if years > 0 and final > 0:
        cagr = (final / initial_equity) ** (1.0 / years) - 1.0
    elif years > 0:
        cagr = -1.0
    else:
        cagr = 0.0
    sharpe = sortino = 0.0
    if n >= 2 and per_year > 0:
        curve = np.concatenate(([initial_equity], equity))
        with np.errstate(divide="ignore", invalid="ignore"):
            returns = np.where(curve[:-1] != 0, np.diff(curve) / curve[:-1], 0.0)
        mean = float(returns.mean())
        std = float(returns.std(ddof=1))
        scale = math.sqrt(per_year)
        if std > 0:
            sharpe = mean / std * scale
        downside = float(np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2)))
        if downside > 0:
            sortino = mean / downside * scale
        elif mean > 0:
            sortino = math.inf
    closed = [t for t in trades if not t.open]
    wins = [t.pnl for t in closed if t.pnl > 0]
    losses = [-t.pnl for t in closed if t.pnl < 0]
    gross_win, gross_loss = math.fsum(wins), math.fsum(losses)
    if gross_loss > 0:
        profit_factor = gross_win / gross_loss
    elif gross_win > 0:
        profit_factor = math.inf
    else:
        profit_factor = 0.0
    return Metrics(
        bars=n,
        trades=len(trades),
        closed_trades=len(closed),
        final_equity=final,
        total_return=total,
        cagr=cagr,
        sharpe=sharpe,
        sortino=sortino,
        max_drawdown=max_drawdown(equity, initial_equity),
        win_rate=len(wins) / len(closed) if closed else 0.0,
        profit_factor=profit_factor,
        exposure=exposure_bars / n if n else 0.0,
        fees=math.fsum(t.fees for t in trades) if fees is None else fees,
        bars_per_year=per_year,
    )
