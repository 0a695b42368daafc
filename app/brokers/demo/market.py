"""The offline demo market: bundled real candles replayed as a live feed (venue ``demo``).

Replay model
------------
* Timeline (``timeline.py``). Every source bar, whatever its original timeframe (1h BTC,
  daily ETH/LTC/equities), becomes ONE one-minute bar of the demo timeline; bar ``k`` opens
  at ``anchor + k minutes``. The anchor is chosen so that at the market's start the current
  wall-clock minute plays source bar ``offset``, an offset drawn per symbol from the seed, so
  charts show one-minute history ending at the present and symbols start at different points
  of their files. Gaps in the source are compressed (consecutive real bars become consecutive
  minutes); no bar is invented. Series loop forever: after the last bar comes the first, with
  timestamps running on; the series is de-trended once so that the first bar opens exactly
  at the last bar's close (no jump at the seam, and no compounding from loop to loop).
* Clock. ``speed`` demo minutes pass per wall minute (wall seconds per bar = 60 / speed),
  counted from ``start_ns``: ``demo = start + (wall - start) * speed``. At speed 1 demo time
  is wall time; at higher speeds event timestamps run ahead of the wall clock, keeping bars
  one minute apart on the chart.
* Ticks (``ticks.py``). Each bar prints ``ticks_per_second * 60 / speed`` trades (at least 4,
  at most 20,000), along open -> nearer extreme -> other extreme -> close with small seeded
  noise inside [low, high], sizes summing to the bar's volume, and a quote at the touch of
  every trade. The last trade of a bar is at its close; then the closed ``Bar`` (M1,
  closed=True) is emitted. About every ``partial_bar_interval`` wall seconds a forming bar
  (closed=False) is emitted too.
* Volume. A source bar's volume is divided by the minutes it covered (``symbols.json``:
  ``source_bar_minutes``) to give a minute-sized volume, in lots. Every trade prints at least
  one lot, so a bar's volume is at least its tick count: zero-volume source bars still trade.
* Determinism. Paths depend only on (seed, symbol, bar, ticks per bar); with the same seed,
  options and start time, any way of stepping yields the same events.

Driving it
----------
``step(now_ns)`` returns, without sleeping, every event due up to wall time ``now_ns`` for the
subscribed symbols, merged in time order (a closed bar is due at its END). ``run()`` calls it
against the clock and pushes the events into the sink, sleeping until the next one is due.
Use the same clock for ``step`` as the one given to the constructor. If ``run()`` falls more
than 5 wall seconds behind (the machine slept, the loop was blocked), ``fast_forward`` first
delivers the bars closed meanwhile without their ticks, so a stall never turns into a burst.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from operator import itemgetter
from pathlib import Path

import numpy as np

from app.engine.domain.errors import ValidationError
from app.engine.domain.instruments import Instrument
from app.engine.domain.market import Bar, QuoteTick, Timeframe, TradeTick
from app.engine.ports import MarketSink

from .candles import demo_resource
from .catalog import DemoSymbol, load_catalog
from .feed import DecimalSteps, MarketEvent, SymbolFeed
from .ticks import MIN_TICKS_PER_BAR
from .timeline import MINUTE_NS, Timeline, build_series

log = logging.getLogger(__name__)

DEFAULT_TICKS_PER_SECOND = 4.0
MAX_SPEED = 10_000.0  # a demo week in about a wall minute; go faster with step() instead
MAX_TICKS_PER_SECOND = 1_000.0
MAX_TICKS_PER_BAR = 20_000
MAX_HISTORY_LIMIT = 5_000  # like a venue, longer requests are clamped
_MIN_SLEEP = 0.001
_MAX_SLEEP = 0.25
_ERROR_BACKOFF = 1.0
_NUMPY_MERGE_FROM = 256
_MAX_BACKLOG_NS = 5_000_000_000  # run() streams at most this much past wall time as ticks


class DemoMarket:
    """``DataClient`` for the offline demo market (see module docstring for the model).

    Options: ``seed`` (int >= 0), ``speed`` (demo minutes per wall minute, > 0),
    ``ticks_per_second`` (wall-clock trades per second per symbol, one number or a mapping
    symbol -> number), ``symbols`` (restrict to these demo symbols), ``clock`` (returns UTC
    epoch ns), ``start_ns`` (wall time the replay is anchored to; default ``clock()``),
    ``partial_bar_interval`` (wall seconds between forming-bar updates; 0 disables).
    """

    venue = "demo"

    def __init__(
        self,
        *,
        seed: int = 0,
        speed: float = 1.0,
        ticks_per_second: float | Mapping[str, float] = DEFAULT_TICKS_PER_SECOND,
        symbols: Sequence[str] | None = None,
        clock: Callable[[], int] = time.time_ns,
        start_ns: int | None = None,
        partial_bar_interval: float = 1.0,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValidationError("seed", "must be a whole number >= 0", seed)
        speed = _number("speed", speed, maximum=MAX_SPEED)
        partial_bar_interval = _number(
            "partial_bar_interval", partial_bar_interval, maximum=3600.0, allow_zero=True
        )
        if not callable(clock):
            raise ValidationError("clock", "must be a callable returning epoch nanoseconds", clock)
        catalog = {spec.symbol: spec for spec in load_catalog()}
        chosen = list(catalog) if symbols is None else _symbol_list("symbols", symbols, catalog)
        if not chosen:
            raise ValidationError("symbols", "must name at least one demo symbol")
        rates = _rates(ticks_per_second, chosen)
        if start_ns is None:
            start_ns = clock()
        if isinstance(start_ns, bool) or not isinstance(start_ns, int):
            raise ValidationError("start_ns", "must be epoch nanoseconds (int)", start_ns)

        self._seed = seed
        self._speed = speed
        # Speed as an exact ratio of integers, so demo time is monotonic and reproducible.
        rate = Fraction(speed)
        self._num, self._den = rate.numerator, rate.denominator
        self._clock = clock
        self._start_ns = start_ns
        self._sink: MarketSink | None = None
        self._specs = {symbol: catalog[symbol] for symbol in chosen}
        self._ticks_per_bar: dict[str, int] = {}
        self._partial_every: dict[str, int] = {}
        self._timelines: dict[str, Timeline] = {}
        self._prices: dict[str, DecimalSteps] = {}
        self._lots: dict[str, DecimalSteps] = {}
        self._keys: dict[str, int] = {}
        for symbol, spec in self._specs.items():
            n = min(MAX_TICKS_PER_BAR, max(MIN_TICKS_PER_BAR, round(rates[symbol] * 60 / speed)))
            self._ticks_per_bar[symbol] = n
            ticks_per_wall_second = n * speed / 60
            self._partial_every[symbol] = (
                0
                if partial_bar_interval == 0
                else max(1, round(partial_bar_interval * ticks_per_wall_second))
            )
            key = zlib.crc32(symbol.encode())  # stable across processes, unlike hash()
            self._keys[symbol] = key
            series = build_series(spec)
            offset = int(np.random.default_rng([seed, key]).integers(0, len(series)))
            self._timelines[symbol] = Timeline(series, start_ns=start_ns, offset=offset, min_lots=n)
            self._prices[symbol] = DecimalSteps(spec.instrument.tick_size)
            self._lots[symbol] = DecimalSteps(spec.instrument.lot_size)
        self._feeds: dict[str, SymbolFeed] = {}
        self._probes: dict[str, SymbolFeed] = {}

    # --- description ----------------------------------------------------------------------
    def instruments(self) -> list[Instrument]:
        return [spec.instrument for spec in self._specs.values()]

    def instrument(self, symbol: str) -> Instrument:
        return self._spec(symbol).instrument

    def timeline(self, symbol: str) -> Timeline:
        """The symbol's re-timed series (for inspection and tests)."""
        self._spec(symbol)
        return self._timelines[symbol]

    def ticks_per_bar(self, symbol: str) -> int:
        self._spec(symbol)
        return self._ticks_per_bar[symbol]

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def start_ns(self) -> int:
        return self._start_ns

    @property
    def subscribed(self) -> tuple[str, ...]:
        return tuple(self._feeds)

    def demo_ns(self, wall_ns: int | None = None) -> int:
        """Demo time at wall time ``wall_ns`` (default: now by the clock)."""
        wall = self._clock() if wall_ns is None else wall_ns
        return self._start_ns + (wall - self._start_ns) * self._num // self._den

    def wall_ns(self, demo_ns: int) -> int:
        """The first wall time at which demo time has reached ``demo_ns``."""
        elapsed = demo_ns - self._start_ns
        return self._start_ns - (-elapsed * self._den // self._num)

    # --- DataClient -----------------------------------------------------------------------
    def set_market_sink(self, sink: MarketSink) -> None:
        self._sink = sink

    async def subscribe(self, symbols: Sequence[str]) -> None:
        self.subscribe_sync(symbols)

    def subscribe_sync(self, symbols: Sequence[str] | str) -> None:
        """Start streaming ``symbols`` from the current clock time; already streaming ones
        are left alone. All names are checked before any is added."""
        names = _symbol_list("symbol", symbols, self._specs)
        cursor = self.demo_ns()
        for symbol in names:
            if symbol not in self._feeds:
                self._feeds[symbol] = self._new_feed(symbol, cursor)

    async def history(
        self, symbol: str, timeframe: Timeframe, *, end_ns: int | None = None, limit: int = 500
    ) -> list[Bar]:
        return self.history_sync(symbol, timeframe, end_ns=end_ns, limit=limit)

    def history_sync(
        self,
        symbol: str,
        timeframe: Timeframe | str,
        *,
        end_ns: int | None = None,
        limit: int = 500,
    ) -> list[Bar]:
        """Up to ``limit`` closed bars ending before ``end_ns`` (demo time; default now), oldest
        first. Bars of 5m and longer are aggregated from the one-minute bars on UTC
        boundaries. The forming bar, and anything after the present, is never included."""
        spec = self._spec(symbol)
        try:
            frame = Timeframe(timeframe)
        except ValueError:
            raise ValidationError(
                "timeframe", "must be one of " + ", ".join(t.value for t in Timeframe), timeframe
            ) from None
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValidationError("limit", "must be a whole number >= 1", limit)
        limit = min(limit, MAX_HISTORY_LIMIT)
        now = self.demo_ns()
        if end_ns is None:
            end = now
        elif isinstance(end_ns, bool) or not isinstance(end_ns, int):
            raise ValidationError("end_ns", "must be epoch nanoseconds (int)", end_ns)
        else:
            end = min(end_ns, now)
        span = frame.nanos
        last_open = (end // span) * span - span  # the last bucket that has fully closed
        first_open = last_open - (limit - 1) * span
        arrays = self._timelines[spec.symbol].aggregate(first_open, limit, span // MINUTE_NS)
        px, qx = self._prices[symbol], self._lots[symbol]
        return [
            Bar(symbol, frame, px[o], px[h], px[lo], px[c], qx[v], ts, True)
            for ts, o, h, lo, c, v in zip(
                arrays.ts.tolist(),
                arrays.open.tolist(),
                arrays.high.tolist(),
                arrays.low.tolist(),
                arrays.close.tolist(),
                arrays.volume.tolist(),
                strict=True,
            )
        ]

    async def run(self) -> None:
        """Stream into the sink until cancelled (CancelledError propagates). A failing step is
        logged and retried after a pause; a failing sink call is logged and skipped."""
        while True:
            try:
                now = self._clock()
                # After a stall (a laptop asleep, a blocked loop) skip the stale ticks: only
                # the bars closed meanwhile are delivered, then the last moments stream.
                self._deliver(self.fast_forward(now - _MAX_BACKLOG_NS))
                self._deliver(self.step(now))
                delay = self._delay_after(now)
            except Exception:
                log.exception("demo market: step failed; retrying in %.1f s", _ERROR_BACKOFF)
                delay = _ERROR_BACKOFF
            await asyncio.sleep(delay)

    # --- simulated clock ------------------------------------------------------------------
    def step(self, now_ns: int | None = None) -> list[MarketEvent]:
        """Every event due up to wall time ``now_ns`` (default: the clock) for the subscribed
        symbols, in time order; advancing time backwards yields nothing."""
        target = self.demo_ns(now_ns)
        events: list[MarketEvent] = []
        dues: list[int] = []
        sources = 0
        for feed in self._feeds.values():
            before = len(events)
            feed.emit_until(target, events, dues)
            sources += len(events) > before
        if sources < 2:
            return events
        # Merge the per-symbol runs by due time. Stable sorts: per symbol the order is kept,
        # equal times keep subscription order. numpy pays off only for big batches.
        if len(events) < _NUMPY_MERGE_FROM:
            order = sorted(range(len(events)), key=dues.__getitem__)
        else:
            order = np.argsort(np.array(dues, dtype=np.int64), kind="stable").tolist()
        return list(itemgetter(*order)(events))

    def fast_forward(self, now_ns: int) -> list[MarketEvent]:
        """Move every subscribed stream to wall time ``now_ns`` returning only the closed bars
        on the way (no ticks); streams already past it are left alone."""
        target = self.demo_ns(now_ns)
        events: list[MarketEvent] = []
        dues: list[int] = []
        for feed in self._feeds.values():
            feed.skip_until(target, events, dues)
        if len(self._feeds) > 1 and events:
            order = sorted(range(len(events)), key=dues.__getitem__)
            return list(itemgetter(*order)(events))
        return events

    def next_due_ns(self) -> int | None:
        """Demo time of the next event of any subscribed symbol (None if none subscribed)."""
        return min((feed.next_due_ns() for feed in self._feeds.values()), default=None)

    # --- latest values --------------------------------------------------------------------
    def last_trade(self, symbol: str) -> TradeTick:
        """The last trade: the last one streamed, or for a symbol not streamed yet the trade in
        force at the present demo time (from the same deterministic path)."""
        return self._latest(symbol)[0]

    def last_price(self, symbol: str) -> Decimal:
        """The price of ``last_trade``."""
        return self._latest(symbol)[0].price

    def last_quote(self, symbol: str) -> QuoteTick:
        """The best bid/ask, on the same terms as ``last_trade``."""
        return self._latest(symbol)[1]

    def source_file(self, symbol: str) -> Path | None:
        """The bundled candle file behind ``symbol``, on its real clock (the feed replays
        each of its bars as one minute): what a backtest of the symbol should run on."""
        spec = self._specs.get(symbol)
        if spec is None:
            return None
        path = Path(str(demo_resource(spec.file)))
        return path if path.is_file() else None

    # --- internals ------------------------------------------------------------------------
    def _spec(self, symbol: str) -> DemoSymbol:
        spec = self._specs.get(symbol) if isinstance(symbol, str) else None
        if spec is None:
            raise ValidationError("symbol", "unknown demo symbol", symbol)
        return spec

    def _new_feed(self, symbol: str, cursor_ns: int) -> SymbolFeed:
        return SymbolFeed(
            self._specs[symbol],
            self._timelines[symbol],
            seed=self._seed,
            symbol_key=self._keys[symbol],
            ticks_per_bar=self._ticks_per_bar[symbol],
            partial_every=self._partial_every[symbol],
            prices=self._prices[symbol],
            lots=self._lots[symbol],
            cursor_ns=cursor_ns,
        )

    def _latest(self, symbol: str) -> tuple[TradeTick, QuoteTick]:
        self._spec(symbol)
        feed = self._feeds.get(symbol)
        if feed is not None and feed.last_trade is not None and feed.last_quote is not None:
            return feed.last_trade, feed.last_quote
        now = self.demo_ns()
        probe = self._probes.get(symbol)
        if probe is None:
            probe = self._probes[symbol] = self._new_feed(symbol, now)
        return probe.snapshot(now)

    def _deliver(self, events: list[MarketEvent]) -> None:
        sink = self._sink
        if sink is None or not events:
            return
        failures = 0
        for event in events:
            try:
                sink(event)
            except Exception:
                failures += 1
                if failures == 1:
                    log.exception("demo market: the market sink raised on %r", event)
        if failures > 1:
            log.error("demo market: the market sink raised on %d events of one batch", failures)

    def _delay_after(self, now: int) -> float:
        due = self.next_due_ns()
        if due is None:
            return _MAX_SLEEP
        wait = (self.wall_ns(due) - now) / 1e9
        return min(_MAX_SLEEP, max(_MIN_SLEEP, wait))


def _number(name: str, value: object, *, maximum: float, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(name, "must be a number", value)
    number = float(value)
    if not math.isfinite(number):
        raise ValidationError(name, "must be a finite number", value)
    if number < 0 or (number == 0 and not allow_zero):
        raise ValidationError(name, "must be greater than 0" if not allow_zero else ">= 0", value)
    if number > maximum:
        raise ValidationError(name, f"must be at most {maximum:g}", value)
    return number


def _symbol_list(
    field: str, symbols: Iterable[str] | str, known: Mapping[str, object]
) -> list[str]:
    names = [symbols] if isinstance(symbols, str) else list(symbols)
    for name in names:
        if not isinstance(name, str) or name not in known:
            raise ValidationError(
                field, "unknown demo symbol; known: " + ", ".join(sorted(known)), name
            )
    return list(dict.fromkeys(names))


def _rates(option: float | Mapping[str, float], symbols: Sequence[str]) -> dict[str, float]:
    if isinstance(option, Mapping):
        unknown = [s for s in option if s not in symbols]
        if unknown:
            raise ValidationError("ticks_per_second", "names unknown demo symbols", unknown)
        return {
            s: _number(
                f"ticks_per_second[{s}]",
                option.get(s, DEFAULT_TICKS_PER_SECOND),
                maximum=MAX_TICKS_PER_SECOND,
            )
            for s in symbols
        }
    rate = _number("ticks_per_second", option, maximum=MAX_TICKS_PER_SECOND)
    return dict.fromkeys(symbols, rate)
