"""The demo timeline: real source bars re-timed onto one-minute slots that loop forever.

Re-timing. Whatever its original timeframe, every source bar becomes ONE one-minute bar of
the demo timeline: bar ``k`` (any integer, negative before the anchor) starts at
``anchor_ns + k minutes`` and replays source bar ``k mod n``. Consecutive source bars become
consecutive minutes, so gaps in the source (weekends, missing hours) are compressed away: no
bar is ever invented, and a loop holds exactly the file's bars in the file's order.

Anchoring. At the market's start minute the timeline is playing source bar ``offset`` (drawn
from the seed), i.e. ``anchor_ns = start_minute - offset minutes``; history therefore ends at
the present and each symbol starts at its own point of its file.

Looping. After the last source bar the first comes again. Scaling each new loop by the
series' end-to-start ratio (close_last / open_first) would make the seam continuous but
compounds without bound (AAPL's file rises 79x: three loops, one demo week at speed 1, would
put it at 500,000x, and a daily chart of 500 bars spans hundreds of loops). Instead the series
is de-trended once: bar ``i``'s OHLC are all multiplied by ``r ** (1 - i / (n - 1))`` with
``r = close_last / open_first``. Each bar keeps its exact shape (the same factor for its four
prices), bar-to-bar returns shift by the constant ``r ** (-1 / (n - 1))`` (0.13% per bar for
AAPL, 0.006% for BTC), the last bar keeps its real prices, and the first bar opens exactly
at the last bar's close. Every loop is then identical in price, the seam has no jump, and
going back any number of loops is free.

Prices are held as integer numbers of ticks and volumes as integer numbers of lots, so the
feed can build exact Decimals (``ticks * tick_size``) and sums of sizes are exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from .candles import load_demo_candles
from .catalog import DemoSymbol

MINUTE_NS = 60_000_000_000

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True, eq=False)  # identity hash: a cache key for range tables
class Series:
    """A symbol's source bars, de-trended, in ticks (prices) and lots (minute volume)."""

    symbol: str
    open: IntArray
    high: IntArray
    low: IntArray
    close: IntArray
    volume: IntArray

    def __len__(self) -> int:
        return int(self.open.shape[0])


@dataclass(frozen=True, slots=True)
class BarArrays:
    """Columns of consecutive demo bars: open times (ns), prices (ticks), volumes (lots)."""

    ts: IntArray
    open: IntArray
    high: IntArray
    low: IntArray
    close: IntArray
    volume: IntArray

    def __len__(self) -> int:
        return int(self.ts.shape[0])


@lru_cache(maxsize=32)
def build_series(spec: DemoSymbol) -> Series:
    """Load the symbol's file and turn it into a loop-ready integer series (cached)."""
    candles = load_demo_candles(spec.file)
    n = len(candles)
    tick = float(spec.instrument.tick_size)
    lot = float(spec.instrument.lot_size)
    ratio = candles.close[-1] / candles.open[0]
    factor = np.exp(np.log(ratio) * (1.0 - np.arange(n, dtype=np.float64) / (n - 1)))

    def ticks(prices: npt.NDArray[np.float64]) -> IntArray:
        scaled: IntArray = np.maximum(np.rint(prices * factor / tick), 1).astype(np.int64)
        return scaled

    o, h, low, c = (
        ticks(candles.open),
        ticks(candles.high),
        ticks(candles.low),
        ticks(candles.close),
    )
    # The seam: the first bar opens at the last close. After rounding they can differ by a
    # tick, so make it exact and keep the first bar's range around its open.
    o[0] = c[-1]
    h = np.maximum(h, np.maximum(o, c))
    low = np.minimum(low, np.minimum(o, c))
    volume = np.rint(candles.volume / spec.source_bar_minutes / lot).astype(np.int64)
    arrays = (o, h, low, c, volume)
    for array in arrays:
        array.setflags(write=False)
    return Series(spec.symbol, *arrays)


