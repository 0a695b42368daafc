"""One running bot: a strategy instance per symbol, fed from the engine's bus, trading
through the engine's facade.

Every event a bot reacts to (closed bars, trades when the strategy wants them, its own
fills) is queued by a bus handler and handled by the bot's own task, so strategy code never
runs inside the bus's dispatch, and an exception in it ends that task alone: the runner
reports it (with its traceback) and the manager marks the bot ERRORED; other bots and the
engine carry on.

Per symbol (``SymbolContext``, the strategy's ``StrategyContext``): bars are aggregated from
the bus's closed one-minute bars into the bot's timeframe, a ring of recent bars backs
``history(n)``, ``position()``/``entry_price()`` read the account's REAL position on the
symbol (a manual order on it is seen), intents become orders (``orders.build_request``) sent
with ``engine.place_order`` as supervised tasks, one order in flight at a time.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.bots.aggregator import MINUTE_NS, BarAggregator
from app.bots.config import BotConfig
from app.bots.orders import Account, build_request, check_limits
from app.engine.bus import Priority
from app.engine.domain.errors import ValidationError
from app.engine.domain.events import FillRecorded
from app.engine.domain.market import Bar, Timeframe, TradeTick
from app.engine.domain.orders import Order, OrderRequest
from app.engine.engine import TradingEngine
from app.engine.series import BarSeries, Candle
from app.strategies.base import OrderIntent, Sentiment, Strategy, StrategyFill

logger = logging.getLogger("app.bots")

#: past bars of a symbol: the demo market answers at once, a real venue over the network
HistorySource = Callable[[str, Timeframe, int], Sequence[Bar] | Awaitable[Sequence[Bar]]]
SentimentSource = Callable[[str], Sentiment | None]
WARMUP_MARGIN = 20
MIN_RING = 500
HOUR_NS = 3600 * 1_000_000_000
PROTECTIVE = ("stop_loss", "take_profit")


@dataclass(frozen=True, slots=True)
class LogLine:
    ts: int  # wall clock, UTC epoch ns
    level: int
    text: str


class BotLog:
    """The bot's recent log lines (a ring), each also sent to the ``app.bots`` logger."""

    def __init__(self, bot_id: str, size: int = 500) -> None:
        self.bot_id = bot_id
        self.lines: deque[LogLine] = deque(maxlen=size)
        self.count = 0  # lines ever written: lets a view tell that something new arrived

    def write(self, text: str, level: int = logging.INFO) -> None:
        self.lines.append(LogLine(time.time_ns(), level, text))
        self.count += 1
        logger.log(level, "bot %s: %s", self.bot_id, text)

    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


