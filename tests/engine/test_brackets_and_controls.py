"""Brackets (SL/TP, OCO, trailing), the kill switch and the daily-loss breaker, on the real
journal and paper exchange; the breaker and halts survive a restart."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.engine.domain.errors import ValidationError
from app.engine.domain.events import TradingState
from app.engine.domain.orders import (
    BracketSpec,
    Order,
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
)
from app.engine.oms_ports import is_emulated
from app.engine.risk import RiskDenied
from tests.engine.harness import Harness

DAY_NS = 86_400 * 1_000_000_000


def children(h: Harness, entry: Order) -> dict[str, Order]:
    return {o.role or "": o for o in h.engine.oms.orders.values() if o.parent_id == entry.client_id}


async def buy_with_bracket(h: Harness, spec: BracketSpec, qty: str = "1") -> Order:
    entry = await h.engine.place_order(
        OrderRequest("BTC/USD", OrderSide.BUY, OrderType.MARKET, qty, bracket=spec)
    )
    await h.settle()
    return entry


async def test_take_profit_fill_cancels_the_stop(h: Harness) -> None:
    entry = await buy_with_bracket(h, BracketSpec(stop_loss=Decimal(95), take_profit=Decimal(105)))
    kids = children(h, entry)
    sl, tp = kids["stop_loss"], kids["take_profit"]
    assert is_emulated(sl) and sl.status is OrderStatus.ACCEPTED  # held engine-side
    assert tp.status is OrderStatus.ACCEPTED and tp.price == Decimal(105)
    assert sl.trigger_price == Decimal(95) and sl.reduce_only and tp.reduce_only
    h.market("BTC/USD", "106.00")  # trades through the take-profit
    await h.settle()
    assert tp.status is OrderStatus.FILLED
    assert sl.status is OrderStatus.CANCELED and "OCO" in (sl.reason or "")
    assert h.engine.portfolio.position_qty("BTC/USD") == 0
    assert h.engine.portfolio.positions["BTC/USD"].realized_pnl == Decimal("4.99")


async def test_stop_loss_cancels_take_profit_first_then_exits(h: Harness) -> None:
    entry = await buy_with_bracket(
        h, BracketSpec(stop_loss_pct=Decimal(5), take_profit_pct=Decimal(10)), qty="2"
    )
    kids = children(h, entry)
    sl, tp = kids["stop_loss"], kids["take_profit"]
    assert sl.trigger_price == Decimal("95.01") and tp.price == Decimal("110.01")  # from 100.01
    h.market("BTC/USD", "94.00")
    await h.settle()
    assert tp.status is OrderStatus.CANCELED
    assert sl.status is OrderStatus.FILLED and sl.avg_fill_price == Decimal("93.99")
    assert h.engine.portfolio.position_qty("BTC/USD") == 0


async def test_trailing_stop_follows_the_best_price(h: Harness) -> None:
    entry = await buy_with_bracket(h, BracketSpec(trailing_pct=Decimal(2)))
    sl = children(h, entry)["stop_loss"]
    assert sl.trigger_price == Decimal("98.01")
    for price in ("104.00", "110.00", "108.50"):
        h.market("BTC/USD", price)
    await h.settle()
    assert sl.trigger_price == Decimal("107.80")  # 2% under the 110 high, never loosened
    assert sl.status is OrderStatus.ACCEPTED
    h.market("BTC/USD", "107.50")
    await h.settle()
    assert sl.status is OrderStatus.FILLED
    assert h.engine.portfolio.position_qty("BTC/USD") == 0


async def test_closing_the_position_by_hand_removes_its_bracket(h: Harness) -> None:
    entry = await buy_with_bracket(h, BracketSpec(stop_loss=Decimal(90), take_profit=Decimal(120)))
    await h.engine.close_position("BTC/USD")
    await h.settle()
    assert all(o.status is OrderStatus.CANCELED for o in children(h, entry).values())


async def test_bracket_on_the_wrong_side_is_refused_before_anything_is_sent(h: Harness) -> None:
    with pytest.raises(ValidationError) as err:
        await buy_with_bracket(h, BracketSpec(stop_loss=Decimal(101)))
    assert err.value.field == "stop_loss" and "below the entry" in err.value.rule
    assert h.engine.oms.orders == {}


async def test_kill_switch_halts_cancels_and_flattens(h: Harness) -> None:
    await h.engine.place_order(OrderRequest("SPY", OrderSide.BUY, OrderType.MARKET, "10"))
    resting = await h.engine.place_order(
        OrderRequest("ETH/USD", OrderSide.BUY, OrderType.LIMIT, "2", price="49.00")
    )
    canceled = await h.engine.kill_switch(flatten=True)
    await h.settle()
    assert canceled == 1 and resting.status is OrderStatus.CANCELED
    assert h.engine.portfolio.open_positions() == []
    assert h.engine.risk.state is TradingState.HALTED
    with pytest.raises(RiskDenied, match="HALTED"):
        await h.engine.place_order(OrderRequest("SPY", OrderSide.BUY, OrderType.MARKET, "1"))
    h.engine.resume_trading()
    await h.engine.place_order(OrderRequest("SPY", OrderSide.BUY, OrderType.MARKET, "1"))


async def test_halt_survives_a_restart(data_dir: Path) -> None:
    h = Harness(data_dir)
    await h.start()
    await h.engine.kill_switch()
    await h.close()
    h2 = Harness(data_dir, clock=h.clock)
    await h2.start()
    assert h2.engine.risk.state is TradingState.HALTED
    await h2.close()


async def test_daily_loss_breaker_trips_keeps_stops_and_survives_restart(data_dir: Path) -> None:
    h = Harness(data_dir)
    await h.start()
    h.market("BTC/USD", "100.00")
    h.market("ETH/USD", "50.00")
    h.engine.set_limits({"daily_loss_limit": "50", "max_order_notional": "5000"})
    entry = await buy_with_bracket(h, BracketSpec(stop_loss=Decimal(80)), qty="10")
    stop = children(h, entry)["stop_loss"]
    resting = await h.engine.place_order(
        OrderRequest("ETH/USD", OrderSide.BUY, OrderType.LIMIT, "2", price="49.00")
    )
    h.market("BTC/USD", "94.00")  # 10 x -6: day P&L about -61
    assert await h.engine.controls.check_breaker(h.clock.now_ns())
    await h.settle()
    assert h.engine.risk.state is TradingState.REDUCING
    assert resting.status is OrderStatus.CANCELED
    assert stop.status is OrderStatus.ACCEPTED  # the protective stop stays
    with pytest.raises(RiskDenied, match="REDUCING"):
        await h.engine.place_order(OrderRequest("SPY", OrderSide.BUY, OrderType.MARKET, "1"))
    await h.engine.place_order(OrderRequest("BTC/USD", OrderSide.SELL, OrderType.MARKET, "1"))
    await h.close()

    h2 = Harness(data_dir, clock=h.clock)  # same UTC day
    await h2.start()
    assert h2.engine.risk.state is TradingState.REDUCING
    assert h2.engine.controls.breaker_tripped
    h2.engine.resume_trading()  # cannot lift today's breaker
    assert h2.engine.risk.state is TradingState.REDUCING
    h2.clock.advance(DAY_NS)  # next UTC day: a clean slate
    await h2.engine.controls.check_breaker(h2.clock.now_ns())
    assert h2.engine.risk.state is TradingState.ACTIVE
    await h2.close()


async def test_restart_restores_positions_orders_and_brackets(data_dir: Path) -> None:
    h = Harness(data_dir)
    await h.start()
    h.market("BTC/USD", "100.00")
    h.market("ETH/USD", "50.00")
    entry = await buy_with_bracket(h, BracketSpec(stop_loss=Decimal(90), take_profit=Decimal(110)))
    resting = await h.engine.place_order(
        OrderRequest("ETH/USD", OrderSide.BUY, OrderType.LIMIT, "2", price="49.00")
    )
    equity = h.engine.portfolio.equity()
    await h.close()

    h2 = Harness(data_dir, clock=h.clock)
    findings = await h2.start()
    assert findings == []
    e = h2.engine
    assert e.portfolio.position_qty("BTC/USD") == Decimal(1)
    assert e.portfolio.positions["BTC/USD"].avg_price == Decimal("100.01")
    assert e.oms.orders[resting.client_id].status is OrderStatus.ACCEPTED
    sl = next(o for o in e.oms.orders.values() if o.role == "stop_loss")
    assert sl.parent_id == entry.client_id and sl.status is OrderStatus.ACCEPTED
    h2.market("BTC/USD", "100.00")
    h2.market("ETH/USD", "50.00")
    assert e.portfolio.equity() == equity
    h2.market("BTC/USD", "89.00")  # the restored stop still protects the position
    await h2.settle()
    assert e.portfolio.position_qty("BTC/USD") == 0
    await h2.close()


async def test_protect_an_open_position_then_move_the_stop(h: Harness) -> None:
    await h.engine.place_order(OrderRequest("BTC/USD", OrderSide.BUY, OrderType.MARKET, "1"))
    with pytest.raises(ValidationError) as err:
        await h.engine.protect_position("BTC/USD", stop_loss="101.00")
    assert err.value.field == "stop_loss"
    (stop,) = await h.engine.protect_position("BTC/USD", stop_loss="95.00")
    assert stop.role == "stop_loss" and stop.reduce_only and is_emulated(stop)
    (moved,) = await h.engine.protect_position("BTC/USD", stop_loss="97.00")
    assert moved is stop and stop.trigger_price == Decimal("97.00")
    (tp,) = await h.engine.protect_position("BTC/USD", take_profit="110.00")
    h.market("BTC/USD", "96.50")
    await h.settle()
    assert stop.status is OrderStatus.FILLED and tp.status is OrderStatus.CANCELED
    assert h.engine.portfolio.position_qty("BTC/USD") == 0
    with pytest.raises(ValidationError, match="no open position"):
        await h.engine.protect_position("BTC/USD", stop_loss="90.00")
