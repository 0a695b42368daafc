"""Event-loop lag of the full desktop window under load.

20 symbols stream at 10 trades (+ quotes) per second each into the real engine, paper venue,
bridge and every panel of the main window, while the chart shows 100,000 one-minute candles.
A 1 ms lag probe runs on the shared Qt/asyncio loop for DURATION seconds; prints p50, p99
and max. Target: p99 under 16 ms. Runs offscreen (QT_QPA_PLATFORM=offscreen) unless a
display is set.

    uv run python bench/bench_ui_lag.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from common import LagProbe, machine
from PySide6.QtWidgets import QApplication
from synthetic_market import SyntheticMarket, make_instruments

import app.ui.chart.panel as chart_panel
from app.brokers.paper import PaperConfig, PaperExchange
from app.engine.bus import Priority
from app.engine.clock import LiveClock
from app.engine.domain.market import QuoteTick, TradeTick
from app.engine.engine import TradingEngine
from app.engine.loop_monitor import LoopLagMonitor
from app.engine.store import Journal
from app.settings import Settings
from app.ui.bridge import EngineBridge
from app.ui.context import UiContext
from app.ui.main_window import MainWindow
from app.ui.panels import create_panels

SYMBOLS = 20
TICKS_PER_SECOND = 10.0
CANDLES = 100_000
DURATION = float(os.environ.get("BENCH_SECONDS", "20"))


async def main() -> None:
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        journal = Journal.open(data_dir)
        instruments = make_instruments(SYMBOLS)
        market = SyntheticMarket(instruments, TICKS_PER_SECOND, CANDLES)
        venue = PaperExchange(
            "paper",
            instruments,
            PaperConfig(initial_balances={"USD": Decimal("1000000")}),
            journal,
            time.time_ns,
        )
        engine = TradingEngine(
            journal=journal,
            client=venue,
            instruments={i.symbol: i for i in instruments},
            clock=LiveClock(),
        )
        engine.bus.subscribe(QuoteTick, venue.on_quote, priority=Priority.VENUE)
        engine.bus.subscribe(TradeTick, venue.on_trade, priority=Priority.VENUE)
        market.set_market_sink(engine.on_market)
        await engine.start(initial_deposit={"USD": Decimal("1000000")})
        await market.subscribe([i.symbol for i in instruments])
        bridge = EngineBridge(engine.bus, engine.portfolio)
        ctx = UiContext(engine, market, bridge, Settings(data_dir))
        panels = create_panels(ctx)
        lag_monitor = LoopLagMonitor()
        window = MainWindow(ctx, panels.specs(), lag_monitor, actions=panels.actions())
        window.panels = panels
        window.resize(1600, 960)
        window.show()
        chart_panel.HISTORY_LIMIT = CANDLES
        chart = panels.chart
        loaded = asyncio.Event()
        chart.loaded.connect(lambda _kind: loaded.set())
        chart.set_symbol(instruments[1].symbol)
        await asyncio.wait_for(loaded.wait(), 120)
        print(f"chart shows {len(chart.series):,} candles")
        engine.tasks.spawn(market.run(), "feed", service=True)
        probe = LagProbe()
        probe.start()
        await asyncio.sleep(DURATION)
        await probe.stop()
        print(
            f"{SYMBOLS} symbols x {TICKS_PER_SECOND:.0f} trades/s for {DURATION:.0f} s "
            f"({market.events:,} market events), {bridge.flushes} UI flushes"
        )
        print(probe.report())
        window.close()
        bridge.close()
        await engine.stop()
        journal.close()


if __name__ == "__main__":
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(main())
