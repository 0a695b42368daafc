"""The order ticket on a real paper session: inline verdicts before sending, one-click
orders, notional sizing, limit prices, brackets and the duplicate guard."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from app.engine.domain.orders import OrderSide, OrderStatus, OrderType
from app.ui.context import UiContext
from app.ui.ticket import OrderTicket


async def wait_for(predicate: Callable[[], bool], limit_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit_s
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def make_ticket(ctx: UiContext, qtbot: QtBot, symbol: str = "BTC/USD") -> OrderTicket:
    ticket = OrderTicket(ctx)
    qtbot.addWidget(ticket)
    ticket.set_symbol(symbol)
    snaps = ctx.bridge.snapshots
    # a trade (the gate's last price) and a quote (bid/ask) must both have arrived
    await wait_for(
        lambda: symbol in snaps and snaps[symbol].ask is not None and snaps[symbol].last is not None
    )
    return ticket


def type_into(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    """Type as a trader would (textEdited fires, the debounce starts)."""
    edit.clear()
    qtbot.keyClicks(edit, text)


async def settle(ctx: UiContext) -> None:
    await asyncio.sleep(0.2)  # past the 150 ms debounce
    await ctx.engine.tasks.idle()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", "greater than 0"),
        ("-1", "greater than 0"),
        ("abc", "must be a number"),
        ("0.00001", "too many decimals"),
        ("100", "max order notional"),
    ],
)
async def test_bad_quantity_shows_inline_and_sends_nothing(
    ui_ctx: UiContext, qtbot: QtBot, text: str, expected: str
) -> None:
    ticket = await make_ticket(ui_ctx, qtbot)
    before = dict(ui_ctx.engine.oms.orders)
    type_into(qtbot, ticket.quantity, text)
    # a click that beats the debounce is judged too, and sends nothing
    qtbot.mouseClick(ticket.buy_button, Qt.MouseButton.LeftButton)
    await settle(ui_ctx)
    assert expected in ticket.error_text("quantity")
    assert not ticket.buy_button.isEnabled()
    if text == "100":  # the cost is still shown, so the trader sees why
        assert ticket.estimate.text().startswith("Est. cost ≈ ")
    ticket.buy()  # the F9 shortcut path
    await settle(ui_ctx)
    assert ui_ctx.engine.oms.orders == before
    assert "not sent" in ticket.status.text()


async def test_blank_quantity_disables_without_scolding(ui_ctx: UiContext, qtbot: QtBot) -> None:
    ticket = await make_ticket(ui_ctx, qtbot)
    await settle(ui_ctx)
    assert ticket.error_text("quantity") == ""
    assert not ticket.buy_button.isEnabled() and not ticket.sell_button.isEnabled()


async def test_market_buy_fills_and_sell_is_refused_without_holdings(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    ticket = await make_ticket(ui_ctx, qtbot)
    type_into(qtbot, ticket.quantity, "0.01")
    await settle(ui_ctx)
    # a spot account holds no BTC yet: only SELL is refused, and says why under the field
    assert ticket.buy_button.isEnabled() and not ticket.sell_button.isEnabled()
    assert ticket.error_text("quantity").startswith("SELL: insufficient BTC")
    assert "fee ≈" in ticket.estimate.text() and "(taker 0.1%)" in ticket.estimate.text()
    assert "USD" in ticket.estimate.text()
    assert "bid" in ticket.quote.text() and "ask" in ticket.quote.text()
    qtbot.mouseClick(ticket.buy_button, Qt.MouseButton.LeftButton)
    await settle(ui_ctx)
    assert ui_ctx.engine.portfolio.position_qty("BTC/USD") == Decimal("0.01")
    assert ticket.last_order_id in ui_ctx.engine.oms.orders
    await wait_for(lambda: "filled" in ticket.status.text())
    await wait_for(lambda: ticket.sell_button.isEnabled())  # now there is BTC to sell


async def test_notional_mode_computes_quantity(ui_ctx: UiContext, qtbot: QtBot) -> None:
    ticket = await make_ticket(ui_ctx, qtbot)
    ticket.by_notional.setChecked(True)
    assert ticket.quantity_label.text() == "Notional (USD)"
    type_into(qtbot, ticket.quantity, "1000")
    await settle(ui_ctx)
    req = ticket.verdicts[OrderSide.BUY].request
    assert req is not None and isinstance(req.quantity, Decimal)
    inst = ui_ctx.engine.instruments["BTC/USD"]
    ask = ui_ctx.bridge.snapshots["BTC/USD"].ask
    assert ask is not None
    # whole lots, never more than asked, and within one lot of it at the ask
    assert req.quantity == inst.make_qty(req.quantity)
    assert req.quantity * ask <= Decimal(1000) * Decimal("1.01")
    assert (req.quantity + inst.lot_size) * ask >= Decimal(1000) * Decimal("0.99")
    assert ticket.converted.text() == f"= {req.quantity} BTC"
    type_into(qtbot, ticket.quantity, "0.5")  # less than one lot of BTC
    await settle(ui_ctx)
    assert "less than one lot" in ticket.error_text("quantity")
    assert not ticket.buy_button.isEnabled()


async def test_limit_enables_price_and_far_price_is_refused_inline(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    ticket = await make_ticket(ui_ctx, qtbot)
    assert not ticket.price.isEnabled() and not ticket.trigger_price.isEnabled()
    ticket.type.setCurrentIndex(ticket.type.findData(OrderType.LIMIT))
    assert ticket.price.isEnabled() and not ticket.trigger_price.isEnabled()
    assert ticket.price.text()  # starts from the market
    type_into(qtbot, ticket.quantity, "0.01")
    last = ui_ctx.bridge.snapshots["BTC/USD"].last
    assert last is not None
    type_into(qtbot, ticket.price, str((last * 2).quantize(Decimal("0.01"))))
    await settle(ui_ctx)
    assert "price band" in ticket.error_text("price")
    assert not ticket.buy_button.isEnabled()
    type_into(qtbot, ticket.price, "12.345")
    await settle(ui_ctx)
    assert "too many decimals" in ticket.error_text("price")
    ticket.type.setCurrentIndex(ticket.type.findData(OrderType.STOP_LIMIT))
    assert ticket.price.isEnabled() and ticket.trigger_price.isEnabled()


async def test_percent_bracket_places_children_after_the_fill(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    ticket = await make_ticket(ui_ctx, qtbot)
    type_into(qtbot, ticket.quantity, "0.01")
    ticket.stop_loss_unit.setCurrentIndex(1)
    ticket.take_profit_unit.setCurrentIndex(1)
    type_into(qtbot, ticket.stop_loss, "2")
    type_into(qtbot, ticket.take_profit, "3")
    await settle(ui_ctx)
    req = ticket.verdicts[OrderSide.BUY].request
    assert req is not None and req.bracket is not None
    assert req.bracket.stop_loss_pct == Decimal(2) and req.bracket.take_profit_pct == Decimal(3)
    ticket.buy()
    await settle(ui_ctx)
    entry = ticket.last_order_id

    def children() -> dict[str, OrderStatus]:
        orders = ui_ctx.engine.oms.orders.values()
        return {o.role or "": o.status for o in orders if o.parent_id == entry}

    await wait_for(lambda: set(children()) == {"stop_loss", "take_profit"})
    assert all(status.is_working for status in children().values())


async def test_bad_bracket_is_shown_under_its_field(ui_ctx: UiContext, qtbot: QtBot) -> None:
    ticket = await make_ticket(ui_ctx, qtbot)
    type_into(qtbot, ticket.quantity, "0.01")
    last = ui_ctx.bridge.snapshots["BTC/USD"].last
    assert last is not None
    type_into(qtbot, ticket.stop_loss, str(last * 2))  # a long's stop above the market
    await settle(ui_ctx)
    assert "below the entry price" in ticket.error_text("stop_loss")
    assert not ticket.buy_button.isEnabled()


async def test_duplicate_asks_and_resends_confirmed(ui_ctx: UiContext, qtbot: QtBot) -> None:
    ticket = await make_ticket(ui_ctx, qtbot, "SPY")
    asked: list[str] = []
    answer = {"yes": False}

    def confirm(title: str, text: str) -> bool:
        asked.append(text)
        return answer["yes"]

    ticket.confirm = confirm
    type_into(qtbot, ticket.quantity, "2")
    ticket.buy()
    await settle(ui_ctx)
    assert asked == [] and ui_ctx.engine.portfolio.position_qty("SPY") == 2
    ticket.buy()  # the same order within the guard window: the trader says no
    await settle(ui_ctx)
    assert len(asked) == 1 and "confirm" in asked[0]
    assert ui_ctx.engine.portfolio.position_qty("SPY") == 2
    answer["yes"] = True
    ticket.buy()
    await settle(ui_ctx)
    assert len(asked) == 2 and ui_ctx.engine.portfolio.position_qty("SPY") == 4


async def test_double_click_asks_before_the_second_goes_out(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    ticket = await make_ticket(ui_ctx, qtbot, "SPY")
    asked: list[str] = []
    ticket.confirm = lambda title, text: asked.append(text) is None
    type_into(qtbot, ticket.quantity, "1")
    ticket.buy()
    ticket.buy()  # before the first one reached the gate: the gate catches it on sending
    await settle(ui_ctx)
    await wait_for(lambda: bool(asked))
    await settle(ui_ctx)
    assert len(asked) == 1 and "confirm" in asked[0]
    assert ui_ctx.engine.portfolio.position_qty("SPY") == 2


async def test_switching_symbol_restarts_limit_price_from_its_market(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    ticket = await make_ticket(ui_ctx, qtbot)
    ticket.type.setCurrentIndex(ticket.type.findData(OrderType.LIMIT))
    btc_price = ticket.price.text()
    snaps = ui_ctx.bridge.snapshots
    await wait_for(lambda: "SPY" in snaps and snaps["SPY"].last is not None)
    ticket.set_symbol("SPY")
    assert ticket.price.text() and ticket.price.text() != btc_price
    assert ticket.quantity_label.text() == "Quantity (SPY)"


async def test_confirm_orders_checkbox_asks_first(ui_ctx: UiContext, qtbot: QtBot) -> None:
    ticket = await make_ticket(ui_ctx, qtbot, "SPY")
    assert ticket.confirm_box.isChecked() is ui_ctx.settings.confirm_orders
    asked: list[str] = []
    ticket.confirm = lambda title, text: asked.append(text) is not None and False
    ticket.confirm_box.setChecked(True)
    type_into(qtbot, ticket.quantity, "1")
    ticket.buy()
    await settle(ui_ctx)
    assert asked == ["BUY 1 SPY market"]
    assert ui_ctx.engine.portfolio.position_qty("SPY") == 0


async def test_halted_trading_is_shown_and_unknown_symbol_named(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    ticket = await make_ticket(ui_ctx, qtbot, "SPY")
    type_into(qtbot, ticket.quantity, "1")
    await ui_ctx.engine.kill_switch()
    await settle(ui_ctx)
    assert "HALTED" in ticket.error_text("general")
    assert not ticket.buy_button.isEnabled() and not ticket.sell_button.isEnabled()
    ticket.set_symbol("NOPE")
    await settle(ui_ctx)
    assert "unknown symbol NOPE" in ticket.error_text("symbol")


async def test_focus_quantity_selects_it(ui_ctx: UiContext, qtbot: QtBot) -> None:
    ticket = await make_ticket(ui_ctx, qtbot)
    ticket.show()
    ticket.quantity.setText("0.5")
    ticket.focus_quantity()
    assert ticket.quantity.selectedText() == "0.5"


async def test_venue_rejection_shows_in_the_status_line(ui_ctx: UiContext, qtbot: QtBot) -> None:
    ticket = await make_ticket(ui_ctx, qtbot)
    ticket.type.setCurrentIndex(ticket.type.findData(OrderType.STOP_MARKET))
    assert ticket.trigger_price.isEnabled() and not ticket.price.isEnabled()
    last = ui_ctx.bridge.snapshots["BTC/USD"].last
    assert last is not None
    type_into(qtbot, ticket.quantity, "0.01")
    # a buy stop below the market passes the gate (inside the band) but the venue refuses it
    type_into(qtbot, ticket.trigger_price, str((last * Decimal("0.98")).quantize(Decimal("0.01"))))
    await settle(ui_ctx)
    assert ticket.buy_button.isEnabled()
    ticket.buy()
    await settle(ui_ctx)
    await wait_for(lambda: "rejected" in ticket.status.text())
    assert ticket.status.property("role") == "error"
