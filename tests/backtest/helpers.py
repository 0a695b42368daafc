"""Bars made by hand and a strategy that does exactly what a test scripts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np

from app.engine.series import BarSeries, Candle
from app.strategies.base import Strategy, StrategyFill
from app.strategies.indicators import SMA

HOUR_NS = 3_600_000_000_000
START_NS = 1_700_000_000_000_000_000 // HOUR_NS * HOUR_NS


def bars(
    closes: Sequence[float],
    *,
    opens: Sequence[float] | None = None,
    highs: Sequence[float] | None = None,
    lows: Sequence[float] | None = None,
    step_ns: int = HOUR_NS,
) -> BarSeries:
    """Hourly bars; open defaults to the previous close, high/low to the body."""
    c = np.asarray(closes, dtype=np.float64)
    o = np.asarray(opens, dtype=np.float64) if opens is not None else np.r_[c[:1], c[:-1]]
    h = np.asarray(highs, dtype=np.float64) if highs is not None else np.maximum(o, c)
    lo = np.asarray(lows, dtype=np.float64) if lows is not None else np.minimum(o, c)
    ts = START_NS + np.arange(len(c), dtype=np.int64) * step_ns
    return BarSeries(ts, o, h, lo, c, np.ones(len(c)), "TEST/USD", "1h")


Action = Callable[[Strategy], None]


class Scripted(Strategy):
    """Runs ``script[i](self)`` on bar i; records what it saw. ``stopped`` (shared by the
    class, so a test can read it after the run) gets the bar count at each ``on_stop``."""

    id = "scripted"
    script: ClassVar[dict[int, Action]] = {}
    stopped: ClassVar[list[int]] = []

    def on_start(self) -> None:
        self.seen: list[Candle] = []
        self.fills: list[StrategyFill] = []
        self.positions: list[float] = []

    def on_bar(self, bar: Candle) -> None:
        self.seen.append(bar)
        self.positions.append(self.position)
        action = self.script.get(len(self.seen) - 1)
        if action is not None:
            action(self)

    def on_fill(self, fill: StrategyFill) -> None:
        self.fills.append(fill)

    def on_stop(self) -> None:
        self.stopped.append(len(self.seen))


def scripted(script: dict[int, Action]) -> type[Scripted]:
    return type("ScriptedRun", (Scripted,), {"script": script, "stopped": []})


class Cross(Strategy):
    """An SMA cross written here (not the reference module): enters on a cross up, exits on
    a cross down, and logs each fill it hears about."""

    id = "test_cross"

    def on_start(self) -> None:
        self.fast = self.indicator(SMA(3))
        self.slow = self.indicator(SMA(8))
        self.prev: tuple[float, float] | None = None
        self.heard = 0

    def on_bar(self, bar: Candle) -> None:
        f, s = self.fast.value, self.slow.value
        if f is None or s is None:
            return
        prev, self.prev = self.prev, (f, s)
        if prev is None or self.ctx.pending():
            return
        if self.flat and prev[0] <= prev[1] and f > s:
            self.buy()
        elif self.position > 0 and prev[0] >= prev[1] and f < s:
            self.close()

    def on_fill(self, fill: StrategyFill) -> None:
        self.heard += 1
