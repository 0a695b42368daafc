"""Intra-bar paths: the trades and quotes that print while a demo bar forms.

A bar of ``n`` ticks (n >= 4) is played as a path through its four prices:
open -> high -> low -> close when the high is nearer the open (ties go to the high), else
open -> low -> high -> close, the convention of bar-replay backtesters (the nearer extreme
is reached first). The ``n - 1`` steps are shared among the three legs in proportion to their
price length, each leg at least one step, so tick 0 is the open, the last tick is the close
and the high and low are each hit exactly at a leg end. Between those anchors a seeded
Brownian bridge (pinned to zero at every anchor) adds small noise, and the result is clipped
to [low, high] and rounded to whole ticks, so no trade ever leaves the bar's range.

Sizes: the bar's volume (in lots) is split over its ticks with exponential weights; the split
is done on cumulative floors, so the sizes are whole lots that add up exactly to the volume,
each at least one lot (a bar's volume is never below its tick count; see ``Timeline``).

Quotes: each trade prints at the touch. A trade that moved the price up (or, unchanged, at a
coin toss) was a buyer lifting the ask: ask = price, bid = price - spread; otherwise the
seller hit the bid. The spread is ``max(min_spread_ticks, spread_bps of the price)`` plus
0 or 1 tick of jitter, so bid <= price <= ask and bid < ask always; quote sizes are a few
average trade sizes.

Everything for a block of consecutive bars is computed at once with numpy (block size about
4,096 ticks), from a generator seeded by (seed, symbol, block, n): a bar's path depends only on
those, never on when the stream started or how it was stepped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .timeline import MINUTE_NS, BarArrays

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

MIN_TICKS_PER_BAR = 4  # open, two extremes, close
BLOCK_TICKS = 4096
# Bridge noise per step as a fraction of the bar's range, divided by sqrt(n): the largest
# excursion from the straight line stays around a tenth of the range whatever n is.
_NOISE = 0.25
# Tick times: tick j (j >= 1) lies in its slot [j, j + 1) * slot, jittered inside the first
# part of the slot so times strictly increase and stay inside the minute.
_TIME_JITTER = 0.6


@dataclass(frozen=True, slots=True)
class PathBlock:
    """Ticks of bars ``k0 .. k0 + len(bars) - 1``: 2-D arrays, one row per bar, one column
    per tick. Prices are in ticks, sizes in lots, ``offsets`` in ns from the bar's open."""

    k0: int
    bars: BarArrays
    offsets: IntArray
    price: IntArray
    size: IntArray
    bid: IntArray
    ask: IntArray
    bid_size: IntArray
    ask_size: IntArray
    run_high: IntArray
    run_low: IntArray
    run_volume: IntArray
    # For the feed, one tolist() per bar: (bars, 7, n) absolute time, price, size, bid, ask,
    # bid_size, ask_size; and (bars, 5) open, high, low, close, volume.
    table: IntArray
    ohlcv: IntArray

    def __len__(self) -> int:
        return len(self.bars)


def block_rng(seed: int, symbol_key: int, block: int, n: int) -> np.random.Generator:
    """The generator for one block; negative block numbers map into the unsigned range."""
    return np.random.default_rng([seed, symbol_key, block % (1 << 64), n])


