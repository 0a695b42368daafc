"""Building blocks for paper exchange tests: an instrument, orders, ticks and a harness."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from app.brokers.paper import PaperConfig, PaperExchange
from app.engine.domain.events import (
    ExecutionReport,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderRejected,
)
from app.engine.domain.fills import Fill
from app.engine.domain.instruments import Instrument
from app.engine.domain.market import QuoteTick, TradeTick
from app.engine.domain.orders import Order, OrderSide, OrderStatus, OrderType, TimeInForce
from app.engine.ports import VenueStateStore

D = Decimal
VENUE = "paper"
SYMBOL = "BTC/USDT"
BUY, SELL = OrderSide.BUY, OrderSide.SELL
MARKET, LIMIT = OrderType.MARKET, OrderType.LIMIT
STOP_MARKET, STOP_LIMIT = OrderType.STOP_MARKET, OrderType.STOP_LIMIT
GTC, IOC, FOK = TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK

BTC = Instrument(
    symbol=SYMBOL,
    venue=VENUE,
    base="BTC",
    quote="USDT",
    tick_size=D("0.01"),
    lot_size=D("0.001"),
    min_qty=D("0.001"),
    min_notional=D("10"),
    max_qty=D("1000"),
    maker_fee=D("0.001"),
    taker_fee=D("0.002"),
)
ETH = Instrument(
    symbol="ETH/USDT",
    venue=VENUE,
    base="ETH",
    quote="USDT",
    tick_size=D("0.01"),
    lot_size=D("0.0001"),
    min_qty=D("0.0001"),
    min_notional=D("5"),
)

_ids = itertools.count(1)


def order(
    side: OrderSide,
    type_: OrderType,
    qty: str,
    price: str | None = None,
    trigger: str | None = None,
    *,
    tif: TimeInForce = GTC,
    reduce_only: bool = False,
    symbol: str = SYMBOL,
    client_id: str | None = None,
    venue: str = VENUE,
) -> Order:
    """An order as the OMS hands it to a venue: validated and SUBMITTED."""
    return Order(
        client_id=client_id or f"c{next(_ids)}",
        venue=venue,
        symbol=symbol,
        side=side,
        type=type_,
        quantity=D(qty),
        price=None if price is None else D(price),
        trigger_price=None if trigger is None else D(trigger),
        tif=tif,
        reduce_only=reduce_only,
        source="manual",
        created_ns=0,
        status=OrderStatus.SUBMITTED,
    )


def quote(
    bid: str, ask: str, bid_size: str = "5", ask_size: str = "5", symbol: str = SYMBOL
) -> QuoteTick:
    return QuoteTick(symbol, D(bid), D(ask), D(bid_size), D(ask_size), 0)


def trade(price: str, size: str = "10", symbol: str = SYMBOL) -> TradeTick:
    return TradeTick(symbol, D(price), D(size), 0)


class StepClock:
    """1 µs per reading, from a fixed start: timestamps are known and repeatable."""

    def __init__(self, start: int = 1_700_000_000_000_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        self.now += 1_000
        return self.now


@dataclass
class Venue:
    exchange: PaperExchange
    reports: list[ExecutionReport] = field(default_factory=list)

    def of(self, client_id: str) -> list[ExecutionReport]:
        return [r for r in self.reports if _client_of(r) == client_id]

    def kinds(self, client_id: str) -> list[str]:
        return [type(r).__name__ for r in self.of(client_id)]

    def fills(self, client_id: str | None = None) -> list[Fill]:
        return [
            r.fill
            for r in self.reports
            if isinstance(r, OrderFilled) and client_id in (None, r.fill.client_id)
        ]

    def rejection(self, client_id: str) -> str:
        found = [r.reason for r in self.of(client_id) if isinstance(r, OrderRejected)]
        assert len(found) == 1, self.of(client_id)
        return found[0]

    async def status(self, client_id: str) -> OrderStatus:
        return (await self.exchange.query_order(client_id)).status


def _client_of(report: ExecutionReport) -> str:
    if isinstance(report, OrderFilled):
        return report.fill.client_id
    assert isinstance(
        report, OrderAccepted | OrderRejected | OrderCanceled | OrderExpired | OrderModified
    )
    return report.client_id


def open_venue(
    balances: dict[str, str] | None = None,
    *,
    store: VenueStateStore | None = None,
    clock: StepClock | None = None,
    instruments: tuple[Instrument, ...] = (BTC, ETH),
    **config: object,
) -> Venue:
    initial = {"USDT": "10000"} if balances is None else balances
    cfg = PaperConfig(
        initial_balances={asset: D(amount) for asset, amount in initial.items()},
        **config,  # type: ignore[arg-type]
    )
    exchange = PaperExchange(VENUE, instruments, cfg, store, clock or StepClock())
    venue = Venue(exchange)
    exchange.set_report_sink(venue.reports.append)
    return venue
