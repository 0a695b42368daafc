"""Invariants that must hold on any input (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.series import BarSeries
from app.strategies.indicators import (
    ADX,
    CCI,
    MFI,
    RSI,
    SMA,
    BollingerBands,
    Donchian,
    Stochastic,
    StochRSI,
    SuperTrend,
    WilliamsR,
)
from tests.strategies.test_indicators_consistency import FACTORIES, assert_same_path

prices = st.floats(min_value=1.0, max_value=1e5, allow_nan=False, allow_infinity=False)


@st.composite
def bar_series(draw: st.DrawFn, min_size: int = 1, max_size: int = 120) -> BarSeries:
    closes = draw(st.lists(prices, min_size=min_size, max_size=max_size))
    n = len(closes)
    c = np.array(closes)
    spreads = draw(
        st.lists(st.floats(min_value=0, max_value=50), min_size=n, max_size=n).map(np.array)
    )
    volume = draw(
        st.lists(st.floats(min_value=0, max_value=1e6), min_size=n, max_size=n).map(np.array)
    )
    ts = np.arange(n, dtype=np.int64) * 60_000_000_000
    return BarSeries(ts, c.copy(), c + spreads, np.maximum(c - spreads, 0.01), c, volume)


periods = st.integers(min_value=1, max_value=30)


@settings(max_examples=60, deadline=None)
@given(s=bar_series(), period=periods)
def test_donchian_brackets_the_window(s: BarSeries, period: int) -> None:
    d = Donchian(period)
    for i, c in enumerate(s.candles()):
        v = d.update_candle(c)
        if i < period - 1:
            assert v is None
            continue
        assert v is not None
        lo = slice(i - period + 1, i + 1)
        assert v.lower <= v.middle <= v.upper
        assert v.upper == s.high[lo].max() and v.lower == s.low[lo].min()
        assert (v.lower <= s.close[lo]).all() and (s.close[lo] <= v.upper).all()


@settings(max_examples=60, deadline=None)
@given(s=bar_series(min_size=2), period=periods)
def test_bounded_oscillators_stay_in_range(s: BarSeries, period: int) -> None:
    candles = s.candles()
    rsi, mfi, wr = RSI(period), MFI(period), WilliamsR(period)
    sto, srsi = Stochastic(period, 3, 2), StochRSI(period, period, 2, 2)
    for c in candles:
        for v in (rsi.update_candle(c), mfi.update_candle(c)):
            assert v is None or 0.0 <= v <= 100.0
        w = wr.update_candle(c)
        assert w is None or -100.0 <= w <= 0.0
        for sv in (sto.update_candle(c), srsi.update_candle(c)):
            eps = 1e-9  # an SMA of values in [0, 100] may round a hair outside
            assert sv is None or (-eps <= sv.k <= 100 + eps and -eps <= sv.d <= 100 + eps)


@settings(max_examples=40, deadline=None)
@given(s=bar_series(min_size=2), period=periods)
def test_adx_and_di_are_percentages(s: BarSeries, period: int) -> None:
    adx = ADX(period)
    for c in s.candles():
        v = adx.update_candle(c)
        if v is not None:
            assert 0.0 <= v.adx <= 100.0 + 1e-9
            assert 0.0 <= v.plus_di <= 100.0 + 1e-9 and 0.0 <= v.minus_di <= 100.0 + 1e-9


@settings(max_examples=60, deadline=None)
@given(s=bar_series(), period=periods, k=st.floats(min_value=0.1, max_value=5))
def test_bollinger_is_ordered_and_symmetric(s: BarSeries, period: int, k: float) -> None:
    bb = BollingerBands(period, k)
    for c in s.candles():
        v = bb.update_candle(c)
        if v is not None:
            assert v.lower <= v.middle <= v.upper
            assert abs((v.upper - v.middle) - (v.middle - v.lower)) <= 1e-9 * abs(v.middle)


@settings(max_examples=60, deadline=None)
@given(x=prices, n=st.integers(1, 200), period=periods)
def test_constant_input_gives_constant_average_and_neutral_oscillators(
    x: float, n: int, period: int
) -> None:
    sma, rsi, cci = SMA(period), RSI(period), CCI(period)
    for _ in range(n):
        a = sma.update(x)
        r = rsi.update(x)
        c = cci.update(x, x, x)
        assert a is None or abs(a - x) <= 1e-12 * x
        assert r is None or r == 50.0
        assert c is None or c == 0.0


@settings(max_examples=40, deadline=None)
@given(s=bar_series(max_size=80), name=st.sampled_from(sorted(FACTORIES)))
def test_warmup_counts_and_batch_agree_on_random_bars(s: BarSeries, name: str) -> None:
    ind = FACTORIES[name]()
    inc = [ind.update_candle(c) for c in s.candles()]
    nones = min(len(inc), ind.warmup - 1)
    assert inc[:nones] == [None] * nones
    assert all(v is not None for v in inc[nones:])
    assert_same_path(inc, ind.batch(s), rel=1e-7)


@settings(max_examples=60, deadline=None)
@given(
    s=bar_series(min_size=20),
    period=st.integers(1, 15),
    multiplier=st.floats(min_value=0.1, max_value=5),
)
def test_supertrend_holds_its_side_until_the_close_crosses(
    s: BarSeries, period: int, multiplier: float
) -> None:
    st_ = SuperTrend(period, multiplier)
    prev_dir = None
    for c in s.candles():
        v = st_.update_candle(c)
        if v is None:
            continue
        assert v.direction in (-1.0, 1.0)
        # a trend that carries on has not been crossed: the line is still on its side
        if prev_dir == v.direction == 1.0:
            assert v.value <= c.close
        if prev_dir == v.direction == -1.0:
            assert v.value >= c.close
        prev_dir = v.direction
