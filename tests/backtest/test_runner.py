"""run_backtest on hand-made bars: fill modes, costs, sizing, brackets, limits, the open
position at the end, cancellation, progress, and the API's promises (picklable result,
validation before work, usable from inside a running event loop)."""

from __future__ import annotations

import gc
import pickle
from decimal import Decimal

import numpy as np
import pytest

from app.backtest import BacktestConfig, run_backtest
from app.engine.domain.errors import ValidationError
from app.engine.jobs import Cancelled, CancelToken, Progress
from app.engine.sizing import Sizing, SizingMode
from app.strategies.base import Strategy
from tests.backtest.helpers import HOUR_NS, START_NS, Action, bars, scripted

CLOSES = [100.0, 110.0, 120.0, 130.0, 125.0]
OPENS = [100.0, 105.0, 115.0, 128.0, 126.0]


def buy(
    qty: float | None = 1.0,
    *,
    limit: float | None = None,
    stop_loss: float | None = None,
    take_profit: float | None = None,
) -> Action:
    return lambda s: s.buy(qty=qty, limit=limit, stop_loss=stop_loss, take_profit=take_profit)


def close() -> Action:
    return lambda s: s.close()


def fixed(qty: str = "1") -> Sizing:
    return Sizing(SizingMode.FIXED_QTY, Decimal(qty))


def test_close_mode_fills_at_the_signal_bars_close() -> None:
    strat = scripted({1: buy(), 3: close()})
    r = run_backtest(strat, bars(CLOSES, opens=OPENS), {}, BacktestConfig(cash=10_000))
    assert [(f.index, f.side, f.qty, f.price) for f in r.fills] == [
        (1, "buy", 1.0, 110.0),
        (3, "sell", 1.0, 130.0),
    ]
    assert r.equity.tolist() == [10_000, 10_000, 10_010, 10_020, 10_020]
    (t,) = r.trades
    assert (t.entry_index, t.exit_index, t.pnl, t.bars_held, t.open) == (1, 3, 20.0, 2, False)
    assert t.entry_ts == START_NS + 2 * HOUR_NS  # bar 1 closes when bar 2 opens
    assert r.metrics.final_equity == 10_020 and r.metrics.exposure == pytest.approx(2 / 5)


def test_next_open_mode_fills_at_the_next_bars_open() -> None:
    strat = scripted({1: buy(), 3: close()})
    cfg = BacktestConfig(cash=10_000, fill="next_open")
    r = run_backtest(strat, bars(CLOSES, opens=OPENS), {}, cfg)
    assert [(f.index, f.side, f.price) for f in r.fills] == [(2, "buy", 115.0), (4, "sell", 126.0)]
    assert r.trades[0].pnl == 11.0
    assert r.equity.tolist() == [10_000, 10_000, 10_005, 10_015, 10_011]


def test_an_intent_on_the_last_bar_never_executes_in_next_open_mode() -> None:
    strat = scripted({4: buy()})
    r = run_backtest(strat, bars(CLOSES), {}, BacktestConfig(fill="next_open"))
    assert r.fills == [] and r.trades == [] and r.metrics.final_equity == 10_000


def test_fees_and_slippage_worsen_each_fill() -> None:
    strat = scripted({1: buy(), 3: close()})
    cfg = BacktestConfig(cash=10_000, fees_bps=10, slippage_bps=50)
    r = run_backtest(strat, bars(CLOSES), {}, cfg)
    entry, exit_ = r.fills
    assert entry.price == pytest.approx(110 * 1.005) and exit_.price == pytest.approx(130 * 0.995)
    assert entry.fee == pytest.approx(110.55 * 0.001) and exit_.fee == pytest.approx(129.35 * 0.001)
    pnl = 129.35 - 110.55 - 0.11055 - 0.12935
    assert r.trades[0].pnl == pytest.approx(pnl)
    assert r.trades[0].fees == pytest.approx(0.11055 + 0.12935)
    assert r.metrics.final_equity == pytest.approx(10_000 + pnl)
    assert r.metrics.fees == pytest.approx(0.2399)


def test_all_in_spends_the_cash_rounded_down_to_the_lot() -> None:
    strat = scripted({1: buy(None)})
    cfg = BacktestConfig(cash=1_000, fees_bps=10, lot="0.01")
    r = run_backtest(strat, bars(CLOSES), {}, cfg)
    (fill,) = r.fills
    assert fill.qty == 9.08  # 1000 / (110 x 1.001) = 9.0818.. rounded down to 0.01
    cash_left = 1_000 - 9.08 * 110 * 1.001
    assert r.equity[1] == pytest.approx(cash_left + 9.08 * 110)
    (t,) = r.trades
    assert t.open and t.exit_ts is None and t.exit_price is None and t.exit_index is None
    # still open at the end: marked at the last close, not closed
    assert r.metrics.final_equity == pytest.approx(cash_left + 9.08 * 125)
    assert t.pnl == pytest.approx(9.08 * (125 - 110) - 9.08 * 110 * 0.001)
    assert t.bars_held == 3 and r.metrics.trades == 1 and r.metrics.closed_trades == 0


