"""The only module that wires everything: settings, accounts, journal, venue, market data,
engine and the desktop window.

A session is the active account's: a ``PaperSession`` (app/paper_session.py: the paper
exchange on the offline demo market) or a ``VenueSession`` (app/venue_session.py: a ccxt
exchange or Fyers, live, testnet or paper on its live data). The CLI's headless commands and
the desktop window (``run_gui``) both open one through ``open_session``. ``run_gui`` opens
the window on one QApplication whose event loop is the asyncio loop (qasync); switching
accounts (Tools → Accounts…) closes the session and opens the next one in the same loop.
With ``smoke_test`` seconds it lets data flow that long, optionally saves a screenshot, and
returns 0 only if the window came up and prices moved.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.engine.clock import FuncClock
from app.engine.gc_tuning import tune_gc
from app.engine.loop_monitor import LoopLagMonitor
from app.engine.store import Journal
from app.engine.trade_export import write_trades_csv
from app.paper_session import PAPER_VENUE as PAPER_VENUE  # re-exported: tests, scripts
from app.paper_session import PaperSession as PaperSession
from app.settings import Settings
from app.venue_session import VenueSession

if TYPE_CHECKING:  # Qt loads only once a window is wanted
    from app.accounts.model import Account
    from app.accounts.service import AccountService
    from app.ui.bridge import EngineBridge
    from app.ui.main_window import MainWindow
    from app.venue_ops import VenueOpsImpl

log = logging.getLogger(__name__)


def load_settings(data_dir: Path | None) -> Settings:
    return Settings.load(data_dir)


Session = PaperSession | VenueSession


def open_accounts(settings: Settings) -> AccountService:
    """The accounts of this data folder (accounts.sqlite), with the real venue operations."""
    from app.accounts.service import AccountService
    from app.accounts.store import AccountStore

    return AccountService(
        AccountStore(settings.data_dir), venue_ops(settings), FuncClock(time.time_ns)
    )


def venue_ops(settings: Settings) -> VenueOpsImpl:
    """The accounts' calls to real venues, pointed where the settings say (``venue_urls``)."""
    from app.venue_ops import VenueOpsImpl

    return VenueOpsImpl(
        settings.data_dir,
        urls_for=lambda venue: settings.venue_urls.get(venue),
        fyers_api_base=settings.venue_urls.get("fyers", {}).get("api"),
    )


async def open_session(
    settings: Settings, accounts: AccountService, *, tune: bool = True
) -> Session:
    """The active account's session: the demo market offline, or its venue."""
    account = accounts.active()
    if account.is_demo and accounts.store.active_id() is None:
        account = await _first_start_account(settings, accounts)
    if account.is_demo:
        return await PaperSession.open(settings, tune=tune)
    return await VenueSession.open(settings, account, accounts.credentials(account.id), tune=tune)


async def _first_start_account(settings: Settings, accounts: AccountService) -> Account:
    """No account chosen yet: paper trading on a real venue's live data when the venue
    answers (within a couple of seconds), the offline demo market otherwise."""
    demo = accounts.active()
    if not settings.live_data_probe:
        return demo
    from app.accounts.model import AccountMode
    from app.brokers.ccxt.probe import venue_reachable

    venue = settings.live_data_venue
    urls = settings.venue_urls.get(venue)
    if not await venue_reachable(venue, 2.0, urls=urls):
        # remembered, so later starts do not wait on the network again (Tools → Accounts…
        # switches to a venue's live data any time)
        log.info("%s is not reachable: starting on the offline demo market", venue)
        return accounts.set_active(demo.id)
    existing = [a for a in accounts.list() if a.venue == venue and a.mode is AccountMode.PAPER_LIVE]
    account = (
        existing[0]
        if existing
        else accounts.add(venue, f"Paper on {venue} live data", AccountMode.PAPER_LIVE, (), {})
    )
    log.info("%s answers: paper trading on its live data (%s)", venue, account.label)
    return accounts.set_active(account.id)


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
    session = await PaperSession.open(settings, speed=speed)
    print(f"Tradedesk paper session on the demo market; data in {settings.data_dir}")
    feed = session.engine.tasks.spawn(session.market.run(), "demo-feed", service=True)
    return await _headless(session, seconds, demo_orders, interval, order_interval, feed)


