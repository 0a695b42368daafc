"""The only module that wires everything: settings, journal, venue, market data, engine and
the desktop window.

A ``PaperSession`` is a paper account (the paper exchange) trading on the offline demo
market. The CLI's headless commands and the desktop window (``run_gui``) both use it.
``run_gui`` opens the window on one QApplication whose event loop is the asyncio loop
(qasync). With ``smoke_test`` seconds it lets data flow that long, optionally saves a
screenshot, and returns 0 only if the window came up and prices moved.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.bots.config import StrategyResolver
from app.bots.manager import BotManager
from app.brokers.demo import DemoMarket
from app.brokers.paper import PaperConfig, PaperExchange
from app.engine.bus import Priority
from app.engine.domain.market import QuoteTick, TradeTick
from app.engine.engine import TradingEngine
from app.engine.gc_tuning import tune_gc
from app.engine.loop_monitor import LoopLagMonitor
from app.engine.store import Journal
from app.engine.trade_export import write_trades_csv
from app.news.service import NewsService
from app.settings import Settings

if TYPE_CHECKING:  # Qt loads only once a window is wanted
    from app.ui.bridge import EngineBridge
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)
PAPER_VENUE = "paper"


def load_settings(data_dir: Path | None) -> Settings:
    return Settings.load(data_dir)


@dataclass(slots=True)
class PaperSession:
    settings: Settings
    journal: Journal
    market: DemoMarket
    venue: PaperExchange
    engine: TradingEngine
    findings: list[str]
    bots: BotManager
    news: NewsService

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        speed: float | None = None,
        clock: Callable[[], int] = time.time_ns,
        strategies: StrategyResolver | None = None,
        tune: bool = True,
    ) -> PaperSession:
        """Open the journal, build the venue and engine, restore and reconcile, then bring
        back the bots (``strategies`` resolves their strategy ids; default: the registry)."""
        journal = Journal.open(settings.data_dir)
        try:
            market = DemoMarket(
                seed=settings.demo_seed,
                speed=speed if speed is not None else settings.demo_speed,
                ticks_per_second=settings.ticks_per_second,
                clock=clock,
            )
            instruments = market.instruments()
            cash = {settings.currency: settings.paper_cash}
            venue = PaperExchange(
                PAPER_VENUE,
                instruments,
                PaperConfig(
                    initial_balances=cash,
                    slippage_bps=settings.slippage_bps,
                    seed=settings.demo_seed,
                ),
                journal,
                clock,
            )
            engine = TradingEngine(
                journal=journal,
                client=venue,
                instruments={i.symbol: i for i in instruments},
                clock=_FuncClock(clock),
                currency=settings.currency,
            )
            # the venue matches against the tape after the engine has marked it
            engine.bus.subscribe(QuoteTick, venue.on_quote, priority=Priority.VENUE)
            engine.bus.subscribe(TradeTick, venue.on_trade, priority=Priority.VENUE)
            market.set_market_sink(engine.on_market)
            # the engine restores its orders before the venue sees a single price: a resting
            # order left from the last session may fill on the first quote
            findings = await engine.start(initial_deposit=cash)
            for inst in instruments:  # seed prices so the first order has a reference
                engine.on_market(market.last_quote(inst.symbol))
                engine.on_market(market.last_trade(inst.symbol))
            await market.subscribe([i.symbol for i in instruments])
            # bots restart only now: the engine has restored orders, positions and prices
            news = NewsService(
                [i.symbol for i in instruments],
                lambda coro, name: engine.tasks.spawn(coro, name, service=True),
                interval=settings.news_poll_s,
            )
            news.configure(settings.news_feeds)
            bots = BotManager(
                engine,
                history=lambda s, tf, n: market.history_sync(s, tf, limit=n),
                resolve=strategies,
                sentiment=news.sentiment,
            )
            findings.extend(await bots.restore())
            if tune:  # start-up is done: see app/engine/gc_tuning.py
                tune_gc()
        except BaseException:
            journal.close()
            raise
        return cls(settings, journal, market, venue, engine, findings, bots, news)

    async def close(self) -> None:
        try:
            self.news.close()
            await self.bots.close()  # bots end before the engine they trade through
            await self.engine.stop()
        finally:
            self.journal.close()


class _FuncClock:
    def __init__(self, fn: Callable[[], int]) -> None:
        self.now_ns = fn


def _ns(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1_000_000_000)


def export_trades(
    settings: Settings,
    *,
    out: Path,
    since: datetime | None = None,
    until: datetime | None = None,
    source: str | None = None,
    symbol: str | None = None,
) -> int:
    """CLI: write fills to CSV. Prints how many rows were written."""
    with Journal.open(settings.data_dir) as journal:
        fills = journal.load_fills(
            since_ns=_ns(since), until_ns=_ns(until), source=source, symbol=symbol
        )
    count = write_trades_csv(fills, out)
    print(f"wrote {count} trades to {out}")
    return 0


async def run_demo_session(
    settings: Settings,
    *,
    seconds: float,
    demo_orders: bool = False,
    speed: float | None = None,
    interval: float = 1.0,
    order_interval: float = 2.0,
) -> int:
    """CLI: a headless paper session on the demo market, printing a live summary."""
    from app.headless import DemoOrderFlow, SummaryPrinter

    session = await PaperSession.open(settings, speed=speed)
    printer = SummaryPrinter(session.engine)
    printer.attach()
    print(f"Tradedesk paper session on the demo market; data in {settings.data_dir}")
    for finding in session.findings:
        print(f"  reconciled: {finding}")
    feed = session.engine.tasks.spawn(session.market.run(), "demo-feed", service=True)
    flow = None
    if demo_orders:
        flow = session.engine.tasks.spawn(
            DemoOrderFlow(session.engine, order_interval).run(), "demo-orders", service=True
        )
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            await asyncio.sleep(min(interval, max(0.0, deadline - time.monotonic())))
            printer.print_summary()
    finally:
        for task in (flow, feed):
            if task is not None:
                task.cancel()
        await session.close()
    printer.print_summary(final=True)
    return 0


# --- the desktop window ------------------------------------------------------------------
def run_gui(
    settings: Settings,
    *,
    smoke_test: float | None = None,
    screenshot: Path | None = None,
    launched: float | None = None,
) -> int:
    started = time.perf_counter() if launched is None else launched
    import qasync  # Qt only once a window is wanted: the headless commands stay light
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Tradedesk")
    app.setOrganizationName("Tradedesk")
    _set_app_icon()
    # the window's close ends the session; Qt must not stop the loop under the engine's feet
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        return int(loop.run_until_complete(_run_gui(settings, smoke_test, screenshot, started)))


def _set_app_icon() -> None:
    """Window and taskbar icon from resources/icons (drawn by installer/make_icons.py)."""
    from importlib.resources import files

    from PySide6.QtGui import QGuiApplication, QIcon

    icon = files("resources") / "icons" / "tradedesk.png"
    if icon.is_file():  # a plain folder both from source and frozen
        QGuiApplication.setWindowIcon(QIcon(str(icon)))


def build_window(session: PaperSession) -> tuple[MainWindow, EngineBridge]:
    """The main window on ``session``: its bridge, context, panels and loop-lag monitor.
    Not shown yet; the caller starts the feed once it is."""
    from app.ui.bridge import EngineBridge
    from app.ui.context import UiContext
    from app.ui.main_window import MainWindow
    from app.ui.panels import create_panels

    engine = session.engine
    lag = LoopLagMonitor()
    engine.tasks.spawn(lag.run(), "loop-lag", service=True)
    bridge = EngineBridge(engine.bus, engine.portfolio)
    ctx = UiContext(
        engine,
        session.market,
        bridge,
        session.settings,
        bots=session.bots,
        news=session.news,
        candle_file=session.market.source_file,
    )
    panels = create_panels(ctx)
    window = MainWindow(ctx, panels.specs(), lag, actions=panels.actions())
    window.panels = panels  # keeps the notifier (a QObject without a parent) alive
    return window, bridge


async def _run_gui(
    settings: Settings, smoke_test: float | None, screenshot: Path | None, started: float
) -> int:
    # the log panel shows the engine's own record: orders, fills, state changes
    logging.getLogger("app").setLevel(logging.INFO)
    # the window's widgets are start-up objects too: the collector is tuned once they exist,
    # and after the first paint, so its one full collection does not delay the window
    session = await PaperSession.open(settings, tune=False)
    engine = session.engine
    window, bridge = build_window(session)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.show()
    shown = time.perf_counter() - started
    asyncio.get_running_loop().call_later(0.5, tune_gc)
    engine.tasks.spawn(session.market.run(), "demo-feed", service=True)
    live: list[float] = []

    def first_prices(_batch: object) -> None:
        if not live:
            live.append(time.perf_counter() - started)

    bridge.quotes.connect(first_prices)
    log.info("window shown %.2f s after launch", shown)
    code = 0
    try:
        if smoke_test is None:
            await closed.wait()
        else:
            code = await _smoke(window, bridge, smoke_test, screenshot, shown, live)
    finally:
        bridge.close()
        if window.isVisible():
            window.close()
        await session.close()
    return code


async def _smoke(
    window: object,
    bridge: object,
    seconds: float,
    screenshot: Path | None,
    shown: float,
    live: list[float],
) -> int:
    from app.ui.bridge import EngineBridge
    from app.ui.main_window import MainWindow

    assert isinstance(window, MainWindow) and isinstance(bridge, EngineBridge)
    first = {s: snap.last for s, snap in bridge.snapshots.items()}
    await asyncio.sleep(seconds)
    moved = [s for s, snap in bridge.snapshots.items() if snap.last != first.get(s)]
    if screenshot is not None:
        window.grab().save(str(screenshot))
    ok = window.isVisible() and bridge.market_events > 0 and bool(moved)
    print(
        f"smoke test: window visible={window.isVisible()} {shown:.2f} s after launch, "
        f"live (first prices on screen) after {live[0] if live else float('nan'):.2f} s, "
        f"{bridge.market_events} trades received, prices moved in {len(moved)} symbols"
        + (f", screenshot {screenshot}" if screenshot else "")
    )
    return 0 if ok else 1
