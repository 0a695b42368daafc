"""Switching accounts from the window: the session on the demo account closes and the window
reopens on the chosen Binance testnet account, in the same process and loop."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import shiboken6
from PySide6.QtWidgets import QApplication

from app import bootstrap
from app.bootstrap import open_accounts
from app.ui.main_window import MainWindow
from tests.emulators.binance import BinanceEmulator
from tests.support.keychain import MemoryKeychain
from tests.ui.tables.helpers import eventually
from tests.venues.fixtures import SYMBOLS, add_emulator_account, emulator_settings


def shown_window(title_part: str) -> MainWindow | None:
    for widget in QApplication.topLevelWidgets():
        if (
            isinstance(widget, MainWindow)
            and widget.isVisible()
            and title_part in widget.windowTitle()
        ):
            return widget
    return None


async def test_use_this_account_reopens_the_window_on_it(
    data_dir: Path, emu: BinanceEmulator, keychain: MemoryKeychain
) -> None:
    settings = emulator_settings(data_dir, emu)
    accounts, account = add_emulator_account(settings, activate=False)
    accounts.store.close()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # as run_gui does: a session switch closes windows
    gui = asyncio.ensure_future(bootstrap._run_gui(settings, None, None, time.perf_counter()))
    try:
        await eventually(lambda: shown_window("demo market") is not None, within=20)
        demo = shown_window("demo market")
        assert demo is not None and demo.ctx.switch_account is not None
        demo.ctx.switch_account(account.id)
        await eventually(lambda: shown_window("Emu testnet") is not None, within=30)
        venue_window = shown_window("Emu testnet")
        assert venue_window is not None
        assert sorted(venue_window.ctx.engine.instruments) == list(SYMBOLS)
        # the demo's window is gone, deleted by Qt (not left to the collector)
        await eventually(lambda: not shiboken6.isValid(demo))
        venue_window.close()  # closing the window ends the session and run_gui
        assert await asyncio.wait_for(gui, 30) == 0
        await eventually(lambda: not shiboken6.isValid(venue_window))
    finally:
        if not gui.done():
            gui.cancel()
        app.setQuitOnLastWindowClosed(True)
    again = open_accounts(settings)
    try:
        assert again.active().id == account.id  # the next start opens it again
    finally:
        again.store.close()
