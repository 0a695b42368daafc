"""Chart studies, vectorised with numpy over float64 closes.

Every function returns arrays as long as its input, NaN where the study is not warm yet, so
they line up with the candles. Conventions (the usual ones, stated because they differ
between charting packages):

* EMA(n): alpha = 2 / (n + 1), seeded with the SMA of the first n values (first value at
  index n - 1).
* Bollinger(n, k): SMA(n) +/- k population standard deviations of the same window.
* RSI(n), Wilder: first average gain/loss is the simple mean of the first n changes (value at
  index n); then avg = (avg * (n - 1) + x) / n, i.e. an EMA with alpha = 1 / n.
* MACD(f, s, g): EMA(f) - EMA(s); signal = EMA(g) of the MACD line from its first value;
  histogram = MACD - signal.

The recursive averages are computed block-wise: inside a block of B values the recursion
y[k] = d * y[k-1] + a * x[k] has the closed form d^k * (y0 + a * sum_{j<=k} x[j] / d^j), which
numpy evaluates with one cumulative sum. B is chosen so that d^-B stays below 1e8, which keeps
the result within a few ulps of the plain loop (tests compare against that loop).

``*_last`` helpers recompute only the final value from the previous one, so a live update of
the forming candle costs O(window) instead of O(bars).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
_MAX_GROWTH = 1e8


def _nan(n: int) -> F64:
    return np.full(n, np.nan, dtype=np.float64)


def sma(x: F64, n: int) -> F64:
    out = _nan(len(x))
    if len(x) >= n:
        c = np.cumsum(np.concatenate(([0.0], x)))
        # a running sum's rounding error grows with its size, but for prices over 100k bars
        # it stays near 1e-12 relative, far below anything a chart can show
        out[n - 1 :] = (c[n:] - c[:-n]) / n
    return out


def _recursive(x: F64, decay: float, gain: float, y0: float) -> F64:
    """y[k] = decay * y[k-1] + gain * x[k] with y[-1] = y0, block-wise closed form."""
    out = np.empty(len(x), dtype=np.float64)
    if len(x) == 0:
        return out
    block = max(1, int(math.log(_MAX_GROWTH) / -math.log(decay))) if decay < 1 else len(x)
    powers = decay ** np.arange(1, block + 1, dtype=np.float64)
    y = y0
    for start in range(0, len(x), block):
        seg = x[start : start + block]
        p = powers[: len(seg)]
        out[start : start + len(seg)] = p * (y + gain * np.cumsum(seg / p))
        y = float(out[start + len(seg) - 1])
    return out


def ema(x: F64, n: int) -> F64:
    out = _nan(len(x))
    if len(x) < n:
        return out
    seed = float(np.mean(x[:n]))
    out[n - 1] = seed
    alpha = 2.0 / (n + 1)
    out[n:] = _recursive(x[n:], 1.0 - alpha, alpha, seed)
    return out


def bollinger(x: F64, n: int = 20, k: float = 2.0) -> tuple[F64, F64, F64]:
    """(middle, upper, lower)."""
    mid = sma(x, n)
    sd = _nan(len(x))
    if len(x) >= n:
        sd[n - 1 :] = np.lib.stride_tricks.sliding_window_view(x, n).std(axis=1)
    return mid, mid + k * sd, mid - k * sd


def _wilder(x: F64, n: int, size: int) -> F64:
    """Wilder's average of the changes ``x`` (length size - 1), aligned to ``size`` closes."""
    out = _nan(size)
    if len(x) < n:
        return out
    seed = float(np.mean(x[:n]))
    out[n] = seed
    out[n + 1 :] = _recursive(x[n:], 1.0 - 1.0 / n, 1.0 / n, seed)
    return out


def _rsi_from(avg_gain: F64, avg_loss: F64) -> F64:
    with np.errstate(divide="ignore", invalid="ignore"):
        rs = avg_gain / avg_loss
        out = 100.0 - 100.0 / (1.0 + rs)
    # no losses in the window: RSI is 100 (rs is infinite); flat market: 50 by convention
    out[(avg_loss == 0) & (avg_gain > 0)] = 100.0
    out[(avg_loss == 0) & (avg_gain == 0)] = 50.0
    return out


def rsi_parts(close: F64, n: int = 14) -> tuple[F64, F64, F64]:
    """(rsi, avg_gain, avg_loss); the averages let ``rsi_last`` update the forming bar."""
    diff = np.diff(close)
    gain = _wilder(np.maximum(diff, 0.0), n, len(close))
    loss = _wilder(np.maximum(-diff, 0.0), n, len(close))
    return _rsi_from(gain, loss), gain, loss


def rsi(close: F64, n: int = 14) -> F64:
    return rsi_parts(close, n)[0]


def macd(close: F64, fast: int = 12, slow: int = 26, signal: int = 9) -> tuple[F64, F64, F64]:
    """(macd, signal, histogram)."""
    line = ema(close, fast) - ema(close, slow)
    sig = _nan(len(close))
    start = slow - 1
    if len(close) > start:
        sig[start:] = ema(line[start:], signal)
    return line, sig, line - sig


# --- last-value updates (the forming candle changed; everything before it did not) --------
def ema_next(prev: float, x: float, n: int) -> float:
    alpha = 2.0 / (n + 1)
    return prev + alpha * (x - prev)


def wilder_next(prev: float, x: float, n: int) -> float:
    return (prev * (n - 1) + x) / n


def rsi_value(avg_gain: float, avg_loss: float) -> float:
    if avg_loss == 0:
        return 100.0 if avg_gain > 0 else 50.0
    return 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)
