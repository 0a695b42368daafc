"""The SDK bridge: blocking calls in threads under deadlines, URLs, callbacks to the loop."""

from __future__ import annotations

import asyncio
import threading

import pytest
from fyers_apiv3 import fyersModel

from app.brokers.fyers.sdk_bridge import (
    REAL_API,
    REAL_DATA_API,
    SocketLink,
    live_threads,
    point_sdk_at,
    run_blocking,
)


async def test_run_blocking_returns_raises_and_leaves_no_thread() -> None:
    assert await run_blocking(lambda: threading.current_thread().name, timeout_s=1, name="x") == (
        "fyers-x"
    )

    def boom() -> None:
        raise ValueError("from the thread")

    with pytest.raises(ValueError, match="from the thread"):
        await run_blocking(boom, timeout_s=1, name="boom")
    assert live_threads() == []


async def test_run_blocking_deadline() -> None:
    release = threading.Event()
    with pytest.raises(TimeoutError):
        await run_blocking(lambda: release.wait(5), timeout_s=0.05, name="slow")
    assert [t.name for t in live_threads()] == ["fyers-slow"]
    release.set()
    for thread in live_threads():
        thread.join(2)  # a test may block: the thread is only returning
    assert live_threads() == []


def test_point_sdk_at() -> None:
    point_sdk_at("http://127.0.0.1:9/")
    assert fyersModel.Config.API == "http://127.0.0.1:9/api/v3"
    assert fyersModel.Config.DATA_API == "http://127.0.0.1:9/data"
    point_sdk_at(None)
    assert (fyersModel.Config.API, fyersModel.Config.DATA_API) == (REAL_API, REAL_DATA_API)


async def test_callbacks_from_a_thread_reach_the_loop_in_order() -> None:
    link = SocketLink(asyncio.get_running_loop(), 1.0, "t")
    on_message = link.callback("message", "orders")
    on_close = link.callback("close")

    def sdk_thread() -> None:
        for i in range(3):
            on_message({"n": i})
        on_close({"code": 200})

    thread = threading.Thread(target=sdk_thread)
    thread.start()
    thread.join()
    got = [await link.events.get() for _ in range(4)]
    assert [(e.kind, e.channel, e.payload) for e in got[:3]] == [
        ("message", "orders", {"n": 0}),
        ("message", "orders", {"n": 1}),
        ("message", "orders", {"n": 2}),
    ]
    assert got[3].kind == "close"
    link.closing = True  # our own close: its "close" callback is not news
    on_close({"code": 200})
    await asyncio.sleep(0.01)
    assert link.events.empty()
