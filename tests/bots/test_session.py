"""Bots in a real paper session on the demo market (fast): trading, and a restart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from app.bootstrap import PaperSession
from app.bots.manager import BotState
from app.settings import Settings
from tests.bots.conftest import bot
from tests.bots.strategies import resolve


async def until(cond: Callable[[], bool], within: float = 30.0, what: str = "") -> None:
    """Let the loop run (the demo feed, the bots) until ``cond()`` is true."""
    deadline = time.monotonic() + within
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or cond}")
        await asyncio.sleep(0.02)


async def open_session(data_dir: Path) -> tuple[PaperSession, asyncio.Task[None]]:
    settings = Settings(data_dir, demo_speed=600.0, ticks_per_second=8.0)
    # the tests' strategies, not the shipped ones
    session = await PaperSession.open(settings, strategies=resolve)
    feed = session.engine.tasks.spawn(session.market.run(), "demo-feed", service=True)
    return session, feed


async def close_session(session: PaperSession, feed: asyncio.Task[None]) -> None:
    feed.cancel()
    await asyncio.gather(feed, return_exceptions=True)
    await session.close()


async def test_a_bot_trades_the_demo_market(data_dir: Path) -> None:
    session, feed = await open_session(data_dir)
    try:
        bots = session.bots
        bots.create(
            bot(
                "demo1",
                strategy="every_n",
                params={"hold": 1, "warm": 5},
                sizing={"mode": "fixed_notional", "value": "2000"},
                stop_loss_pct="5",
            )
        )
        await bots.start("demo1")
        b = bots.get("demo1")
        assert "warmed up on 25 1m bars" in b.log.text()  # from the market's history
        await until(lambda: len(b.fills) >= 4)
        orders = [o for o in session.engine.oms.orders.values() if o.source == "bot:demo1"]
        assert orders and all(o.client_id.startswith("tdbdemo1-") for o in orders)
        assert {o.role for o in orders} >= {"entry", "close", "stop_loss"}
        stats = bots.stats("demo1")
        assert stats.trades >= 1 and stats.fees > 0
        pnl = session.engine.portfolio.pnl_by_source()["bot:demo1"]
        assert stats.realized == pnl.realized and stats.fees == pnl.fees
    finally:
        await close_session(session, feed)


async def test_restart_restores_bots_and_their_positions(data_dir: Path) -> None:
    session, feed = await open_session(data_dir)
    try:
        bots = session.bots
        bots.create(
            bot("keep", strategy="every_n", params={"hold": 100000, "warm": 0})  # buys, holds
        )
        bots.create(bot("idle", symbols=["ETH/USD"], timeframe="5m"))
        bots.create(bot("nap", symbols=["LTC/USD"]))
        await bots.start("keep")
        await bots.start("nap")
        bots.pause("nap")
        await until(lambda: session.engine.portfolio.position_qty("BTC/USD") != 0)
        await until(lambda: not bots.get("keep").runner.contexts["BTC/USD"].pending())  # type: ignore[union-attr]
        held = session.engine.portfolio.position_qty("BTC/USD")
        assert held == Decimal("0.5")
        saved = {i: bots.get(i).config for i in ("keep", "idle", "nap")}
    finally:
        await close_session(session, feed)

    session, feed = await open_session(data_dir)
    try:
        bots = session.bots
        assert set(bots.bots) == {"keep", "idle", "nap"}
        assert {i: bots.get(i).config for i in saved} == saved
        keep = bots.get("keep")
        assert keep.state is BotState.RUNNING and keep.runner is not None
        assert bots.get("idle").state is BotState.STOPPED
        assert bots.get("nap").state is BotState.PAUSED
        book = session.engine.portfolio.books[("bot:keep", "BTC/USD")]
        assert book.quantity == Decimal("0.5")  # still the bot's own position
        assert bots.stats("keep").open_qty == {"BTC/USD": Decimal("0.5")}
        ctx = keep.runner.contexts["BTC/USD"]
        assert ctx.position() == 0.5
        await asyncio.sleep(1.0)  # bars flow; the holding bot does not buy again
        assert session.engine.portfolio.position_qty("BTC/USD") == Decimal("0.5")
        assert "restored (running)" in keep.log.text()
    finally:
        await close_session(session, feed)


async def test_the_reference_sma_cross_strategy_trades_as_a_bot(data_dir: Path) -> None:
    from app.strategies.registry import get_strategy

    settings = Settings(data_dir, demo_speed=600.0, ticks_per_second=8.0)
    session = await PaperSession.open(settings, strategies=get_strategy)
    feed = session.engine.tasks.spawn(session.market.run(), "demo-feed", service=True)
    try:
        bots = session.bots
        bots.create(
            bot(
                "sma",
                strategy="sma_cross",
                params={"fast": 2, "slow": 5},
                sizing={"mode": "pct_equity", "value": "2"},
                take_profit_pct="3",
            )
        )
        await bots.start("sma")
        b = bots.get("sma")
        assert "(strategy needs 5)" in b.log.text()
        await until(lambda: len(b.fills) >= 2, 60, "two fills of the sma_cross bot")
        assert all(f.source == "bot:sma" for f in b.fills)
        assert b.state is BotState.RUNNING
    finally:
        await close_session(session, feed)
