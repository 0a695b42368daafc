"""The chart panel: candles and volume for one symbol and timeframe, live, with studies, a
crosshair readout, our fills, and draggable lines for the symbol's working orders.

Data flow: history arrives through ``ctx.data.history`` (spawned; a symbol or timeframe change
meanwhile makes the answer stale and it is dropped), live one-minute bars through
``ctx.bridge.bars`` (folded into the shown timeframe), orders, fills and positions through the
bridge's other signals. Panning to the left edge fetches older bars and prepends them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.engine.domain.fills import Fill
from app.engine.domain.market import Bar, Timeframe
from app.engine.domain.orders import Order
from app.engine.domain.positions import Position
from app.ui.chart.candles import CandleItem, VolumeItem
from app.ui.chart.crosshair import Crosshair
from app.ui.chart.markers import FillMarkers
from app.ui.chart.order_lines import OrderLines
from app.ui.chart.palette import ChartPalette, palette_for
from app.ui.chart.series import BarSeries, LiveAggregator, bars_to_arrays
from app.ui.chart.study_plots import StudyPlots, make_plot
from app.ui.chart.study_set import Study, StudySet
from app.ui.chart.toast import Toast
from app.ui.context import UiContext

HISTORY_LIMIT = 2000  # bars fetched when a symbol or timeframe is shown
OLDER_LIMIT = 2000  # bars fetched each time the trader pans to the left edge
VISIBLE_BARS = 120  # bars in view after a load
RIGHT_MARGIN_BARS = 5  # empty space right of the last candle
EDGE_BARS = 2  # how close to the oldest bar the view must come to fetch older ones
# study curves follow the forming candle at most this often: redrawing them (100k points, up
# to three panes) costs several times the candle itself, and 5 Hz looks live
STUDY_REDRAW_MS = 200


class ChartPanel(QWidget):
    """Signals: ``loaded(str)`` after bars are applied ("history" or "older");
    ``message(str, bool)`` whenever a confirmation or refusal is shown (text, is_error)."""

    loaded = Signal(str)
    message = Signal(str, bool)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.symbol = ""
        self.timeframe = Timeframe.M1
        self.palette_: ChartPalette = palette_for(True)
        self.series = BarSeries(self.timeframe.nanos)
        self.studies = StudySet()
        self._agg = LiveAggregator(self.series)
        self._generation = 0  # bumped on every symbol/timeframe change: stale answers drop
        self._loading = False
        self._loading_older = False
        self._exhausted = False  # the data source has no older bars
        self._backlog: list[Bar] = []  # live bars that arrived while history was loading
        self.history_task: asyncio.Task[None] | None = None
        self.older_task: asyncio.Task[None] | None = None
        self._build()
        self._study_redraw = QTimer(self)
        self._study_redraw.setSingleShot(True)
        self._study_redraw.setInterval(STUDY_REDRAW_MS)
        self._study_redraw.timeout.connect(self._redraw_studies)
        bridge = ctx.bridge
        bridge.bars.connect(self._on_bars)
        bridge.orders.connect(self._on_orders)
        bridge.fills.connect(self._on_fills)
        bridge.positions.connect(self._on_positions)
        self.set_dark(True)

    # --- construction ---------------------------------------------------------------------
    def _build(self) -> None:
        self.symbol_label = QLabel("—")
        self.timeframe_box = QComboBox()
        for tf in Timeframe:
            self.timeframe_box.addItem(tf.value, tf)
        self.timeframe_box.currentIndexChanged.connect(
            lambda i: self.set_timeframe(self.timeframe_box.itemData(i))
        )
        self.study_actions: dict[Study, QAction] = {}
        menu = QMenu(self)
        for study in Study:
            action = menu.addAction(study.value)
            action.setCheckable(True)
            action.toggled.connect(lambda on, s=study: self.set_study(s, on))
            self.study_actions[study] = action
        studies_button = QToolButton()
        studies_button.setText("Studies")
        studies_button.setMenu(menu)
        studies_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.readout = QLabel("")
        self.readout.setObjectName("chartReadout")
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        for w in (self.symbol_label, self.timeframe_box, studies_button):
            bar.addWidget(w)
        bar.addWidget(self.readout, 1)

        self.price_widget = make_plot()
        self.price = self.price_widget.getPlotItem()
        self.volume_widget = make_plot()
        self.volume = self.volume_widget.getPlotItem()
        self.volume.setAxisItems({"bottom": pg.DateAxisItem(orientation="bottom")})
        self.price.hideAxis("bottom")
        self.volume.setXLink(self.price)
        for plot in (self.price, self.volume):
            plot.setMouseEnabled(x=True, y=False)
            plot.enableAutoRange(x=False, y=True)
            plot.setAutoVisible(y=True)
        self.candles = CandleItem(self.series, self.palette_)
        self.volume_bars = VolumeItem(self.series, self.palette_)
        self.price.addItem(self.candles)
        self.volume.addItem(self.volume_bars)
        self.study_plots = StudyPlots(self.price, self.palette_)
        for pane in (self.study_plots.rsi_pane, self.study_plots.macd_pane):
            pane.getPlotItem().setXLink(self.price)
        self.markers = FillMarkers(self.price, self.palette_)
        self.lines = OrderLines(self.ctx, self.price, self.palette_, self._notify)
        self.candles.also_show = self.lines.prices_shown  # the trader always sees the orders
        self.crosshair = Crosshair(self.price, self.series, self.readout)

        splitter = QSplitter(pg.QtCore.Qt.Orientation.Vertical)
        for widget, stretch in (
            (self.price_widget, 6),
            (self.volume_widget, 2),
            (self.study_plots.rsi_pane, 2),
            (self.study_plots.macd_pane, 2),
        ):
            splitter.addWidget(widget)
            splitter.setStretchFactor(splitter.count() - 1, stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        self.toast = Toast(self.price_widget, self.palette_)
        self.price.vb.sigXRangeChanged.connect(self._on_x_range)

    # --- public API -----------------------------------------------------------------------
    def set_symbol(self, symbol: str) -> None:
        if symbol == self.symbol:
            return
        self.symbol = symbol
        self.symbol_label.setText(symbol)
        self.lines.set_symbol(symbol)
        self.markers.set_symbol(symbol, self.ctx.engine.oms.fills)
        self._reload()

    def set_timeframe(self, tf: Timeframe) -> None:
        tf = Timeframe(tf)
        if tf is self.timeframe:
            return
        self.timeframe = tf
        index = self.timeframe_box.findData(tf)
        if index != self.timeframe_box.currentIndex():
            self.timeframe_box.setCurrentIndex(index)  # re-enters here and returns early
        if self.symbol:
            self._reload()

    def set_study(self, study: Study, on: bool) -> None:
        action = self.study_actions[study]
        if action.isChecked() != on:
            action.setChecked(on)  # re-enters through toggled
            return
        if on:
            self.studies.enabled.add(study)
        else:
            self.studies.enabled.discard(study)
        self._recompute_studies()

    def set_dark(self, dark: bool) -> None:
        p = self.palette_ = palette_for(dark)
        widgets = (
            self.price_widget,
            self.volume_widget,
            self.study_plots.rsi_pane,
            self.study_plots.macd_pane,
        )
        for widget in widgets:
            widget.setBackground(p.background)
            plot = widget.getPlotItem()
            for name in ("bottom", "right"):
                axis = plot.getAxis(name)
                axis.setPen(pg.mkPen(p.grid))
                axis.setTextPen(pg.mkPen(p.foreground))
        self.candles.set_palette(p)
        self.volume_bars.set_palette(p)
        self.study_plots.set_palette(p)
        self.markers.set_palette(p)
        self.lines.set_palette(p)
        self.crosshair.set_palette(p)
        self.toast.set_palette(p)

    def drag_line_to(self, client_id: str, price: float) -> asyncio.Task[None]:
        """Do what dropping the order's line at ``price`` does; returns the modify task."""
        return self.lines.drag_to(client_id, price)

    def drag_position_line_to(self, price: float) -> asyncio.Task[None]:
        """Do what dropping the position's entry line at ``price`` does: put (or move) a
        stop-loss there if it is on the losing side of the market, else a take-profit.
        Returns the task placing it; raises ValidationError when there is no position."""
        return self.lines.drag_entry_to(price)

    def line_for(self, client_id: str) -> pg.InfiniteLine | None:
        return self.lines.lines.get(client_id)

    def crosshair_at(self, x: float, y: float | None = None) -> str:
        """Put the crosshair at data x (epoch seconds) and return the readout text."""
        if y is None:
            i = self.series.index_at(x)
            y = float(self.series.close[i]) if i is not None else 0.0
        self.crosshair.move_to(x, y)
        return self.readout.text()

    def load_older(self) -> asyncio.Task[None] | None:
        """Fetch bars older than the first one shown (what panning to the left edge does)."""
        if self._loading or self._loading_older or self._exhausted or not len(self.series):
            return None
        self._loading_older = True
        gen, oldest = self._generation, int(self.series.ts[0])
        self.older_task = self.ctx.spawn(
            self._fetch_older(gen, self.symbol, self.timeframe, oldest),
            f"chart-older {self.symbol} {self.timeframe}",
        )
        return self.older_task

    def show_message(self, text: str, error: bool = False) -> None:
        self._notify(text, error)

    # --- history --------------------------------------------------------------------------
    def _reload(self) -> None:
        self._generation += 1
        self._loading = True
        self._loading_older = False
        self._exhausted = False
        self._backlog.clear()
        self.series = BarSeries(self.timeframe.nanos)
        self._attach_series()
        self.history_task = self.ctx.spawn(
            self._fetch(self._generation, self.symbol, self.timeframe),
            f"chart-history {self.symbol} {self.timeframe}",
        )

    def _attach_series(self) -> None:
        self._agg = LiveAggregator(self.series)
        for item in (self.candles, self.volume_bars):
            item.series = self.series
            item.reset()
            item.informViewBoundsChanged()
        self.crosshair.series = self.series
        self._recompute_studies()

    async def _fetch(self, gen: int, symbol: str, tf: Timeframe) -> None:
        try:
            bars = await self.ctx.data.history(symbol, tf, limit=HISTORY_LIMIT)
            minutes: list[Bar] = []
            if tf is not Timeframe.M1 and bars:
                # the forming bucket is not in the history; its closed minutes are
                start = bars[-1].ts + tf.nanos
                recent = await self.ctx.data.history(symbol, Timeframe.M1, limit=tf.seconds // 60)
                minutes = [b for b in recent if b.ts >= start]
        except Exception as exc:
            if gen == self._generation:
                self._loading = False
                self._notify(f"No chart history for {symbol}: {exc}", True)
            raise
        if gen != self._generation:
            return  # the trader moved on to another symbol or timeframe meanwhile
        self._apply_history(bars, minutes)

    def _apply_history(self, bars: Sequence[Bar], minutes: Sequence[Bar]) -> None:
        ts, ohlcv = bars_to_arrays(bars)
        self.series.replace(ts, ohlcv)
        self._agg.seed(minutes)
        self._loading = False
        backlog, self._backlog = self._backlog, []
        for item in (self.candles, self.volume_bars):
            item.reset()
            item.informViewBoundsChanged()
        self._recompute_studies()
        self._fold(backlog)
        self._show_latest()
        self.loaded.emit("history")

    async def _fetch_older(self, gen: int, symbol: str, tf: Timeframe, oldest: int) -> None:
        try:
            bars = await self.ctx.data.history(symbol, tf, end_ns=oldest, limit=OLDER_LIMIT)
        finally:
            if gen == self._generation:
                self._loading_older = False
        if gen != self._generation:
            return
        ts, ohlcv = bars_to_arrays(bars)
        if self.series.prepend(ts, ohlcv) == 0:
            self._exhausted = True
            return
        for item in (self.candles, self.volume_bars):
            item.reset()
            item.informViewBoundsChanged()
        self._recompute_studies()
        self.loaded.emit("older")

    def _show_latest(self) -> None:
        n = len(self.series)
        if n == 0:
            return
        span = self.timeframe.seconds
        x = self.series.ts
        first = float(x[max(0, n - VISIBLE_BARS)]) / 1e9
        last = float(x[-1]) / 1e9 + span * RIGHT_MARGIN_BARS
        self.price.setXRange(first, last, padding=0)

    def _on_x_range(self, _vb: object, x_range: tuple[float, float]) -> None:
        if len(self.series) and x_range[0] <= self.series.ts[0] / 1e9 + EDGE_BARS * (
            self.timeframe.seconds
        ):
            self.load_older()

    # --- live -----------------------------------------------------------------------------
    def _on_bars(self, bars: list[Bar]) -> None:
        mine = [b for b in bars if b.symbol == self.symbol and b.timeframe is Timeframe.M1]
        if not mine:
            return
        if self._loading:
            self._backlog.extend(mine)
            return
        self._fold(mine)

    def _fold(self, bars: Sequence[Bar]) -> None:
        n_before = len(self.series)
        changed = False
        for bar in bars:
            changed = self._agg.apply(bar) is not None or changed
        if not changed:
            return
        if len(self.series) != n_before:
            for item in (self.candles, self.volume_bars):
                item.appended()
                item.informViewBoundsChanged()
            self._recompute_studies()
            self._follow(n_before)
        else:
            self.candles.last_changed()
            self.volume_bars.last_changed()
            self.studies.update_last(self.series.close)
            if self.studies.enabled and not self._study_redraw.isActive():
                self._study_redraw.start()
            self._rescale_if_outside()

    def _follow(self, n_before: int) -> None:
        """Keep the newest candle in view if the trader was looking at the live edge."""
        if n_before == 0:
            self._show_latest()
            return
        left, right = self.price.vb.viewRange()[0]
        span = self.timeframe.seconds
        previous_end = float(self.series.ts[n_before - 1]) / 1e9 + span
        if left <= previous_end <= right + span:
            shift = float(self.series.ts[-1] - self.series.ts[n_before - 1]) / 1e9
            self.price.setXRange(left + shift, right + shift, padding=0)

    def _rescale_if_outside(self) -> None:
        """Refit y only when the forming candle leaves the visible range: refitting repaints
        the whole view, and most updates stay inside it."""
        _, _o, h, lo, _c, v = self.series.row(len(self.series) - 1)
        y0, y1 = self.price.vb.viewRange()[1]
        if lo < y0 or h > y1:
            self.candles.informViewBoundsChanged()
        if v > self.volume.vb.viewRange()[1][1]:
            self.volume_bars.informViewBoundsChanged()

    def _centres(self) -> np.ndarray:
        return self.series.x + self.timeframe.seconds / 2

    def _recompute_studies(self) -> None:
        self.studies.compute(self.series.close)
        self._redraw_studies()

    def _redraw_studies(self) -> None:
        self._study_redraw.stop()
        self.study_plots.refresh(self._centres(), self.studies)

    # --- orders, fills, positions -----------------------------------------------------------
    def _on_orders(self, orders: list[Order]) -> None:
        if any(o.symbol == self.symbol for o in orders):
            self.lines.update_orders(orders)
            self.candles.informViewBoundsChanged()  # the y range includes the order lines

    def _on_fills(self, fills: list[Fill]) -> None:
        self.markers.add(fills)

    def _on_positions(self, positions: list[Position]) -> None:
        self.lines.update_positions(positions)
        self.candles.informViewBoundsChanged()

    def _notify(self, text: str, error: bool) -> None:
        self.toast.show_message(text, error=error)
        self.message.emit(text, error)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.toast.isVisible():
            self.toast.reposition()
