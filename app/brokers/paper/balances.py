"""Venue-side balances: a total per asset and holds (reservations) per working order.

available = total - sum of holds. A hold belongs to one order (keyed by client id) and is
always recomputed from that order's state, never adjusted incrementally, so it cannot drift.
"""

from __future__ import annotations

from decimal import Decimal

from app.brokers.paper.fees import FeeSchedule
from app.engine.domain.fills import Liquidity
from app.engine.domain.instruments import Instrument
from app.engine.domain.orders import OrderSide
from app.engine.domain.values import ZERO

Hold = tuple[str, Decimal]  # (asset, amount)

# Enum members as module constants: on Python 3.11 ``OrderSide.BUY`` goes through
# ``EnumType.__getattr__``'s slow lookup hook every time, and these run for every fill.
_BUY = OrderSide.BUY


class Balances:
    def __init__(self) -> None:
        self._total: dict[str, Decimal] = {}
        self._reserved: dict[str, Decimal] = {}
        self._holds: dict[str, Hold] = {}

    # --- reading -------------------------------------------------------------------------
    def total(self, asset: str) -> Decimal:
        return self._total.get(asset, ZERO)

    def reserved(self, asset: str) -> Decimal:
        return self._reserved.get(asset, ZERO)

    def available(self, asset: str) -> Decimal:
        return self.total(asset) - self.reserved(asset)

    def hold_of(self, key: str) -> Hold | None:
        return self._holds.get(key)

    def totals(self) -> dict[str, Decimal]:
        return dict(self._total)

    # --- changing ------------------------------------------------------------------------
    def add(self, asset: str, amount: Decimal) -> None:
        """Credit (or, negative, debit) a total. Whether it may go below zero is the caller's
        rule (spot vs shorting), checked before the change is ever recorded."""
        total = self._total
        total[asset] = total.get(asset, ZERO) + amount

    def set_hold(self, key: str, hold: Hold | None) -> None:
        """Replace the hold of order ``key``; None or a zero amount releases it."""
        reserved = self._reserved
        old = self._holds.pop(key, None)
        if old is not None:
            reserved[old[0]] = reserved.get(old[0], ZERO) - old[1]
        if hold is not None and hold[1] > 0:
            self._holds[key] = hold
            reserved[hold[0]] = reserved.get(hold[0], ZERO) + hold[1]


def hold_for(
    instrument: Instrument,
    side: OrderSide,
    remaining: Decimal,
    hold_price: Decimal | None,
    fees: FeeSchedule,
    shorting: bool,
) -> Hold | None:
    """What a working order must keep aside for its unfilled ``remaining`` quantity.

    A buy holds quote: remaining x hold price x (1 + max fee rate) when the fee is paid in quote,
    or remaining x hold price when a buy's fee is taken from the base received. A sell holds the
    base it will deliver; with shorting allowed a sale may take base below zero, so it holds
    nothing.
    """
    if remaining <= 0:
        return None
    if side is _BUY:
        if hold_price is None:
            return None
        return instrument.quote, remaining * hold_price * fees.buy_hold_factor(instrument)
    if shorting:
        return None
    return instrument.base, remaining


def max_affordable_buy(
    balances: Balances,
    key: str,
    instrument: Instrument,
    remaining: Decimal,
    hold_price: Decimal,
    price: Decimal,
    liquidity: Liquidity,
    fees: FeeSchedule,
) -> Decimal | None:
    """The largest buy fill quantity (None: no limit) at ``price`` that keeps quote available
    at or above zero once the order's hold is recomputed for what is left.

    After filling q: available' = A + H - q*c1 - (R - q)*c2, with A the quote available now,
    H the order's current hold, c1 the quote spent per unit now and c2 the quote held per unit
    left. This is linear in q, so the bound is exact. A limit buy never hits it (it fills at or
    below its hold price); a market buy that fills above the price it was accepted at may.
    """
    current = balances.hold_of(key)
    held = current[1] if current is not None and current[0] == instrument.quote else ZERO
    cost_factor, hold_factor = fees.buy_factors(instrument, liquidity)
    c1 = price * cost_factor
    c2 = hold_price * hold_factor
    if c1 <= c2:
        return None
    headroom = balances.available(instrument.quote) + held - remaining * c2
    if headroom <= 0:
        return ZERO
    return headroom / (c1 - c2)