def make_block(
    k0: int,
    bars: BarArrays,
    n: int,
    rng: np.random.Generator,
    *,
    spread_bps: float,
    min_spread_ticks: int,
) -> PathBlock:
    """Generate the tick paths of ``bars`` (consecutive demo bars starting at bar ``k0``)."""
    if n < MIN_TICKS_PER_BAR:
        raise ValueError(f"a bar needs at least {MIN_TICKS_PER_BAR} ticks, got {n}")
    rows = len(bars)
    shape = (rows, n)
    price = _price_paths(bars, n, rng)
    size = _split_volume(np.maximum(bars.volume, n), n, rng)

    spread = np.maximum(
        np.rint(price * (spread_bps * 1e-4)).astype(np.int64), min_spread_ticks
    ) + rng.integers(0, 2, size=shape, dtype=np.int64)
    move = np.diff(price, axis=1, prepend=price[:, :1])
    buyer = np.where(move != 0, move > 0, rng.random(shape) < 0.5)
    bid = np.maximum(np.where(buyer, price - spread, price), 1)
    ask = bid + spread

    average = (np.maximum(bars.volume, n) / n)[:, None]
    bid_size = np.maximum(np.rint(average * rng.lognormal(0.5, 0.75, shape)), 1).astype(np.int64)
    ask_size = np.maximum(np.rint(average * rng.lognormal(0.5, 0.75, shape)), 1).astype(np.int64)

    slot = MINUTE_NS / n
    jitter = rng.random(shape) * _TIME_JITTER
    jitter[:, 0] = 0.0  # the first trade prints at the bar's open time
    offsets = np.floor((np.arange(n, dtype=np.float64) + jitter) * slot).astype(np.int64)

    return PathBlock(
        k0=k0,
        bars=bars,
        offsets=offsets,
        price=price,
        size=size,
        bid=bid,
        ask=ask,
        bid_size=bid_size,
        ask_size=ask_size,
        run_high=np.maximum.accumulate(price, axis=1),
        run_low=np.minimum.accumulate(price, axis=1),
        run_volume=np.cumsum(size, axis=1),
        table=np.stack(
            (offsets + bars.ts[:, None], price, size, bid, ask, bid_size, ask_size), axis=1
        ),
        ohlcv=np.stack((bars.open, bars.high, bars.low, bars.close, bars.volume), axis=1),
    )


def _price_paths(bars: BarArrays, n: int, rng: np.random.Generator) -> IntArray:
    o, h, low, c = bars.open, bars.high, bars.low, bars.close
    high_first = (h - o) <= (o - low)
    x1 = np.where(high_first, h, low)
    x2 = np.where(high_first, low, h)
    leg1 = np.abs(x1 - o).astype(np.float64)
    leg2 = np.abs(x2 - x1).astype(np.float64)
    leg3 = np.abs(c - x2).astype(np.float64)
    total = leg1 + leg2 + leg3
    safe_total = np.where(total > 0, total, 1.0)
    share1 = np.where(total > 0, leg1 / safe_total, 1 / 3)
    share2 = np.where(total > 0, (leg1 + leg2) / safe_total, 2 / 3)
    steps = n - 1
    # Anchor tick indices: 0 < a < b < n - 1, so open, both extremes and close are distinct ticks.
    a = np.clip(np.rint(share1 * steps).astype(np.int64), 1, n - 3)
    b = np.clip(np.rint(share2 * steps).astype(np.int64), a + 1, n - 2)

    j = np.arange(n, dtype=np.int64)[None, :]
    a2, b2 = a[:, None], b[:, None]
    first, second = j < a2, j < b2
    p0 = np.where(first, 0, np.where(second, a2, b2))
    p1 = np.where(first, a2, np.where(second, b2, steps))
    v0 = np.where(first, o[:, None], np.where(second, x1[:, None], x2[:, None])).astype(np.float64)
    v1 = np.where(first, x1[:, None], np.where(second, x2[:, None], c[:, None])).astype(np.float64)
    frac = (j - p0) / (p1 - p0)
    base = v0 + (v1 - v0) * frac

    walk = np.cumsum(rng.standard_normal((len(bars), n)), axis=1)
    w0 = np.take_along_axis(walk, p0, axis=1)
    w1 = np.take_along_axis(walk, p1, axis=1)
    bridge = walk - w0 - frac * (w1 - w0)  # zero at every anchor
    sigma = (_NOISE / np.sqrt(n)) * (h - low).astype(np.float64)[:, None]
    path = np.rint(base + sigma * bridge)
    price: IntArray = np.clip(path, low[:, None], h[:, None]).astype(np.int64)
    price[:, 0] = o
    price[:, -1] = c
    return price


def _split_volume(volume: IntArray, n: int, rng: np.random.Generator) -> IntArray:
    """Whole-lot sizes, each >= 1, summing exactly to ``volume`` (which is >= n) per row."""
    extra = (volume - n).astype(np.float64)[:, None]
    weights = rng.exponential(1.0, (len(volume), n))
    cumulative = np.cumsum(weights, axis=1)
    cut = np.floor(cumulative / cumulative[:, -1:] * extra)
    cut = np.clip(cut, 0, extra)
    cut[:, -1] = extra[:, 0]
    sizes: IntArray = np.diff(cut, axis=1, prepend=0.0).astype(np.int64) + 1
    return sizes
