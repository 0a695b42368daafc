"""The risk panel and the notifier on a real paper session: limits applied in place, bad
values refused inline, kill switch, Resume, the breaker display; desktop notifications."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.engine.domain.events import AccountChanged, TradingState
from app.engine.domain.orders import OrderRequest, OrderSide, OrderStatus, OrderType
from app.ui.context import UiContext
from app.ui.notifications import Notifier
from app.ui.risk_panel import RiskPanel


async def wait_for(predicate: Callable[[], bool], limit_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit_s
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def panel(ctx: UiContext, qtbot: QtBot) -> RiskPanel:
    p = RiskPanel(ctx)
    p.confirm = lambda title, text: True
    qtbot.addWidget(p)
    return p


def edit(qtbot: QtBot, p: RiskPanel, key: str, text: str) -> None:
    field = p.fields[key]
    field.clear()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)  # editing finished


async def test_limits_show_and_apply(ui_ctx: UiContext, qtbot: QtBot) -> None:
    p = panel(ui_ctx, qtbot)
    assert p.fields["max_order_notional"].text() == "50000"
    assert p.fields["max_order_qty"].text() == ""  # no limit
    edit(qtbot, p, "max_order_notional", "40000")
    assert ui_ctx.engine.risk.limits.max_order_notional == Decimal(40000)
    edit(qtbot, p, "max_open_positions", "3")
    assert ui_ctx.engine.risk.limits.max_open_positions == 3
    edit(qtbot, p, "price_band_pct", "")  # empty = no band
    assert ui_ctx.engine.risk.limits.price_band_pct is None
    assert p.error_text("price_band_pct") == ""
    # persisted for the next start
    await ui_ctx.engine.journal_flush()
    assert ui_ctx.engine.journal.get_kv("risk_limits")["max_order_notional"] == "40000"


async def test_bad_limits_are_refused_inline_and_keep_the_old_limit(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    p = panel(ui_ctx, qtbot)
    before = ui_ctx.engine.risk.limits
    cases = {
        "max_order_notional": ("-5", "greater than 0"),
        "max_open_positions": ("2.5", "whole number"),
        "daily_loss_limit": ("abc", "must be a number"),
        "duplicate_window_s": ("", "is required"),
    }
    for key, (text, rule) in cases.items():
        edit(qtbot, p, key, text)
        message = p.error_text(key)
        assert rule in message and "the limit stays" in message, message
        assert p.fields[key].text() == text  # kept for the trader to fix
    assert ui_ctx.engine.risk.limits == before
    edit(qtbot, p, "max_order_notional", "60000")  # a fix clears the message
    assert p.error_text("max_order_notional") == ""
    assert ui_ctx.engine.risk.limits.max_order_notional == Decimal(60000)


async def test_kill_switch_flattens_and_resume_returns_to_active(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    engine = ui_ctx.engine
    p = panel(ui_ctx, qtbot)
    notifier = Notifier(ui_ctx)
    assert not p.resume_button.isEnabled() and p.state.text() == "ACTIVE"
    await engine.place_order(OrderRequest("SPY", OrderSide.BUY, OrderType.MARKET, "3"))
    below = engine.instruments["SPY"].make_price(engine.portfolio.last_prices["SPY"] * 97 / 100)
    resting = await engine.place_order(
        OrderRequest("SPY", OrderSide.BUY, OrderType.LIMIT, "1", price=below)
    )
    await engine.tasks.idle()
    assert engine.portfolio.position_qty("SPY") == 3 and resting.is_working
    asked: list[str] = []
    p.confirm = lambda title, text: asked.append(text) is None
    p.flatten_box.setChecked(True)
    qtbot.mouseClick(p.kill_button, Qt.MouseButton.LeftButton)
    await engine.tasks.idle()
    assert asked and "close every position" in asked[0]
    assert engine.risk.state is TradingState.HALTED
    assert resting.status is OrderStatus.CANCELED
    await wait_for(lambda: engine.portfolio.position_qty("SPY") == 0)
    await wait_for(lambda: p.state.text() == "HALTED")
    assert p.reason.text() == "kill switch" and p.resume_button.isEnabled()
    await wait_for(lambda: any(n.title == "Kill switch" for n in notifier.shown))
    assert notifier.shown[0].level == "critical"
    qtbot.mouseClick(p.resume_button, Qt.MouseButton.LeftButton)
    assert engine.risk.state is TradingState.ACTIVE
    assert p.state.text() == "ACTIVE" and not p.resume_button.isEnabled()
    notifier.close()


async def test_kill_switch_declined_does_nothing(ui_ctx: UiContext, qtbot: QtBot) -> None:
    p = panel(ui_ctx, qtbot)
    p.confirm = lambda title, text: False
    p.kill_switch()
    await ui_ctx.engine.tasks.idle()
    assert ui_ctx.engine.risk.state is TradingState.ACTIVE


async def test_breaker_display_follows_account_changes(ui_ctx: UiContext, qtbot: QtBot) -> None:
    p = panel(ui_ctx, qtbot)
    seen: list[AccountChanged] = []
    ui_ctx.bridge.account.connect(seen.append)
    await wait_for(lambda: bool(seen))  # the engine publishes every 0.5 s
    assert p.day_pnl == seen[-1].day_pnl
    assert p.breaker.text() == "armed"
    ui_ctx.bridge.account.emit(AccountChanged(Decimal(99500), Decimal(0), Decimal(-500), 0))
    assert p.loss_bar.value() == 25  # 500 of the 2000 limit
    assert "-500.00 USD of a -2,000 USD limit" in p.pnl.text()
    edit(qtbot, p, "daily_loss_limit", "")
    assert p.loss_bar.format() == "no limit"
    edit(qtbot, p, "daily_loss_limit", "400")
    ui_ctx.bridge.account.emit(AccountChanged(Decimal(99500), Decimal(0), Decimal(-500), 0))
    assert p.loss_bar.value() == 100  # capped: more than the whole limit is lost
    # the engine's own breaker check trips on the next interval and the panel shows it
    ui_ctx.engine.controls.day_start_equity = ui_ctx.engine.portfolio.equity() + 1000
    await wait_for(lambda: p.state.text() == "REDUCING", limit_s=3)
    assert ui_ctx.engine.controls.breaker_tripped
    assert p.breaker.text().startswith("TRIPPED") and p.resume_button.isEnabled()


async def test_notifier_records_venue_rejections(ui_ctx: UiContext, qtbot: QtBot) -> None:
    notifier = Notifier(ui_ctx)
    engine = ui_ctx.engine
    await wait_for(lambda: "BTC/USD" in engine.portfolio.last_prices)
    last = engine.portfolio.last_prices["BTC/USD"]
    # a buy stop below the market would trigger at once: the venue refuses it
    order = await engine.place_order(
        OrderRequest(
            "BTC/USD",
            OrderSide.BUY,
            OrderType.STOP_MARKET,
            "0.01",
            trigger_price=str((last * Decimal("0.98")).quantize(Decimal("0.01"))),
        )
    )
    assert order.status is OrderStatus.REJECTED
    await wait_for(lambda: any(n.title == "Order rejected" for n in notifier.shown))
    note = next(n for n in notifier.shown if n.title == "Order rejected")
    assert "BUY 0.01 BTC/USD" in note.message
    await asyncio.sleep(0.1)  # later batches do not notify the same order twice
    assert sum(n.title == "Order rejected" for n in notifier.shown) == 1
    notifier.close()
