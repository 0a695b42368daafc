from __future__ import annotations

import asyncio

from PySide6.QtCore import QTimer


async def test_async_tests_run_on_the_qt_event_loop() -> None:
    fired = asyncio.get_running_loop().create_future()
    QTimer.singleShot(10, lambda: fired.set_result("qt timer ran"))
    assert await asyncio.wait_for(fired, 5) == "qt timer ran"