def test_all_in_with_slippage_still_fits_the_cash() -> None:
    strat = scripted({1: buy(None)})
    cfg = BacktestConfig(cash=1_000, fees_bps=10, slippage_bps=20, lot="0.001")
    r = run_backtest(strat, bars(CLOSES), {}, cfg)
    (fill,) = r.fills
    price = 110 * 1.002
    assert fill.qty == pytest.approx(np.floor(1_000 / (price * 1.001) / 0.001) * 0.001)
    assert fill.qty * price * 1.001 <= 1_000 and r.refused == 0


@pytest.mark.parametrize(
    ("sizing", "qty"),
    [
        (Sizing(SizingMode.FIXED_QTY, Decimal("0.5")), 0.5),
        (Sizing(SizingMode.FIXED_NOTIONAL, Decimal("550")), 5.0),
        (Sizing(SizingMode.PCT_EQUITY, Decimal("50")), 45.454),  # 5000 / 110, lot 0.001
        (Sizing(SizingMode.COMPOUNDING, Decimal("1100")), 10.0),
    ],
)
def test_sizing_modes(sizing: Sizing, qty: float) -> None:
    strat = scripted({1: buy(None)})
    r = run_backtest(strat, bars(CLOSES), {}, BacktestConfig(sizing=sizing, lot="0.001"))
    assert r.fills[0].qty == pytest.approx(qty)


def test_compounding_reinvests_realized_profit() -> None:
    strat = scripted({1: buy(None), 3: close(), 4: buy(None)})
    cfg = BacktestConfig(sizing=Sizing(SizingMode.COMPOUNDING, Decimal("1100")), lot="0.001")
    r = run_backtest(strat, bars(CLOSES), {}, cfg)
    # 10 units 110 -> 130 made 200; the next entry sizes 1100 + 200 at 125
    assert r.fills[2].qty == pytest.approx(1300 / 125)


def test_risk_pct_sizes_from_the_stop_distance() -> None:
    strat = scripted({1: buy(None, stop_loss=100.0)})
    cfg = BacktestConfig(sizing=Sizing(SizingMode.RISK_PCT, Decimal("1")), lot="0.001")
    r = run_backtest(strat, bars(CLOSES), {}, cfg)
    assert r.fills[0].qty == pytest.approx(10.0)  # 1 % of 10000 over a 10.0 stop distance


def test_default_stop_loss_fills_where_the_price_crossed_it() -> None:
    # bar 2 falls through 104.5 (5 % under the 110 entry) on its way down to 100
    closes = [100.0, 110.0, 103.0, 104.0]
    s = bars(
        closes, opens=[100, 105, 109, 103], highs=[100, 110, 109, 105], lows=[100, 105, 100, 102]
    )
    strat = scripted({1: buy()})
    cfg = BacktestConfig(sizing=fixed(), stop_loss_pct="5")
    r = run_backtest(strat, s, {}, cfg)
    assert [(f.index, f.side, f.price, f.role) for f in r.fills] == [
        (1, "buy", 110.0, "entry"),
        (2, "sell", 104.5, "stop_loss"),
    ]
    assert r.trades[0].pnl == pytest.approx(-5.5) and not r.trades[0].open


def test_take_profit_from_the_intent() -> None:
    s = bars(
        [100, 110, 118, 119],
        opens=[100, 105, 111, 118],
        highs=[100, 110, 125, 120],
        lows=[100, 105, 110, 117],
    )
    strat = scripted({1: buy(take_profit=121.0)})
    r = run_backtest(strat, s, {}, BacktestConfig(sizing=fixed()))
    assert [(f.index, f.price, f.role) for f in r.fills][1] == (2, 121.0, "take_profit")


def test_a_limit_intent_lives_for_one_bar() -> None:
    s = bars(
        [100, 110, 108, 100, 101],
        opens=[100, 105, 109, 107, 100],
        highs=[100, 110, 109, 107, 102],
        lows=[100, 105, 106, 99, 100],
    )
    # bar 2 never trades at 105: the order is canceled; bar 3 reaching 99 changes nothing
    r = run_backtest(scripted({1: buy(limit=105.0)}), s, {}, BacktestConfig(sizing=fixed()))
    assert r.fills == []
    # a limit the next bar trades through fills at its price
    r = run_backtest(scripted({2: buy(limit=103.0)}), s, {}, BacktestConfig(sizing=fixed()))
    assert [(f.index, f.price) for f in r.fills] == [(3, 103.0)]


def test_sell_while_flat_is_ignored_on_a_spot_account() -> None:
    r = run_backtest(scripted({1: lambda st: st.sell(qty=1.0)}), bars(CLOSES), {}, BacktestConfig())
    assert r.fills == [] and any("spot" in m for m in r.messages)


