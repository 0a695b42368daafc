"""SMA over any bar field: the volume average the volume-spike strategy relies on."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.domain.errors import ValidationError
from app.strategies.indicators import SMA
from tests.strategies.conftest import load_ohlcv


def test_volume_sma_matches_a_plain_average_incrementally_and_in_batch() -> None:
    s = load_ohlcv("jesse_test_candles_0_1m.csv")
    sma = SMA(20, source="volume")
    live = [sma.update_candle(c) for c in s.candles()]
    batch = SMA(20, source="volume").batch(s)
    for i in range(19, len(s)):
        expected = float(np.mean(s.volume[i - 19 : i + 1]))
        assert live[i] == pytest.approx(expected, rel=1e-9)
        assert batch[i] == pytest.approx(expected, rel=1e-9)
    assert live[18] is None and batch[18] is None


def test_an_unknown_source_is_refused_by_name() -> None:
    with pytest.raises(ValidationError) as err:
        SMA(5, source="vwap")
    assert err.value.field == "source"