class Timeline:
    """One symbol's demo timeline: which source bar plays at which minute, and history.

    ``min_lots`` is the smallest volume a demo bar carries: the feed prints at least one lot
    per trade tick, so a bar's volume is ``max(source volume, ticks per bar)`` lots, and the
    history must report the same figure as the stream.
    """

    __slots__ = ("_prefix", "anchor_ns", "min_lots", "offset", "series")

    def __init__(self, series: Series, *, start_ns: int, offset: int, min_lots: int) -> None:
        self.series = series
        self.offset = offset % len(series)
        start_minute = start_ns // MINUTE_NS
        self.anchor_ns = (start_minute - self.offset) * MINUTE_NS
        self.min_lots = min_lots
        self._prefix: IntArray | None = None

    def __len__(self) -> int:
        return len(self.series)

    def bar_index(self, ts_ns: int) -> int:
        """Index of the demo bar whose minute contains ``ts_ns``."""
        return (ts_ns - self.anchor_ns) // MINUTE_NS

    def bar_start(self, k: int) -> int:
        return self.anchor_ns + k * MINUTE_NS

    def bars(self, k_start: int, count: int) -> BarArrays:
        """Demo bars ``k_start .. k_start + count - 1`` (crossing loops as needed)."""
        ks = np.arange(k_start, k_start + count, dtype=np.int64)
        idx = ks % len(self.series)
        s = self.series
        return BarArrays(
            ts=self.anchor_ns + ks * MINUTE_NS,
            open=s.open[idx],
            high=s.high[idx],
            low=s.low[idx],
            close=s.close[idx],
            volume=np.maximum(s.volume[idx], self.min_lots),
        )

    def aggregate(self, first_bucket_ns: int, buckets: int, minutes: int) -> BarArrays:
        """``buckets`` consecutive bars of ``minutes`` minutes, the first opening at
        ``first_bucket_ns`` (which must lie on a minute boundary).

        The demo timeline has a bar in every minute, so a bucket is exactly ``minutes``
        one-minute bars: open of the first, highest high, lowest low, close of the last,
        summed volume. A bucket is a circular range of the series (it may wrap, or span whole
        loops when longer than the series), answered in O(1) per bucket from sparse tables
        (range max/min) and prefix sums: a daily chart needs no 720,000-minute gather.
        """
        k_first = self.bar_index(first_bucket_ns)
        if minutes == 1:
            return self.bars(k_first, buckets)
        s = self.series
        n = len(s)
        ks = k_first + np.arange(buckets, dtype=np.int64) * minutes
        start = ks % n
        loops, rest = divmod(minutes, n)
        high_table, low_table = _range_tables(s)
        prefix = self._volume_prefix()
        if loops:  # every bar of the series is inside: the extremes are the series' own
            high = np.full(buckets, high_table[0].max(), dtype=np.int64)
            low = np.full(buckets, low_table[0].min(), dtype=np.int64)
        else:
            high = _circular(high_table, start, rest, np.maximum)
            low = _circular(low_table, start, rest, np.minimum)
        end = start + rest  # exclusive; past n means the range wrapped to the beginning
        # prefix[0] == 0, so the wrapped part costs nothing when there is none.
        volume = (
            loops * prefix[n]
            + prefix[np.minimum(end, n)]
            - prefix[start]
            + prefix[np.maximum(end - n, 0)]
        )
        return BarArrays(
            ts=self.anchor_ns + ks * MINUTE_NS,
            open=s.open[start],
            high=high,
            low=low,
            close=s.close[(ks + minutes - 1) % n],
            volume=volume,
        )

    def _volume_prefix(self) -> IntArray:
        prefix = self._prefix
        if prefix is None:
            volume = np.maximum(self.series.volume, self.min_lots)
            prefix = np.concatenate(([0], np.cumsum(volume))).astype(np.int64)
            self._prefix = prefix
        return prefix


@lru_cache(maxsize=32)
def _range_tables(series: Series) -> tuple[IntArray, IntArray]:
    """Sparse tables: row ``j`` holds the max (min) of the 2**j bars starting at each index."""
    return _sparse(series.high, np.maximum), _sparse(series.low, np.minimum)


def _sparse(values: IntArray, pick: np.ufunc) -> IntArray:
    n = len(values)
    levels = max(1, n.bit_length())
    table = np.empty((levels, n), dtype=np.int64)
    table[0] = values
    for j in range(1, levels):
        half = 1 << (j - 1)
        table[j] = table[j - 1]  # tails past the end are never queried
        table[j, : n - half] = pick(table[j - 1, : n - half], table[j - 1, half:])
    table.setflags(write=False)
    return table


def _range(table: IntArray, left: IntArray, length: IntArray, pick: np.ufunc) -> IntArray:
    """``pick`` over ``[left, left + length)`` for each entry (every length >= 1)."""
    level = np.log2(length).astype(np.int64)  # exact for powers of two, floor otherwise
    result: IntArray = pick(table[level, left], table[level, left + length - (1 << level)])
    return result


def _circular(table: IntArray, start: IntArray, length: int, pick: np.ufunc) -> IntArray:
    """``pick`` over the circular ranges ``[start, start + length)`` (0 < length < n)."""
    n = table.shape[1]
    first = np.minimum(start + length, n) - start
    second = length - first  # the part that wrapped to the series' beginning
    head = _range(table, start, first, pick)
    tail = _range(table, np.zeros_like(start), np.maximum(second, 1), pick)
    result: IntArray = np.where(second > 0, pick(head, tail), head)
    return result
