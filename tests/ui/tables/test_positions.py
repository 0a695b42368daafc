from __future__ import annotations

from decimal import Decimal

from pytestqt.qtbot import QtBot

from app.engine.domain.orders import OrderRequest, OrderSide, OrderType
from app.ui.context import UiContext
from app.ui.tables.positions import TOTAL_KEY, PositionsPanel
from app.ui.tables.table_view import select_key
from tests.ui.tables.helpers import eventually


async def buy(ctx: UiContext, symbol: str, qty: str, source: str = "manual") -> None:
    await ctx.engine.place_order(
        OrderRequest(symbol, OrderSide.BUY, OrderType.MARKET, qty, source=source)
    )


async def test_buy_shows_position_close_flattens_and_totals_sum(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    panel = PositionsPanel(ui_ctx)
    qtbot.addWidget(panel)
    m = panel.model
    assert m.keys() == [TOTAL_KEY]
    await eventually(lambda: "BTC/USD" in ui_ctx.engine.portfolio.last_prices)
    await eventually(lambda: "ETH/USD" in ui_ctx.engine.portfolio.last_prices)
    await buy(ui_ctx, "BTC/USD", "0.01")
    await buy(ui_ctx, "ETH/USD", "0.5", source="bot:demo")
    btc, eth = ("manual", "BTC/USD"), ("bot:demo", "ETH/USD")
    await eventually(lambda: m.row_of(btc) is not None and m.row_of(eth) is not None)
    assert m.keys()[-1] == TOTAL_KEY  # the totals row stays at the bottom
    book = ui_ctx.engine.portfolio.books[btc]
    assert m.value(btc, "quantity") == Decimal("0.01")
    assert m.text(btc, "quantity") == "0.0100"  # BTC lot 0.0001
    assert m.value(btc, "side") == "long"
    assert m.value(btc, "avg_price") == book.avg_price
    assert m.value(eth, "source") == "bot:demo"
    # prices keep moving: the row follows the book's mark
    await eventually(lambda: m.value(btc, "last") == book.last_price, within=2)
    assert m.value(btc, "unrealized") == book.unrealized_pnl
    total = m.value(TOTAL_KEY, "unrealized")
    assert total == m.value(btc, "unrealized") + m.value(eth, "unrealized")
    assert m.value(TOTAL_KEY, "realized") == 0

    # spot account: Reverse is refused, and the engine's reason is shown inline
    assert select_key(panel.view, panel.proxy, btc)
    task = panel.reverse_selected()
    assert task is not None
    await task
    assert "spot account cannot reverse" in panel.message.text()

    cost = book.cost
    task = panel.close_selected()
    assert task is not None
    await task
    assert "Close BTC/USD" in panel.message.text()
    await eventually(lambda: ui_ctx.engine.portfolio.position_qty("BTC/USD") == 0)
    await eventually(lambda: m.value(btc, "quantity") == 0)
    assert m.value(btc, "side") == "flat"
    realized = ui_ctx.engine.portfolio.books[btc].realized_pnl
    await eventually(lambda: m.value(btc, "realized") == realized)
    assert m.value(btc, "realized_pct") == realized / cost * 100
    await eventually(
        lambda: (
            m.value(TOTAL_KEY, "realized") == m.value(btc, "realized") + m.value(eth, "realized")
        )
    )
    panel.hide_flat.setChecked(True)
    assert [r.key for r in panel.proxy.visible_rows()] == [eth, TOTAL_KEY]

    await panel.flatten_all()
    await eventually(lambda: ui_ctx.engine.portfolio.position_qty("ETH/USD") == 0)
    await eventually(lambda: [r.key for r in panel.proxy.visible_rows()] == [TOTAL_KEY])


async def test_close_without_selection_says_so(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = PositionsPanel(ui_ctx)
    qtbot.addWidget(panel)
    assert panel.close_selected() is None
    assert "Select a position" in panel.message.text()
