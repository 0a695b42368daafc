"""Bars as numbers: the float view of market history that indicators, strategies, the
scanner and the backtester compute on.

Money stays Decimal in orders, fills and positions; analysis runs on float64 arrays. A
``Candle`` is one bar handed to a strategy; a ``BarSeries`` is a column store of many bars
(numpy arrays, ascending open times in UTC epoch nanoseconds) that vectorised code reads
without building one Python object per bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.engine.domain.market import Bar

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Candle:
    """One bar in floats. ``ts`` is the bar's OPEN time, UTC epoch nanoseconds."""

    ts: int
    open: float
    high: float
    low: float
    close: float
    volume: float

    @classmethod
    def from_bar(cls, bar: Bar) -> Candle:
        return cls(
            bar.ts,
            float(bar.open),
            float(bar.high),
            float(bar.low),
            float(bar.close),
            float(bar.volume),
        )


@dataclass(frozen=True, slots=True, eq=False)
class BarSeries:
    """Columns of bars, oldest first. All arrays have the same length."""

    ts: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    symbol: str = ""
    timeframe: str = ""

    def __post_init__(self) -> None:
        n = len(self.ts)
        for name in ("open", "high", "low", "close", "volume"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"BarSeries.{name} has {len(getattr(self, name))} rows, ts {n}")

    def __len__(self) -> int:
        return len(self.ts)

    def candle(self, i: int) -> Candle:
        return Candle(
            int(self.ts[i]),
            float(self.open[i]),
            float(self.high[i]),
            float(self.low[i]),
            float(self.close[i]),
            float(self.volume[i]),
        )

    def candles(self) -> list[Candle]:
        """Every bar as a Candle (for feeding incremental code; O(n) objects)."""
        cols = zip(
            self.ts.tolist(),
            self.open.tolist(),
            self.high.tolist(),
            self.low.tolist(),
            self.close.tolist(),
            self.volume.tolist(),
            strict=True,
        )
        return [Candle(*row) for row in cols]

    def slice(self, start: int, stop: int) -> BarSeries:
        return BarSeries(
            self.ts[start:stop],
            self.open[start:stop],
            self.high[start:stop],
            self.low[start:stop],
            self.close[start:stop],
            self.volume[start:stop],
            self.symbol,
            self.timeframe,
        )

    @classmethod
    def from_candles(
        cls, candles: Sequence[Candle], symbol: str = "", timeframe: str = ""
    ) -> BarSeries:
        return cls(
            np.fromiter((c.ts for c in candles), dtype=np.int64, count=len(candles)),
            np.fromiter((c.open for c in candles), dtype=np.float64, count=len(candles)),
            np.fromiter((c.high for c in candles), dtype=np.float64, count=len(candles)),
            np.fromiter((c.low for c in candles), dtype=np.float64, count=len(candles)),
            np.fromiter((c.close for c in candles), dtype=np.float64, count=len(candles)),
            np.fromiter((c.volume for c in candles), dtype=np.float64, count=len(candles)),
            symbol,
            timeframe,
        )

    @classmethod
    def from_bars(cls, bars: Sequence[Bar]) -> BarSeries:
        symbol = bars[0].symbol if bars else ""
        timeframe = bars[0].timeframe.value if bars else ""
        return cls.from_candles([Candle.from_bar(b) for b in bars], symbol, timeframe)
