from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.engine.domain.orders import OrderRequest, OrderSide, OrderType
from app.engine.trade_export import COLUMNS, fill_row
from app.ui.context import UiContext
from app.ui.tables.trades import TradesPanel
from tests.ui.tables.helpers import eventually


async def test_filters_narrow_rows_and_export_writes_them(
    ui_ctx: UiContext, qtbot: QtBot, tmp_path: Path
) -> None:
    engine = ui_ctx.engine
    await eventually(lambda: {"BTC/USD", "ETH/USD"} <= set(engine.portfolio.last_prices))
    # one fill before the panel exists (initial load), the rest live through the bridge
    await engine.place_order(OrderRequest("BTC/USD", OrderSide.BUY, OrderType.MARKET, "0.01"))
    await eventually(lambda: len(engine.oms.fills) == 1)
    panel = TradesPanel(ui_ctx)
    qtbot.addWidget(panel)
    assert len(panel.model.keys()) == 1
    await engine.place_order(
        OrderRequest("ETH/USD", OrderSide.BUY, OrderType.MARKET, "0.5", source="bot:x")
    )
    await engine.place_order(OrderRequest("BTC/USD", OrderSide.SELL, OrderType.MARKET, "0.005"))
    await eventually(lambda: len(panel.model.keys()) == 3)
    assert panel.proxy.rowCount() == 3
    assert panel.source_combo.findData("bot:x") >= 0

    panel.set_filters(symbol="BTC/USD")
    assert panel.proxy.rowCount() == 2
    assert {f.symbol for f in panel.proxy.visible_rows()} == {"BTC/USD"}
    assert panel.count.text() == "2 of 3 trades"
    panel.set_filters(source="bot:x")
    assert [f.symbol for f in panel.proxy.visible_rows()] == ["ETH/USD"]
    today = date.today()
    panel.set_filters(start=today - timedelta(days=3), end=today - timedelta(days=1))
    assert panel.proxy.rowCount() == 0
    panel.set_filters(start=today, end=today)
    assert panel.proxy.rowCount() == 3

    panel.set_filters(symbol="BTC/USD")
    out = tmp_path / "trades.csv"
    assert panel.export_csv(out) == 2
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == COLUMNS
    expected = [fill_row(f) for f in engine.oms.fills if f.symbol == "BTC/USD"]
    assert rows[1:] == expected
    assert rows[1][2] == "buy" and rows[2][2] == "sell"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        panel.export_csv(tmp_path / "missing" / "x.csv")
