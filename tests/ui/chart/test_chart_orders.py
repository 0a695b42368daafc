"""The chart and trading: fill markers, order and position lines, dragging lines to modify."""

from __future__ import annotations

from decimal import Decimal

from pytestqt.qtbot import QtBot

from app.engine.domain.orders import OrderRequest, OrderSide, OrderType
from app.ui.context import UiContext
from tests.ui.chart.helpers import SYMBOL, last_price, open_panel, until


async def test_market_buy_produces_a_fill_marker(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = await open_panel(ui_ctx, qtbot)
    order = await ui_ctx.engine.place_order(
        OrderRequest(SYMBOL, OrderSide.BUY, OrderType.MARKET, "0.01")
    )
    await until(lambda: panel.markers.fills, 3, "the fill marker")
    (fill,) = panel.markers.fills
    assert fill.client_id == order.client_id
    (spot,) = panel.markers.item.points()
    assert spot.symbol() == "t1"  # triangle up: a buy
    assert spot.pos().x() == fill.ts / 1e9 and spot.pos().y() == float(fill.price)
    # the position's average entry is drawn too
    await until(lambda: panel.lines.entry is not None, 3, "the entry line")
    assert panel.lines.entry is not None
    assert panel.lines.entry.value() == float(fill.price)
    # a fill of another symbol is not drawn here
    await ui_ctx.engine.place_order(OrderRequest("ETH/USD", OrderSide.BUY, OrderType.MARKET, "0.1"))
    await until(lambda: len(ui_ctx.engine.oms.fills) >= 2, 3, "the ETH fill")
    await until(lambda: ui_ctx.bridge.flushes > 0 and not ui_ctx.bridge._fills, 3)
    assert len(panel.markers.item.points()) == 1
    # another symbol: its own (no) fills and no entry line
    panel.set_symbol("SPY")
    assert panel.lines.entry is None and len(panel.markers.item.points()) == 0


async def test_limit_order_line_drag_modifies_and_refusal_snaps_back(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    last = await last_price(ui_ctx)
    resting = (last * Decimal("0.955")).quantize(Decimal("0.01"))
    # placed before the panel opens: the panel starts from the engine's working orders
    order = await ui_ctx.engine.place_order(
        OrderRequest(SYMBOL, OrderSide.BUY, OrderType.LIMIT, "0.01", price=resting)
    )
    panel = await open_panel(ui_ctx, qtbot)
    messages: list[tuple[str, bool]] = []
    panel.message.connect(lambda text, error: messages.append((text, error)))
    line = panel.line_for(order.client_id)
    assert line is not None and line.value() == float(resting) and line.movable
    assert "BUY 0.01 limit" in line.label.format
    y0, y1 = panel.price.vb.viewRange()[1]
    assert y0 <= float(resting) <= y1

    target = float(last) * 0.97 + 0.004321  # off-tick, as a mouse drop is
    await panel.drag_line_to(order.client_id, target)
    expected = Decimal(repr(target)).quantize(Decimal("0.01"))
    await until(lambda: order.price == expected, 3, "the venue to move the order")
    assert messages[-1] == (f"Modified limit buy to {expected:,}", False)
    assert panel.toast.isVisible() and panel.toast.text() == messages[-1][0]
    assert line.value() == float(expected)

    # a mouse drop: pyqtgraph moves the line, then signals that the drag finished
    dropped = (last * Decimal("0.975")).quantize(Decimal("0.01"))
    line.setValue(float(dropped))
    line.sigPositionChangeFinished.emit(line)
    await until(lambda: order.price == dropped, 3, "the dropped line to move the order")
    await until(lambda: messages[-1] == (f"Modified limit buy to {dropped:,}", False), 3)
    expected = dropped

    # beyond the 5% price band: refused by the risk gate, line put back
    await panel.drag_line_to(order.client_id, float(last) * 0.5)
    text, error = messages[-1]
    assert error and "price band" in text and text.startswith("limit buy not moved")
    assert panel.toast.text() == text
    assert order.price == expected and line.value() == float(expected)

    # canceled: the line goes
    await ui_ctx.engine.cancel(order.client_id)
    await until(lambda: panel.line_for(order.client_id) is None, 3, "the line to go")


async def test_stop_loss_and_take_profit_lines(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = await open_panel(ui_ctx, qtbot)
    last = await last_price(ui_ctx)
    await ui_ctx.engine.place_order(OrderRequest(SYMBOL, OrderSide.BUY, OrderType.MARKET, "0.01"))
    await until(lambda: ui_ctx.engine.portfolio.position_qty(SYMBOL) > 0, 3, "the position")
    sl_price = (last * Decimal("0.75")).quantize(Decimal("0.01"))  # far below the candles
    tp_price = (last * Decimal("1.05")).quantize(Decimal("0.01"))
    placed = await ui_ctx.engine.protect_position(SYMBOL, stop_loss=sl_price, take_profit=tp_price)
    by_role = {o.role: o for o in placed}
    sl, tp = by_role["stop_loss"], by_role["take_profit"]
    await until(lambda: panel.line_for(sl.client_id) and panel.line_for(tp.client_id), 3)
    sl_line, tp_line = panel.line_for(sl.client_id), panel.line_for(tp.client_id)
    assert sl_line is not None and tp_line is not None
    assert sl_line.value() == float(sl_price) and tp_line.value() == float(tp_price)
    y0, y1 = panel.price.vb.viewRange()[1]
    assert y0 <= float(sl_price) and float(tp_price) <= y1  # the y range shows the orders
    p = panel.palette_
    assert sl_line.pen.color().name() == p.stop_loss and tp_line.pen.color().name() == p.take_profit
    assert p.stop_loss != p.take_profit
    assert "stop-loss" in sl_line.label.format and "take-profit" in tp_line.label.format
    # the paper venue holds no lists: the stop is the app's own, and the line says so
    assert "held in the app" in sl_line.label.format and "held" not in tp_line.label.format

    new_stop = (last * Decimal("0.96")).quantize(Decimal("0.01"))
    await panel.drag_line_to(sl.client_id, float(new_stop))
    await until(lambda: sl.trigger_price == new_stop, 3, "the stop to move")
    assert panel.toast.text() == f"Modified stop-loss to {new_stop:,}"
    assert sl_line.value() == float(new_stop)


async def test_dragging_the_position_line_places_stop_loss_and_take_profit(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    panel = await open_panel(ui_ctx, qtbot)
    engine = ui_ctx.engine
    await engine.place_order(OrderRequest(SYMBOL, OrderSide.BUY, OrderType.MARKET, "0.01"))
    await until(lambda: panel.lines.entry is not None, 3, "the entry line")
    entry = panel.lines.entry
    assert entry is not None and entry.movable
    avg = entry.value()
    last = await last_price(ui_ctx)
    inst = engine.instruments[SYMBOL]

    stop = inst.make_price(last * Decimal("0.9"))
    await panel.drag_position_line_to(float(stop))
    (sl,) = [o for o in engine.oms.working(SYMBOL) if o.role == "stop_loss"]
    assert sl.trigger_price == stop
    assert panel.toast.text() == f"Stop-loss set at {stop:,}"
    assert entry.value() == avg  # the entry line stays at the average price
    await until(lambda: panel.line_for(sl.client_id) is not None, 3, "the stop-loss line")

    target = inst.make_price(last * Decimal("1.1"))
    await panel.drag_position_line_to(float(target))
    (tp,) = [o for o in engine.oms.working(SYMBOL) if o.role == "take_profit"]
    assert tp.price == target and panel.toast.text() == f"Take-profit set at {target:,}"

    moved = inst.make_price(last * Decimal("0.92"))  # a second drop moves the stop
    await panel.drag_position_line_to(float(moved))
    await until(lambda: sl.trigger_price == moved, 3, "the stop to move")
    assert [o.client_id for o in engine.oms.working(SYMBOL) if o.role == "stop_loss"] == [
        sl.client_id
    ]