def test_strategy_hears_its_fills_and_sees_its_position() -> None:
    seen: dict[str, object] = {}

    def record(st: Strategy) -> None:
        seen["fills"] = list(st.fills)  # type: ignore[attr-defined]
        seen["positions"] = list(st.positions)  # type: ignore[attr-defined]
        seen["equity"] = st.equity
        seen["entry"] = st.entry_price
        seen["history"] = len(st.history(3))

    strat = scripted({1: buy(2.0), 3: record})
    run_backtest(strat, bars(CLOSES), {}, BacktestConfig())
    assert [f.qty for f in seen["fills"]] == [2.0]  # type: ignore[attr-defined]
    assert seen["positions"] == [0.0, 0.0, 2.0, 2.0]
    assert seen["equity"] == pytest.approx(10_000 - 220 + 260)
    assert seen["entry"] == 110.0 and seen["history"] == 3


def test_intents_during_warm_up_are_ignored() -> None:
    from tests.backtest.helpers import Cross

    class Eager(Cross):
        def on_bar(self, bar: object) -> None:
            self.buy(qty=1.0)

    r = run_backtest(Eager, bars([100.0 + i for i in range(12)]), {}, BacktestConfig())
    assert r.fills[0].index == 7  # SMA(8) is warm after 8 bars: index 7


def test_cancel_token_stops_the_run() -> None:
    s = bars(np.linspace(100, 200, 5000).tolist())
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run_backtest(scripted({}), s, {}, BacktestConfig(), cancel=token)

    class SetOnSecondLook:
        looks = 0

        def is_set(self) -> bool:
            self.looks += 1
            return self.looks >= 2

        def set(self) -> None:
            pass

    event = SetOnSecondLook()
    with pytest.raises(Cancelled):
        run_backtest(scripted({}), s, {}, BacktestConfig(), cancel=CancelToken(event))
    assert event.looks == 2  # checked at bar 0, then again a few thousand bars later


def test_progress_reports_start_and_end() -> None:
    s = bars(np.linspace(100, 200, 5000).tolist())
    reports: list[Progress] = []
    run_backtest(scripted({}), s, {}, BacktestConfig(), progress=reports.append)
    assert reports[0].done == 0 and reports[0].total == 5000
    assert reports[-1].done == 5000 and reports[-1].fraction == 1.0
    assert reports[-1].eta_s == 0.0
    assert [r.done for r in reports] == sorted(r.done for r in reports)


def test_result_is_picklable_and_names_what_ran() -> None:
    r = run_backtest(scripted({1: buy(), 3: close()}), bars(CLOSES), {}, BacktestConfig())
    back = pickle.loads(pickle.dumps(r))
    assert back.metrics == r.metrics and back.trades == r.trades and back.fills == r.fills
    assert np.array_equal(back.equity, r.equity) and back.config == r.config
    assert r.strategy_id == "scripted" and r.symbol == "TEST/USD"


def test_validation_happens_before_any_work() -> None:
    with pytest.raises(ValidationError, match="unknown strategy"):
        run_backtest("no_such_strategy", bars(CLOSES), {}, BacktestConfig())
    with pytest.raises(ValidationError) as err:
        run_backtest("sma_cross", bars(CLOSES), {"fast": 50, "slow": 20}, BacktestConfig())
    assert err.value.field == "fast"
    with pytest.raises(ValidationError) as err:
        run_backtest("sma_cross", bars(CLOSES), {"speed": 1}, BacktestConfig())
    assert err.value.field == "speed"
    with pytest.raises(ValidationError, match="no bars"):
        run_backtest(scripted({}), bars(CLOSES).slice(0, 0), {}, BacktestConfig())


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"cash": 0}, "cash"),
        ({"fees_bps": -1}, "fees_bps"),
        ({"slippage_bps": "x"}, "slippage_bps"),
        ({"fill": "tomorrow"}, "fill"),
        ({"lot": 0}, "lot"),
        ({"stop_loss_pct": 100}, "stop_loss_pct"),
        ({"cash": float("nan")}, "cash"),
    ],
)
def test_config_is_validated(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        BacktestConfig(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


async def test_runs_from_inside_a_running_event_loop() -> None:
    r = run_backtest(scripted({1: buy(), 3: close()}), bars(CLOSES), {}, BacktestConfig())
    assert r.trades[0].pnl == 20.0


def test_gc_thresholds_are_restored_after_a_run() -> None:
    before = gc.get_threshold()
    run_backtest(scripted({1: buy()}), bars(CLOSES), {}, BacktestConfig())
    assert gc.get_threshold() == before
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):  # a run that ends in an exception restores them too
        run_backtest(scripted({}), bars(CLOSES), {}, BacktestConfig(), cancel=token)
    assert gc.get_threshold() == before


def test_on_stop_is_called_once_at_the_end() -> None:
    strat = scripted({})
    run_backtest(strat, bars(CLOSES), {}, BacktestConfig())
    assert strat.stopped == [5]
