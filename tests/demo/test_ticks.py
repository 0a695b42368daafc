"""Intra-bar tick paths, generated from the real shipped series."""

from __future__ import annotations

import numpy as np
import pytest

from app.brokers.demo.catalog import load_catalog
from app.brokers.demo.ticks import PathBlock, block_rng, make_block
from app.brokers.demo.timeline import MINUTE_NS, Timeline, build_series

from .helpers import T0

SPECS = {spec.symbol: spec for spec in load_catalog()}


def _block(symbol: str, n: int, k0: int, bars: int, seed: int = 7) -> tuple[Timeline, PathBlock]:
    spec = SPECS[symbol]
    timeline = Timeline(build_series(spec), start_ns=T0, offset=0, min_lots=n)
    block = make_block(
        k0,
        timeline.bars(k0, bars),
        n,
        block_rng(seed, 1, k0, n),
        spread_bps=float(spec.spread_bps),
        min_spread_ticks=spec.min_spread_ticks,
    )
    return timeline, block


@pytest.mark.parametrize("symbol", sorted(SPECS))
@pytest.mark.parametrize("n", [4, 5, 17, 240])
def test_paths_follow_the_bar(symbol: str, n: int) -> None:
    rows = max(1, 4096 // n)
    # Blocks from the start, the middle and the end of the file (the last wraps into loop 1).
    length = len(build_series(SPECS[symbol]))
    for k0 in (0, length // 2, length - rows // 2):
        _, block = _block(symbol, n, k0, rows)
        bars, price = block.bars, block.price
        h, low = bars.high[:, None], bars.low[:, None]
        assert np.all(price >= low) and np.all(price <= h), "a trade left [low, high]"
        assert np.array_equal(price[:, 0], bars.open), "first trade is not the open"
        assert np.array_equal(price[:, -1], bars.close), "last trade is not the close"
        assert np.array_equal(price.max(axis=1), bars.high), "the high is never touched"
        assert np.array_equal(price.min(axis=1), bars.low), "the low is never touched"


@pytest.mark.parametrize("symbol", sorted(SPECS))
def test_the_nearer_extreme_comes_first(symbol: str) -> None:
    _, block = _block(symbol, 240, 100, 17)
    bars = block.bars
    for r in range(len(bars)):
        row = block.price[r]
        o, h, low = int(bars.open[r]), int(bars.high[r]), int(bars.low[r])
        if h == low:
            continue
        first_high = int(np.argmax(row == h))
        first_low = int(np.argmax(row == low))
        if h - o < o - low:
            assert first_high < first_low
        elif h - o > o - low:
            assert first_low < first_high


@pytest.mark.parametrize("symbol", sorted(SPECS))
@pytest.mark.parametrize("n", [4, 240])
def test_sizes_add_up_to_the_bar_volume(symbol: str, n: int) -> None:
    rows = max(1, 4096 // n)
    _, block = _block(symbol, n, 0, rows)
    assert np.all(block.size >= 1)
    assert np.array_equal(block.size.sum(axis=1), block.bars.volume)
    assert np.all(block.bars.volume >= n)


def test_zero_volume_bars_still_trade_in_small_sizes() -> None:
    series = build_series(SPECS["BTC/USD"])
    zero = np.flatnonzero(series.volume == 0)
    assert zero.size > 0  # the real file has zero-volume hours
    k = int(zero[0])
    _, block = _block("BTC/USD", 240, k, 1)
    assert block.bars.volume[0] == 240
    assert np.all(block.size[0] == 1)


@pytest.mark.parametrize("symbol", sorted(SPECS))
def test_quotes_surround_every_trade(symbol: str) -> None:
    _, block = _block(symbol, 240, 50, 17)
    assert np.all(block.bid <= block.price)
    assert np.all(block.price <= block.ask)
    assert np.all(block.bid < block.ask)
    assert np.all(block.bid >= 1)
    assert np.all(block.bid_size >= 1) and np.all(block.ask_size >= 1)
    spread = block.ask - block.bid
    # "A couple of ticks or a few bps": never more than the configured bps + 1 tick.
    bps = float(SPECS[symbol].spread_bps)
    limit = np.maximum(np.rint(block.price * bps * 1e-4), SPECS[symbol].min_spread_ticks) + 1
    assert np.all(spread <= limit)


def test_tick_times_increase_inside_the_minute() -> None:
    for n in (4, 240, 5000):
        _, block = _block("ETH/USD", n, 0, max(1, 4096 // n))
        offsets = block.offsets
        assert np.all(offsets[:, 0] == 0)
        assert np.all(np.diff(offsets, axis=1) > 0)
        assert np.all(offsets < MINUTE_NS)


def test_running_values_for_forming_bars() -> None:
    _, block = _block("AAPL", 240, 10, 17)
    assert np.array_equal(block.run_high[:, -1], block.bars.high)
    assert np.array_equal(block.run_low[:, -1], block.bars.low)
    assert np.array_equal(block.run_volume[:, -1], block.bars.volume)


def test_paths_are_seeded() -> None:
    _, a = _block("BTC/USD", 240, 0, 17, seed=1)
    _, b = _block("BTC/USD", 240, 0, 17, seed=1)
    _, c = _block("BTC/USD", 240, 0, 17, seed=2)
    assert np.array_equal(a.price, b.price) and np.array_equal(a.size, b.size)
    assert not np.array_equal(a.price, c.price)


def test_fewer_than_four_ticks_is_refused() -> None:
    timeline = Timeline(build_series(SPECS["SPY"]), start_ns=T0, offset=0, min_lots=3)
    with pytest.raises(ValueError, match="at least 4"):
        make_block(
            0, timeline.bars(0, 1), 3, block_rng(0, 0, 0, 3), spread_bps=1.0, min_spread_ticks=1
        )
