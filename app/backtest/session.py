"""The engine side of a backtest: one instrument, the paper venue, the trading engine on a
simulated clock and an in-memory journal, and the fills coming back, in floats.

Every order goes the way a bot's does: risk gate, OMS, paper exchange (fees, slippage),
portfolio, brackets. The runner only calls in here on bars where something happens: an
intent to execute (``execute``) or working orders to expose to the bar's prices (``walk``).
The market is shown to the venue as a quote (bid = ask = the price, unlimited size) and a
trade at that price, in that order, so a stop released by a trade meets a current quote.
"""

from __future__ import annotations

import logging
import math
from decimal import Decimal
from itertools import pairwise

from app.backtest.config import BacktestConfig, base_asset
from app.backtest.journal import MemoryJournal
from app.backtest.trades import BacktestFill, RoundTripBuilder
from app.brokers.paper import PaperConfig, PaperExchange
from app.brokers.paper.matching import slipped_price
from app.engine.bus import Priority
from app.engine.clock import SimClock
from app.engine.domain.errors import ValidationError
from app.engine.domain.events import FillRecorded
from app.engine.domain.instruments import Instrument
from app.engine.domain.market import QuoteTick, TradeTick
from app.engine.domain.orders import (
    BracketSpec,
    OrderRequest,
    OrderSide,
    OrderType,
    TimeInForce,
)
from app.engine.domain.values import ZERO
from app.engine.engine import TradingEngine
from app.engine.risk_limits import RiskLimits
from app.engine.series import BarSeries
from app.engine.sizing import SizingMode
from app.strategies.base import OrderIntent, StrategyFill

log = logging.getLogger(__name__)
VENUE = "backtest"
SOURCE = "bot:backtest"
# a print's size bounds how much of a resting limit it fills; bars carry no such detail,
# so every simulated print is deep enough for the whole order
DEEP = Decimal("1e18")
NO_LIMITS = RiskLimits(
    max_order_notional=None,
    max_order_qty=None,
    max_position_notional=None,
    max_open_positions=None,
    price_band_pct=None,
    max_orders_per_minute=None,
    daily_loss_limit=None,
)
YEAR_S = 365 * 86_400
PROTECTIVE = ("stop_loss", "take_profit")
# enum members as module constants: on Python 3.11 ``OrderSide.BUY`` goes through
# ``EnumType.__getattr__``'s slow lookup hook every time, and these run for every order
_BUY = OrderSide.BUY
_SELL = OrderSide.SELL
_MARKET = OrderType.MARKET
_LIMIT = OrderType.LIMIT
_GTC = TimeInForce.GTC


def tick_for(series: BarSeries) -> Decimal:
    """A price step ten significant digits finer than the lowest price in the data, and at
    most 1e-8: rounding a fill to it moves the price by less than 1e-10 of itself."""
    low = float(series.low.min()) if len(series) else 1.0
    exponent = min(-8, math.floor(math.log10(low)) - 10) if low > 0 else -8
    return Decimal(1).scaleb(exponent)


def dec(value: float) -> Decimal:
    return Decimal(repr(float(value)))


