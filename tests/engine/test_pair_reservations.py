"""A venue-held one-cancels-the-other pair reserves its funds once, as the venue does: only
one of its two orders can ever execute."""

from __future__ import annotations

from decimal import Decimal

from app.engine.domain.orders import Order, OrderEventKind, OrderSide, OrderType, TimeInForce
from app.engine.portfolio import Portfolio
from app.engine.reservations import Reservations
from tests.engine.harness import BTC

D = Decimal
K = OrderEventKind


def order(cid: str, side: OrderSide, kind: OrderType, qty: str, price: str) -> Order:
    o = Order(
        client_id=cid,
        venue="sim",
        symbol="BTC/USD",
        side=side,
        type=kind,
        quantity=D(qty),
        price=D(price) if kind is OrderType.LIMIT else None,
        trigger_price=D(price) if kind.has_trigger else None,
        tif=TimeInForce.GTC,
        reduce_only=True,
        source="manual",
        created_ns=1,
    )
    o.apply(K.SUBMITTED, 1)
    o.apply(K.ACCEPTED, 2, venue_order_id=f"v-{cid}")
    return o


def book() -> Reservations:
    pf = Portfolio({"BTC/USD": BTC})
    pf.mark("BTC/USD", D("100"))
    return Reservations(pf.instruments, pf.last_prices.get)


def test_a_sell_pair_reserves_its_quantity_once_and_releases_it_when_done() -> None:
    res = book()
    stop = order("sl", OrderSide.SELL, OrderType.STOP_MARKET, "2", "90")
    target = order("tp", OrderSide.SELL, OrderType.LIMIT, "2", "120")
    res.update(stop, held_at_venue=True)
    res.update(target, held_at_venue=True)
    assert res.reserved(BTC)[1] == D("4")  # two separate sells: counted twice
    res.pair(stop, target)
    assert res.reserved(BTC)[1] == D("2")  # one list: once

    target.apply(K.FILLED, 3, fill_qty=D("0.5"), fill_price=D("120"), fee=D(0))
    res.update(target, held_at_venue=True)
    assert res.reserved(BTC)[1] == D("2")  # the stop still covers 2 until the venue expires it
    stop.apply(K.EXPIRED, 4, reason="one-cancels-the-other")
    res.update(stop, held_at_venue=True)
    assert res.reserved(BTC)[1] == D("1.5")  # what is left of the take-profit
    target.apply(K.CANCELED, 5, reason="canceled")
    res.update(target, held_at_venue=True)
    assert res.reserved(BTC) == (D(0), D(0))

    # the pair is forgotten: a new order under a reused id counts on its own again
    other = order("sl", OrderSide.SELL, OrderType.LIMIT, "1", "130")
    res.update(other, held_at_venue=True)
    assert res.reserved(BTC)[1] == D("1")


def test_a_buy_pair_reserves_the_dearer_leg() -> None:
    res = book()
    stop = order("sl", OrderSide.BUY, OrderType.STOP_MARKET, "1", "110")  # covers a short
    target = order("tp", OrderSide.BUY, OrderType.LIMIT, "1", "80")
    res.pair(stop, target)
    fee = 1 + BTC.taker_fee
    assert res.reserved(BTC)[0] == D("110") * fee
    stop.apply(K.CANCELED, 3, reason="x")
    res.update(stop, held_at_venue=True)
    assert res.reserved(BTC)[0] == D("80") * fee
