"""Numbers derived from an equity curve: drawdown and calendar-month returns.

Monthly return of a month = equity at its last point / equity at the last point of the
previous month - 1; the first month is measured from the curve's first point (the starting
equity). A month with no point (a gap in the data) has no entry, and the next month is
measured from the last point before it. A year's total compounds its months, which equals
equity at the year's last point / equity at the previous year's last point - 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def drawdown(equity: FloatArray) -> FloatArray:
    """Fraction below the running peak at each point: 0 at a new high, -0.25 when 25 % down."""
    equity = np.asarray(equity, dtype=np.float64)
    if equity.size == 0:
        return equity.copy()
    peak = np.maximum.accumulate(equity)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, equity / peak - 1.0, 0.0)
    return dd.astype(np.float64)


@dataclass(frozen=True, slots=True)
class MonthlyReturns:
    """``table[year][month - 1]`` is that month's return (None where there is no data);
    ``yearly[year]`` the compounded year."""

    years: list[int]
    table: dict[int, list[float | None]]
    yearly: dict[int, float]


def monthly_returns(ts_ns: IntArray, equity: FloatArray) -> MonthlyReturns:
    ts_ns = np.asarray(ts_ns, dtype=np.int64)
    equity = np.asarray(equity, dtype=np.float64)
    if ts_ns.size == 0:
        return MonthlyReturns([], {}, {})
    months = ts_ns.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    # index of the last point of every month present (ts ascending, so months are too)
    change = np.flatnonzero(np.diff(months)) + 1
    last_idx = np.append(change - 1, months.size - 1)
    month_ids = months[last_idx]
    closes = equity[last_idx]
    prev = np.concatenate(([equity[0]], closes[:-1]))
    table: dict[int, list[float | None]] = {}
    yearly_growth: dict[int, float] = {}
    for mid, close, before in zip(month_ids.tolist(), closes.tolist(), prev.tolist(), strict=True):
        year, month0 = divmod(int(mid), 12)
        year += 1970
        ret = close / before - 1.0 if before != 0 else float("nan")
        table.setdefault(year, [None] * 12)[month0] = ret
        yearly_growth[year] = yearly_growth.get(year, 1.0) * (1.0 + ret)
    years = sorted(table)
    return MonthlyReturns(years, table, {y: yearly_growth[y] - 1.0 for y in years})
