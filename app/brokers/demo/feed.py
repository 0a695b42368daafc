"""One symbol's live stream: walks its timeline bar by bar and turns ticks into domain events.

The feed keeps a cursor (the current bar and the next tick in it). ``emit_until(t)`` appends
every event due at or before demo time ``t``, in order: for each tick a ``QuoteTick`` then
the ``TradeTick`` at that quote's touch, now and then a forming ``Bar`` (closed=False), and at
each minute's end the closed one-minute ``Bar``. Events are appended together with the demo
time they became due, which for a closed bar is its END (its ``ts`` is its open time), so the
market can merge several symbols in time order. ``skip_until(t)`` moves the cursor the same
way but emits only the closed bars (used after a stall).

Per-tick work is only list lookups and object construction: paths come precomputed from
``ticks.make_block`` as plain Python ints, and Decimals come from a per-symbol cache keyed by
the integer number of ticks or lots (exact, and cheap on a hit).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from decimal import Decimal

from app.engine.domain.market import Bar, QuoteTick, Timeframe, TradeTick

from .catalog import DemoSymbol
from .ticks import PathBlock, block_rng, make_block
from .timeline import MINUTE_NS, Timeline

MarketEvent = TradeTick | QuoteTick | Bar

_M1 = Timeframe.M1
_CACHE_LIMIT = 200_000


class DecimalSteps(dict[int, Decimal]):
    """``cache[n]`` is ``n * step`` as an exact Decimal, computed once per distinct ``n``.

    The owner trims it (``SymbolFeed`` clears it past ``_CACHE_LIMIT`` entries at a bar
    boundary), so a miss costs only the Decimal itself."""

    __slots__ = ("step",)

    def __init__(self, step: Decimal) -> None:
        super().__init__()
        self.step = step

    def __missing__(self, key: int) -> Decimal:
        value = Decimal(key) * self.step
        self[key] = value
        return value


class SymbolFeed:
    """The stream of one symbol from a cursor onward (see module docstring)."""

    def __init__(
        self,
        spec: DemoSymbol,
        timeline: Timeline,
        *,
        seed: int,
        symbol_key: int,
        ticks_per_bar: int,
        partial_every: int,
        prices: DecimalSteps,
        lots: DecimalSteps,
        cursor_ns: int,
    ) -> None:
        self.symbol = spec.symbol
        self.timeline = timeline
        self._seed = seed
        self._symbol_key = symbol_key
        self._n = ticks_per_bar
        self._spread_bps = float(spec.spread_bps)
        self._min_spread = spec.min_spread_ticks
        self._block_bars = max(1, 4096 // ticks_per_bar)
        self._block: PathBlock | None = None
        self._px = prices
        self._qx = lots
        # A forming bar is published after every `partial_every`-th tick (0: never); never
        # after the last tick, where the closed bar follows.
        self._partial = [
            partial_every > 0 and (j + 1) % partial_every == 0 and j < ticks_per_bar - 1
            for j in range(ticks_per_bar)
        ]
        self.last_trade: TradeTick | None = None
        self.last_quote: QuoteTick | None = None
        self._load_bar(timeline.bar_index(cursor_ns))
        # Ticks before the cursor belong to the past (already history); skip them.
        self._j = bisect_left(self._ts, cursor_ns)
        self._next_due = self._ts[self._j] if self._j < self._n else self._bar_end

    # --- paths ----------------------------------------------------------------------------
    def block_for(self, k: int) -> PathBlock:
        """The precomputed block holding bar ``k`` (the last one is kept)."""
        block = self._block
        if block is not None and block.k0 <= k < block.k0 + len(block):
            return block
        number = k // self._block_bars
        k0 = number * self._block_bars
        block = make_block(
            k0,
            self.timeline.bars(k0, self._block_bars),
            self._n,
            block_rng(self._seed, self._symbol_key, number, self._n),
            spread_bps=self._spread_bps,
            min_spread_ticks=self._min_spread,
        )
        self._block = block
        return block

    def _load_bar(self, k: int) -> None:
        block = self.block_for(k)
        r = k - block.k0
        start = self.timeline.bar_start(k)
        self._k = k
        self._bar_start = start
        self._bar_end = start + MINUTE_NS
        o, h, low, c, v = block.ohlcv[r].tolist()
        self._bar = (o, h, low, c, v)
        ts, price, size, bid, ask, bid_size, ask_size = block.table[r].tolist()
        self._ts = ts
        self._price = price
        # One tuple per tick, so emitting a run of ticks slices a single list.
        self._rows = list(
            zip(
                range(self._n),
                ts,
                price,
                size,
                bid,
                ask,
                bid_size,
                ask_size,
                self._partial,
                strict=True,
            )
        )
        # Forming bars are rarer than ticks: their running high/low/volume are read from the
        # block when needed instead of converting three more rows for every bar.
        self._row = (block, r)
        self._j = 0
        self._next_due = start
        # Prices wander over loops: start the Decimal caches afresh rather than let them grow.
        if len(self._px) > _CACHE_LIMIT:
            self._px.clear()
        if len(self._qx) > _CACHE_LIMIT:
            self._qx.clear()

    # --- streaming ------------------------------------------------------------------------
    def next_due_ns(self) -> int:
        """Demo time of the next event this feed will emit."""
        return self._next_due

    def emit_until(self, t: int, out: list[MarketEvent], due: list[int]) -> None:
        """Append every event due at or before demo time ``t`` (and its due time)."""
        if t < self._next_due:
            return  # the common case when stepping often: nothing due yet
        n = self._n
        while True:
            j0 = self._j
            if j0 < n:
                j1 = bisect_right(self._ts, t, j0)
                if j1 > j0:
                    self._emit_ticks(j0, j1, out, due)
                    self._j = j1
                if j1 < n:
                    self._next_due = self._ts[j1]
                    return
            if self._bar_end > t:
                self._next_due = self._bar_end
                return
            self._close_bar(out, due)

    def skip_until(self, t: int, out: list[MarketEvent], due: list[int]) -> None:
        """Move the cursor to demo time ``t`` emitting only the closed bars on the way, not
        their ticks (after a stall, a burst of stale ticks helps no one)."""
        if t < self._next_due:
            return
        while self._bar_end <= t:
            self._j = self._n
            self._close_bar(out, due)
        self._j = bisect_right(self._ts, t, self._j)
        self._next_due = self._ts[self._j] if self._j < self._n else self._bar_end

    def _close_bar(self, out: list[MarketEvent], due: list[int]) -> None:
        o, h, low, c, v = self._bar
        px = self._px
        out.append(
            Bar(self.symbol, _M1, px[o], px[h], px[low], px[c], self._qx[v], self._bar_start, True)
        )
        due.append(self._bar_end)
        self._load_bar(self._k + 1)

    def _emit_ticks(self, j0: int, j1: int, out: list[MarketEvent], due: list[int]) -> None:
        symbol = self.symbol
        px, qx = self._px, self._qx
        append, due_append = out.append, due.append
        new_quote, new_trade = QuoteTick, TradeTick  # locals: this loop runs per tick
        quote: QuoteTick | None = None
        trade: TradeTick | None = None
        for j, t, p, s, b, a, bs, as_, partial in self._rows[j0:j1]:
            quote = new_quote(symbol, px[b], px[a], qx[bs], qx[as_], t)
            trade = new_trade(symbol, px[p], qx[s], t)
            append(quote)
            append(trade)
            due_append(t)
            due_append(t)
            if partial:
                append(self._forming_bar(j))
                due_append(t)
        if trade is not None:
            self.last_trade = trade
            self.last_quote = quote

    def _forming_bar(self, j: int) -> Bar:
        px = self._px
        block, r = self._row
        return Bar(
            self.symbol,
            _M1,
            px[self._bar[0]],
            px[int(block.run_high[r, j])],
            px[int(block.run_low[r, j])],
            px[self._price[j]],
            self._qx[int(block.run_volume[r, j])],
            self._bar_start,
            False,
        )

    # --- a snapshot without streaming -------------------------------------------------------
    def snapshot(self, t: int) -> tuple[TradeTick, QuoteTick]:
        """The trade and quote in force at demo time ``t`` (the last tick at or before it),
        computed from the path; does not move the stream."""
        k = self.timeline.bar_index(t)
        block = self.block_for(k)
        r = k - block.k0
        start = self.timeline.bar_start(k)
        j = max(0, bisect_right((block.offsets[r] + start).tolist(), t) - 1)
        ts = int(block.offsets[r, j]) + start
        px, qx = self._px, self._qx
        trade = TradeTick(self.symbol, px[int(block.price[r, j])], qx[int(block.size[r, j])], ts)
        quote = QuoteTick(
            self.symbol,
            px[int(block.bid[r, j])],
            px[int(block.ask[r, j])],
            qx[int(block.bid_size[r, j])],
            qx[int(block.ask_size[r, j])],
            ts,
        )
        return trade, quote