async def run_account_session(
    settings: Settings,
    *,
    seconds: float,
    account_id: str | None = None,
    demo_orders: bool = False,
    interval: float = 1.0,
    order_interval: float = 2.0,
) -> int:
    """CLI: a headless session on an account (the active one by default), printing a live
    summary; its venue's streams run for ``seconds``."""
    accounts = open_accounts(settings)
    try:
        if account_id is not None:
            accounts.set_active(account_id)
        session = await open_session(settings, accounts)
        print(f"Tradedesk session on {session.title}; data in {settings.data_dir}")
        feed = None
        if isinstance(session, PaperSession):
            feed = session.engine.tasks.spawn(session.market.run(), "demo-feed", service=True)
        return await _headless(session, seconds, demo_orders, interval, order_interval, feed)
    finally:
        accounts.store.close()


async def _headless(
    session: Session,
    seconds: float,
    demo_orders: bool,
    interval: float,
    order_interval: float,
    feed: asyncio.Task[object] | None,
) -> int:
    from app.headless import DemoOrderFlow, SummaryPrinter

    printer = SummaryPrinter(session.engine)
    printer.attach()
    for finding in session.findings:
        print(f"  reconciled: {finding}")
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


def build_window(
    session: Session,
    *,
    accounts: AccountService | None = None,
    switch_account: Callable[[str], None] | None = None,
) -> tuple[MainWindow, EngineBridge]:
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
    live = isinstance(session, VenueSession) and session.account.is_live
    ctx = UiContext(
        engine,
        session.data,
        bridge,
        session.settings,
        bots=session.bots,
        news=session.news,
        candle_file=session.candle_file,
        account_title=session.title,
        live=live,
        state_dir=session.journal.path.parent if isinstance(session, VenueSession) else None,
        accounts=accounts,
        switch_account=switch_account,
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
    accounts = open_accounts(settings)
    code = 0
    try:
        while True:  # one pass per account: switching accounts reopens the session
            session = await _open_or_demo(settings, accounts)
            switch_to: list[str] = []
            code = await _run_window(session, accounts, switch_to, smoke_test, screenshot, started)
            if not switch_to or smoke_test is not None:
                return code
            accounts.set_active(switch_to[-1])
            started = time.perf_counter()
    finally:
        accounts.store.close()


async def _open_or_demo(settings: Settings, accounts: AccountService) -> Session:
    """The active account's session; if its venue cannot be opened (network, key, keychain),
    the trader is told why and the demo account opens instead of nothing."""
    try:
        return await open_session(settings, accounts, tune=False)
    except Exception as exc:
        account = accounts.active()
        log.error("could not open %s: %s", account.label, exc)
        _tell(
            "Account not opened",
            f"Could not open {account.label}:\n{exc}\n\n"
            "The demo account opens instead; fix the account in Tools → Accounts…",
        )
        accounts.set_active("demo")
        return await PaperSession.open(settings, tune=False)


def _tell(title: str, text: str) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Warning, title, text)
    box.setModal(False)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()


async def _run_window(
    session: Session,
    accounts: AccountService,
    switch_to: list[str],
    smoke_test: float | None,
    screenshot: Path | None,
    started: float,
) -> int:
    engine = session.engine
    closed = asyncio.Event()

    def switch(account_id: str) -> None:
        switch_to.append(account_id)
        closed.set()

    # the window's widgets are start-up objects too: the collector is tuned once they exist,
    # and after the first paint, so its one full collection does not delay the window
    window, bridge = build_window(session, accounts=accounts, switch_account=switch)
    window.closed.connect(closed.set)
    window.show()
    shown = time.perf_counter() - started
    asyncio.get_running_loop().call_later(0.5, tune_gc)
    if isinstance(session, PaperSession):
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
        # the window goes now, in Qt's order (children first), not whenever the collector
        # gets to its wrapper; switching accounts builds the next one in this same process
        window.deleteLater()
        await asyncio.sleep(0)
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
