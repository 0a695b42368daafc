"""Reconciliation with a venue: at start, after a reconnect (trading waits for it) and
periodically. Orders placed elsewhere are adopted, missed fills applied once, and the
journal's balances start from, and are held to, the venue's."""

from __future__ import annotations

import asyncio
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from app.engine.domain.events import Alert, TradingState
from app.engine.domain.ids import EXTERNAL
from app.engine.domain.orders import OrderRequest, OrderSide, OrderStatus, OrderType
from app.engine.risk import RiskDenied
from tests.engine.scripted_venue import ScriptedSession, eventually


def rows(data_dir: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    con = sqlite3.connect(data_dir / "tradedesk.sqlite")
    try:
        return list(con.execute(sql, args).fetchall())
    finally:
        con.close()


def limit(side: OrderSide, qty: str, price: str, symbol: str = "BTC/USD") -> OrderRequest:
    return OrderRequest(symbol, side, OrderType.LIMIT, qty, price=price)


async def test_a_fresh_account_opens_its_ledger_from_the_venue(data_dir: Path) -> None:
    s = ScriptedSession(data_dir)
    s.venue.balance["BTC"] = Decimal("0.5")
    findings = await s.start()
    assert findings == ["opening balances from scripted: BTC +0.5; USD +100000"]
    assert s.engine.portfolio.balances == {"BTC": Decimal("0.5"), "USD": Decimal("100000")}
    assert s.engine.risk.state is TradingState.ACTIVE
    await s.settle()
    ledger = rows(data_dir, "select asset, amount, kind, note from ledger order by asset")
    assert ledger == [
        ("BTC", "0.5", "deposit", "opening balances from scripted"),
        ("USD", "100000", "deposit", "opening balances from scripted"),
    ]
    await s.close()

    again = ScriptedSession(data_dir, s.venue)
    assert await again.start() == []  # the journal and the venue agree: nothing to say
    assert again.engine.portfolio.balances["USD"] == Decimal("100000")
    assert len(rows(data_dir, "select * from ledger")) == 2
    await again.close()


async def test_an_order_placed_on_the_website_is_adopted_survives_restart_and_cancels(
    data_dir: Path,
) -> None:
    s = ScriptedSession(data_dir)
    await s.start()
    await s.settle()
    await s.close()

    venue = s.venue
    web_id = venue.place_web_order("ETH/USD", OrderSide.BUY, "2", "45")
    s = ScriptedSession(data_dir, venue)
    findings = await s.start()
    assert findings == [f"adopted external order {web_id}: buy 2 ETH/USD limit @ 45"]
    order = s.engine.oms.orders[web_id]
    assert order.source == EXTERNAL
    assert order.status is OrderStatus.ACCEPTED
    assert (order.symbol, order.side, order.quantity, order.price) == (
        "ETH/USD",
        OrderSide.BUY,
        Decimal(2),
        Decimal(45),
    )
    await s.settle()
    assert rows(data_dir, "select source, status from orders where client_id = ?", web_id) == [
        ("external", "accepted")
    ]
    await s.close()

    s = ScriptedSession(data_dir, venue)
    assert await s.start() == []  # known now: not adopted twice
    order = s.engine.oms.orders[web_id]
    assert order.source == EXTERNAL and order.is_working
    await s.engine.cancel(web_id)
    assert order.status is OrderStatus.CANCELED
    assert venue.orders[web_id].status is OrderStatus.CANCELED
    await s.close()


async def test_fills_while_disconnected_are_applied_once_after_the_reconnect(
    data_dir: Path,
) -> None:
    s = ScriptedSession(data_dir)
    await s.start()
    alerts: list[Alert] = []
    s.engine.bus.subscribe(Alert, alerts.append)
    ours = await s.engine.place_order(limit(OrderSide.BUY, "1", "99"))
    assert ours.status is OrderStatus.ACCEPTED

    s.venue.disconnect("user")
    assert [a.level for a in alerts] == ["warning"]
    assert "disconnected" in alerts[0].title
    s.venue.fill(ours.client_id, "0.4", "99")  # the reports are lost with the stream
    s.venue.fill(ours.client_id, "0.6", "98.5")
    web_id = s.venue.place_web_order("ETH/USD", OrderSide.BUY, "1", "50")
    web_fill = s.venue.fill(web_id, "1", "50")  # placed and filled on the website
    assert ours.filled_qty == 0

    s.venue.reconnect("user")
    await s.settle()
    assert ours.status is OrderStatus.FILLED and ours.filled_qty == Decimal(1)
    assert s.engine.portfolio.position_qty("BTC/USD") == Decimal(1)
    assert s.engine.portfolio.position_qty("ETH/USD") == Decimal(1)
    external = [f for f in s.engine.oms.fills if f.trade_id == web_fill.trade_id]
    assert len(external) == 1 and external[0].source == EXTERNAL
    assert s.engine.risk.state is TradingState.ACTIVE  # balances agree
    assert rows(data_dir, "select count(*) from fills") == [(3,)]

    # a second reconnect replays the same fills: nothing changes
    s.venue.disconnect("user")
    s.venue.reconnect("user")
    await s.settle()
    assert rows(data_dir, "select count(*) from fills") == [(3,)]
    assert s.engine.portfolio.position_qty("BTC/USD") == Decimal(1)
    await s.close()


async def test_a_balance_mismatch_halts_until_the_venue_balances_are_accepted(
    data_dir: Path,
) -> None:
    s = ScriptedSession(data_dir)
    await s.start()
    s.venue.disconnect("user")
    s.venue.balance["USD"] += Decimal("250")  # a deposit while we were not listening
    s.venue.reconnect("user")
    await s.settle()
    assert s.engine.risk.state is TradingState.HALTED
    reason = s.engine.controls.reason
    assert reason.startswith("balances differ from the venue: USD: venue 100250 vs journal")
    with pytest.raises(RiskDenied) as denied:
        await s.engine.place_order(limit(OrderSide.BUY, "1", "99"))
    assert denied.value.field == "trading"
    assert "balances differ from the venue" in denied.value.rule

    assert await s.engine.accept_venue_balances() == ["USD +250"]
    assert s.engine.risk.state is TradingState.ACTIVE
    assert s.engine.portfolio.balances["USD"] == Decimal("100250")
    order = await s.engine.place_order(limit(OrderSide.BUY, "1", "99"))
    assert order.status is OrderStatus.ACCEPTED
    await s.settle()
    assert rows(data_dir, "select asset, amount, kind from ledger where kind = 'adjustment'") == [
        ("USD", "250", "adjustment")
    ]
    await s.close()

    again = ScriptedSession(data_dir, s.venue)
    assert await again.start() == []
    assert again.engine.risk.state is TradingState.ACTIVE
    await again.close()


async def test_a_reconnect_pauses_new_orders_until_reconciled_but_cancels_work(
    data_dir: Path,
) -> None:
    s = ScriptedSession(data_dir)
    await s.start()
    resting = await s.engine.place_order(limit(OrderSide.BUY, "1", "99"))
    gate = asyncio.Event()
    s.venue.read_gate = gate  # the venue is slow to answer the reconciliation
    s.venue.failing_reads = 1  # and fails the first lookup: the run is retried
    s.venue.disconnect("market")
    s.venue.reconnect("market")

    with pytest.raises(RiskDenied) as denied:
        await s.engine.place_order(limit(OrderSide.BUY, "1", "98"))
    assert denied.value.field == "trading"
    assert denied.value.rule == (
        "reconciling with scripted after a reconnect: trading resumes when it is done"
    )
    await s.engine.cancel(resting.client_id)
    assert resting.status is OrderStatus.CANCELED

    gate.set()
    await s.settle()
    assert s.engine.risk.paused is None
    order = await s.engine.place_order(limit(OrderSide.BUY, "1", "98"))
    assert order.status is OrderStatus.ACCEPTED
    await s.close()


async def test_a_connected_report_without_a_drop_does_not_reconcile(data_dir: Path) -> None:
    s = ScriptedSession(data_dir)
    await s.start()
    s.venue.read_gate = asyncio.Event()  # a reconciliation would wait here forever
    s.venue.reconnect("user")
    order = await s.engine.place_order(limit(OrderSide.BUY, "1", "99"))
    assert order.status is OrderStatus.ACCEPTED
    s.venue.read_gate = None
    await s.close()


async def test_periodic_reconciliation_adopts_orders_placed_elsewhere(data_dir: Path) -> None:
    s = ScriptedSession(data_dir, reconcile_every_s=0.01)
    await s.start()
    web_id = s.venue.place_web_order("BTC/USD", OrderSide.SELL, "0.5", "120")
    await eventually(lambda: web_id in s.engine.oms.orders)
    assert s.engine.oms.orders[web_id].source == EXTERNAL
    await s.close()


async def test_an_order_open_at_the_venue_that_the_journal_closed_is_reported(
    data_dir: Path,
) -> None:
    s = ScriptedSession(data_dir, unknown_backoff_s=(3600,))
    await s.start()
    s.venue.next_submit = "lose"
    order = await s.engine.place_order(limit(OrderSide.BUY, "1", "99"))
    s.engine.oms.lost.after_s = 0
    for _ in range(3):
        await s.engine.oms.settle(order)
    assert order.status is OrderStatus.REJECTED  # declared lost...
    s.venue._book(order.client_id, "BTC/USD", OrderSide.BUY, OrderType.LIMIT, Decimal(1))
    findings = await s.engine.reconcile()  # ...and then it turns up after all
    assert findings == [
        f"{order.client_id}: open at scripted although the journal has it rejected; "
        "cancel it there if it should not trade"
    ]
    await s.close()


async def test_reconciliation_leaves_an_order_whose_submit_is_under_way_alone(
    data_dir: Path,
) -> None:
    s = ScriptedSession(data_dir, unknown_backoff_s=(3600,))
    await s.start()
    s.venue.submit_gate = asyncio.Event()
    placing = asyncio.create_task(s.engine.place_order(limit(OrderSide.BUY, "1", "99")))
    await eventually(lambda: len(s.venue.submits) == 1)
    assert await s.engine.reconcile() == []  # no lookup of an order still being sent
    assert s.venue.queries == []
    s.venue.submit_gate.set()
    order = await placing
    assert order.status is OrderStatus.ACCEPTED
    await s.close()
