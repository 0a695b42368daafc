"""The matching engine: one reference price per symbol that the test moves, and the orders.

Liquidity is unlimited at the touch: a market order fills whole at the ask (buy) or the bid
(sell), the reference price plus or minus half the spread. A resting limit fills whole, as
maker, at its own price once the reference price trades through it. Stops trigger on the
reference price and then behave as a market (STOP_LOSS, TAKE_PROFIT) or a limit (`*_LIMIT`).
Commission is `commission_rate` of the fill's quote value, charged in the quote asset.
"""

from __future__ import annotations

import random
import string
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Protocol

from . import errors
from .account import Account
from .orders import LIMIT_TYPES, STOP_TYPES, ZERO, Fill, Order
from .symbols import EIGHT, ORDER_TYPES, SymbolSpec


class VenueListener(Protocol):
    def order_changed(
        self, order: Order, exec_type: str, fill: Fill | None, cancel_client_id: str | None
    ) -> None: ...

    def balances_changed(self, assets: set[str], time_ms: int) -> None: ...

    def public_trade(
        self,
        spec: SymbolSpec,
        trade_id: int,
        price: Decimal,
        qty: Decimal,
        buyer_maker: bool,
        time_ms: int,
    ) -> None: ...

    def quote_changed(self, spec: SymbolSpec, time_ms: int) -> None: ...

    def list_status(self, event: dict[str, Any]) -> None: ...


