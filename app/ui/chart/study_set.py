"""The values of the studies the trader switched on, kept in step with the bars.

A full recompute happens when the bars change wholesale or a bar is appended; while only the
forming candle moves, each study's last value is recomputed from the one before it (nothing
before the last bar can have changed), so a live update stays O(window).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from app.ui.chart import studies as st
from app.ui.chart.series import F64

SMA_N = EMA_N = BB_N = 20
BB_K = 2.0
RSI_N = 14
MACD_FAST, MACD_SLOW, MACD_SIGNAL = 12, 26, 9
# below this many bars some study is still warming up (its seed includes the last bar), so a
# full recompute is both simpler and cheap
_WARM = MACD_SLOW + MACD_SIGNAL + 1


class Study(StrEnum):
    SMA = "SMA(20)"
    EMA = "EMA(20)"
    BOLLINGER = "Bollinger(20, 2)"
    RSI = "RSI(14)"
    MACD = "MACD(12, 26, 9)"

    @property
    def pane(self) -> bool:
        """Drawn in its own pane below the chart, rather than over the candles."""
        return self in (Study.RSI, Study.MACD)


class StudySet:
    def __init__(self) -> None:
        self.enabled: set[Study] = set()
        self.values: dict[str, F64] = {}
        self._n = 0

    def compute(self, close: F64) -> None:
        self._n = len(close)
        v: dict[str, F64] = {}
        if Study.SMA in self.enabled:
            v["sma"] = st.sma(close, SMA_N)
        if Study.EMA in self.enabled:
            v["ema"] = st.ema(close, EMA_N)
        if Study.BOLLINGER in self.enabled:
            v["bb_mid"], v["bb_upper"], v["bb_lower"] = st.bollinger(close, BB_N, BB_K)
        if Study.RSI in self.enabled:
            v["rsi"], v["rsi_gain"], v["rsi_loss"] = st.rsi_parts(close, RSI_N)
        if Study.MACD in self.enabled:
            fast, slow = st.ema(close, MACD_FAST), st.ema(close, MACD_SLOW)
            line = fast - slow
            signal = np.full(len(close), np.nan)
            if len(close) >= MACD_SLOW:
                signal[MACD_SLOW - 1 :] = st.ema(line[MACD_SLOW - 1 :], MACD_SIGNAL)
            v.update(
                macd=line,
                macd_signal=signal,
                macd_hist=line - signal,
                macd_fast=fast,
                macd_slow=slow,
            )
        self.values = v

    def update_last(self, close: F64) -> None:
        """Only ``close[-1]`` changed since the last compute/update."""
        n = len(close)
        if n != self._n or n <= _WARM:
            self.compute(close)
            return
        c = float(close[-1])
        v = self.values
        if "sma" in v and n >= SMA_N:
            v["sma"][-1] = float(np.mean(close[-SMA_N:]))
        if "ema" in v:
            _step_ema(v["ema"], c, EMA_N)
        if "bb_mid" in v and n >= BB_N:
            window = close[-BB_N:]
            mid, sd = float(np.mean(window)), float(np.std(window))
            v["bb_mid"][-1], v["bb_upper"][-1], v["bb_lower"][-1] = (
                mid,
                mid + BB_K * sd,
                mid - BB_K * sd,
            )
        if "rsi" in v:
            self._update_rsi(close)
        if "macd" in v:
            _step_ema(v["macd_fast"], c, MACD_FAST)
            _step_ema(v["macd_slow"], c, MACD_SLOW)
            line = v["macd"]
            line[-1] = v["macd_fast"][-1] - v["macd_slow"][-1]
            _step_ema(v["macd_signal"], float(line[-1]), MACD_SIGNAL)
            v["macd_hist"][-1] = line[-1] - v["macd_signal"][-1]

    def _update_rsi(self, close: F64) -> None:
        v = self.values
        gain, loss = v["rsi_gain"], v["rsi_loss"]
        prev_gain, prev_loss = float(gain[-2]), float(loss[-2])
        change = float(close[-1] - close[-2])
        gain[-1] = st.wilder_next(prev_gain, max(change, 0.0), RSI_N)
        loss[-1] = st.wilder_next(prev_loss, max(-change, 0.0), RSI_N)
        v["rsi"][-1] = st.rsi_value(float(gain[-1]), float(loss[-1]))


def _step_ema(values: F64, x: float, n: int) -> None:
    values[-1] = st.ema_next(float(values[-2]), x, n)
