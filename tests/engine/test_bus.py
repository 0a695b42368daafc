from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from app.engine.bus import Bus, Priority


@dataclass(frozen=True)
class Ping:
    symbol: str
    n: int


def test_priorities_order_handlers_and_symbol_topics() -> None:
    bus = Bus()
    seen: list[str] = []
    bus.subscribe(Ping, lambda e: seen.append("ui"), priority=Priority.UI)
    bus.subscribe(Ping, lambda e: seen.append("core"), priority=Priority.CORE)
    bus.subscribe(Ping, lambda e: seen.append("btc-strategy"), symbol="BTC/USD")
    bus.publish(Ping("BTC/USD", 1))
    bus.publish(Ping("ETH/USD", 2))
    assert seen == ["core", "btc-strategy", "ui", "core", "ui"]


def test_a_failing_handler_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = Bus()
    seen: list[int] = []

    def broken(event: Ping) -> None:
        raise RuntimeError("boom")

    bus.subscribe(Ping, broken, priority=Priority.CORE)
    bus.subscribe(Ping, lambda e: seen.append(e.n))
    with caplog.at_level(logging.ERROR):
        bus.publish(Ping("X", 7))
    assert seen == [7]
    assert bus.errors == 1
    assert "boom" in caplog.text


def test_unsubscribe() -> None:
    bus = Bus()
    seen: list[int] = []
    off = bus.subscribe(Ping, lambda e: seen.append(e.n))
    bus.publish(Ping("X", 1))
    off()
    bus.publish(Ping("X", 2))
    assert seen == [1]
