"""Volume: OBV, MFI and VWAP (rolling or anchored to the UTC session)."""

from __future__ import annotations

import numpy as np

from app.engine.domain.errors import ValidationError
from app.engine.series import BarSeries, Candle, FloatArray
from app.strategies.indicators.base import (
    RollingSum,
    ScalarIndicator,
    check_period,
    rolling_sum,
    typical_price,
)

DAY_NS = 86_400_000_000_000


class OBV(ScalarIndicator):
    """On-balance volume: starts at 0 on bar 0, then adds the volume on an up close,
    subtracts it on a down close and leaves it on an unchanged close (Granville).

    ``ta``'s OnBalanceVolumeIndicator differs: it counts bar 0's volume and ADDS the
    volume on an unchanged close. The total is Neumaier-compensated so a million updates
    stay exact to rounding."""

    def __init__(self) -> None:
        self.warmup = 1
        self.reset()

    def reset(self) -> None:
        self._prev: float | None = None
        self._sum = 0.0
        self._comp = 0.0
        self.value = None

    def update(self, close: float, volume: float) -> float | None:
        prev = self._prev
        self._prev = close
        if prev is not None and close != prev:
            x = volume if close > prev else -volume
            s = self._sum
            t = s + x
            self._comp += (s - t) + x if abs(s) >= abs(x) else (x - t) + s
            self._sum = t
        self.value = self._sum + self._comp
        return self.value

    def update_candle(self, c: Candle) -> float | None:
        return self.update(c.close, c.volume)

    def batch_arrays(self, s: BarSeries) -> FloatArray:
        flow = np.zeros(len(s))
        if len(s) > 1:
            flow[1:] = np.sign(np.diff(s.close)) * s.volume[1:]
        return np.cumsum(flow)


