"""The engine end to end on a real journal and the real paper exchange: orders, the journal
before send, UNKNOWN and reconciliation, fill de-duplication, modify and attribution."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from app.brokers.paper import PaperExchange
from app.engine.domain.events import ExecutionReport, OrderAccepted, OrderFilled
from app.engine.domain.orders import Order, OrderRequest, OrderSide, OrderStatus, OrderType
from app.engine.ports import ReportSink
from app.engine.risk import RiskDenied
from tests.engine.harness import Harness


def db_rows(data_dir: Path, sql: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(data_dir / "tradedesk.sqlite")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def market(symbol: str, side: OrderSide, qty: str, **kw: object) -> OrderRequest:
    return OrderRequest(symbol, side, OrderType.MARKET, qty, **kw)  # type: ignore[arg-type]


async def test_market_buy_fills_updates_portfolio_and_journal(h: Harness) -> None:
    order = await h.engine.place_order(market("BTC/USD", OrderSide.BUY, "2"))
    await h.settle()
    assert order.status is OrderStatus.FILLED
    pos = h.engine.portfolio.positions["BTC/USD"]
    assert pos.quantity == Decimal(2) and pos.avg_price == Decimal("100.01")
    assert h.engine.portfolio.cash == Decimal("100000") - Decimal("200.02") - Decimal("0.20002")
    rows = db_rows(h.data_dir, "select status, filled_qty from orders")
    assert [(s, Decimal(str(q))) for s, q in rows] == [("filled", Decimal(2))]
    history = [r[0] for r in db_rows(h.data_dir, "select status from order_events order by id")]
    assert history == ["submitted", "accepted", "filled"]
    fills = db_rows(h.data_dir, "select symbol, side, quantity, price, source from fills")
    assert [(a, b, Decimal(str(c)), Decimal(str(d)), e) for a, b, c, d, e in fills] == [
        ("BTC/USD", "buy", Decimal(2), Decimal("100.01"), "manual")
    ]


async def test_denied_order_is_neither_journaled_nor_sent(h: Harness) -> None:
    for qty in ("0", "-1", "abc", "NaN", "0.00001"):
        with pytest.raises(RiskDenied) as err:
            await h.engine.place_order(market("BTC/USD", OrderSide.BUY, qty))
        assert err.value.field == "quantity"
    with pytest.raises(RiskDenied, match="unknown symbol"):
        await h.engine.place_order(market("XRP/USD", OrderSide.BUY, "1"))
    await h.settle()
    assert db_rows(h.data_dir, "select count(*) from orders") == [(0,)]
    assert await h.venue.open_orders() == []


class JournalCheckingVenue(PaperExchange):
    """Looks in the database file at the moment an order arrives."""

    seen: list[tuple[object, ...]]

    async def submit(self, order: Order) -> None:
        con = sqlite3.connect(Path(self._store.path).parent / "tradedesk.sqlite")  # type: ignore[union-attr]
        try:
            self.seen = con.execute(
                "select client_id, status from orders where client_id = ?", (order.client_id,)
            ).fetchall()
        finally:
            con.close()
        await super().submit(order)


async def test_order_is_durable_in_the_journal_before_the_venue_hears_of_it(
    data_dir: Path,
) -> None:
    h = Harness(data_dir, venue_cls=JournalCheckingVenue)
    await h.start()
    h.market("BTC/USD", "100.00")
    order = await h.engine.place_order(market("BTC/USD", OrderSide.BUY, "1"))
    assert isinstance(h.venue, JournalCheckingVenue)
    assert h.venue.seen == [(order.client_id, "submitted")]
    await h.close()


class LossyVenue(PaperExchange):
    """Receives orders, but the replies to those in ``lose`` never come back."""

    lose_next = False
    submits: list[str]

    def set_report_sink(self, sink: ReportSink) -> None:
        self.submits = []
        self.lost: set[str] = set()

        def filtered(report: ExecutionReport) -> None:
            cid = report.fill.client_id if isinstance(report, OrderFilled) else report.client_id
            if cid not in self.lost:
                sink(report)

        super().set_report_sink(filtered)

    async def submit(self, order: Order) -> None:
        self.submits.append(order.client_id)
        if self.lose_next:
            self.lost.add(order.client_id)
            await super().submit(order)
            await asyncio.sleep(3600)  # the reply is lost on the way back
        await super().submit(order)


async def test_timeout_makes_unknown_never_resent_and_reconciliation_settles(
    data_dir: Path,
) -> None:
    h = Harness(data_dir, venue_cls=LossyVenue)
    await h.start()
    venue = h.venue
    assert isinstance(venue, LossyVenue)
    h.market("BTC/USD", "100.00")
    h.engine.oms.request_timeout_s = 0.05
    venue.lose_next = True
    order = await h.engine.place_order(market("BTC/USD", OrderSide.BUY, "1"))
    assert order.status is OrderStatus.UNKNOWN
    assert h.engine.portfolio.position_qty("BTC/USD") == 0  # we do not know yet
    venue.lose_next = False
    venue.lost.clear()
    findings = await h.engine.oms.reconcile()
    assert order.status is OrderStatus.FILLED
    assert findings == [f"{order.client_id}: unknown -> filled"]
    assert h.engine.portfolio.position_qty("BTC/USD") == Decimal(1)
    assert venue.submits == [order.client_id]  # sent once, never again
    assert await h.engine._check_balances() == []
    await h.close()


class EchoingVenue(PaperExchange):
    """Reports every fill twice, as venues do after a reconnect."""

    def set_report_sink(self, sink: ReportSink) -> None:
        def twice(report: ExecutionReport) -> None:
            sink(report)
            if isinstance(report, OrderFilled):
                sink(report)

        super().set_report_sink(twice)


async def test_repeated_fills_are_applied_once(data_dir: Path) -> None:
    h = Harness(data_dir, venue_cls=EchoingVenue)
    await h.start()
    h.market("BTC/USD", "100.00")
    order = await h.engine.place_order(market("BTC/USD", OrderSide.BUY, "1.5"))
    await h.settle()
    assert order.status is OrderStatus.FILLED and order.filled_qty == Decimal("1.5")
    assert h.engine.portfolio.position_qty("BTC/USD") == Decimal("1.5")
    assert db_rows(data_dir, "select count(*) from fills") == [(1,)]
    await h.close()


async def test_an_invalid_transition_is_logged_and_skipped(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    order = await h.engine.place_order(market("BTC/USD", OrderSide.BUY, "1"))
    with caplog.at_level(logging.WARNING):
        h.engine.oms.on_report(OrderAccepted(order.client_id, "late", h.clock.now_ns()))
        h.engine.oms.on_report(OrderAccepted("nobody", "x", h.clock.now_ns()))
    assert order.status is OrderStatus.FILLED
    assert "nobody" in caplog.text
    order2 = await h.engine.place_order(market("BTC/USD", OrderSide.SELL, "1"))
    assert order2.status is OrderStatus.FILLED


async def test_limit_order_modify_and_cancel_go_through_the_gate(h: Harness) -> None:
    req = OrderRequest("ETH/USD", OrderSide.BUY, OrderType.LIMIT, "2", price="49.00")
    order = await h.engine.place_order(req)
    assert order.status is OrderStatus.ACCEPTED
    with pytest.raises(RiskDenied, match="price band"):
        await h.engine.modify(order.client_id, price="40.00")
    with pytest.raises(Exception, match=r"steps of 0\.01"):
        await h.engine.modify(order.client_id, price="49.005")
    await h.engine.modify(order.client_id, price="49.50", quantity="3")
    assert (order.price, order.quantity) == (Decimal("49.50"), Decimal(3))
    h.market("ETH/USD", "49.40", size="2")  # a trade through 49.50 fills part
    await h.settle()
    assert order.status is OrderStatus.PARTIALLY_FILLED
    await h.engine.cancel(order.client_id)
    assert order.status is OrderStatus.CANCELED
    await h.settle()
    states = [r[0] for r in db_rows(h.data_dir, "select status from order_events order by id")]
    assert states[:3] == ["submitted", "accepted", "accepted"]  # the third is the modify
    assert set(states[3:-1]) == {"partially_filled"} and states[-1] == "canceled"


async def test_pnl_is_attributed_to_each_source(h: Harness) -> None:
    await h.engine.place_order(market("SPY", OrderSide.BUY, "10"))
    await h.engine.place_order(market("SPY", OrderSide.BUY, "5", source="bot:b1"))
    h.market("SPY", "210.00")
    await h.engine.place_order(market("SPY", OrderSide.SELL, "5", source="bot:b1"))
    await h.settle()
    pnl = h.engine.portfolio.pnl_by_source()
    assert pnl["bot:b1"].realized == Decimal("49.90")  # 5 x (209.99 - 200.01)
    assert pnl["manual"].realized == 0
    assert pnl["manual"].unrealized == Decimal("99.90")  # 10 x (210 - 200.01)


async def test_restart_catches_an_order_up_to_its_journaled_fills(data_dir: Path) -> None:
    """A crash between journaling a fill and journaling its order's new state leaves the
    order row behind its fills; the restart brings the order up to date."""
    import copy

    h = Harness(data_dir)
    await h.start()
    h.market("ETH/USD", "50.00")
    order = await h.engine.place_order(
        OrderRequest("ETH/USD", OrderSide.BUY, OrderType.LIMIT, "2", price="49.90")
    )
    before_fill = copy.deepcopy(order)
    h.market("ETH/USD", "49.80")  # trades through: fills
    await h.settle()
    assert order.status is OrderStatus.FILLED
    await h.journal.record_order(before_fill, "accepted")  # the row as a crash would leave it
    await h.close()

    h2 = Harness(data_dir, clock=h.clock)
    findings = await h2.start()
    restored = h2.engine.oms.orders[order.client_id]
    assert restored.status is OrderStatus.FILLED and restored.filled_qty == Decimal(2)
    assert any("caught up" in f for f in findings)
    assert h2.engine.portfolio.position_qty("ETH/USD") == Decimal(2)  # not counted twice
    await h2.close()


async def test_a_cancel_while_the_order_is_being_journaled_never_reaches_the_venue(
    h: Harness,
) -> None:
    """The order is written to the journal before it is sent; a cancel that lands in that
    window (a bot stopping, cancel-all) must not ask a venue that has never heard of the
    order, conclude it was rejected, and then send it anyway."""
    placing = asyncio.create_task(h.engine.place_order(market("BTC/USD", OrderSide.BUY, "1")))
    await asyncio.sleep(0)  # place_order now waits for the journal
    (pending,) = h.engine.oms.working("BTC/USD")
    assert pending.status is OrderStatus.SUBMITTED
    assert await h.engine.cancel_all() == 1
    order = await placing
    await h.settle()
    assert order is pending and order.status is OrderStatus.CANCELED
    assert h.engine.portfolio.position_qty("BTC/USD") == 0
    assert await h.venue.open_orders() == [] and h.venue.reserved("USD") == 0
    history = [r[0] for r in db_rows(h.data_dir, "select status from order_events order by id")]
    assert history == ["submitted", "canceled"]
