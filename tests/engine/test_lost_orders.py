"""Orders whose outcome we do not know: looked up again with backoff, never resent, and
declared lost only after repeated "not found" answers spread over time."""

from __future__ import annotations

import logging
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from app.engine.domain.events import Alert
from app.engine.domain.orders import (
    OrderEventKind,
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
)
from tests.engine.harness import Harness
from tests.engine.scripted_venue import ScriptedSession, eventually

SECOND = 1_000_000_000


def limit_buy(qty: str = "1", price: str = "99") -> OrderRequest:
    return OrderRequest("BTC/USD", OrderSide.BUY, OrderType.LIMIT, qty, price=price)


def journaled_status(data_dir: Path, client_id: str) -> str:
    con = sqlite3.connect(data_dir / "tradedesk.sqlite")
    try:
        row = con.execute("select status from orders where client_id = ?", (client_id,)).fetchone()
    finally:
        con.close()
    return str(row[0])


async def test_lost_only_after_repeated_lookups_over_time(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s = ScriptedSession(data_dir)
    await s.start()
    alerts: list[Alert] = []
    s.engine.bus.subscribe(Alert, alerts.append)
    s.venue.next_submit = "lose"  # the request never reached the venue; the reply timed out
    order = await s.engine.place_order(limit_buy())
    assert order.status is OrderStatus.UNKNOWN

    # the watcher looks it up again and again: many "not found" answers, but no time passed
    await eventually(lambda: s.venue.queries.count(order.client_id) >= 5)
    assert order.status is OrderStatus.UNKNOWN
    assert alerts == []

    s.clock.advance(121 * SECOND)
    with caplog.at_level(logging.ERROR):
        await eventually(lambda: order.status is OrderStatus.REJECTED)
    assert order.reason is not None
    assert order.reason.startswith("lost: the venue did not know it after ")
    assert order.reason.endswith(" lookups over 121 s")
    assert "lost: the venue did not know it" in caplog.text
    assert [a.title for a in alerts] == ["Order lost"]
    assert order.client_id in alerts[0].message
    assert s.venue.submits == [order.client_id]  # never resent
    await s.settle()
    assert journaled_status(data_dir, order.client_id) == "rejected"
    await s.close()


async def test_time_alone_does_not_make_an_order_lost(data_dir: Path) -> None:
    # a watcher slow enough to stay out of the way: the test does the lookups itself
    s = ScriptedSession(data_dir, unknown_backoff_s=(3600,))
    await s.start()
    s.venue.next_submit = "lose"
    order = await s.engine.place_order(limit_buy())
    await s.engine.oms.settle(order)  # first "not found"
    s.clock.advance(600 * SECOND)
    await s.engine.oms.settle(order)  # second, ten minutes later
    assert order.status is OrderStatus.UNKNOWN
    await s.engine.oms.settle(order)  # third: now enough answers over enough time
    assert order.status is OrderStatus.REJECTED
    assert order.reason == "lost: the venue did not know it after 3 lookups over 600 s"
    await s.close()


async def test_a_submitted_order_the_venue_does_not_know_yet_becomes_unknown(
    data_dir: Path,
) -> None:
    s = ScriptedSession(data_dir, unknown_backoff_s=(3600,))
    await s.start()
    # an order journaled as SUBMITTED whose submit had not reached the venue (a crash
    # between the two): the venue does not know it yet, so it is unknown, not rejected
    order = s.engine.oms.new_order(limit_buy())
    order.apply(OrderEventKind.SUBMITTED, s.clock.now_ns())
    s.engine.oms.add(order)
    await s.engine.oms.settle(order)
    assert order.status is OrderStatus.UNKNOWN
    assert order.client_id in s.engine.unknown_orders.watched
    await s.close()


async def test_an_unknown_order_the_venue_finds_later_is_settled_and_never_resent(
    data_dir: Path,
) -> None:
    s = ScriptedSession(data_dir)
    await s.start()
    s.venue.next_submit = "late"  # it reached the venue, the reply did not come back
    order = await s.engine.place_order(limit_buy())
    assert order.status is OrderStatus.UNKNOWN
    await eventually(lambda: order.status is OrderStatus.ACCEPTED)
    assert s.venue.queries.count(order.client_id) == 3  # two "not found", then found
    s.venue.fill(order.client_id, "1", "99")
    assert order.status is OrderStatus.FILLED
    assert s.engine.portfolio.position_qty("BTC/USD") == Decimal(1)
    assert s.venue.submits == [order.client_id]
    assert s.engine.unknown_orders.watched == []
    await s.close()


@pytest.mark.parametrize("misses", [1, 2])
async def test_a_cancel_asked_while_the_venue_did_not_know_the_order_still_reaches_it(
    data_dir: Path, misses: int
) -> None:
    # misses=1: the cancel's "not found" and then the lookup finds it: cancel again at once;
    # misses=2: the lookup misses too: the cancel is sent when the watcher finds the order
    s = ScriptedSession(data_dir)
    await s.start()
    s.venue.next_submit = "late"
    order = await s.engine.place_order(limit_buy())
    s.venue.hidden[order.client_id] = misses
    await s.engine.cancel(order.client_id)
    await eventually(lambda: order.status is OrderStatus.CANCELED)
    assert s.venue.canceled == [order.client_id]
    assert s.venue.orders[order.client_id].status is OrderStatus.CANCELED
    await s.close()


async def test_the_paper_exchange_not_found_is_final(h: Harness) -> None:
    assert h.venue.capabilities.not_found_is_final
    order = h.engine.oms.new_order(limit_buy())
    order.apply(OrderEventKind.SUBMITTED, h.clock.now_ns())
    h.engine.oms.add(order)  # journaled, never sent
    await h.engine.oms.settle(order)
    assert order.status is OrderStatus.REJECTED
    assert order.reason == "the venue never received this order"
