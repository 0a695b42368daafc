"""The bot manager: create, edit, delete, start, stop, pause and resume bots; supervise them;
keep their logs, stats and P&L curves; persist them in the journal and bring them back after
a restart.

States: STOPPED -> (start) -> RUNNING <-> PAUSED; any -> (stop) -> STOPPED; a bot whose
strategy code raises goes to ERRORED with the traceback in its log (its working orders are
cancelled like a stop's); other bots carry on. A config may only change while the bot is
stopped or errored.

Stopping cancels the bot's working entry orders and LEAVES ITS POSITIONS OPEN, with their
stop-loss/take-profit orders still working (a stop must not leave a position unprotected);
``stop(..., close_positions=True)`` cancels everything and closes the bot's positions too.
Closing the session (``close``) stops the tasks but keeps each bot's saved state, so bots
that were running start again on the next session (after the engine has restored orders and
positions); their positions are still theirs, through the portfolio's per-source books.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from app.bots.config import BotConfig, StrategyResolver
from app.bots.runtime import (
    PROTECTIVE,
    BotLog,
    BotRunner,
    HistorySource,
    LogLine,
    SentimentSource,
)
from app.bots.stats import BotStats, compute_stats
from app.bots.store import BotStore
from app.engine.bus import Priority
from app.engine.domain.errors import ValidationError
from app.engine.domain.events import FillRecorded, OrderUpdated
from app.engine.domain.fills import Fill
from app.engine.domain.orders import OrderRequest, OrderSide, OrderType
from app.engine.domain.values import ZERO
from app.engine.engine import TradingEngine

log = logging.getLogger("app.bots")
DAY_NS = 86_400 * 1_000_000_000
MAX_CURVE = 1_000
LOG_KEPT = 100


class BotState(StrEnum):
    STOPPED = "stopped"
    RUNNING = "running"
    PAUSED = "paused"
    ERRORED = "errored"


@dataclass(slots=True)
class Bot:
    config: BotConfig
    log: BotLog
    state: BotState = BotState.STOPPED
    error: str | None = None
    started_ns: int | None = None  # first start ever: exposure counts from here
    day: int = -1  # UTC day number of ``day_start_pnl``
    day_start_pnl: Decimal = ZERO
    curve: list[tuple[int, Decimal]] = field(default_factory=list)  # sampled net P&L
    fills: list[Fill] = field(default_factory=list)
    runner: BotRunner | None = None
    task: asyncio.Task[None] | None = None

    @property
    def id(self) -> str:
        return self.config.id

    def record(self) -> dict[str, Any]:
        return {
            "config": self.config.to_mapping(),
            "state": self.state.value,
            "error": self.error,
            "started_ns": self.started_ns,
            "day": self.day,
            "day_start_pnl": str(self.day_start_pnl),
            "curve": [[ts, str(v)] for ts, v in self.curve],
            # the log's tail, so an error's traceback is still there after a restart
            "log": [[ln.ts, ln.level, ln.text] for ln in list(self.log.lines)[-LOG_KEPT:]],
        }


class BotManager:
    def __init__(
        self,
        engine: TradingEngine,
        *,
        history: HistorySource | None = None,
        resolve: StrategyResolver | None = None,
        sentiment: SentimentSource | None = None,
        sample_interval_s: float = 1.0,
    ) -> None:
        if resolve is None:
            from app.strategies.registry import get_strategy

            resolve = get_strategy
        self.engine = engine
        self.history = history
        self.resolve = resolve
        self.sentiment = sentiment
        self.sample_interval_s = sample_interval_s
        self.store = BotStore(engine.journal)
        self.bots: dict[str, Bot] = {}
        self.changes = 0  # bumped on every state/config change: views poll it
        self._unsubscribe = engine.bus.subscribe(
            FillRecorded, self._on_fill, priority=Priority.STRATEGY
        )
        self._sampler: asyncio.Task[None] | None = None

    # --- configs ---------------------------------------------------------------------------
    def validate(self, raw: Mapping[str, Any]) -> BotConfig:
        """A config from a mapping, checked against the strategies and the instruments."""
        return BotConfig.from_mapping(raw, resolve=self.resolve, symbols=self._symbols())

    def _symbols(self) -> Collection[str]:
        return self.engine.instruments.keys()

    def create(self, raw: Mapping[str, Any] | BotConfig) -> Bot:
        config = raw if isinstance(raw, BotConfig) else self.validate(raw)
        if config.id in self.bots:
            raise ValidationError("id", f"a bot named {config.id} already exists", config.id)
        bot = Bot(config, BotLog(config.id))
        bot.fills = [f for f in self.engine.oms.fills if f.source == config.source]
        self.bots[config.id] = bot
        bot.log.write(f"created: {config.strategy} on {', '.join(config.symbols)}")
        self._save(bot)
        self.store.save_index(list(self.bots))
        return bot

    def edit(self, bot_id: str, raw: Mapping[str, Any] | BotConfig) -> Bot:
        bot = self.get(bot_id)
        if bot.state not in (BotState.STOPPED, BotState.ERRORED):
            raise ValidationError("state", f"stop the bot before editing it (it is {bot.state})")
        config = raw if isinstance(raw, BotConfig) else self.validate({**raw, "id": bot_id})
        if config.id != bot_id:
            raise ValidationError("id", "a bot's id cannot change", config.id)
        bot.config = config
        bot.log.write("config changed")
        self._save(bot)
        return bot

    def delete(self, bot_id: str) -> None:
        bot = self.get(bot_id)
        if bot.state not in (BotState.STOPPED, BotState.ERRORED):
            raise ValidationError("state", f"stop the bot before deleting it (it is {bot.state})")
        del self.bots[bot_id]
        self.store.delete(bot_id)
        self.store.save_index(list(self.bots))
        self.changes += 1

    def get(self, bot_id: str) -> Bot:
        bot = self.bots.get(bot_id)
        if bot is None:
            raise ValidationError("bot", f"no bot named {bot_id}", bot_id)
        return bot

    # --- lifecycle ---------------------------------------------------------------------------
    async def start(self, bot_id: str) -> Bot:
        """Warm the strategy up on history, then trade. Returns once it is warm."""
        bot = self.get(bot_id)
        if bot.state in (BotState.RUNNING, BotState.PAUSED):
            raise ValidationError("state", f"the bot is already {bot.state}")
        strategy_cls = self.resolve(bot.config.strategy)
        now = self.engine.clock.now_ns()
        if bot.started_ns is None:
            bot.started_ns = now
        self._roll_day(bot, now)
        bot.error = None
        runner = BotRunner(
            bot.config,
            strategy_cls,
            self.engine,
            bot.log,
            history=self.history,
            sentiment=self.sentiment,
            realized=lambda: self._realized(bot),
            day_pnl=lambda: self._day_pnl(bot),
            on_fail=lambda tb: self._failed(bot, tb),
        )
        bot.runner = runner
        bot.state = BotState.RUNNING
        bot.log.write("starting")
        bot.task = self.engine.tasks.spawn(runner.run(), bot.config.source, service=True)
        self._ensure_sampler()
        await runner.warmed.wait()
        if bot.state is BotState.RUNNING:
            bot.log.write("running")
        self._save(bot)
        return bot

    async def stop(self, bot_id: str, *, close_positions: bool = False) -> Bot:
        bot = self.get(bot_id)
        if bot.state in (BotState.RUNNING, BotState.PAUSED):
            await self._halt(bot)
            bot.state = BotState.STOPPED
        await self._cancel_orders(bot, keep_protective=not close_positions)
        if close_positions:
            await self._close_positions(bot)
        else:
            held = self.stats(bot_id).open_qty
            if held:
                shown = ", ".join(f"{s} {q}" for s, q in held.items())
                bot.log.write(f"stopped; its positions stay open with their SL/TP: {shown}")
        bot.log.write("stopped")
        self._save(bot)
        return bot

    def pause(self, bot_id: str) -> Bot:
        return self._set_paused(bot_id, True)

    def resume(self, bot_id: str) -> Bot:
        return self._set_paused(bot_id, False)

    def _set_paused(self, bot_id: str, paused: bool) -> Bot:
        bot = self.get(bot_id)
        before, after = (
            (BotState.RUNNING, BotState.PAUSED) if paused else (BotState.PAUSED, BotState.RUNNING)
        )
        if bot.state is not before or bot.runner is None:
            verb = "pause" if paused else "resume"
            raise ValidationError("state", f"only a {before} bot can {verb} (it is {bot.state})")
        bot.runner.paused = paused
        bot.state = after
        bot.log.write(
            "paused: indicators keep updating, new orders are dropped" if paused else "resumed"
        )
        self._save(bot)
        return bot

    async def _halt(self, bot: Bot) -> None:
        task, runner = bot.task, bot.runner
        bot.task = bot.runner = None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if runner is not None:
            runner.stop_strategies()

    def _failed(self, bot: Bot, tb: str) -> None:
        """The runner's strategy code raised: the bot stops here, the others carry on."""
        bot.state = BotState.ERRORED
        bot.error = tb.strip().splitlines()[-1] if tb.strip() else "error"
        bot.log.write(f"ERRORED: strategy code raised; bot stopped\n{tb}", logging.ERROR)
        runner = bot.runner
        bot.runner = None
        bot.task = None
        if runner is not None:
            runner.stop_strategies()
        self._save(bot)
        self.engine.tasks.spawn(self._cancel_orders(bot, keep_protective=True), "bot-cancel")

    async def _cancel_orders(self, bot: Bot, *, keep_protective: bool) -> None:
        try:
            count = await self.engine.oms.cancel_all(
                source=bot.config.source, keep_protective=keep_protective
            )
        except Exception as exc:
            bot.log.write(f"cancelling orders failed: {exc}", logging.ERROR)
            return
        if count:
            bot.log.write(f"cancelled {count} working order(s)")

    async def _close_positions(self, bot: Bot) -> None:
        portfolio = self.engine.portfolio
        for symbol in bot.config.symbols:
            book = portfolio.books.get((bot.config.source, symbol))
            account = portfolio.position_qty(symbol)
            if book is None or book.quantity == 0 or account == 0:
                continue
            if (book.quantity > 0) != (account > 0):
                continue
            qty = min(abs(book.quantity), abs(account))
            for child in self.engine.oms.working(symbol, bot.config.source):
                if child.role in PROTECTIVE:
                    await self.engine.oms.cancel(child.client_id, "bot stopped: closing")
            # a cancel can be answered later than it is asked (an order still being journaled
            # when the bot stopped, a venue's report): until it is, the order holds the coins
            # the close would sell, and the close would be refused for want of them
            await self._orders_gone(symbol, bot.config.source)
            try:
                order = await self.engine.place_order(
                    OrderRequest(
                        symbol=symbol,
                        side=OrderSide.SELL if account > 0 else OrderSide.BUY,
                        type=OrderType.MARKET,
                        quantity=qty,
                        reduce_only=True,
                        source=bot.config.source,
                        role="close",
                    )
                )
                bot.log.write(f"closing {qty} {symbol} -> {order.client_id}")
            except ValidationError as exc:
                bot.log.write(f"closing {symbol} refused: {exc}", logging.ERROR)

    async def _orders_gone(self, symbol: str, source: str) -> None:
        """Wait (at most the OMS's request timeout) until ``source`` has no working order on
        ``symbol``."""
        oms = self.engine.oms
        if not oms.working(symbol, source):
            return
        done = asyncio.get_running_loop().create_future()

        def on_order(_event: OrderUpdated) -> None:
            if not done.done() and not oms.working(symbol, source):
                done.set_result(None)

        off = self.engine.bus.subscribe(OrderUpdated, on_order, priority=Priority.STRATEGY)
        # past the timeout the close is tried anyway: a refusal is logged with its reason
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(oms.request_timeout_s):
                    await done
        finally:
            off()

    # --- fills, stats, curve -------------------------------------------------------------------
    def _on_fill(self, event: FillRecorded) -> None:
        source = event.fill.source
        if not source.startswith("bot:"):
            return
        bot = self.bots.get(source[4:])
        if bot is not None:
            bot.fills.append(event.fill)
            self.changes += 1

    def stats(self, bot_id: str) -> BotStats:
        bot = self.get(bot_id)
        return compute_stats(
            bot.fills,
            self.engine.instruments,
            self.engine.portfolio.last_prices,
            since_ns=bot.started_ns,
            now_ns=self.engine.clock.now_ns(),
            samples=bot.curve,
        )

    def _net_pnl(self, bot: Bot) -> Decimal:
        total = ZERO
        for (source, _), book in self.engine.portfolio.books.items():
            if source == bot.config.source:
                total += book.realized_pnl + book.unrealized_pnl - book.fees
        return total

    def _realized(self, bot: Bot) -> Decimal:
        total = ZERO
        for (source, _), book in self.engine.portfolio.books.items():
            if source == bot.config.source:
                total += book.realized_pnl - book.fees
        return total

    def _roll_day(self, bot: Bot, now: int) -> None:
        day = now // DAY_NS
        if day != bot.day:
            bot.day = day
            bot.day_start_pnl = self._net_pnl(bot)

    def _day_pnl(self, bot: Bot) -> Decimal:
        self._roll_day(bot, self.engine.clock.now_ns())
        return self._net_pnl(bot) - bot.day_start_pnl

    def sample(self) -> None:
        """Record one point of every active bot's P&L curve (halved when it grows too long)."""
        now = self.engine.clock.now_ns()
        for bot in self.bots.values():
            if bot.state not in (BotState.RUNNING, BotState.PAUSED):
                continue
            self._roll_day(bot, now)
            bot.curve.append((now, self._net_pnl(bot)))
            if len(bot.curve) > MAX_CURVE:
                bot.curve = bot.curve[::2]

    def _ensure_sampler(self) -> None:
        if self._sampler is None or self._sampler.done():
            self._sampler = self.engine.tasks.spawn(
                self._sample_loop(), "bots-sampler", service=True
            )

    async def _sample_loop(self) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(self.sample_interval_s)
            try:
                self.sample()
                ticks += 1
                if ticks % 10 == 0:  # the curve is worth keeping, not worth a write a second
                    for bot in self.bots.values():
                        if bot.state in (BotState.RUNNING, BotState.PAUSED):
                            self._save(bot, bump=False)
            except Exception:
                log.exception("bot sampler failed")

    # --- persistence -------------------------------------------------------------------------
    def _save(self, bot: Bot, *, bump: bool = True) -> None:
        self.store.save(bot.id, bot.record())
        if bump:
            self.changes += 1

    async def restore(self) -> list[str]:
        """Load saved bots; start those that were running (paused ones start paused).
        Returns one line per bot that could not be restored or restarted."""
        problems: list[str] = []
        to_start: list[tuple[Bot, BotState]] = []
        for bot_id in self.store.ids():
            raw = self.store.load(bot_id)
            if raw is None:
                continue
            try:
                config = self.validate(raw.get("config") or {})
            except Exception as exc:  # a strategy that no longer loads must not stop the app
                problems.append(f"bot {bot_id}: saved config is not valid: {exc}")
                log.error("bot %s not restored: %s", bot_id, exc)
                continue
            bot = Bot(config, BotLog(config.id))
            for ts, level, text in raw.get("log") or []:
                bot.log.lines.append(LogLine(int(ts), int(level), str(text)))
            saved = BotState(str(raw.get("state", "stopped")))
            bot.error = raw.get("error")
            bot.started_ns = raw.get("started_ns")
            bot.day = int(raw.get("day", -1))
            bot.day_start_pnl = Decimal(str(raw.get("day_start_pnl", "0")))
            bot.curve = [(int(ts), Decimal(str(v))) for ts, v in raw.get("curve") or []]
            bot.fills = [f for f in self.engine.oms.fills if f.source == config.source]
            bot.state = BotState.ERRORED if saved is BotState.ERRORED else BotState.STOPPED
            self.bots[bot_id] = bot
            bot.log.write(f"restored ({saved.value})")
            if saved in (BotState.RUNNING, BotState.PAUSED):
                to_start.append((bot, saved))
        for bot, saved in to_start:
            try:
                await self.start(bot.id)
                if saved is BotState.PAUSED and bot.state is BotState.RUNNING:
                    self.pause(bot.id)
            except Exception as exc:
                problems.append(f"bot {bot.id}: could not restart: {exc}")
                bot.log.write(f"could not restart: {exc}", logging.ERROR)
        self.changes += 1
        return problems

    async def close(self) -> None:
        """End every bot's task for a shutdown, keeping its saved state (see module doc)."""
        self._unsubscribe()
        if self._sampler is not None:
            self._sampler.cancel()
            await asyncio.gather(self._sampler, return_exceptions=True)
        for bot in self.bots.values():
            active = bot.state in (BotState.RUNNING, BotState.PAUSED)
            await self._halt(bot)
            if active:
                self._save(bot, bump=False)
