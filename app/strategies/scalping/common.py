"""What the scalping strategies share: the risk parameters (ATR stop, ATR target, time
stop), one ``on_bar`` skeleton, and a volume average.

The skeleton keeps every strategy to three small methods so their on_bar paths cannot drift
apart: ``observe`` reads the registered indicators and updates the strategy's own memory
(previous values for crossings, counters) on EVERY bar, flat or not, so a crossing is seen
the same way whether the strategy was trading or waiting; ``entry`` names the reason to buy
while flat; ``exit_reason`` names the reason to sell while long. The skeleton adds the time
stop and never acts while an order is pending or an indicator is still warming up.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

from app.engine.series import Candle
from app.strategies.base import Strategy
from app.strategies.indicators import ATR
from app.strategies.params import Param


def risk_params(
    *,
    stop: float | None = 1.5,
    target: float = 2.0,
    hold: int | None = None,
) -> tuple[Param, ...]:
    """The shared risk parameters. ``stop`` None leaves out ``stop_atr`` (the strategy
    places its own structural stop); ``hold`` None leaves out the time stop."""
    out = [Param("atr_period", int, 14, 2, 100, 2, help="ATR period (bars) for stop and target")]
    if stop is not None:
        out.append(
            Param(
                "stop_atr", float, stop, 0.5, 6.0, 0.25, help="stop-loss distance below entry, ATRs"
            )
        )
    out.append(
        Param(
            "target_atr",
            float,
            target,
            0.0,
            12.0,
            0.5,
            help="take-profit distance above entry, ATRs (0: no target)",
        )
    )
    if hold is not None:
        out.append(
            Param("max_hold", int, hold, 0, 500, 10, help="exit after this many bars (0: never)")
        )
    return tuple(out)


class ScalpStrategy(Strategy):
    """Long-only skeleton. Subclasses register indicators in ``setup`` and implement
    ``observe``, ``entry`` and ``exit_reason``."""

    default_timeframe: ClassVar[str] = "1m"

    def on_start(self) -> None:
        self.atr = self.indicator(ATR(int(self.p.atr_period)))
        self.held = 0  # bars since the position was opened
        self.setup()

    def setup(self) -> None:
        """Register indicators and initialise private state."""

    @abstractmethod
    def observe(self, bar: Candle) -> bool:
        """Read indicators, update memory; False while any indicator read is None."""

    @abstractmethod
    def entry(self, bar: Candle) -> str | None:
        """While flat: the tag of an entry on this bar, or None."""

    @abstractmethod
    def exit_reason(self, bar: Candle) -> str | None:
        """While long: the tag of an exit on this bar, or None."""

    def on_flat(self) -> None:
        """Forget per-position state (trailing levels and the like)."""

    def stop_price(self, bar: Candle, atr: float) -> float | None:
        """Absolute stop-loss for an entry at ``bar.close``; None for no stop."""
        return bar.close - float(self.p.stop_atr) * atr

    # --- skeleton ----------------------------------------------------------------------------
    def on_bar(self, bar: Candle) -> None:
        ready = self.observe(bar)
        atr = self.atr.value
        position = self.position
        pending = self.ctx.pending()
        # the holding clock runs on every bar, acting or not
        if position > 0:
            self.held += 1
        elif not pending:  # flat with an entry in flight still has its per-position state
            self.held = 0
            self.on_flat()
        if not ready or atr is None or pending:
            return
        if position > 0:
            reason = self.exit_reason(bar)
            max_hold = int(self.p.get("max_hold", 0))
            if reason is None and max_hold and self.held >= max_hold:
                reason = "time_stop"
            if reason is not None:
                self.close(tag=reason)
        elif position == 0:
            tag = self.entry(bar)
            if tag is not None:
                self._enter(bar, atr, tag)

    def _enter(self, bar: Candle, atr: float, tag: str) -> None:
        stop = self.stop_price(bar, atr)
        if stop is not None and not 0 < stop < bar.close:
            # a structural stop at or above the price (or a negative one) is no stop
            stop = None
        target_atr = float(self.p.target_atr)
        target = bar.close + target_atr * atr if target_atr > 0 else None
        self.buy(stop_loss=stop, take_profit=target, tag=tag)


def crossed_above(prev_a: float, prev_b: float, a: float, b: float) -> bool:
    return prev_a <= prev_b and a > b


def crossed_below(prev_a: float, prev_b: float, a: float, b: float) -> bool:
    return prev_a >= prev_b and a < b