class LegHooks(Protocol):
    """What the engine asks of the order lists about a leg (an order with an orderListId)."""

    def leg_activating(self, order: Order, now_ms: int) -> None: ...

    def flush(self, now_ms: int) -> None: ...

    def cancel_list_of(self, order: Order, cancel_client_id: str, now_ms: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class OrderRequest:
    symbol: str
    side: str
    type: str
    qty: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: str | None = None
    client_id: str | None = None
    quote_order_qty: Decimal | None = None


class Venue:
    """Orders, fills and balances; every change is told to the listener as it happens."""

    def __init__(
        self,
        specs: list[SymbolSpec],
        prices: Mapping[str, Decimal],
        account: Account,
        listener: VenueListener,
        *,
        spread_bps: Decimal = Decimal(10),
        commission_rate: Decimal = Decimal("0.001"),
        seed: int = 1,
    ) -> None:
        self.specs = {s.id: s for s in specs}
        self.prices: dict[str, Decimal] = {s.id: prices[s.id] for s in specs}
        self.account = account
        self.listener = listener
        self.spread_bps = spread_bps
        self.commission_rate = commission_rate
        self.rng = random.Random(seed)
        self.orders: dict[int, Order] = {}
        self.by_client_id: dict[str, Order] = {}
        self.fills: list[Fill] = []
        self._next_order_id = 1
        self._next_trade_id = 1
        self.leg_hooks: LegHooks | None = None

    # ---- prices -----------------------------------------------------------------------
    def spec(self, symbol_id: str) -> SymbolSpec:
        spec = self.specs.get(symbol_id)
        if spec is None:
            raise errors.invalid_symbol()
        return spec

    def bid(self, symbol_id: str) -> Decimal:
        spec = self.specs[symbol_id]
        half = self.prices[symbol_id] * self.spread_bps / Decimal(20000)
        return spec.round_price_down(self.prices[symbol_id] - half)

    def ask(self, symbol_id: str) -> Decimal:
        spec = self.specs[symbol_id]
        half = self.prices[symbol_id] * self.spread_bps / Decimal(20000)
        ask = spec.round_price_up(self.prices[symbol_id] + half)
        return ask if ask > self.bid(symbol_id) else self.bid(symbol_id) + spec.tick_size

    def set_price(self, symbol_id: str, price: Decimal, now_ms: int) -> None:
        spec = self.spec(symbol_id)
        previous = self.prices[symbol_id]
        self.prices[symbol_id] = spec.round_price_down(price)
        qty = spec.step_size * self.rng.randint(1, 1000)
        # the book first, so the ticker published with the trade shows the new touch
        self.listener.quote_changed(spec, now_ms)
        self.listener.public_trade(
            spec, self._trade_id(), self.prices[symbol_id], qty, price < previous, now_ms
        )
        self._trigger_and_match(symbol_id, now_ms)

    def _trigger_and_match(self, symbol_id: str, now_ms: int) -> None:
        ref = self.prices[symbol_id]
        for order in [o for o in self.orders.values() if o.symbol == symbol_id and o.is_open]:
            if not order.is_open:
                continue
            if not order.working:
                if self._stop_hit(order, ref):
                    self._activate(order, now_ms)
                continue
            if order.type in LIMIT_TYPES and self._limit_crossed(order, ref):
                self._fill(order, order.remaining, order.price, True, now_ms)

    # ---- placing ------------------------------------------------------------------------
    def place(self, req: OrderRequest, now_ms: int) -> Order:
        """Validate as Binance does, book, then match; raises ApiError on refusal."""
        order = self.validate(req, now_ms)
        self.reserve_order_ids(1)
        self._lock(order)
        self.book(order)
        self.listener.order_changed(order, "NEW", None, None)
        if order.lock_asset:
            self.listener.balances_changed({order.lock_asset}, now_ms)
        if order.working:
            self._match_taker(order, now_ms)
        return order

    def reserve_order_ids(self, count: int) -> None:
        """Orders built by `validate` take the next ids; booking them uses those ids up."""
        self._next_order_id += count

    def book(self, order: Order) -> None:
        self.orders[order.order_id] = order
        self.by_client_id[order.client_id] = order

    def validate(self, req: OrderRequest, now_ms: int) -> Order:
        """The order Binance would book for `req`, or the ApiError it would answer."""
        spec = self.spec(req.symbol)
        if req.side not in ("BUY", "SELL"):
            raise errors.ApiError(-1117, "Invalid side.")
        if req.type not in ORDER_TYPES:
            raise errors.ApiError(-1116, "Invalid orderType.")
        tif = req.time_in_force
        if req.type in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"):
            if tif is None:
                raise errors.mandatory("timeInForce")
            if tif not in ("GTC", "IOC", "FOK"):
                raise errors.ApiError(-1115, "Invalid timeInForce.")
        elif req.type == "LIMIT_MAKER":
            tif = "GTC"
        else:
            tif = "GTC"
        if req.type in LIMIT_TYPES and req.price is None:
            raise errors.mandatory("price")
        if req.type in STOP_TYPES and req.stop_price is None:
            raise errors.mandatory("stopPrice")
        if req.price is not None:
            spec.check_price(req.price)
        if req.stop_price is not None:
            spec.check_price(req.stop_price)
        qty = req.qty
        quote_qty = ZERO
        if req.type == "MARKET" and req.quote_order_qty is not None and qty is None:
            quote_qty = req.quote_order_qty
            touch = self.ask(spec.id) if req.side == "BUY" else self.bid(spec.id)
            qty = (quote_qty / touch / spec.step_size).to_integral_value(ROUND_FLOOR)
            qty *= spec.step_size
        if qty is None:
            raise errors.mandatory("quantity")
        spec.check_qty(qty)
        reference = req.price if req.price is not None else self.prices[spec.id]
        spec.check_notional(qty * reference)
        client_id = req.client_id or self.random_client_id()
        existing = self.by_client_id.get(client_id)
        if existing is not None and existing.is_open:
            raise errors.duplicate_order()
        order = Order(
            order_id=self._next_order_id,
            client_id=client_id,
            spec=spec,
            side=req.side,
            type=req.type,
            time_in_force=tif,
            qty=qty,
            price=req.price or ZERO,
            stop_price=req.stop_price or ZERO,
            quote_order_qty=quote_qty,
            time_ms=now_ms,
            update_ms=now_ms,
            working=req.type not in STOP_TYPES,
            working_ms=now_ms if req.type not in STOP_TYPES else 0,
            accepted_at=time.monotonic(),
        )
        if not order.working and self._stop_hit(order, self.prices[spec.id]):
            raise errors.stop_would_trigger()
        if order.type == "LIMIT_MAKER" and self._marketable(order):
            raise errors.would_match()
        if order.type in ("MARKET",) or (order.type in LIMIT_TYPES and self._marketable(order)):
            self._require_taker_funds(order)
        return order

    def _require_taker_funds(self, order: Order) -> None:
        if order.side == "SELL":
            self.account.require_free(order.spec.base, order.qty)
            return
        touch = self.ask(order.symbol)
        price = min(touch, order.price) if order.type in LIMIT_TYPES else touch
        notional = order.qty * price
        self.account.require_free(order.spec.quote, notional + self.fee(notional))

    def _lock(self, order: Order) -> None:
        """Resting orders lock what they could spend; market orders pay at once instead."""
        if order.type == "MARKET":
            return
        if order.side == "SELL":
            order.lock_asset, amount = order.spec.base, order.qty
        else:
            price = order.price if order.type in LIMIT_TYPES else order.stop_price
            notional = order.qty * price
            order.lock_asset, amount = order.spec.quote, notional + self.fee(notional)
        self.account.lock(order.lock_asset, amount)
        order.lock_left = amount

    # ---- matching -----------------------------------------------------------------------
    @staticmethod
    def _stop_hit(order: Order, ref: Decimal) -> bool:
        if order.type.startswith("STOP_LOSS"):
            return ref >= order.stop_price if order.side == "BUY" else ref <= order.stop_price
        return ref <= order.stop_price if order.side == "BUY" else ref >= order.stop_price

    @staticmethod
    def _limit_crossed(order: Order, ref: Decimal) -> bool:
        return ref <= order.price if order.side == "BUY" else ref >= order.price

    def _marketable(self, order: Order) -> bool:
        if order.side == "BUY":
            return order.price >= self.ask(order.symbol)
        return order.price <= self.bid(order.symbol)

    def _activate(self, order: Order, now_ms: int) -> None:
        """A stop triggered: it is now working, as a market or a limit order."""
        self._leg_activating(order, now_ms)
        order.working = True
        order.working_ms = now_ms
        order.update_ms = now_ms
        self.listener.order_changed(order, "NEW", None, None)
        self._match_taker(order, now_ms)
        self._flush_lists(now_ms)

    def _match_taker(self, order: Order, now_ms: int) -> None:
        is_market = order.type in ("MARKET", "STOP_LOSS", "TAKE_PROFIT")
        if is_market or self._marketable(order):
            touch = self.ask(order.symbol) if order.side == "BUY" else self.bid(order.symbol)
            try:
                if order.type != "MARKET":
                    self._require_taker_funds_with_lock(order, touch)
            except errors.ApiError:
                self._finish(order, "EXPIRED", now_ms, None)
                return
            self._fill(order, order.remaining, touch, False, now_ms)
        elif order.time_in_force in ("IOC", "FOK"):
            self._finish(order, "EXPIRED", now_ms, None)

    def _require_taker_funds_with_lock(self, order: Order, touch: Decimal) -> None:
        if order.side == "SELL":
            return
        notional = order.remaining * touch
        if self.account.free(order.spec.quote) + order.lock_left < notional + self.fee(notional):
            raise errors.insufficient_balance()

    def _fill(self, order: Order, qty: Decimal, price: Decimal, maker: bool, now_ms: int) -> None:
        self._leg_activating(order, now_ms)
        spec = order.spec
        quote = qty * price
        fee = self.fee(quote)
        if order.side == "BUY":
            self.account.spend(spec.quote, quote + fee, order.lock_left)
            order.lock_left = max(ZERO, order.lock_left - (quote + fee))
            self.account.credit(spec.base, qty)
        else:
            self.account.spend(spec.base, qty, order.lock_left)
            order.lock_left = max(ZERO, order.lock_left - qty)
            self.account.credit(spec.quote, quote - fee)
        fill = Fill(
            trade_id=self._trade_id(),
            order_id=order.order_id,
            client_id=order.client_id,
            symbol=spec.id,
            side=order.side,
            price=price,
            qty=qty,
            quote_qty=quote,
            commission=fee,
            commission_asset=spec.quote,
            time_ms=now_ms,
            is_maker=maker,
            order_list_id=order.order_list_id,
        )
        order.fills.append(fill)
        self.fills.append(fill)
        order.executed += qty
        order.cum_quote += quote
        order.update_ms = now_ms
        order.status = "FILLED" if order.remaining == 0 else "PARTIALLY_FILLED"
        if order.status == "FILLED":
            self.release_lock(order)
        self.listener.order_changed(order, "TRADE", fill, None)
        self.listener.public_trade(
            spec, fill.trade_id, price, qty, maker == (order.side == "BUY"), now_ms
        )
        self._flush_lists(now_ms)
        self.listener.balances_changed({spec.base, spec.quote}, now_ms)

    def release_lock(self, order: Order) -> None:
        if order.lock_asset and order.lock_left > 0:
            self.account.unlock(order.lock_asset, order.lock_left)
        order.lock_left = ZERO

    def _finish(self, order: Order, status: str, now_ms: int, cancel_client_id: str | None) -> None:
        order.status = status
        order.update_ms = now_ms
        released = order.lock_left > 0
        self.release_lock(order)
        self.listener.order_changed(order, status, None, cancel_client_id)
        self._flush_lists(now_ms)
        # a list leg may hold none of the list's lock: then no balance moved
        if order.lock_asset and (released or order.order_list_id < 0):
            self.listener.balances_changed({order.lock_asset}, now_ms)

    # ---- queries and cancels ------------------------------------------------------------
    def find(self, symbol_id: str, order_id: int | None, client_id: str | None) -> Order:
        self.spec(symbol_id)
        order = self.orders.get(order_id) if order_id is not None else None
        if order is None and client_id is not None:
            order = self.by_client_id.get(client_id)
        if order is None or order.symbol != symbol_id:
            raise errors.order_does_not_exist()
        return order

    def cancel(
        self,
        symbol_id: str,
        order_id: int | None,
        client_id: str | None,
        cancel_client_id: str | None,
        now_ms: int,
    ) -> Order:
        try:
            order = self.find(symbol_id, order_id, client_id)
        except errors.ApiError as exc:
            if exc.code == -2013:
                raise errors.unknown_order() from exc
            raise
        if not order.is_open:
            raise errors.unknown_order()
        cancel_id = cancel_client_id or self.random_client_id()
        hooks = self.leg_hooks
        if order.order_list_id >= 0 and hooks and hooks.cancel_list_of(order, cancel_id, now_ms):
            return order
        self._finish(order, "CANCELED", now_ms, cancel_id)
        return order

    def open_orders(self, symbol_id: str | None) -> list[Order]:
        return [
            o
            for o in self.orders.values()
            if o.is_open and (symbol_id is None or o.symbol == symbol_id)
        ]

    def force_fill(self, client_id: str, qty: Decimal | None, now_ms: int) -> Order:
        """Test control: fill an open order as maker at its price (a stop at the touch)."""
        order = self.by_client_id.get(client_id)
        if order is None or not order.is_open:
            raise KeyError(f"client_id {client_id!r}: no open order with that id")
        amount = order.remaining if qty is None else qty
        if amount <= 0 or amount > order.remaining:
            raise ValueError(f"qty {amount}: must be > 0 and <= remaining {order.remaining}")
        if not order.working:
            order.working = True
            order.working_ms = now_ms
        if order.type in LIMIT_TYPES:
            price = order.price
        else:
            price = self.ask(order.symbol) if order.side == "BUY" else self.bid(order.symbol)
        self._fill(order, amount, price, order.type in LIMIT_TYPES, now_ms)
        return order

    # ---- helpers ------------------------------------------------------------------------
    def _leg_activating(self, order: Order, now_ms: int) -> None:
        if order.order_list_id >= 0 and self.leg_hooks is not None:
            self.leg_hooks.leg_activating(order, now_ms)

    def _flush_lists(self, now_ms: int) -> None:
        if self.leg_hooks is not None:
            self.leg_hooks.flush(now_ms)

    def fee(self, quote: Decimal) -> Decimal:
        return (quote * self.commission_rate).quantize(EIGHT)

    def _trade_id(self) -> int:
        trade_id = self._next_trade_id
        self._next_trade_id += 1
        return trade_id

    def random_client_id(self) -> str:
        alphabet = string.ascii_letters + string.digits
        return "".join(self.rng.choice(alphabet) for _ in range(22))
