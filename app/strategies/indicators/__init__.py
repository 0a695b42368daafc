"""Incremental technical indicators (O(1) per bar) with vectorised batch forms.

Every class follows ``Indicator``: ``update(...)`` with its natural inputs,
``update_candle(candle)`` as the uniform feed, ``batch(series)`` / ``batch_arrays(series)``
over history, ``value``, ``warmup`` and ``reset()``.
"""

from app.strategies.indicators.averages import EMA, RMA, SMA, WMA
from app.strategies.indicators.base import (
    ADXValue,
    Bands,
    Indicator,
    MACDValue,
    ScalarIndicator,
    StochValue,
    SuperTrendValue,
)
from app.strategies.indicators.oscillators import CCI, MACD, RSI, Stochastic, StochRSI, WilliamsR
from app.strategies.indicators.trend import ADX, SuperTrend
from app.strategies.indicators.volatility import ATR, BollingerBands, Donchian, Keltner
from app.strategies.indicators.volume import MFI, OBV, VWAP

__all__ = [
    "ADX",
    "ATR",
    "CCI",
    "EMA",
    "MACD",
    "MFI",
    "OBV",
    "RMA",
    "RSI",
    "SMA",
    "VWAP",
    "WMA",
    "ADXValue",
    "Bands",
    "BollingerBands",
    "Donchian",
    "Indicator",
    "Keltner",
    "MACDValue",
    "ScalarIndicator",
    "StochRSI",
    "StochValue",
    "Stochastic",
    "SuperTrend",
    "SuperTrendValue",
    "WilliamsR",
]