class MFI(ScalarIndicator):
    """Money flow index, 0..100, over the last ``period`` typical-price changes (so the
    first value needs ``period + 1`` bars; ``ta`` reports one bar earlier over a window
    whose first bar has no change, and agrees with us from bar ``period`` on). A window
    with no negative flow reads 100, with no flow at all 50 (ta gives NaN)."""

    def __init__(self, period: int = 14) -> None:
        self.period = check_period("period", period)
        self.warmup = self.period + 1
        self.reset()

    def _params(self) -> dict[str, object]:
        return {"period": self.period}

    def reset(self) -> None:
        self._pos = RollingSum(self.period)
        self._neg = RollingSum(self.period)
        # counts of non-zero flows in the window, so an empty side is exactly zero rather
        # than the residue of a running sum
        self._npos = 0
        self._nneg = 0
        self._prev: float | None = None
        self._n = 0
        self.value = None

    def update(self, high: float, low: float, close: float, volume: float) -> float | None:
        tp = (high + low + close) / 3.0
        prev = self._prev
        self._prev = tp
        if prev is None:
            return None
        flow = tp * volume
        up = flow if tp > prev else 0.0
        down = flow if tp < prev else 0.0
        if self._pos.push(up) != 0.0:
            self._npos -= 1
        if self._neg.push(down) != 0.0:
            self._nneg -= 1
        self._npos += up != 0.0
        self._nneg += down != 0.0
        self._n += 1
        if self._n < self.period:
            return None
        pos = self._pos.total if self._npos else 0.0
        neg = self._neg.total if self._nneg else 0.0
        if neg == 0.0:
            self.value = 50.0 if pos == 0.0 else 100.0
        else:
            self.value = 100.0 - 100.0 / (1.0 + pos / neg)
        return self.value

    def update_candle(self, c: Candle) -> float | None:
        return self.update(c.high, c.low, c.close, c.volume)

    def batch_arrays(self, s: BarSeries) -> FloatArray:
        tp = typical_price(s)
        flow = tp * s.volume
        up = np.zeros(len(tp))
        down = np.zeros(len(tp))
        if len(tp) > 1:
            up[1:] = np.where(tp[1:] > tp[:-1], flow[1:], 0.0)
            down[1:] = np.where(tp[1:] < tp[:-1], flow[1:], 0.0)
        pos = rolling_sum(up, self.period, 1)
        neg = rolling_sum(down, self.period, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            mfi = 100.0 - 100.0 / (1.0 + pos / neg)
        return np.where(neg == 0.0, np.where(pos == 0.0, 50.0, 100.0), mfi)


class VWAP(ScalarIndicator):
    """Volume-weighted average typical price.

    anchor="rolling" (default): over the last ``period`` bars, as ``ta``'s
    VolumeWeightedAveragePrice. anchor="session": cumulative since the first bar of the
    bar's UTC day, restarting at each UTC midnight; it needs the bar time, so feed it with
    ``update_candle`` (or pass ``ts``). When the window has no volume at all the value is
    the plain mean typical price (ta gives NaN)."""

    def __init__(self, period: int = 14, anchor: str = "rolling") -> None:
        if anchor not in ("rolling", "session"):
            raise ValidationError("anchor", "must be 'rolling' or 'session'", anchor)
        self.anchor = anchor
        self.period = check_period("period", period)
        self.warmup = self.period if anchor == "rolling" else 1
        self.reset()

    def _params(self) -> dict[str, object]:
        return {"period": self.period, "anchor": self.anchor}

    def reset(self) -> None:
        n = self.period if self.anchor == "rolling" else 1
        self._pv = RollingSum(n)
        self._v = RollingSum(n)
        self._tp = RollingSum(n)
        self._nvol = 0
        self._day: int | None = None
        self._spv = self._sv = self._stp = 0.0
        self._sn = 0
        self.value = None

    def update(
        self, high: float, low: float, close: float, volume: float, ts: int | None = None
    ) -> float | None:
        tp = (high + low + close) / 3.0
        if self.anchor == "session":
            return self._update_session(tp, volume, ts)
        if self._v.push(volume) != 0.0:
            self._nvol -= 1
        self._nvol += volume != 0.0
        self._pv.push(tp * volume)
        self._tp.push(tp)
        if not self._v.full:
            return None
        if self._nvol:
            self.value = self._pv.total / self._v.total
        else:
            self.value = self._tp.total / self.period
        return self.value

    def _update_session(self, tp: float, volume: float, ts: int | None) -> float:
        if ts is None:
            raise ValidationError("ts", "is required when anchor='session'")
        day = ts // DAY_NS
        if day != self._day:
            self._day = day
            self._spv = self._sv = self._stp = 0.0
            self._sn = 0
        self._spv += tp * volume
        self._sv += volume
        self._stp += tp
        self._sn += 1
        value = self._spv / self._sv if self._sv != 0.0 else self._stp / self._sn
        self.value = value
        return value

    def update_candle(self, c: Candle) -> float | None:
        return self.update(c.high, c.low, c.close, c.volume, c.ts)

    def batch_arrays(self, s: BarSeries) -> FloatArray:
        tp = typical_price(s)
        pv = tp * s.volume
        if self.anchor == "rolling":
            n = self.period
            vsum = rolling_sum(s.volume, n)
            with np.errstate(divide="ignore", invalid="ignore"):
                vwap = rolling_sum(pv, n) / vsum
            return np.where(vsum == 0.0, rolling_sum(tp, n) / n, vwap)
        out = np.empty(len(tp))
        if len(tp) == 0:
            return out
        day = s.ts // DAY_NS
        starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]])
        # per-session cumulative sums: cumsum within each session via reduceat offsets
        lengths = np.diff(np.r_[starts, len(tp)])
        session = np.repeat(np.arange(len(starts)), lengths)
        pos = np.arange(len(tp)) - starts[session] + 1
        spv = _segment_cumsum(pv, starts, session)
        sv = _segment_cumsum(s.volume.astype(np.float64), starts, session)
        stp = _segment_cumsum(tp, starts, session)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = spv / sv
        return np.where(sv == 0.0, stp / pos, out)


def _segment_cumsum(x: FloatArray, starts: np.ndarray, session: np.ndarray) -> FloatArray:
    # cumsum, then remove everything summed before the segment began
    cs = np.cumsum(x)
    before = np.r_[0.0, cs][starts]
    out: FloatArray = cs - before[session]
    return out