class SimSession:
    def __init__(self, series: BarSeries, config: BacktestConfig) -> None:
        self.config = config
        self.symbol = symbol = config.symbol or series.symbol or "ASSET/USD"
        fee = config.fee_rate
        self.instrument = Instrument(
            symbol,
            VENUE,
            base_asset(symbol, config.currency),
            config.currency,
            tick_for(series),
            config.lot,
            config.lot,
            ZERO,
            maker_fee=fee,
            taker_fee=fee,
        )
        self.clock = SimClock(int(series.ts[0]) if len(series) else 0)
        self.journal = MemoryJournal()
        self.venue = PaperExchange(
            VENUE,
            [self.instrument],
            PaperConfig(
                initial_balances={config.currency: config.cash},
                slippage_bps=config.slippage_bps,
                maker_fee=fee,
                taker_fee=fee,
            ),
            None,
            self.clock.now_ns,
        )
        self.engine = TradingEngine(
            journal=self.journal,
            client=self.venue,
            instruments={symbol: self.instrument},
            clock=self.clock,
            currency=config.currency,
            breaker_interval_s=YEAR_S,  # the daily-loss breaker has no place in a backtest
        )
        bus = self.engine.bus
        bus.subscribe(QuoteTick, self.venue.on_quote, priority=Priority.VENUE)
        bus.subscribe(TradeTick, self.venue.on_trade, priority=Priority.VENUE)
        bus.subscribe(FillRecorded, self._on_fill, priority=Priority.STRATEGY)
        # float mirror of the account, kept from fills (the engine's Decimal books are the
        # reference; these are what equity per bar is computed from)
        self.cash = float(config.cash)
        self.position = 0.0
        self.realized = 0.0  # closed round trips' P&L after fees (compounding sizing)
        self.index = 0
        self.fills: list[BacktestFill] = []
        self.new_fills: list[StrategyFill] = []
        self.trips = RoundTripBuilder()
        # (bar index, cash after, position after) each time a fill changes the account
        self.changes: list[tuple[int, float, float]] = []
        self.messages: list[str] = []
        self.refused = 0
        self.expiring: dict[str, int] = {}  # limit order id -> last bar it may fill in
        self.busy = False  # orders working at the venue or held by the emulator
        self.waiting = False  # ...and one of them is not a resting stop-loss/take-profit
        self.levels: list[float] = []  # the prices those orders trigger or fill at

    async def start(self) -> None:
        self.engine.risk.limits = NO_LIMITS
        await self.engine.start(initial_deposit={self.config.currency: self.config.cash})

    async def stop(self) -> None:
        await self.engine.stop()

    # --- market ------------------------------------------------------------------------
    def show(self, price: Decimal, ts: int) -> None:
        """The market is at ``price`` at ``ts``: a quote and a trade there."""
        self.clock.set(ts)
        engine = self.engine
        engine.on_market(QuoteTick(self.symbol, price, price, ZERO, ZERO, ts))
        engine.on_market(TradeTick(self.symbol, price, DEEP, ts))

    async def walk(self, o: float, h: float, l: float, c: float, start: int, span: int) -> None:  # noqa: E741
        """Working orders meet bar ``index``: its path open→low→high→close (a rising bar) or
        open→high→low→close (a falling one), pausing at each working order's price it
        passes on the way, so a stop or limit fills where the price crossed it, not at the
        next extreme. Limit intents not filled by the end of their bar are canceled."""
        first, second = (l, h) if c >= o else (h, l)
        points = [o, first, second, c]
        levels = self.levels
        path: list[float] = [o]
        for a, b in pairwise(points):
            if levels:
                lo, hi = min(a, b), max(a, b)
                inside = sorted((x for x in levels if lo < x < hi), reverse=b < a)
                path.extend(inside)
            path.append(b)
        steps = len(path)
        tasks = self.engine.tasks
        for k, price in enumerate(path):
            self.show(dec(price), start + span * k // steps)
            await tasks.idle()  # a stop released to the venue runs as a task: let it fill now
        await self._expire()
        self._refresh()

    def reaches(self, low: float, high: float) -> bool:
        """Could this bar trigger or fill a working order? A sell stop needs a print at or
        under its trigger, a buy limit a quote at or under its price, and so on: a bar whose
        range holds none of the orders' prices changes nothing, and is not walked."""
        for level in self.levels:  # noqa: SIM110 - per bar: a loop beats any() over a genexpr
            if low <= level <= high:
                return True
        return False

    async def _expire(self) -> None:
        for client_id, last in list(self.expiring.items()):
            if last > self.index:
                continue
            del self.expiring[client_id]
            order = self.engine.oms.orders.get(client_id)
            if order is not None and order.is_working:
                await self.engine.cancel(client_id)

    async def expire(self) -> None:
        """End of a bar that was not walked: limit intents whose bar it was are canceled."""
        await self._expire()
        self._refresh()

    def _refresh(self) -> None:
        working = self.engine.oms.working(self.symbol)
        self.busy = bool(working)
        self.waiting = any(o.role not in PROTECTIVE for o in working)
        self.levels = [
            float(price)
            for order in working
            for price in (order.trigger_price, order.price)
            if price is not None
        ]

    # --- orders ------------------------------------------------------------------------
    async def execute(
        self, intents: list[OrderIntent], price: float, ts: int, limit_until: int
    ) -> None:
        """Show the market at ``price`` and send each intent as a bot order would go. A limit
        order still working after bar ``limit_until`` is canceled (an intent is for now)."""
        ref = dec(price)
        self.show(ref, ts)
        for intent in intents:
            try:
                req = self._request(intent, ref)
                if req is not None:
                    order = await self.engine.place_order(req)
                    if req.type is _LIMIT and order.is_working:
                        self.expiring[order.client_id] = limit_until
            except ValidationError as exc:  # RiskDenied included: the intent is skipped
                self.refused += 1
                self.note(f"intent {intent.side.value} refused: {exc}")
            await self.engine.tasks.idle()  # bracket children are placed by tasks
        self._refresh()

    def _request(self, intent: OrderIntent, ref: Decimal) -> OrderRequest | None:
        inst = self.instrument
        held = self.trips.position
        reduces = held != 0 and (held > 0) != (intent.side is _BUY)
        limit = None if intent.limit is None else inst.make_price(dec(intent.limit), "limit")
        otype = _MARKET if limit is None else _LIMIT
        if intent.close or reduces:
            if held == 0:
                return None  # close when flat: nothing to do
            qty = abs(held) if intent.qty is None else min(abs(held), self._qty(intent.qty))
            if qty <= 0:
                return None
            side = _SELL if held > 0 else _BUY
            return OrderRequest(
                self.symbol,
                side,
                otype,
                qty,
                limit,
                reduce_only=True,
                source=SOURCE,
                role="close",
            )
        if intent.side is _SELL:
            self.note("sell intent while flat ignored: the backtest account is spot (no shorts)")
            return None
        fill_ref = limit if limit is not None else ref
        if intent.qty is not None:
            qty = self._qty(intent.qty)
        else:
            qty = self._size(intent, fill_ref, limit is None)
        if qty <= 0:
            self.note(f"entry skipped: size rounds to 0 at {fill_ref}")
            return None
        return OrderRequest(
            self.symbol,
            _BUY,
            otype,
            qty,
            limit,
            tif=_GTC,
            source=SOURCE,
            bracket=self._bracket(intent),
            role="entry",
        )

    def _qty(self, qty: float) -> Decimal:
        return self.instrument.make_qty(dec(qty)) if qty > 0 else ZERO

    def _size(self, intent: OrderIntent, ref: Decimal, market: bool) -> Decimal:
        cfg, inst = self.config, self.instrument
        price = slipped_price(_BUY, ref, cfg.slippage_bps, inst.tick_size) if market else ref
        stop_distance = None
        if intent.stop_loss is not None:
            stop_distance = abs(ref - dec(intent.stop_loss))
        elif cfg.stop_loss_pct is not None:
            stop_distance = ref * cfg.stop_loss_pct / 100
        # equity is a sum over every balance at its last price: only the modes that use it
        needs_equity = cfg.sizing.mode in (SizingMode.PCT_EQUITY, SizingMode.RISK_PCT)
        return cfg.sizing.quantity(
            price=price,
            equity=self.engine.portfolio.equity() if needs_equity else ZERO,
            cash=self.venue.available(cfg.currency),
            lot=inst.lot_size,
            stop_distance=stop_distance,
            realized=dec(self.realized),
            fee_rate=cfg.fee_rate,
        )

    def _bracket(self, intent: OrderIntent) -> BracketSpec | None:
        cfg = self.config
        sl = None if intent.stop_loss is None else self.instrument.make_price(dec(intent.stop_loss))
        tp = (
            None
            if intent.take_profit is None
            else self.instrument.make_price(dec(intent.take_profit))
        )
        spec = BracketSpec(
            stop_loss=sl,
            take_profit=tp,
            stop_loss_pct=cfg.stop_loss_pct if sl is None else None,
            take_profit_pct=cfg.take_profit_pct if tp is None else None,
        )
        return None if spec.empty else spec

    # --- fills -------------------------------------------------------------------------
    def _on_fill(self, event: FillRecorded) -> None:
        fill = event.fill
        if fill.symbol != self.symbol:
            return
        qty, price, fee = float(fill.quantity), float(fill.price), float(fill.fee)
        side = fill.side
        buy = side is _BUY
        order = self.engine.oms.orders.get(fill.client_id)
        role = (order.role or "") if order is not None else ""
        # ``_value_``: the member's string (``.value`` is a slower property on 3.11)
        record = BacktestFill(fill.ts, self.index, side._value_, qty, price, fee, role)
        self.fills.append(record)
        closed_before = len(self.trips.trips)
        self.trips.add(record, fill.quantity)
        if len(self.trips.trips) > closed_before:
            self.realized += self.trips.trips[-1].pnl
        self.cash -= (qty * price if buy else -qty * price) + fee
        held = self.trips.position
        self.position = float(held) if held != 0 else 0.0
        if held == 0:
            # the Decimal books are exact: resync so float drift never outlives a round trip
            self.cash = float(self.engine.portfolio.balances.get(self.config.currency, ZERO))
        self.changes.append((self.index, self.cash, self.position))
        self.new_fills.append(StrategyFill(side, qty, price, fee, fill.ts, role))

    def take_new_fills(self) -> list[StrategyFill]:
        out, self.new_fills = self.new_fills, []
        return out

    def note(self, message: str) -> None:
        # kept short: an optimiser runs thousands of these and pickles the result back
        if len(self.messages) < 200:
            self.messages.append(message)
        log.debug("backtest: %s", message)
