"""The chart panel's data: history, timeframes, live bars, scroll-back, crosshair, studies."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
from pytestqt.qtbot import QtBot

from app.engine.domain.market import Bar, Timeframe
from app.ui.chart import Study
from app.ui.chart.panel import HISTORY_LIMIT
from app.ui.context import UiContext
from tests.ui.chart.helpers import SYMBOL, open_panel, until
from tests.ui.chart.test_series import reference
from tests.ui.chart.test_studies import loop_bollinger, loop_ema, loop_macd, loop_rsi, loop_sma


def rows(bars: list[Bar]) -> dict[int, tuple[float, ...]]:
    return {b.ts: tuple(map(float, (b.open, b.high, b.low, b.close, b.volume))) for b in bars}


async def test_history_loads_and_candles_match(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = await open_panel(ui_ctx, qtbot)
    s = panel.series
    assert len(s) >= HISTORY_LIMIT
    expected = rows(await ui_ctx.data.history(SYMBOL, Timeframe.M1, limit=HISTORY_LIMIT))
    shown = {int(t): s.row(i)[1:] for i, t in enumerate(s.ts)}
    common = sorted(set(expected) & set(shown))
    assert len(common) >= HISTORY_LIMIT - 10  # the feed may have moved on a few minutes
    assert all(shown[t] == expected[t] for t in common)
    assert np.all(np.diff(s.ts) == Timeframe.M1.nanos)
    # the view shows the newest bars, and painting replays cached chunks
    left, right = panel.price.vb.viewRange()[0]
    assert left < s.ts[-1] / 1e9 < right
    panel.grab()
    assert panel.candles.chunks_painted >= 1
    # y fits the candles in view (not the whole history)
    seen = (s.ts >= left * 1e9) & (s.ts <= right * 1e9)
    lo, hi = float(s.low[seen].min()), float(s.high[seen].max())
    y0, y1 = panel.price.vb.viewRange()[1]
    assert y0 <= lo and y1 >= hi and (y1 - y0) < 1.5 * (hi - lo)


async def test_timeframe_switch_reaggregates(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = await open_panel(ui_ctx, qtbot)
    panel.timeframe_box.setCurrentIndex(panel.timeframe_box.findData(Timeframe.M15))
    assert panel.timeframe is Timeframe.M15
    assert panel.history_task is not None
    await panel.history_task
    minutes = await ui_ctx.data.history(SYMBOL, Timeframe.M1, limit=5000)
    ref = {r[0]: r[1:] for r in reference(minutes, Timeframe.M15.nanos)}
    s = panel.series
    assert np.all(s.ts % Timeframe.M15.nanos == 0)
    # every bucket fully covered by the minute history must equal the plain aggregation
    first_full = minutes[0].ts + (-minutes[0].ts) % Timeframe.M15.nanos
    checked = 0
    for i in range(len(s) - 1):  # the last candle is the forming one
        ts = int(s.ts[i])
        if ts >= first_full and ts in ref:
            np.testing.assert_allclose(s.row(i)[1:], ref[ts])
            checked += 1
    assert checked >= 300
    # the forming bucket started from the minutes already closed in it
    assert s.ts[-1] == minutes[-1].ts - minutes[-1].ts % Timeframe.M15.nanos


async def test_live_bars_update_last_candle_and_append_closed(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    panel = await open_panel(ui_ctx, qtbot)
    s = panel.series
    n0, last0 = len(s), int(s.ts[-1])
    await until(lambda: len(s) >= n0 + 2, 6, "closed bars from the feed")
    assert int(s.ts[-1]) > last0 and np.all(np.diff(s.ts) == Timeframe.M1.nanos)
    closed = rows(await ui_ctx.data.history(SYMBOL, Timeframe.M1, limit=3))
    for ts, values in closed.items():
        assert s.row(int(np.searchsorted(s.ts, ts)))[1:] == values  # equal the venue's bars

    # a forming minute (as the venue sends between closes) appends, then moves, the last
    # candle; the cached chunks stay valid, only the last candle is repainted
    ts = int(s.ts[-1]) + Timeframe.M1.nanos
    d = Decimal
    forming = Bar(SYMBOL, Timeframe.M1, d(100), d(101), d(99), d(100.5), d(3), ts, False)
    ui_ctx.bridge.bars.emit([forming])
    n = len(s)
    assert s.row(n - 1) == (ts, 100, 101, 99, 100.5, 3)
    panel.grab()
    cached = dict(panel.candles._chunks)
    assert cached
    moved = Bar(SYMBOL, Timeframe.M1, d(100), d(102), d(98), d(101.5), d(5), ts, False)
    ui_ctx.bridge.bars.emit([moved])
    assert len(s) == n and s.row(n - 1) == (ts, 100, 102, 98, 101.5, 5)
    assert panel.candles._chunks == cached
    panel.grab()
    # the venue's closed bar for that minute replaces the forming values
    await until(lambda: len(s) > n or s.row(n - 1)[1] != 100, 4, "the minute to close")
    venue = rows(await ui_ctx.data.history(SYMBOL, Timeframe.M1, end_ns=ts + 61 * 10**9, limit=1))
    assert s.row(n - 1)[1:] == venue[ts]


async def test_live_minutes_build_higher_timeframe_candle(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = await open_panel(ui_ctx, qtbot, Timeframe.M5)
    s = panel.series
    forming = int(s.ts[-1])
    await until(lambda: int(s.ts[-1]) > forming, 7, "the 5m bucket to close")
    (venue,) = [
        b for b in await ui_ctx.data.history(SYMBOL, Timeframe.M5, limit=3) if b.ts == forming
    ]
    i = int(np.searchsorted(s.ts, forming))
    np.testing.assert_allclose(s.row(i)[1:], rows([venue])[forming])


async def test_panning_to_the_left_edge_loads_older_bars(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = await open_panel(ui_ctx, qtbot, Timeframe.H1)
    s = panel.series
    n0, first0 = len(s), int(s.ts[0])
    span = Timeframe.H1.seconds
    panel.price.setXRange(first0 / 1e9 - 10 * span, first0 / 1e9 + 100 * span, padding=0)
    assert panel.older_task is not None
    await panel.older_task
    assert len(s) > n0 and int(s.ts[0]) < first0
    assert np.all(np.diff(s.ts) > 0)
    expected = rows(await ui_ctx.data.history(SYMBOL, Timeframe.H1, end_ns=first0, limit=50))
    for ts, values in expected.items():
        assert s.row(int(np.searchsorted(s.ts, ts)))[1:] == values


async def test_crosshair_reads_the_bar_under_x(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = await open_panel(ui_ctx, qtbot)
    s = panel.series
    k = len(s) - 30
    ts, o, h, lo, c, v = s.row(k)
    text = panel.crosshair_at(ts / 1e9 + 25)
    local = datetime.fromtimestamp(ts / 1e9, tz=UTC).astimezone()
    assert text.startswith(local.strftime("%Y-%m-%d %H:%M"))
    for label, value in (("O", o), ("H", h), ("L", lo), ("C", c)):
        assert f"{label} {value:,.2f}" in text
    volume = f"{v:,.2f}" if v >= 1 else f"{v:,.8f}".rstrip("0").rstrip(".")
    assert f"V {volume}" in text
    assert panel.crosshair_at(ts / 1e9 - 1e7) == ""  # no bar there


async def test_studies_toggle_and_equal_reference_loops(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = await open_panel(ui_ctx, qtbot, Timeframe.M15)
    for study in Study:
        panel.study_actions[study].trigger()  # as the menu does
    assert panel.study_plots.rsi_pane.isVisible() and panel.study_plots.macd_pane.isVisible()
    panel.grab()
    close = panel.series.close.tolist()
    curves = panel.study_plots.curves

    def same(key: str, ref: list[float]) -> None:
        assert curves[key].isVisible()
        y = curves[key].yData
        np.testing.assert_allclose(y, np.array(ref), rtol=1e-9, atol=1e-7, equal_nan=True)

    same("sma", loop_sma(close, 20))
    same("ema", loop_ema(close, 20))
    for key, ref in zip(
        ("bb_mid", "bb_upper", "bb_lower"), loop_bollinger(close, 20, 2.0), strict=True
    ):
        same(key, ref)
    same("rsi", loop_rsi(close, 14))
    for key, ref in zip(
        ("macd", "macd_signal", "macd_hist"), loop_macd(close, 12, 26, 9), strict=True
    ):
        same(key, ref)
    panel.set_study(Study.RSI, False)
    panel.set_study(Study.SMA, False)
    assert not panel.study_actions[Study.RSI].isChecked()
    assert not panel.study_plots.rsi_pane.isVisible() and not curves["sma"].isVisible()
    assert panel.study_plots.macd_pane.isVisible() and curves["ema"].isVisible()


async def test_dark_and_light_palettes(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = await open_panel(ui_ctx, qtbot)
    panel.set_dark(False)
    assert panel.palette_.background == "#ffffff"
    assert panel.price_widget.backgroundBrush().color().name() == "#ffffff"
    assert panel.candles.palette is panel.palette_
    panel.grab()
    panel.set_dark(True)
    assert panel.price_widget.backgroundBrush().color().name() == panel.palette_.background


async def test_a_stale_history_answer_is_dropped(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = await open_panel(ui_ctx, qtbot, symbol="ETH/USD")
    panel.set_symbol("AAPL")
    first = panel.history_task
    panel.set_symbol(SYMBOL)  # before AAPL's answer is applied
    assert first is not None and panel.history_task is not None
    await first
    await panel.history_task
    expected = rows(await ui_ctx.data.history(SYMBOL, Timeframe.M1, limit=50))
    s = panel.series
    for ts, values in list(expected.items())[:-2]:
        assert s.row(int(np.searchsorted(s.ts, ts)))[1:] == values


async def test_unknown_symbol_shows_why_there_is_no_chart(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = await open_panel(ui_ctx, qtbot)
    messages: list[tuple[str, bool]] = []
    panel.message.connect(lambda text, error: messages.append((text, error)))
    panel.set_symbol("NOPE/USD")
    assert panel.history_task is not None
    await until(lambda: panel.history_task is not None and panel.history_task.done(), 3)
    assert messages and messages[-1][1] and "NOPE/USD" in messages[-1][0]
    assert len(panel.series) == 0


async def test_zoomed_out_view_draws_merged_candles(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = await open_panel(ui_ctx, qtbot)
    s = panel.series
    panel.price.setXRange(s.ts[5] / 1e9, s.ts[-1] / 1e9 + 60, padding=0)
    panel.grab()
    assert panel.candles.chunks_painted >= 1
    levels = {level for level, _ in panel.candles._chunks}
    assert max(levels) >= 1  # 2,000 one-minute candles on ~900 px: merged at least in pairs
