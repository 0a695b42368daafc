"""Drawing the studies: overlay curves on the price plot, and the RSI and MACD panes.

Curves clip to the view and downsample (peak), so a 100,000-bar study costs what is visible
(see ``make_plot``).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.ui.chart.palette import ChartPalette
from app.ui.chart.series import F64
from app.ui.chart.study_set import Study, StudySet

AXIS_WIDTH = 70  # every pane's price axis has the same width so the x axes line up


def _curve() -> pg.PlotDataItem:
    return pg.PlotDataItem(connect="finite")


def make_plot() -> pg.PlotWidget:
    # no ``name=``: named views live in a process-wide registry that outlives the widget
    widget = pg.PlotWidget()
    plot = widget.getPlotItem()
    plot.hideAxis("left")
    plot.showAxis("right")
    plot.getAxis("right").setWidth(AXIS_WIDTH)
    plot.setMenuEnabled(False)
    # x follows the price pane (linked); an x auto-range would also stop the curves from
    # clipping to the view, and they would draw all their points on every repaint
    plot.enableAutoRange(x=False)
    # set on the plot, not the curve: PlotItem.addItem overwrites a curve's own choice
    plot.setClipToView(True)
    plot.setDownsampling(auto=True, mode="peak")
    plot.hideButtons()
    # no grid: pyqtgraph draws it in the axis item, which then spans the plot and is
    # repainted (every tick label included) by any live update; it tripled the update cost
    return widget


class StudyPlots:
    """Owns the study curves and the two sub-panes (hidden until switched on)."""

    def __init__(self, price: pg.PlotItem, palette: ChartPalette) -> None:
        self._price = price
        self.curves: dict[str, pg.PlotDataItem] = {
            key: _curve() for key in ("sma", "ema", "bb_upper", "bb_mid", "bb_lower")
        }
        for curve in self.curves.values():
            curve.setVisible(False)
            curve.setZValue(5)
            price.addItem(curve, ignoreBounds=True)
        self.rsi_pane = make_plot()
        self.macd_pane = make_plot()
        rsi_plot, macd_plot = self.rsi_pane.getPlotItem(), self.macd_pane.getPlotItem()
        for plot in (rsi_plot, macd_plot):
            plot.hideAxis("bottom")  # time is read off the volume pane's axis
        rsi_plot.setYRange(0, 100, padding=0.05)
        rsi_plot.setMouseEnabled(x=True, y=False)
        self._rsi_levels = [pg.InfiniteLine(pos=v, angle=0) for v in (30.0, 70.0)]
        for line in self._rsi_levels:
            rsi_plot.addItem(line)
        self.curves["rsi"] = _curve()
        rsi_plot.addItem(self.curves["rsi"])
        for key in ("macd_hist", "macd", "macd_signal"):
            self.curves[key] = _curve()
            macd_plot.addItem(self.curves[key])
        macd_plot.enableAutoRange(y=True)
        macd_plot.setAutoVisible(y=True)
        self.rsi_pane.setVisible(False)
        self.macd_pane.setVisible(False)
        self.set_palette(palette)

    def set_palette(self, p: ChartPalette) -> None:
        colours = {
            "sma": p.sma,
            "ema": p.ema,
            "bb_upper": p.bollinger,
            "bb_mid": p.bollinger,
            "bb_lower": p.bollinger,
            "rsi": p.rsi,
            "macd": p.macd,
            "macd_signal": p.signal,
        }
        for key, colour in colours.items():
            self.curves[key].setPen(pg.mkPen(colour, width=1.3))
        hist = self.curves["macd_hist"]
        hist.setPen(pg.mkPen(p.crosshair))
        hist.setFillLevel(0.0)
        hist.setBrush(pg.mkBrush(p.crosshair + "80"))
        for line in self._rsi_levels:
            line.setPen(pg.mkPen(p.grid, style=pg.QtCore.Qt.PenStyle.DashLine))

    def refresh(self, x: F64, studies: StudySet) -> None:
        """Push the study values to the curves and show exactly the enabled ones."""
        on = studies.enabled
        v = studies.values
        for study, keys in _CURVES.items():
            for key in keys:
                curve = self.curves[key]
                if study in on and key in v:
                    curve.setData(x, v[key])
                    curve.setVisible(True)
                elif curve.isVisible():  # switched off: drop its data once
                    curve.setData(np.empty(0), np.empty(0))
                    curve.setVisible(False)
        self.rsi_pane.setVisible(Study.RSI in on)
        self.macd_pane.setVisible(Study.MACD in on)


_CURVES = {
    Study.SMA: ("sma",),
    Study.EMA: ("ema",),
    Study.BOLLINGER: ("bb_upper", "bb_mid", "bb_lower"),
    Study.RSI: ("rsi",),
    Study.MACD: ("macd_hist", "macd", "macd_signal"),
}
