"""Running the desktop app: one QApplication, one qasync loop shared by Qt and the engine.

``run_gui`` opens the window on the paper account and the demo market. With
``smoke_test`` seconds it lets data flow that long, optionally saves a screenshot, and
returns 0 only if the window came up and prices moved.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication

from app.engine.loop_monitor import LoopLagMonitor
from app.settings import Settings

log = logging.getLogger(__name__)


def run_gui(
    settings: Settings, *, smoke_test: float | None = None, screenshot: Path | None = None
) -> int:
    started = time.perf_counter()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Tradedesk")
    app.setOrganizationName("Tradedesk")
    # the window's close ends the session; Qt must not stop the loop under the engine's feet
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        return int(loop.run_until_complete(_run(settings, smoke_test, screenshot, started)))


async def _run(
    settings: Settings, smoke_test: float | None, screenshot: Path | None, started: float
) -> int:
    from app.bootstrap import PaperSession
    from app.ui.bridge import EngineBridge
    from app.ui.context import UiContext
    from app.ui.main_window import MainWindow
    from app.ui.panels import create_panels

    session = await PaperSession.open(settings)
    engine = session.engine
    lag = LoopLagMonitor()
    engine.tasks.spawn(lag.run(), "loop-lag", service=True)
    bridge = EngineBridge(engine.bus, engine.portfolio)
    ctx = UiContext(engine, session.market, bridge, settings)
    panels = create_panels(ctx)
    window = MainWindow(ctx, panels.specs(), lag, actions=panels.actions())
    window.panels = panels  # keeps the notifier (a QObject without a parent) alive
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.show()
    engine.tasks.spawn(session.market.run(), "demo-feed", service=True)
    log.info("window shown %.2f s after launch", time.perf_counter() - started)
    code = 0
    try:
        if smoke_test is None:
            await closed.wait()
        else:
            code = await _smoke(window, bridge, smoke_test, screenshot, started)
    finally:
        bridge.close()
        if window.isVisible():
            window.close()
        await session.close()
    return code


async def _smoke(
    window: object, bridge: object, seconds: float, screenshot: Path | None, started: float
) -> int:
    from app.ui.bridge import EngineBridge
    from app.ui.main_window import MainWindow

    assert isinstance(window, MainWindow) and isinstance(bridge, EngineBridge)
    shown_after = time.perf_counter() - started
    first = {s: snap.last for s, snap in bridge.snapshots.items()}
    await asyncio.sleep(seconds)
    moved = [s for s, snap in bridge.snapshots.items() if snap.last != first.get(s)]
    if screenshot is not None:
        window.grab().save(str(screenshot))
    ok = window.isVisible() and bridge.market_events > 0 and bool(moved)
    print(
        f"smoke test: window visible={window.isVisible()} after {shown_after:.2f} s, "
        f"{bridge.market_events} trades received, prices moved in {len(moved)} symbols"
        + (f", screenshot {screenshot}" if screenshot else "")
    )
    return 0 if ok else 1
