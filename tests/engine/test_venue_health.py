"""Venue health reaching the engine through the ReportsStatus port: stale symbols block
market and bot orders (not the trader's limit orders, not exits), a 418 ban halts, dropped
streams are raised and their return reconciles. The real engine and paper exchange; the
reports are the ones an adapter sends through the sink it is given."""

from __future__ import annotations

import logging

import pytest

from app.engine.domain.events import (
    Alert,
    ConnectionChanged,
    SymbolHealth,
    TradingState,
    VenueStatus,
)
from app.engine.domain.orders import OrderRequest, OrderSide, OrderStatus, OrderType
from app.engine.ports import ReportsStatus, StatusSink
from app.engine.risk import RiskDenied
from tests.engine.harness import Harness

SECOND = 1_000_000_000


class StatusSource:
    """The health side of an adapter: hands what it sees to the engine's sink."""

    def __init__(self) -> None:
        self.sink: StatusSink | None = None

    def set_status_sink(self, sink: StatusSink) -> None:
        self.sink = sink

    def say(self, status: VenueStatus) -> None:
        assert self.sink is not None
        self.sink(status)


@pytest.fixture
def source(h: Harness) -> StatusSource:
    src = StatusSource()
    assert isinstance(src, ReportsStatus)
    h.engine.attach_status(src)
    return src


def req(
    otype: OrderType, *, side: OrderSide = OrderSide.BUY, source: str = "manual"
) -> OrderRequest:
    price = "99" if otype is OrderType.LIMIT else None
    return OrderRequest("BTC/USD", side, otype, "1", price=price, source=source)


async def test_a_stale_symbol_blocks_market_and_bot_orders_but_not_limits_or_exits(
    h: Harness, source: StatusSource
) -> None:
    seen: list[object] = []
    h.engine.bus.subscribe(SymbolHealth, seen.append)
    await h.engine.place_order(req(OrderType.MARKET))  # a position to close later
    now = h.clock.now_ns()
    source.say(SymbolHealth("paper", "BTC/USD", True, 30.0, now))
    assert seen == [SymbolHealth("paper", "BTC/USD", True, 30.0, now)]  # the UI sees it
    h.clock.advance(15 * SECOND)

    with pytest.raises(RiskDenied) as market:
        await h.engine.place_order(req(OrderType.MARKET))
    assert market.value.field == "symbol"
    assert market.value.rule == (
        "market data for BTC/USD is stale (no update for 45 s): market orders are blocked "
        "until it resumes"
    )
    with pytest.raises(RiskDenied) as bot:
        await h.engine.place_order(req(OrderType.LIMIT, source="bot:grid1"))
    assert bot.value.field == "symbol"
    assert "bot orders are blocked" in bot.value.rule
    eth = OrderRequest("ETH/USD", OrderSide.BUY, OrderType.MARKET, "1")
    assert (await h.engine.place_order(eth)).status is OrderStatus.FILLED  # others trade on

    by_hand = await h.engine.place_order(req(OrderType.LIMIT))
    assert by_hand.status is OrderStatus.ACCEPTED
    closing = await h.engine.close_position("BTC/USD")
    assert [o.status for o in closing] == [OrderStatus.FILLED]

    source.say(SymbolHealth("paper", "BTC/USD", False, 0.0, h.clock.now_ns()))
    assert (await h.engine.place_order(req(OrderType.MARKET))).status is OrderStatus.FILLED


async def test_a_ban_alert_halts_trading_with_its_message(h: Harness, source: StatusSource) -> None:
    alerts: list[Alert] = []
    h.engine.bus.subscribe(Alert, alerts.append)
    ban = Alert(
        "critical",
        "paper banned this key",
        "HTTP 418: IP banned until 12:00 UTC",
        h.clock.now_ns(),
        source="paper",
        extra={"action": "halt"},
    )
    source.say(ban)
    assert alerts == [ban]
    assert h.engine.risk.state is TradingState.HALTED
    assert h.engine.controls.reason == (
        "paper banned this key: HTTP 418: IP banned until 12:00 UTC"
    )
    with pytest.raises(RiskDenied) as denied:
        await h.engine.place_order(req(OrderType.LIMIT))
    assert denied.value.rule == (
        "trading is HALTED (paper banned this key: HTTP 418: IP banned until 12:00 UTC): "
        "no new orders"
    )


async def test_an_alert_without_the_halt_action_only_informs(
    h: Harness, source: StatusSource
) -> None:
    source.say(Alert("warning", "rate limited", "429: pausing 2 s", h.clock.now_ns()))
    assert h.engine.risk.state is TradingState.ACTIVE


async def test_a_user_stream_drop_is_raised_and_its_return_reconciles(
    h: Harness, source: StatusSource, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.engine.reconcile")
    alerts: list[Alert] = []
    changes: list[ConnectionChanged] = []
    h.engine.bus.subscribe(Alert, alerts.append)
    h.engine.bus.subscribe(ConnectionChanged, changes.append)
    source.say(ConnectionChanged("paper", "user", False, "ping timeout", h.clock.now_ns()))
    source.say(ConnectionChanged("paper", "user", False, "ping timeout", h.clock.now_ns()))
    assert [a.level for a in alerts] == ["warning"]  # once per drop
    assert "ping timeout" in alerts[0].message
    source.say(ConnectionChanged("paper", "market", False, "closed", h.clock.now_ns()))
    assert len(alerts) == 1  # the market stream's drop shows as stale symbols instead
    source.say(ConnectionChanged("paper", "user", True, "", h.clock.now_ns()))
    await h.settle()
    runs = [r.getMessage() for r in caplog.records if r.name == "app.engine.reconcile"]
    assert "reconciliation with paper (paper reconnected): the journal agrees" in runs
    assert len(changes) == 4
    assert h.engine.risk.paused is None
    assert h.engine.risk.state is TradingState.ACTIVE
