"""Executes orders against the market data: which order fills, how much, at what price.

The rules are in ``matching`` (pure); this module applies them to the venue's orders and turns
each decision into records through the ``commit`` callable the exchange gives it (journal,
apply, report). It keeps the top of book and the last trade per symbol, which are market
data, not venue state: they are not journaled and arrive again from the feed after a restart.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

from app.brokers.paper import messages
from app.brokers.paper.admission import reduce_only_room
from app.brokers.paper.balances import max_affordable_buy
from app.brokers.paper.config import PaperConfig
from app.brokers.paper.matching import (
    Touch,
    floor_to_step,
    limit_crosses,
    slipped_price,
    take_up_to,
    trades_through,
)
from app.brokers.paper.records import Canceled, Expired, Filled, Record, Triggered
from app.brokers.paper.state import PaperState, VenueOrder
from app.engine.domain.fills import Liquidity
from app.engine.domain.instruments import Instrument
from app.engine.domain.market import QuoteTick, TradeTick
from app.engine.domain.orders import OrderSide, TimeInForce
from app.engine.domain.values import ZERO

# Enum members as module constants: on Python 3.11 ``OrderSide.BUY`` goes through
# ``EnumType.__getattr__``'s slow lookup hook every time, and these run for every fill.
_BUY = OrderSide.BUY
_SELL = OrderSide.SELL
_MAKER = Liquidity.MAKER
_TAKER = Liquidity.TAKER
_FOK = TimeInForce.FOK
_GTC = TimeInForce.GTC


class Executor:
    def __init__(
        self,
        state: PaperState,
        config: PaperConfig,
        rng: random.Random,
        commit: Callable[[Record], None],
        now: Callable[[], int],
    ) -> None:
        self._state = state
        self._config = config
        self._rng = rng
        self._commit = commit
        self._now = now
        self.touches: dict[str, Touch] = {}
        self.last_trades: dict[str, Decimal] = {}

    # --- market data -----------------------------------------------------------------------
    def on_quote(self, quote: QuoteTick, instrument: Instrument) -> None:
        """Waiting market orders take the new quote; resting limits it crosses fill as maker."""
        touch = Touch(quote)
        self.touches[quote.symbol] = touch
        book = self._state.book(quote.symbol)
        if book is None:
            return
        for order in book.waiting_markets():
            if order.is_open:
                self.take(order, instrument, touch)
        for side in (_BUY, _SELL):
            opposite = touch.opposite(side)
            if opposite is None:
                continue
            for order in book.limits_reached(side, opposite):
                wanted = take_up_to(order.remaining, touch.left(side))
                if wanted <= 0:
                    break
                assert order.price is not None  # the book holds limits here
                filled = self._execute(order, instrument, wanted, order.price, _MAKER)
                touch.take(side, filled)

    def on_trade(self, trade: TradeTick, instrument: Instrument) -> None:
        """Resting limits the print went through fill as maker (sharing its size in priority
        order); then stops it reached trigger and meet the book as new orders."""
        self.last_trades[trade.symbol] = trade.price
        book = self._state.book(trade.symbol)
        if book is None:
            return
        left = trade.size
        for side in (_BUY, _SELL):
            for order in book.limits_reached(side, trade.price):
                if left <= 0:
                    break
                assert order.price is not None  # the book holds limits here
                # reached but not through means exactly at the price: queue position unknown
                if not trades_through(side, order.price, trade.price) and not (
                    self._fills_at_limit()
                ):
                    continue
                wanted = min(order.remaining, left)
                left -= self._execute(order, instrument, wanted, order.price, _MAKER)
        for order in book.stops_reached(trade.price):
            if order.is_open and order.stop_pending:
                self._commit(Triggered(order.client_id, self._now()))
                self.arrive(order, instrument)

    # --- orders meeting the book -----------------------------------------------------------
    def arrive(self, order: VenueOrder, instrument: Instrument) -> None:
        """A new order (or a stop that just triggered) meets the book: it takes what it can
        as taker; IOC cancels the rest, FOK fills in full or expires untouched."""
        touch = self.touches.get(order.symbol)
        if order.tif is _FOK and (
            touch is None or self._fillable_now(order, instrument, touch) < order.remaining
        ):
            self._commit(Expired(order.client_id, messages.FOK_NOT_FILLED, self._now()))
            return
        if touch is not None:
            self.take(order, instrument, touch)
        if order.is_open and order.tif is not _GTC:
            reason = (
                messages.IOC_REMAINDER if order.tif is TimeInForce.IOC else messages.FOK_NOT_FILLED
            )
            self._commit(Canceled(order.client_id, reason, self._now()))

    def take(self, order: VenueOrder, instrument: Instrument, touch: Touch) -> None:
        """Fill as taker against the quote, if the order is marketable."""
        if not self._marketable(order, touch):
            return
        price = self._taker_price(order, instrument, touch)
        wanted = take_up_to(order.remaining, touch.left(order.side))
        filled = self._execute(order, instrument, wanted, price, _TAKER)
        touch.take(order.side, filled)

    def _marketable(self, order: VenueOrder, touch: Touch) -> bool:
        if order.stop_pending:
            return False
        if order.acts_as_market:
            return touch.opposite(order.side) is not None
        return order.price is not None and limit_crosses(
            order.side, order.price, touch.opposite(order.side)
        )

    def _taker_price(self, order: VenueOrder, instrument: Instrument, touch: Touch) -> Decimal:
        opposite = touch.opposite(order.side)
        assert opposite is not None  # callers checked _marketable
        if order.acts_as_market:
            return slipped_price(
                order.side, opposite, self._config.slippage_bps, instrument.tick_size
            )
        return opposite  # a marketable limit takes the quote price, never worse than its limit

    def _fillable_now(self, order: VenueOrder, instrument: Instrument, touch: Touch) -> Decimal:
        if not self._marketable(order, touch):
            return ZERO
        wanted = floor_to_step(
            take_up_to(order.remaining, touch.left(order.side)), instrument.lot_size
        )
        price = self._taker_price(order, instrument, touch)
        return self._capacity(order, instrument, wanted, price, _TAKER)[0]

    def _execute(
        self,
        order: VenueOrder,
        instrument: Instrument,
        wanted: Decimal,
        price: Decimal,
        liquidity: Liquidity,
    ) -> Decimal:
        """Fill up to ``wanted`` (rounded down to the lot) at ``price``; return the quantity.

        If cash or the reduce-only rule allows less than the liquidity offers, the order fills
        what it can and its remainder is canceled with the reason: waiting would not help.
        """
        wanted = floor_to_step(wanted, instrument.lot_size)
        if wanted <= 0:
            return ZERO
        qty, limited_by = self._capacity(order, instrument, wanted, price, liquidity)
        if qty > 0:
            fee, fee_currency = self._state.fees.charge(
                instrument, order.side, qty, price, liquidity
            )
            self._commit(
                Filled(  # positional: this runs for every fill
                    order.client_id,
                    f"P-{self._state.trade_count + 1}",  # trade_id
                    qty,
                    price,
                    fee,
                    fee_currency,
                    liquidity,
                    self._now(),
                )
            )
        if limited_by and order.is_open:
            self._commit(Canceled(order.client_id, limited_by, self._now()))
        return qty

    def _capacity(
        self,
        order: VenueOrder,
        instrument: Instrument,
        wanted: Decimal,
        price: Decimal,
        liquidity: Liquidity,
    ) -> tuple[Decimal, str]:
        """How much of ``wanted`` may fill, and the rule that cut it short ("" if none)."""
        qty, limited_by = wanted, ""
        if order.reduce_only:
            room = floor_to_step(
                reduce_only_room(self._state, instrument, order.side), instrument.lot_size
            )
            if room < qty:
                qty, limited_by = room, messages.REDUCE_ONLY
        if order.side is _BUY and order.hold_price is not None:
            cap = max_affordable_buy(
                self._state.balances,
                order.client_id,
                instrument,
                order.remaining,
                order.hold_price,
                price,
                liquidity,
                self._state.fees,
            )
            if cap is not None:
                cap = floor_to_step(cap, instrument.lot_size)
                if cap < qty:
                    qty, limited_by = cap, messages.INSUFFICIENT_BALANCE
        return max(qty, ZERO), limited_by

    def _fills_at_limit(self) -> bool:
        probability = self._config.fill_at_limit_probability
        if probability == 0:
            return False  # no draw: the default model consumes no randomness at all
        return Decimal(self._rng.random()) < probability
