"""The risk gate: the single path every order takes, whoever sends it.

``RiskGate.check`` turns an OrderRequest into validated values or raises RiskDenied naming
the field at fault and the rule. It checks, in order: trading state (and a pause while the
engine reconciles with a venue after a reconnect), symbol, stale market data (no market
orders, no bot orders on a symbol whose feed went quiet), field validity
(tick, lot, decimals, min quantity), price band vs the last price (fat-finger), min notional,
max order quantity/notional, spot holdings (a spot account cannot sell what it does not hold),
available balance, max position notional, max open positions, order rate and, for manual
orders, the duplicate guard. Nothing is journaled or sent for a denied request.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from app.engine.domain.errors import ValidationError
from app.engine.domain.events import TradingState
from app.engine.domain.fastinit import fast_frozen_init
from app.engine.domain.ids import MANUAL, validate_source
from app.engine.domain.instruments import Instrument
from app.engine.domain.orders import OrderRequest, OrderSide, OrderType, TimeInForce
from app.engine.domain.values import ZERO
from app.engine.portfolio import Portfolio
from app.engine.risk_limits import RiskLimits

T = TypeVar("T")
S = TypeVar("S", bound=StrEnum)
MINUTE_NS = 60_000_000_000
#: roles that only ever reduce a position and stay allowed in REDUCING, and in HALTED for
#: the kill switch's own flatten orders
PROTECTIVE_ROLES = frozenset({"stop_loss", "take_profit", "flatten", "close"})
# Enum members as module constants: on Python 3.11 ``OrderSide.BUY`` goes through
# ``EnumType.__getattr__``'s slow lookup hook every time, and these run for every order.
_BUY = OrderSide.BUY
_MARKET = OrderType.MARKET


class RiskDenied(ValidationError):
    """The risk gate refused an order. ``needs_confirmation`` means: ask the trader, then
    resend with ``confirmed=True`` (duplicate guard)."""

    def __init__(
        self, field: str, rule: str, *, needs_confirmation: bool = False, value: object = None
    ) -> None:
        super().__init__(field, rule, value)
        self.needs_confirmation = needs_confirmation


@fast_frozen_init  # one per order (see fastinit)
@dataclass(frozen=True, slots=True)
class CheckedOrder:
    instrument: Instrument
    side: OrderSide
    type: OrderType
    quantity: Decimal
    price: Decimal | None
    trigger_price: Decimal | None
    tif: TimeInForce
    reduce_only: bool
    source: str
    reference_price: Decimal  # price used for notional checks


class RiskGate:
    def __init__(
        self,
        instruments: Mapping[str, Instrument],
        portfolio: Portfolio,
        reserved: Callable[[Instrument], tuple[Decimal, Decimal]],
        clock: Callable[[], int],
        *,
        limits: RiskLimits | None = None,
        shorting: bool = False,
    ) -> None:
        self.instruments = instruments
        self.portfolio = portfolio
        self.reserved = reserved
        self.clock = clock
        self.limits = limits or RiskLimits()
        self.shorting = shorting
        self.state = TradingState.ACTIVE
        #: while set, new orders are refused with this rule (reconciling after a reconnect);
        #: protective exits still pass
        self.paused: str | None = None
        self.halt_reason = ""  # why trading is HALTED (kill switch, balances, a venue ban)
        #: symbols whose market data is stale: symbol -> (age in s when reported, report ns)
        self.stale: dict[str, tuple[float, int]] = {}
        self._sent: deque[int] = deque()
        self._recent_manual: deque[tuple[int, tuple[object, ...]]] = deque()

    # ------------------------------------------------------------------------------------
    def check(self, req: OrderRequest, *, record: bool = True) -> CheckedOrder:
        """Validate ``req``. With ``record=False`` nothing is remembered (rate window,
        duplicate guard): a preview for an order ticket that has not been sent."""
        now = self.clock()
        source = _field("source", validate_source, req.source)
        inst = self.instruments.get(req.symbol)
        if inst is None:
            raise RiskDenied("symbol", f"unknown symbol {req.symbol!r}")
        side = _enum_field("side", OrderSide, req.side)
        otype = _enum_field("type", OrderType, req.type)
        tif = _enum_field("tif", TimeInForce, req.tif)
        qty = _field("quantity", inst.check_qty, req.quantity)
        price = trigger = None
        if otype.has_price:
            if req.price is None:
                raise RiskDenied("price", f"is required for a {otype.value} order")
            price = _field("price", inst.check_price, req.price, "price")
        elif req.price is not None:
            raise RiskDenied("price", f"must be empty for a {otype.value} order")
        if otype.has_trigger:
            if req.trigger_price is None:
                raise RiskDenied("trigger_price", f"is required for a {otype.value} order")
            trigger = _field("trigger_price", inst.check_price, req.trigger_price, "trigger_price")
        elif req.trigger_price is not None:
            raise RiskDenied("trigger_price", f"must be empty for a {otype.value} order")

        position = self.portfolio.position_qty(inst.symbol)
        signed = qty if side is _BUY else -qty
        reduces = position != 0 and (position > 0) != (signed > 0) and qty <= abs(position)
        if req.reduce_only and not reduces:
            raise RiskDenied(
                "quantity", f"reduce-only order must reduce the position ({position} held)"
            )
        self._check_state(req, reduces)
        exit_order = req.role in PROTECTIVE_ROLES and req.reduce_only  # exits always pass
        if self.stale and inst.symbol in self.stale and not exit_order:
            self._check_stale(inst.symbol, otype, source, now)

        last = self.portfolio.last_prices.get(inst.symbol)
        ref = price or trigger or last
        if ref is None:
            raise RiskDenied("symbol", f"no market price for {inst.symbol} yet")
        protective = req.role in PROTECTIVE_ROLES and req.reduce_only
        if not protective:  # brackets sit where the trader asked, however far from the market
            self._check_band(inst, last, price, "price")
            self._check_band(inst, last, trigger, "trigger_price")
        _field("quantity", inst.check_notional, qty, ref)
        lim = self.limits
        if lim.max_order_qty is not None and qty > lim.max_order_qty:
            raise RiskDenied("quantity", f"above the max order quantity {lim.max_order_qty}")
        notional = qty * ref
        if lim.max_order_notional is not None and notional > lim.max_order_notional:
            raise RiskDenied(
                "quantity",
                f"order value {notional:.2f} is above the max order notional "
                f"{lim.max_order_notional}",
            )
        if not (protective and req.role == "stop_loss"):
            # a stop-loss shares the coins its take-profit reserves: whichever triggers first
            # cancels the other (engine-side, or in the venue's list) before it needs them
            self._check_balance(inst, side, qty, ref, reduces)
        if not reduces:
            self._check_exposure(inst, position, signed, ref)
        if not protective:  # an exit must never wait behind the rate limit
            self._check_rate(now)
        if source == MANUAL and not req.confirmed and not req.role:
            key = (inst.symbol, side, otype, qty, price, trigger)
            self._check_duplicate(now, key, inst, side, qty)
            if record:
                self._recent_manual.append((now, key))
        if record:
            self._sent.append(now)
        return CheckedOrder(
            inst, side, otype, qty, price, trigger, tif, req.reduce_only, source, ref
        )

    # ------------------------------------------------------------------------------------
    def _check_state(self, req: OrderRequest, reduces: bool) -> None:
        if self.state is TradingState.HALTED and req.role != "flatten":
            why = self.halt_reason or "kill switch"
            raise RiskDenied("trading", f"trading is HALTED ({why}): no new orders")
        if self.paused is not None and not (req.role in PROTECTIVE_ROLES and req.reduce_only):
            raise RiskDenied("trading", self.paused)
        if self.state is TradingState.REDUCING and not (reduces or req.role in PROTECTIVE_ROLES):
            raise RiskDenied(
                "trading", "trading is REDUCING: only orders that reduce a position are allowed"
            )

    def _check_stale(self, symbol: str, otype: OrderType, source: str, now: int) -> None:
        age_s, reported = self.stale[symbol]
        age = age_s + max(0, now - reported) / 1e9
        if otype is _MARKET:
            blocked = "market orders are blocked"
        elif source.startswith("bot:"):
            blocked = "bot orders are blocked"
        else:
            return  # a priced order by hand: the trader sets the price, not the stale feed
        raise RiskDenied(
            "symbol",
            f"market data for {symbol} is stale (no update for {age:.0f} s): "
            f"{blocked} until it resumes",
        )

    def _check_band(
        self, inst: Instrument, last: Decimal | None, value: Decimal | None, field: str
    ) -> None:
        band = self.limits.price_band_pct
        if value is None or band is None or last is None or last == 0:
            return
        away = abs(value - last) / last * 100
        if away > band:
            raise RiskDenied(
                field,
                f"{value} is {away:.1f}% from the last price {last}; the price band is {band}%",
            )

    def _check_balance(
        self, inst: Instrument, side: OrderSide, qty: Decimal, ref: Decimal, reduces: bool
    ) -> None:
        reserved_quote, reserved_base = self.reserved(inst)
        bal = self.portfolio.balances
        if side is _BUY:
            if reduces and self.shorting:
                return  # buying back a short releases margin
            cost = qty * ref * (1 + inst.taker_fee)
            free = bal.get(inst.quote, ZERO) - reserved_quote
            if cost > free:
                raise RiskDenied(
                    "quantity",
                    f"insufficient {inst.quote}: order needs {cost:.2f}, {max(free, ZERO):.2f} "
                    "available",
                )
        elif not self.shorting:
            free = bal.get(inst.base, ZERO) - reserved_base
            if qty > free:
                raise RiskDenied(
                    "quantity",
                    f"insufficient {inst.base}: selling {qty}, {max(free, ZERO)} available "
                    "(a spot account cannot sell what it does not hold)",
                )

    def _check_exposure(
        self, inst: Instrument, position: Decimal, signed: Decimal, ref: Decimal
    ) -> None:
        lim = self.limits
        after = abs(position + signed) * ref
        if lim.max_position_notional is not None and after > lim.max_position_notional:
            raise RiskDenied(
                "quantity",
                f"position in {inst.symbol} would be {after:.2f}, above the max position "
                f"notional {lim.max_position_notional}",
            )
        if position == 0 and lim.max_open_positions is not None:
            held = len(self.portfolio.open_positions())
            if held >= lim.max_open_positions:
                raise RiskDenied(
                    "symbol", f"already {held} open positions; the max is {lim.max_open_positions}"
                )

    def _check_rate(self, now: int) -> None:
        limit = self.limits.max_orders_per_minute
        while self._sent and now - self._sent[0] >= MINUTE_NS:
            self._sent.popleft()
        if limit is not None and len(self._sent) >= limit:
            raise RiskDenied("rate", f"order rate limit: at most {limit} orders per minute")

    def _check_duplicate(
        self,
        now: int,
        key: tuple[object, ...],
        inst: Instrument,
        side: OrderSide,
        qty: Decimal,
    ) -> None:
        window = int(self.limits.duplicate_window_s * 1_000_000_000)
        while self._recent_manual and now - self._recent_manual[0][0] > window:
            self._recent_manual.popleft()
        if any(k == key for _, k in self._recent_manual):
            raise RiskDenied(
                "confirm",
                f"the same order ({side.value} {qty} {inst.symbol}) was sent less than "
                f"{self.limits.duplicate_window_s}s ago; confirm to send it again",
                needs_confirmation=True,
            )


def _field(name: str, fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)``, with a ValidationError re-raised as RiskDenied naming ``name``. Called
    with the arguments rather than a closure: this runs several times for every order."""
    try:
        return fn(*args)
    except RiskDenied:
        raise
    except ValidationError as exc:
        raise RiskDenied(name, exc.rule, value=exc.value) from None


def _enum_field(name: str, enum: type[S], value: object) -> S:
    if type(value) is enum:  # already a member (the usual case): no lookup by value
        return value
    try:
        return enum(str(value))
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise RiskDenied(name, f"must be one of {allowed}", value=value) from None
