"""Bad parameters are refused with a ValidationError naming the parameter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import pytest

from app.engine.domain.errors import ValidationError
from app.strategies import indicators
from app.strategies.indicators import (
    ADX,
    ATR,
    CCI,
    EMA,
    MACD,
    MFI,
    RMA,
    RSI,
    SMA,
    VWAP,
    WMA,
    BollingerBands,
    Donchian,
    Keltner,
    Stochastic,
    StochRSI,
    SuperTrend,
    WilliamsR,
)

BAD_PERIODS: list[object] = [0, -3, 2.5, True, "14", None]

PERIOD_PARAMS: list[tuple[Callable[..., Any], str]] = [
    (SMA, "period"),
    (EMA, "period"),
    (RMA, "period"),
    (WMA, "period"),
    (RSI, "period"),
    (MACD, "fast"),
    (MACD, "slow"),
    (MACD, "signal"),
    (BollingerBands, "period"),
    (ATR, "period"),
    (ADX, "period"),
    (Stochastic, "k_period"),
    (Stochastic, "d_period"),
    (Stochastic, "smooth"),
    (StochRSI, "rsi_period"),
    (StochRSI, "stoch_period"),
    (StochRSI, "k"),
    (StochRSI, "d"),
    (CCI, "period"),
    (MFI, "period"),
    (WilliamsR, "period"),
    (VWAP, "period"),
    (Keltner, "period"),
    (Keltner, "atr_period"),
    (Donchian, "period"),
    (SuperTrend, "period"),
]


@pytest.mark.parametrize("bad", BAD_PERIODS)
@pytest.mark.parametrize(("cls", "field"), PERIOD_PARAMS)
def test_bad_period_names_the_parameter(cls: Callable[..., Any], field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as err:
        cls(**{field: bad})
    assert err.value.field == field
    assert "integer" in err.value.rule


@pytest.mark.parametrize("bad", [0, -1.5, float("nan"), float("inf"), "2", False])
@pytest.mark.parametrize(
    ("cls", "field"),
    [(BollingerBands, "k"), (Keltner, "multiplier"), (SuperTrend, "multiplier")],
)
def test_bad_multiplier_names_the_parameter(
    cls: Callable[..., Any], field: str, bad: object
) -> None:
    with pytest.raises(ValidationError) as err:
        cls(**{field: bad})
    assert err.value.field == field


def test_macd_fast_must_be_faster_than_slow() -> None:
    with pytest.raises(ValidationError) as err:
        MACD(fast=26, slow=12)
    assert err.value.field == "fast"
    assert MACD(fast=5, slow=6).slow == 6


def test_vwap_anchor_and_session_timestamp() -> None:
    with pytest.raises(ValidationError) as err:
        VWAP(anchor="weekly")
    assert err.value.field == "anchor"
    session = VWAP(anchor="session")
    with pytest.raises(ValidationError) as err:
        session.update(10, 9, 9.5, 100)
    assert err.value.field == "ts"
    assert session.update(10, 9, 9.5, 100, ts=0) == pytest.approx(9.5)


def test_numpy_integers_are_accepted_as_periods() -> None:
    # parameter grids built with numpy hand over numpy integers
    assert SMA(cast(int, np.int64(5))).period == 5


def test_package_exports_every_indicator_and_value_type() -> None:
    for name in indicators.__all__:
        assert hasattr(indicators, name)
    for name in ("MACDValue", "Bands", "ADXValue", "StochValue", "SuperTrendValue", "Indicator"):
        assert name in indicators.__all__
    assert repr(MACD()) == "MACD(fast=12, slow=26, signal=9)"