class SymbolContext:
    """The ``StrategyContext`` of one strategy instance (one bot, one symbol)."""

    def __init__(self, runner: BotRunner, symbol: str, strategy_cls: type[Strategy]) -> None:
        self.runner = runner
        self.symbol = symbol
        self.timeframe = runner.config.timeframe.value
        self.inst = runner.engine.instruments[symbol]
        self.aggregator = BarAggregator(runner.config.timeframe)
        self.strategy = strategy_cls(self, runner.config.params)
        self.strategy.on_start()
        self.ring: deque[Candle] = deque(maxlen=max(MIN_RING, self.strategy.warmup * 2))
        self.wants_ticks = type(self.strategy).on_tick is not Strategy.on_tick
        # after a restart the bot's entry order may still be working: it is still pending
        working = [
            o
            for o in runner.engine.oms.working(symbol, runner.config.source)
            if o.role not in PROTECTIVE
        ]
        self.order: Order | None = working[-1] if working else None
        self.in_flight = False
        self.dropped_warmup = 0

    # --- StrategyContext --------------------------------------------------------------------
    def position(self) -> float:
        return float(self.runner.engine.portfolio.position_qty(self.symbol))

    def entry_price(self) -> float | None:
        pos = self.runner.engine.portfolio.positions.get(self.symbol)
        if pos is None or pos.quantity == 0:
            return None
        return float(pos.avg_price)

    def equity(self) -> float:
        return float(self.runner.engine.portfolio.equity())

    def cash(self) -> float:
        return float(self.runner.engine.portfolio.cash)

    def history(self, n: int) -> BarSeries:
        rows = list(self.ring)[-n:] if n > 0 else []
        return BarSeries.from_candles(rows, self.symbol, self.timeframe)

    def now_ns(self) -> int:
        return self.runner.engine.clock.now_ns()

    def pending(self) -> bool:
        return self.in_flight or (self.order is not None and not self.order.is_terminal)

    def log(self, message: str) -> None:
        self.runner.log.write(self._prefixed(message))

    def sentiment(self) -> Sentiment | None:
        source = self.runner.sentiment
        return None if source is None else source(self.symbol)

    def submit(self, intent: OrderIntent) -> None:
        runner = self.runner
        if not runner.trading:
            self.dropped_warmup += 1  # warm-up: the strategy is only catching up
            return
        what = _describe(intent)
        if runner.paused:
            self.log(f"paused: dropped {what}")
            return
        if self.pending():
            self.log(f"an order is pending: dropped {what}")
            return
        engine = runner.engine
        acct = Account(
            position=engine.portfolio.position_qty(self.symbol),
            last_price=engine.portfolio.last_prices.get(self.symbol),
            equity=engine.portfolio.equity(),
            cash=engine.portfolio.cash,
            realized=runner.realized(),
        )
        try:
            req = build_request(intent, runner.config, self.inst, acct)
            check_limits(
                req,
                runner.config,
                acct,
                orders_last_hour=runner.orders_last_hour(),
                day_pnl=runner.day_pnl,
            )
        except ValidationError as exc:
            self.log(f"skipped {what}: {exc}")
            return
        self.in_flight = True
        runner.note_sent()
        engine.tasks.spawn(self._place(req, what), f"{runner.config.source}:{self.symbol}:order")

    # --- internals --------------------------------------------------------------------------
    def _prefixed(self, message: str) -> str:
        return message if len(self.runner.config.symbols) == 1 else f"[{self.symbol}] {message}"

    async def _place(self, req: OrderRequest, what: str) -> None:
        engine = self.runner.engine
        try:
            if req.role == "close":
                # a resting take-profit holds the very coins the close must sell (spot)
                for child in engine.oms.working(self.symbol, req.source):
                    if child.role in PROTECTIVE:
                        await engine.oms.cancel(child.client_id, "bot closes the position")
            order = await engine.place_order(req)
            self.order = order
            self.log(
                f"{what}: {req.side.value} {order.quantity} {self.symbol} {order.type.value} "
                f"-> {order.client_id} {order.status.value}"
            )
        except ValidationError as exc:  # the risk gate (RiskDenied) or the bracket check
            self.log(f"refused {what}: {exc}")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.runner.log.write(
                self._prefixed(f"sending {what} failed: {type(exc).__name__}: {exc}"),
                logging.ERROR,
            )
        finally:
            self.in_flight = False

    def warm_up(self, bars: Sequence[Bar]) -> int:
        """Feed closed history bars (the bot's timeframe) with trading still disabled."""
        fed = 0
        for bar in bars:
            if not bar.closed:
                continue
            self.feed(Candle.from_bar(bar))
            self.aggregator.seed_last(bar.ts + self.aggregator.span - MINUTE_NS)
            fed += 1
        return fed

    def feed(self, candle: Candle) -> None:
        self.ring.append(candle)
        self.strategy.feed(candle)

    def on_bar(self, bar: Bar) -> None:
        for candle in self.aggregator.add(bar):
            self.feed(candle)


def _describe(intent: OrderIntent) -> str:
    kind = "close" if intent.close else intent.side.value
    return f"{kind}{f' ({intent.tag})' if intent.tag else ''}"


