"""A venue account starts before its first prices: today's opening equity waits for them, so
coins already held are not reported as today's profit (nor could their absence trip the
daily-loss breaker)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from app.engine.clock import SimClock
from app.engine.domain.market import TradeTick
from tests.engine.harness import START_NS
from tests.engine.scripted_venue import ScriptedSession, ScriptedVenue

D = Decimal


async def test_opening_equity_waits_for_the_first_prices(data_dir: Path) -> None:
    clock = SimClock(START_NS)
    venue = ScriptedVenue(clock, {"USD": D("1000"), "BTC": D("2")})
    s = ScriptedSession(data_dir, venue)
    await s.engine.start()  # opening balances from the venue; BTC not priced yet
    try:
        controls = s.engine.controls
        assert s.engine.portfolio.awaiting_prices()
        assert controls.day_pnl() == 0
        assert await controls.check_breaker(clock.now_ns()) is False
        s.engine.on_market(TradeTick("BTC/USD", D("100"), D("1"), clock.now_ns()))
        await controls.check_breaker(clock.now_ns())
        assert controls.day_start_equity == D("1200")  # 1000 USD + 2 BTC at 100
        assert controls.day_pnl() == 0
        s.engine.on_market(TradeTick("BTC/USD", D("110"), D("1"), clock.now_ns()))
        assert controls.day_pnl() == D("20")
        assert s.engine.publish_account().day_pnl == D("20")
    finally:
        await s.close()
