"""Headless session helpers for the command line: a printer for what happens in the account,
and the ``--demo-orders`` order flow that exercises the engine on the demo market."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import datetime
from decimal import Decimal

from app.engine.bus import Priority
from app.engine.domain.errors import ValidationError
from app.engine.domain.events import (
    Alert,
    FillRecorded,
    OrderDenied,
    OrderUpdated,
    TradingStateChanged,
)
from app.engine.domain.orders import (
    BracketSpec,
    OrderEventKind,
    OrderRequest,
    OrderSide,
    OrderType,
)
from app.engine.engine import TradingEngine

log = logging.getLogger(__name__)


def money(value: Decimal, signed: bool = False) -> str:
    return f"{value:+,.2f}" if signed else f"{value:,.2f}"


class SummaryPrinter:
    """Prints fills, refusals and state changes as they happen, and a periodic summary."""

    def __init__(self, engine: TradingEngine) -> None:
        self.engine = engine

    def attach(self) -> None:
        bus = self.engine.bus
        bus.subscribe(FillRecorded, self._fill, priority=Priority.UI)
        bus.subscribe(OrderDenied, self._denied, priority=Priority.UI)
        bus.subscribe(OrderUpdated, self._order, priority=Priority.UI)
        bus.subscribe(TradingStateChanged, self._state, priority=Priority.UI)
        bus.subscribe(Alert, self._alert, priority=Priority.UI)

    @staticmethod
    def _stamp() -> str:
        return datetime.now().strftime("%H:%M:%S")

    def _fill(self, event: FillRecorded) -> None:
        f = event.fill
        pnl = "" if not f.realized_pnl else f"  realized {money(f.realized_pnl, True)}"
        print(
            f"[{self._stamp()}] FILL {f.side.value.upper()} {f.quantity} {f.symbol} @ {f.price}"
            f"  fee {f.fee.normalize():f} {f.fee_currency}  [{f.source}]{pnl}"
        )

    def _denied(self, event: OrderDenied) -> None:
        r = event.request
        print(
            f"[{self._stamp()}] REFUSED {r.side.value} {r.quantity} {r.symbol}: "
            f"{event.field}: {event.rule}"
        )

    def _order(self, event: OrderUpdated) -> None:
        o = event.order
        if event.kind in (OrderEventKind.REJECTED, OrderEventKind.CANCELED):
            why = f" ({o.reason})" if o.reason else ""
            print(
                f"[{self._stamp()}] {event.kind.value.upper()} {o.side.value} {o.quantity} "
                f"{o.symbol} {o.type.value}{why}"
            )
        elif event.kind is OrderEventKind.ACCEPTED and o.type is not OrderType.MARKET:
            at = o.price if o.price is not None else o.trigger_price
            role = f" {o.role}" if o.role else ""
            print(
                f"[{self._stamp()}] WORKING{role} {o.side.value} {o.quantity} {o.symbol} "
                f"{o.type.value} @ {at}"
            )

    def _state(self, event: TradingStateChanged) -> None:
        print(f"[{self._stamp()}] TRADING {event.state.value.upper()}: {event.reason}")

    def _alert(self, event: Alert) -> None:
        print(f"[{self._stamp()}] ALERT {event.title}: {event.message}")

    def print_summary(self, final: bool = False) -> None:
        s = self.engine.summary()
        title = "FINAL" if final else self._stamp()
        print(
            f"[{title}] equity {money(s.equity)} {self.engine.portfolio.currency}"
            f" | cash {money(s.cash)} | day P&L {money(s.day_pnl, True)}"
            f" | realized {money(s.realized, True)} | unrealized {money(s.unrealized, True)}"
            f" | fees {money(s.fees)} | {s.state.upper()}"
        )
        for p in s.positions:
            last = p.last_price if p.last_price is not None else Decimal(0)
            print(
                f"    {p.symbol:<8} {p.side:<5} {abs(p.quantity)} @ {money(p.avg_price)}"
                f"  last {money(last)}  uPnL {money(p.unrealized_pnl, True)}"
                f"  rPnL {money(p.realized_pnl, True)}"
            )
        if final:
            for asset, amount in s.balances:
                print(f"    balance {asset}: {amount}")
            for src in self.engine.portfolio.pnl_by_source().values():
                print(
                    f"    P&L {src.source}: net {money(src.net, True)} "
                    f"({src.trades} fills, fees {money(src.fees)})"
                )


class DemoOrderFlow:
    """``--demo-orders``: a short showcase, then a steady flow of small orders.

    Showcase: a market buy with a stop-loss/take-profit bracket, a limit order that is then
    canceled, a partial close, an order the fat-finger band refuses and a duplicate that needs
    confirmation. Then every ``interval`` seconds a small random market or limit order (and
    its cancel), all through the risk gate like any trader's order.
    """

    def __init__(self, engine: TradingEngine, interval: float, seed: int = 1) -> None:
        self.engine = engine
        self.interval = interval
        self.rng = random.Random(seed)

    def _qty(self, symbol: str, notional: Decimal) -> Decimal:
        inst = self.engine.instruments[symbol]
        last = self.engine.portfolio.last_prices[symbol]
        return max(inst.make_qty(notional / last), inst.min_qty)

    async def _try(self, req: OrderRequest) -> None:
        # the printer shows every refusal with its field and rule
        with contextlib.suppress(ValidationError):
            await self.engine.place_order(req)

    async def run(self) -> None:
        # a venue's first prices arrive after the session opens: orders need a reference
        prices = self.engine.portfolio.last_prices
        while any(s not in prices for s in self.engine.instruments):  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # polled: the portfolio signals no "all priced" event
        await self.showcase()
        while True:
            await asyncio.sleep(self.interval)
            await self.random_order()

    async def showcase(self) -> None:
        e = self.engine
        symbols = sorted(e.instruments)
        btc = "BTC/USD" if "BTC/USD" in e.instruments else symbols[0]
        await self._try(
            OrderRequest(
                btc,
                OrderSide.BUY,
                OrderType.MARKET,
                self._qty(btc, Decimal(2000)),
                bracket=BracketSpec(stop_loss_pct=Decimal(1), take_profit_pct=Decimal("1.5")),
            )
        )
        eth = "ETH/USD" if "ETH/USD" in e.instruments else symbols[-1]
        inst = e.instruments[eth]
        below = inst.make_price(e.portfolio.last_prices[eth] * Decimal("0.995"))
        limit = None
        with contextlib.suppress(ValidationError):
            limit = await e.place_order(
                OrderRequest(
                    eth, OrderSide.BUY, OrderType.LIMIT, self._qty(eth, Decimal(1000)), price=below
                )
            )
        spy = "SPY" if "SPY" in e.instruments else symbols[0]
        await self._try(OrderRequest(spy, OrderSide.BUY, OrderType.MARKET, Decimal(10)))
        await self._try(OrderRequest(spy, OrderSide.BUY, OrderType.MARKET, Decimal(10)))
        await asyncio.sleep(1.0)
        if limit is not None and limit.is_working:
            await e.cancel(limit.client_id)
        if e.portfolio.position_qty(spy) >= 5:
            await self._try(OrderRequest(spy, OrderSide.SELL, OrderType.MARKET, Decimal(5)))
        aapl = "AAPL" if "AAPL" in e.instruments else symbols[0]
        far = e.instruments[aapl].make_price(e.portfolio.last_prices[aapl] * Decimal("1.2"))
        await self._try(OrderRequest(aapl, OrderSide.BUY, OrderType.LIMIT, Decimal(1), price=far))

    async def random_order(self) -> None:
        e = self.engine
        symbol = self.rng.choice(sorted(e.instruments))
        held = e.portfolio.position_qty(symbol)
        side = OrderSide.SELL if held > 0 and self.rng.random() < 0.5 else OrderSide.BUY
        qty = self._qty(symbol, Decimal(self.rng.choice([300, 500, 800])))
        if side is OrderSide.SELL:
            qty = min(qty, held)
        if self.rng.random() < 0.7:
            await self._try(
                OrderRequest(symbol, side, OrderType.MARKET, qty, source="manual", confirmed=True)
            )
            return
        inst = e.instruments[symbol]
        offset = Decimal("0.998") if side is OrderSide.BUY else Decimal("1.002")
        price = inst.make_price(e.portfolio.last_prices[symbol] * offset)
        try:
            order = await e.place_order(
                OrderRequest(symbol, side, OrderType.LIMIT, qty, price=price, confirmed=True)
            )
        except ValidationError:
            return
        await asyncio.sleep(self.interval / 2)
        if order.is_working:
            with contextlib.suppress(ValidationError):
                await e.cancel(order.client_id)