class BotRunner:
    """Runs one bot until cancelled or until its strategy code raises."""

    def __init__(
        self,
        config: BotConfig,
        strategy_cls: type[Strategy],
        engine: TradingEngine,
        log: BotLog,
        *,
        history: HistorySource | None,
        sentiment: SentimentSource | None,
        realized: Callable[[], Decimal],
        day_pnl: Callable[[], Decimal],
        on_fail: Callable[[str], None],
    ) -> None:
        self.config = config
        self.strategy_cls = strategy_cls
        self.engine = engine
        self.log = log
        self.history = history
        self.sentiment = sentiment
        self.realized = realized
        self.day_pnl = day_pnl
        self.on_fail = on_fail
        self.trading = False
        self.paused = False
        self.contexts: dict[str, SymbolContext] = {}
        self.queue: asyncio.Queue[Bar | TradeTick | FillRecorded] = asyncio.Queue()
        self._sent: deque[int] = deque()
        self._unsubscribe: list[Callable[[], None]] = []
        self.warmed = asyncio.Event()

    # --- limits ------------------------------------------------------------------------------
    def note_sent(self) -> None:
        self._sent.append(self.engine.clock.now_ns())

    def orders_last_hour(self) -> int:
        cutoff = self.engine.clock.now_ns() - HOUR_NS
        while self._sent and self._sent[0] <= cutoff:
            self._sent.popleft()
        return len(self._sent)

    # --- the task ----------------------------------------------------------------------------
    async def run(self) -> None:
        try:
            await self._start()
            self.warmed.set()
            while True:
                self._handle(await self.queue.get())
        except asyncio.CancelledError:
            raise
        except Exception:
            self.trading = False
            self._unsubscribe_all()
            self.warmed.set()
            self.on_fail(traceback.format_exc())
        finally:
            self._unsubscribe_all()
            self.warmed.set()  # a start() waiting on a cancelled warm-up must not hang

    async def _start(self) -> None:
        bus, put = self.engine.bus, self.queue.put_nowait
        for symbol in self.config.symbols:
            self.contexts[symbol] = ctx = SymbolContext(self, symbol, self.strategy_cls)
            # subscribe before reading history: live bars that arrive while it loads wait in
            # the queue, and bars the history already holds are skipped by the aggregator
            self._unsubscribe.append(
                bus.subscribe(Bar, put, priority=Priority.STRATEGY, symbol=symbol)
            )
            if ctx.wants_ticks:
                self._unsubscribe.append(
                    bus.subscribe(TradeTick, put, priority=Priority.STRATEGY, symbol=symbol)
                )
        source = self.config.source
        self._unsubscribe.append(
            bus.subscribe(
                FillRecorded,
                lambda e: put(e) if e.fill.source == source else None,
                priority=Priority.STRATEGY,
            )
        )
        for symbol, ctx in self.contexts.items():
            need = ctx.strategy.warmup + WARMUP_MARGIN
            bars = await self._history(symbol, self.config.timeframe, need)
            fed = ctx.warm_up(bars)
            if self.config.timeframe is not Timeframe.M1:
                # the bucket in progress: its minutes so far, so the first live bar is whole
                span = self.config.timeframe.nanos // MINUTE_NS
                for minute in await self._history(symbol, Timeframe.M1, int(span)):
                    ctx.on_bar(minute)
            self.log.write(
                f"{symbol}: warmed up on {fed} {ctx.timeframe} bars "
                f"(strategy needs {ctx.strategy.warmup})"
            )
        self.trading = True

    async def _history(self, symbol: str, timeframe: Timeframe, limit: int) -> Sequence[Bar]:
        if self.history is None or limit <= 0:
            return ()
        try:
            bars = self.history(symbol, timeframe, limit)
            return await bars if inspect.isawaitable(bars) else bars
        except Exception as exc:  # no history is a slower start, not a broken bot
            self.log.write(f"{symbol}: no warm-up history: {exc}", logging.WARNING)
            return ()

    def _handle(self, event: Bar | TradeTick | FillRecorded) -> None:
        if isinstance(event, Bar):
            ctx = self.contexts.get(event.symbol)
            if ctx is not None and event.closed and event.timeframe is Timeframe.M1:
                ctx.on_bar(event)
        elif isinstance(event, TradeTick):
            ctx = self.contexts.get(event.symbol)
            if ctx is not None:
                ctx.strategy.on_tick(float(event.price), float(event.size), event.ts)
        else:
            fill = event.fill
            ctx = self.contexts.get(fill.symbol)
            if ctx is not None:
                ctx.strategy.on_fill(
                    StrategyFill(
                        fill.side, float(fill.quantity), float(fill.price), float(fill.fee), fill.ts
                    )
                )

    def _unsubscribe_all(self) -> None:
        while self._unsubscribe:
            self._unsubscribe.pop()()

    def stop_strategies(self) -> None:
        """``on_stop`` of every instance; a failure there is logged, not raised."""
        for symbol, ctx in self.contexts.items():
            try:
                ctx.strategy.on_stop()
            except Exception:
                self.log.write(
                    f"{symbol}: on_stop failed:\n{traceback.format_exc()}", logging.ERROR
                )
