"""The StrategyContext of a backtest: what a strategy reads and how its intents are queued.

Reads are answered from the runner's float mirror of the account (kept from the engine's
fills), so they cost nothing on the bars where nothing happens. Intents are collected during
``on_bar`` and executed by the runner afterwards, at the bar's close or the next bar's open.
Intents made before the strategy's indicators are warm are ignored (as in a bot).
"""

from __future__ import annotations

from app.backtest.session import SimSession
from app.engine.series import BarSeries, IntArray
from app.strategies.base import OrderIntent, Sentiment


class BacktestContext:
    def __init__(
        self, series: BarSeries, session: SimSession, timeframe: str, ends: IntArray
    ) -> None:
        self.symbol = session.symbol
        self.timeframe = timeframe
        self.series = series
        self.session = session
        self.close = series.close
        self.ends = ends  # each bar's close time: "now" while the strategy looks at it
        self.i = 0
        self.trade_from = 0  # first bar whose intents count (indicators warm)
        self.intents: list[OrderIntent] = []
        self.queued = False  # intents from the previous bar waiting for this bar's open

    def position(self) -> float:
        return self.session.position

    def entry_price(self) -> float | None:
        if self.session.position == 0:
            return None
        return float(self.session.engine.portfolio.positions[self.symbol].avg_price)

    def equity(self) -> float:
        s = self.session
        return s.cash + s.position * float(self.close[self.i]) if s.position else s.cash

    def cash(self) -> float:
        return self.session.cash

    def history(self, n: int) -> BarSeries:
        stop = self.i + 1
        return self.series.slice(max(0, stop - max(n, 0)), stop)

    def now_ns(self) -> int:
        return int(self.ends[self.i])

    def pending(self) -> bool:
        # a resting stop-loss or take-profit protects the position; it is not "on its way"
        return bool(self.intents) or self.queued or self.session.waiting

    def submit(self, intent: OrderIntent) -> None:
        if self.i >= self.trade_from:
            self.intents.append(intent)

    def log(self, message: str) -> None:
        self.session.note(f"bar {self.i}: {message}")

    def sentiment(self) -> Sentiment | None:
        return None
