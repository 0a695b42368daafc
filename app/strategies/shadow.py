"""A shadow book: runs a strategy on bars with instant, simulated fills and no engine.

The "auto" strategy uses it to score each candidate strategy on the live bars without
trading it; tests use it to drive a strategy over real candles. Fills happen at the current
bar's close (a limit intent fills at its price if the bar traded through it, else it is
dropped); a stop-loss or take-profit attached to an entry is checked against each later
bar's low/high, the stop first when both are touched (the conservative reading). Sizing when
the intent leaves it open: ``stake`` of equity at the fill price.

This is a scoring device, not the backtester: no fees model beyond ``fee_rate``, no lots,
no risk gate. Real backtests go through the engine and the paper exchange.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.engine.domain.orders import OrderSide
from app.engine.series import BarSeries, Candle
from app.strategies.base import OrderIntent, Sentiment, Strategy, StrategyFill


@dataclass(frozen=True, slots=True)
class ShadowTrade:
    """A closed round trip in the shadow book."""

    entry_ts: int
    exit_ts: int
    side: int  # +1 long, -1 short
    qty: float
    entry_price: float
    exit_price: float
    pnl: float  # after fees
    reason: str


class ShadowContext:
    def __init__(
        self,
        symbol: str,
        timeframe: str = "1m",
        *,
        cash: float = 10_000.0,
        stake: float = 1.0,
        fee_rate: float = 0.0,
        history_size: int = 1_000,
        sentiment: Callable[[], Sentiment | None] | None = None,
    ) -> None:
        self.symbol = symbol
        self.timeframe = timeframe
        self.stake = stake
        self.fee_rate = fee_rate
        self._cash = cash
        self._qty = 0.0
        self._entry: float | None = None
        self._entry_ts = 0
        self._stop: float | None = None
        self._target: float | None = None
        self._bars: deque[Candle] = deque(maxlen=history_size)
        self._bar: Candle | None = None
        self._sentiment = sentiment
        self.strategy: Strategy | None = None
        self.trades: list[ShadowTrade] = []
        self.fills: list[StrategyFill] = []
        self.messages: list[str] = []
        self.equity_curve: list[float] = []
        self.trading = True  # False during warm-up: intents are ignored

    # --- driving ---------------------------------------------------------------------------
    def attach(self, strategy: Strategy) -> None:
        self.strategy = strategy
        strategy.on_start()

    def step(self, bar: Candle) -> None:
        """One closed bar: protective exits first, then the strategy, then mark to market."""
        assert self.strategy is not None, "attach a strategy first"
        self._bar = bar
        self._bars.append(bar)
        self._check_protection(bar)
        self.strategy.feed(bar)
        self.equity_curve.append(self.equity())

    def run(self, bars: Iterable[Candle], *, warmup: int = 0) -> None:
        for i, bar in enumerate(bars):
            self.trading = i >= warmup
            self.step(bar)

    # --- StrategyContext -------------------------------------------------------------------
    def position(self) -> float:
        return self._qty

    def entry_price(self) -> float | None:
        return self._entry

    def equity(self) -> float:
        mark = self._bar.close if self._bar is not None else 0.0
        return self._cash + self._qty * mark

    def cash(self) -> float:
        return self._cash

    def history(self, n: int) -> BarSeries:
        bars = list(self._bars)[-n:] if n > 0 else []
        return BarSeries.from_candles(bars, self.symbol, self.timeframe)

    def now_ns(self) -> int:
        return self._bar.ts if self._bar is not None else 0

    def pending(self) -> bool:
        return False

    def submit(self, intent: OrderIntent) -> None:
        if not self.trading or self._bar is None:
            return
        bar = self._bar
        price = bar.close
        if intent.limit is not None:
            crossed = (
                bar.low <= intent.limit
                if intent.side is OrderSide.BUY
                else (bar.high >= intent.limit)
            )
            if not crossed:
                return
            price = intent.limit
        sign = intent.side.sign
        if intent.close or (self._qty != 0 and (self._qty > 0) != (sign > 0)):
            qty = abs(self._qty) if intent.qty is None else min(intent.qty, abs(self._qty))
            self._fill(sign, qty, price, intent.tag or "exit")
            return
        size = intent.qty
        if size is None:
            size = max(self.equity(), 0.0) * self.stake / (price * (1 + self.fee_rate))
        if size <= 0:
            return
        self._fill(sign, size, price, intent.tag or "entry")
        self._stop, self._target = intent.stop_loss, intent.take_profit

    def log(self, message: str) -> None:
        self.messages.append(message)

    def sentiment(self) -> Sentiment | None:
        return self._sentiment() if self._sentiment is not None else None

    # --- book ------------------------------------------------------------------------------
    def _check_protection(self, bar: Candle) -> None:
        if self._qty == 0:
            return
        long = self._qty > 0
        stop, target = self._stop, self._target
        if stop is not None and (bar.low <= stop if long else bar.high >= stop):
            self._fill(-1 if long else 1, abs(self._qty), stop, "stop_loss")
        elif target is not None and (bar.high >= target if long else bar.low <= target):
            self._fill(-1 if long else 1, abs(self._qty), target, "take_profit")

    def _fill(self, sign: int, qty: float, price: float, tag: str) -> None:
        assert self._bar is not None
        fee = qty * price * self.fee_rate
        ts = self._bar.ts
        before = self._qty
        self._cash -= sign * qty * price + fee
        self._qty = before + sign * qty
        if abs(self._qty) < 1e-12:
            self._qty = 0.0
        if before == 0 or (before > 0) == (sign > 0):
            held = abs(before)
            self._entry = ((self._entry or 0.0) * held + price * qty) / (held + qty)
            if before == 0:
                self._entry_ts = ts
        else:
            entry = self._entry or price
            direction = 1 if before > 0 else -1
            pnl = direction * (price - entry) * qty - fee
            self.trades.append(
                ShadowTrade(self._entry_ts, ts, direction, qty, entry, price, pnl, tag)
            )
            if self._qty == 0:
                self._entry = None
                self._stop = self._target = None
        side = OrderSide.BUY if sign > 0 else OrderSide.SELL
        fill = StrategyFill(side, qty, price, fee, ts, tag)
        self.fills.append(fill)
        if self.strategy is not None:
            self.strategy.on_fill(fill)
