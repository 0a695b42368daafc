"""Engine-side stop orders, for venues that cannot hold them (or cannot hold a stop and a
take-profit at once on a spot account, where both would reserve the same coins).

A held stop is a real order in the OMS (status ACCEPTED, venue order id ``EMU-...``), shown
and modifiable like any other. On every trade of its symbol the emulator checks the trigger
(buy stop: last >= trigger; sell stop: last <= trigger) and, once hit, releases the order to
the venue as MARKET (stop-market) or LIMIT (stop-limit) under the same client id.

Trailing stops move their trigger behind the best price seen since they were held, by
``trail_pct``; the trigger only ever tightens.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.engine.domain.market import TradeTick
from app.engine.domain.orders import Order, OrderSide, OrderType
from app.engine.domain.values import ZERO

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Held:
    order: Order
    trail_pct: Decimal | None
    best: Decimal | None = None


class OrderEmulator:
    def __init__(
        self,
        release: Callable[[Order, OrderType], Coroutine[Any, Any, None]],
        modify_trigger: Callable[[Order, Decimal], None],
        tick_size: Callable[[str], Decimal],
        spawn: Callable[[Coroutine[Any, Any, None], str], object],
    ) -> None:
        self._release = release
        self._modify_trigger = modify_trigger
        self._tick_size = tick_size
        self._spawn = spawn
        self._held: dict[str, _Held] = {}
        self._by_symbol: dict[str, dict[str, _Held]] = {}

    def held(self) -> list[Order]:
        return [h.order for h in self._held.values()]

    def hold(self, order: Order, trail_pct: Decimal | None = None) -> None:
        held = _Held(order, trail_pct)
        self._held[order.client_id] = held
        self._by_symbol.setdefault(order.symbol, {})[order.client_id] = held

    def release(self, client_id: str) -> None:
        held = self._held.pop(client_id, None)
        if held is not None:
            self._by_symbol.get(held.order.symbol, {}).pop(client_id, None)

    def trail_of(self, client_id: str) -> Decimal | None:
        held = self._held.get(client_id)
        return held.trail_pct if held else None

    def on_trade(self, tick: TradeTick) -> None:
        holds = self._by_symbol.get(tick.symbol)
        if not holds:
            return
        price = tick.price
        for held in list(holds.values()):
            order = held.order
            if not order.is_working or order.trigger_price is None:
                self.release(order.client_id)
                continue
            if held.trail_pct is not None:
                self._trail(held, price)
            trigger = order.trigger_price
            hit = price >= trigger if order.side is OrderSide.BUY else price <= trigger
            if hit:
                self.release(order.client_id)
                limit = order.type is OrderType.STOP_LIMIT
                as_type = OrderType.LIMIT if limit else OrderType.MARKET
                log.info("stop %s triggered at %s (trigger %s)", order.client_id, price, trigger)
                self._spawn(self._release(order, as_type), f"release-{order.client_id}")

    def _trail(self, held: _Held, price: Decimal) -> None:
        order = held.order
        assert held.trail_pct is not None and order.trigger_price is not None
        sell = order.side is OrderSide.SELL
        if held.best is None or (price > held.best if sell else price < held.best):
            held.best = price
            distance = price * held.trail_pct / 100
            tick = self._tick_size(order.symbol)
            raw = price - distance if sell else price + distance
            units = (raw / tick).to_integral_value()
            new = units * tick
            tighter = new > order.trigger_price if sell else new < order.trigger_price
            if tighter and new > ZERO:
                self._modify_trigger(order, new)
