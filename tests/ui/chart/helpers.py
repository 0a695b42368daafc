"""Shared helpers for the chart tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from decimal import Decimal

from pytestqt.qtbot import QtBot

from app.engine.domain.market import Timeframe
from app.ui.chart import ChartPanel
from app.ui.context import UiContext

SYMBOL = "BTC/USD"


async def until(cond: Callable[[], object], within: float = 5.0, what: str = "") -> None:
    """Let the loop run until ``cond()`` is true (the feed and the bridge run meanwhile)."""
    deadline = time.monotonic() + within
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or cond}")
        await asyncio.sleep(0.02)


async def open_panel(
    ctx: UiContext, qtbot: QtBot, tf: Timeframe = Timeframe.M1, symbol: str = SYMBOL
) -> ChartPanel:
    panel = ChartPanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    panel.set_timeframe(tf)
    panel.set_symbol(symbol)
    assert panel.history_task is not None
    await panel.history_task
    return panel


async def last_price(ctx: UiContext, symbol: str = SYMBOL) -> Decimal:
    await until(lambda: symbol in ctx.engine.portfolio.last_prices, what="a last price")
    return ctx.engine.portfolio.last_prices[symbol]
