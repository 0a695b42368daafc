"""Matching rules: pure functions of an order, the top of book and the last trade.

Crossing rules (why each is what it is):
- Arrival: a buy limit at or above the ask (sell at or below the bid) is marketable and fills
  at once as TAKER at the quote price, for at most the displayed size. Market orders take the
  quote worsened by slippage, rounded to the tick against the trader.
- Resting, trade prints THROUGH the price (buy: trade < limit; sell: trade > limit): fills as
  MAKER at the limit price, for at most the traded size. A trade exactly AT the price may
  have met orders queued ahead of ours, so by default it does not fill (see
  ``PaperConfig.fill_at_limit_probability``).
- Resting, quote crosses or touches the price (buy: ask <= limit; sell: bid >= limit): fills as
  MAKER at the limit price, for at most the displayed size. An opposite quote at our price
  means the whole queue at that price was taken, ours included, had we really been in it.
- Stops trigger on the last TRADE only (buy: trade >= trigger; sell: trade <= trigger), never on
  quotes, then arrive as a market or limit order under the arrival rule.
- Liquidity is consumed: size taken from a quote (or a trade) is gone for other orders until
  the next quote (or trade) refreshes it, so two orders cannot both eat the same displayed lot.
- A quote side with a price but no size (0: the feed does not publish sizes) does not limit
  the quantity; a side with no price (0) has no liquidity at all.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from app.engine.domain.market import QuoteTick
from app.engine.domain.orders import OrderSide
from app.engine.domain.values import ONE, ZERO

_BPS = Decimal(10_000)
# Enum members as module constants: on Python 3.11 ``OrderSide.BUY`` goes through
# ``EnumType.__getattr__``'s slow lookup hook every time, and these run for every fill.
_BUY = OrderSide.BUY


def floor_to_step(value: Decimal, step: Decimal) -> Decimal:
    return ((value / step).quantize(ONE, rounding=ROUND_FLOOR) * step).quantize(step)


def ceil_to_step(value: Decimal, step: Decimal) -> Decimal:
    return ((value / step).quantize(ONE, rounding=ROUND_CEILING) * step).quantize(step)


def slipped_price(side: OrderSide, touch: Decimal, slippage_bps: Decimal, tick: Decimal) -> Decimal:
    """The touch price worsened by slippage and rounded to the tick against the trader."""
    if side is _BUY:
        return ceil_to_step(touch * (ONE + slippage_bps / _BPS), tick)
    price = floor_to_step(touch * (ONE - slippage_bps / _BPS), tick)
    return price if price > 0 else tick


def limit_crosses(side: OrderSide, limit: Decimal, opposite: Decimal | None) -> bool:
    """Marketable on arrival, or crossed while resting: the same test, different liquidity."""
    if opposite is None:
        return False
    return limit >= opposite if side is _BUY else limit <= opposite


def trades_through(side: OrderSide, limit: Decimal, trade_price: Decimal) -> bool:
    return trade_price < limit if side is _BUY else trade_price > limit


def stop_triggered(side: OrderSide, trigger: Decimal, trade_price: Decimal) -> bool:
    return trade_price >= trigger if side is _BUY else trade_price <= trigger


def take_up_to(wanted: Decimal, left: Decimal | None) -> Decimal:
    """``wanted`` limited by liquidity ``left`` (None: unlimited)."""
    return wanted if left is None else min(wanted, left)


class Touch:
    """The current top of book of one symbol and how much of it our orders have taken."""

    __slots__ = ("ask", "ask_left", "bid", "bid_left")

    def __init__(self, quote: QuoteTick) -> None:
        self.bid: Decimal | None = quote.bid if quote.bid > 0 else None
        self.ask: Decimal | None = quote.ask if quote.ask > 0 else None
        self.bid_left: Decimal | None = quote.bid_size if quote.bid_size > 0 else None
        self.ask_left: Decimal | None = quote.ask_size if quote.ask_size > 0 else None

    def opposite(self, side: OrderSide) -> Decimal | None:
        """The price a ``side`` order trades against: the ask for a buy, the bid for a sell."""
        return self.ask if side is _BUY else self.bid

    def left(self, side: OrderSide) -> Decimal | None:
        """Liquidity left for a ``side`` order: ZERO when none, None when unlimited."""
        if self.opposite(side) is None:
            return ZERO
        return self.ask_left if side is _BUY else self.bid_left

    def take(self, side: OrderSide, qty: Decimal) -> None:
        if side is _BUY:
            if self.ask_left is not None:
                self.ask_left -= qty
        elif self.bid_left is not None:
            self.bid_left -= qty
