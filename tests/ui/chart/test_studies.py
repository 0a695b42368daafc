"""Studies against straightforward loops (the definitions in the module docstring)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.ui.chart import studies as st
from app.ui.chart.study_set import Study, StudySet


def _walk(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 30_000 + np.cumsum(rng.normal(0, 25, n))


def loop_sma(x: list[float], n: int) -> list[float]:
    return [math.nan if i < n - 1 else sum(x[i - n + 1 : i + 1]) / n for i in range(len(x))]


def loop_ema(x: list[float], n: int) -> list[float]:
    out = [math.nan] * len(x)
    if len(x) < n:
        return out
    a = 2 / (n + 1)
    out[n - 1] = sum(x[:n]) / n
    for i in range(n, len(x)):
        out[i] = a * x[i] + (1 - a) * out[i - 1]
    return out


def loop_bollinger(x: list[float], n: int, k: float) -> tuple[list[float], ...]:
    mid, up, low = [], [], []
    for i in range(len(x)):
        if i < n - 1:
            m = sd = math.nan
        else:
            w = x[i - n + 1 : i + 1]
            m = sum(w) / n
            sd = math.sqrt(sum((v - m) ** 2 for v in w) / n)
        mid.append(m)
        up.append(m + k * sd)
        low.append(m - k * sd)
    return mid, up, low


def loop_rsi(x: list[float], n: int) -> list[float]:
    out = [math.nan] * len(x)
    if len(x) <= n:
        return out
    gains = [max(x[i] - x[i - 1], 0.0) for i in range(1, len(x))]
    losses = [max(x[i - 1] - x[i], 0.0) for i in range(1, len(x))]
    g, lo = sum(gains[:n]) / n, sum(losses[:n]) / n

    def value(g: float, lo: float) -> float:
        if lo == 0:
            return 100.0 if g > 0 else 50.0
        return 100 - 100 / (1 + g / lo)

    out[n] = value(g, lo)
    for i in range(n + 1, len(x)):
        g = (g * (n - 1) + gains[i - 1]) / n
        lo = (lo * (n - 1) + losses[i - 1]) / n
        out[i] = value(g, lo)
    return out


def loop_macd(x: list[float], f: int, s: int, g: int) -> tuple[list[float], ...]:
    fast, slow = loop_ema(x, f), loop_ema(x, s)
    line = [a - b for a, b in zip(fast, slow, strict=True)]
    signal = ([math.nan] * (s - 1) + loop_ema(line[s - 1 :], g))[: len(x)]
    hist = [a - b for a, b in zip(line, signal, strict=True)]
    return line, signal, hist


def same(a: np.ndarray, b: list[float]) -> None:
    np.testing.assert_allclose(a, np.array(b), rtol=1e-9, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("n_bars", [0, 5, 19, 20, 21, 700])
def test_sma_ema_bollinger_match_loops(n_bars: int) -> None:
    x = _walk(n_bars)
    xs = x.tolist()
    same(st.sma(x, 20), loop_sma(xs, 20))
    same(st.ema(x, 20), loop_ema(xs, 20))
    for ours, ref in zip(st.bollinger(x, 20, 2.0), loop_bollinger(xs, 20, 2.0), strict=True):
        same(ours, ref)


@pytest.mark.parametrize("n_bars", [0, 14, 15, 16, 40, 3000])
def test_rsi_and_macd_match_loops(n_bars: int) -> None:
    x = _walk(n_bars, seed=7)
    xs = x.tolist()
    same(st.rsi(x, 14), loop_rsi(xs, 14))
    for ours, ref in zip(st.macd(x, 12, 26, 9), loop_macd(xs, 12, 26, 9), strict=True):
        same(ours, ref)


def test_rsi_edge_cases_only_gains_and_flat() -> None:
    up = np.arange(1.0, 40.0)
    assert st.rsi(up, 14)[-1] == 100.0
    flat = np.full(40, 5.0)
    assert st.rsi(flat, 14)[-1] == 50.0


def test_long_series_stays_close_to_the_loop() -> None:
    """The block-wise recursion over 100k values must not drift from the plain loop."""
    x = _walk(100_000, seed=3)
    xs = x.tolist()
    same(st.ema(x, 20)[-1000:], loop_ema(xs, 20)[-1000:])
    same(st.rsi(x, 14)[-1000:], loop_rsi(xs, 14)[-1000:])


def test_study_set_last_value_update_equals_full_recompute() -> None:
    x = _walk(500, seed=11)
    live = StudySet()
    live.enabled = set(Study)
    live.compute(x)
    for price in (x[-1] + 40, x[-1] - 90, x[-1] + 3):
        x[-1] = price
        live.update_last(x)
        full = StudySet()
        full.enabled = set(Study)
        full.compute(x)
        for key, values in full.values.items():
            np.testing.assert_allclose(live.values[key], values, rtol=1e-9, equal_nan=True)
