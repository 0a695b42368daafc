"""The per-key pause after 429 and halt after 418, on a fake monotonic clock."""

from __future__ import annotations

import pytest

from app.brokers.ccxt.throttle import KeyThrottle
from app.engine.domain.events import Alert
from app.engine.venue_errors import OrderRefused, RateLimited, VenueBanned


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make() -> tuple[KeyThrottle, Clock, list[object]]:
    clock = Clock()
    seen: list[object] = []
    throttle = KeyThrottle("binance", "binance:k1", clock=clock, wall_ns=lambda: 7)
    throttle.set_status_sink(seen.append)
    return throttle, clock, seen


def test_429_pauses_orders_up_front_and_warns() -> None:
    throttle, clock, seen = make()
    throttle.before_order("submit")  # nothing yet
    throttle.observe(RateLimited("slow down", venue="binance", operation="x", retry_after_s=30))
    with pytest.raises(OrderRefused, match=r"paused 30 s after HTTP 429"):
        throttle.before_order("submit")
    (alert,) = seen
    assert isinstance(alert, Alert) and alert.level == "warning"
    assert alert.extra["action"] == "pause" and alert.extra["venue"] == "binance"
    clock.now += 30.5
    throttle.before_order("submit")
    assert throttle.pauses == 1


async def test_reads_wait_out_the_pause() -> None:
    clock = Clock()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    throttle = KeyThrottle("v", "v:k", clock=clock, sleep=sleep)
    await throttle.before_read("read")
    assert slept == []
    throttle.observe(RateLimited("", retry_after_s=12))
    await throttle.before_read("read")
    assert slept == [12] and throttle.pause_left() == 0


async def test_418_halts_the_key_and_raises_a_critical_halt_alert() -> None:
    throttle, clock, seen = make()
    throttle.observe(VenueBanned("banned", venue="binance", operation="x", retry_after_s=120))
    (alert,) = seen
    assert isinstance(alert, Alert) and alert.level == "critical"
    assert alert.extra["action"] == "halt"
    with pytest.raises(VenueBanned):
        await throttle.before_read("balances")
    with pytest.raises(OrderRefused, match="HTTP 418"):
        throttle.before_order("submit")
    clock.now += 121
    await throttle.before_read("balances")
    throttle.before_order("submit")
    assert throttle.bans == 1
