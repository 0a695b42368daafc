"""Qt test setup: one QApplication, and async tests run on a qasync loop, which is the Qt
event loop itself, exactly as in the app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

import pytest
import pytestqt.plugin
import qasync
from PySide6.QtWidgets import QApplication


def _app() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(["tradedesk-tests"])
    assert isinstance(app, QApplication)
    return app


_loops: list[qasync.QEventLoop] = []  # the current test's loop


def _new_loop() -> qasync.QEventLoop:
    loop = qasync.QEventLoop(_app())
    _loops[:] = [loop]
    return loop


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    return {"qasync": _new_loop}


def _process_events_as_the_app_would() -> None:
    """pytest-qt processes Qt events between a test's phases, when pytest-asyncio has
    stopped the loop (between fixture setup and the test, and at teardown). qasync runs
    asyncio callbacks from Qt timer events, so a task an async fixture started (the demo
    feed, a bot's sampler) would take a step with no running loop, die with "no running
    event loop", and the test would then wait for prices that never come. In the app the
    loop never stops; here it is marked running for the length of those event passes."""
    loop = _loops[0] if _loops else None
    idle = (
        loop is not None
        and not loop.is_closed()
        and not loop.is_running()
        and asyncio.events._get_running_loop() is None
    )
    if idle:
        asyncio.events._set_running_loop(loop)
    try:
        _pytestqt_process_events()
    finally:
        if idle:
            asyncio.events._set_running_loop(None)


_pytestqt_process_events = pytestqt.plugin._process_events
pytestqt.plugin._process_events = _process_events_as_the_app_would


@pytest.fixture(scope="session")
def qapp() -> QApplication:  # used by pytest-qt's qtbot
    return _app()


@pytest.fixture
async def ui_ctx(data_dir):  # type: ignore[no-untyped-def]
    """A real paper session on the demo market (fast), its bridge and a UiContext."""
    from app.bootstrap import PaperSession
    from app.settings import Settings
    from app.ui.bridge import EngineBridge
    from app.ui.context import UiContext

    settings = Settings(data_dir, demo_speed=60.0, ticks_per_second=8.0)
    session = await PaperSession.open(settings)
    bridge = EngineBridge(session.engine.bus, session.engine.portfolio, interval_ms=20)
    feed = session.engine.tasks.spawn(session.market.run(), "demo-feed", service=True)
    ctx = UiContext(
        session.engine, session.market, bridge, settings, candle_file=session.market.source_file
    )
    yield ctx
    feed.cancel()
    await asyncio.gather(feed, return_exceptions=True)
    bridge.close()
    await session.close()


@pytest.fixture(autouse=True)
def _release_widgets(qapp: QApplication):  # type: ignore[no-untyped-def]
    """Close and delete every top-level widget a test left behind, while Qt can still do it
    in order: Python's collector deleting wrappers of half-destroyed Qt objects later, at a
    random moment of another test, is how a Qt test suite crashes."""
    yield
    import gc

    for widget in QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qapp.processEvents()
    gc.collect()
