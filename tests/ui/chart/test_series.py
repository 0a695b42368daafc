"""Bar columns, UTC bucket aggregation and live folding of one-minute bars."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from app.engine.domain.market import Bar, Timeframe
from app.ui.chart.series import BarSeries, LiveAggregator, aggregate, bars_to_arrays

M = 60 * 1_000_000_000
T0 = 1_700_000_000 * 1_000_000_000 // (4 * 60 * M) * (4 * 60 * M)  # a 4h boundary


def minute(i: int, o: float, h: float, lo: float, c: float, v: float, closed: bool = True) -> Bar:
    d = Decimal
    return Bar("X", Timeframe.M1, d(o), d(h), d(lo), d(c), d(v), T0 + i * M, closed)


def reference(bars: list[Bar], span: int) -> list[tuple[int, float, float, float, float, float]]:
    out: dict[int, list[float]] = {}
    for b in bars:
        k = b.ts // span * span
        o, h, lo, c, v = map(float, (b.open, b.high, b.low, b.close, b.volume))
        if k not in out:
            out[k] = [o, h, lo, c, v]
        else:
            r = out[k]
            r[1], r[2], r[3], r[4] = max(r[1], h), min(r[2], lo), c, r[4] + v
    return [(k, *r) for k, r in sorted(out.items())]  # type: ignore[misc]


def test_aggregate_matches_a_plain_loop() -> None:
    rng = np.random.default_rng(0)
    bars = []
    price = 100.0
    for i in range(0, 1000):
        if i % 97 == 13:
            continue  # gaps must not shift buckets
        o = price
        c = o + float(rng.normal())
        bars.append(minute(i, o, max(o, c) + 0.5, min(o, c) - 0.5, c, float(rng.integers(1, 9))))
        price = c
    ts, ohlcv = bars_to_arrays(bars)
    for tf in (Timeframe.M5, Timeframe.M15, Timeframe.H1, Timeframe.H4):
        got_ts, got = aggregate(ts, ohlcv, tf.nanos)
        ref = reference(bars, tf.nanos)
        assert got_ts.tolist() == [r[0] for r in ref]
        np.testing.assert_allclose(got.T, np.array([r[1:] for r in ref]))


def test_live_minutes_fold_into_the_last_bucket() -> None:
    s = BarSeries(Timeframe.M5.nanos)
    ts, ohlcv = bars_to_arrays([minute(-5, 9, 10, 8, 9.5, 1)])
    s.replace(*aggregate(ts, ohlcv, s.span_ns))
    agg = LiveAggregator(s)
    assert agg.apply(minute(-1, 1, 1, 1, 1, 1)) is None  # history has that bucket closed
    assert agg.apply(minute(0, 10, 11, 9, 10.5, 2, closed=False)) == "append"
    assert agg.apply(minute(0, 10, 12, 9, 11, 3, closed=False)) == "update"
    assert s.row(len(s) - 1)[1:] == (10, 12, 9, 11, 3)
    assert agg.apply(minute(0, 10, 12, 9, 11.5, 4)) == "update"  # minute 0 closes
    assert agg.apply(minute(1, 11.5, 13, 11, 12, 5, closed=False)) == "update"
    assert s.row(len(s) - 1)[1:] == (10, 13, 9, 12, 9)  # minute 0 counted once
    assert agg.apply(minute(0, 10, 12, 9, 11.5, 4)) is None  # a replayed closed minute
    assert agg.apply(minute(5, 12, 12, 12, 12, 1, closed=False)) == "append"
    assert len(s) == 3 and s.ts[-1] == T0 + 5 * M


def test_prepend_keeps_order_and_drops_overlap() -> None:
    s = BarSeries(M)
    s.replace(*bars_to_arrays([minute(i, i, i, i, i, 1) for i in range(10, 13)]))
    added = s.prepend(*bars_to_arrays([minute(i, i, i, i, i, 1) for i in range(5, 11)]))
    assert added == 5
    assert s.close.tolist() == [5, 6, 7, 8, 9, 10, 11, 12]
    assert s.index_at((T0 + 7 * M + 30 * 10**9) / 1e9) == 2
    assert s.index_at((T0 + 20 * M) / 1e9) is None


def test_merged_levels_equal_pairwise_aggregation() -> None:
    from app.ui.chart.candles import _levels

    s = BarSeries(M)
    rng = np.random.default_rng(5)
    bars = []
    for i in range(11):  # 10 cached bars (the 11th, the last, is drawn live)
        first, last = float(rng.normal(100, 1)), float(rng.normal(100, 1))
        bars.append(minute(i, first, max(first, last) + 1, min(first, last) - 1, last, i + 1))
    s.replace(*bars_to_arrays(bars))
    x, o, h, lo, c, v = _levels(s, 1)
    assert len(x) == 5
    for k in range(5):
        a, b = bars[2 * k], bars[2 * k + 1]
        assert x[k] == a.ts / 1e9 and o[k] == float(a.open) and c[k] == float(b.close)
        assert h[k] == float(max(a.high, b.high)) and lo[k] == float(min(a.low, b.low))
        assert v[k] == float(a.volume + b.volume)
