"""The crosshair and the OHLCV readout of the bar under it (time shown in local time)."""

from __future__ import annotations

from datetime import UTC, datetime

import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QLabel

from app.ui.chart.palette import ChartPalette
from app.ui.chart.series import NS, BarSeries


def _num(value: float) -> str:
    return f"{value:,.8f}".rstrip("0").rstrip(".") if abs(value) < 1 else f"{value:,.2f}"


def readout_text(series: BarSeries, index: int) -> str:
    ts, o, h, lo, c, v = series.row(index)
    when = datetime.fromtimestamp(ts / NS, tz=UTC).astimezone()
    return (
        f"{when:%Y-%m-%d %H:%M}  O {_num(o)}  H {_num(h)}  L {_num(lo)}  C {_num(c)}  V {_num(v)}"
    )


class Crosshair:
    def __init__(self, plot: pg.PlotItem, series: BarSeries, readout: QLabel) -> None:
        self.plot = plot
        self.series = series
        self.readout = readout
        self.vline = pg.InfiniteLine(angle=90, movable=False)
        self.hline = pg.InfiniteLine(angle=0, movable=False)
        for line in (self.vline, self.hline):
            line.setZValue(30)
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
        # a proxy rate-limits mouse moves to one readout update per frame
        self._proxy = pg.SignalProxy(plot.scene().sigMouseMoved, rateLimit=60, slot=self._moved)

    def set_palette(self, palette: ChartPalette) -> None:
        pen = pg.mkPen(palette.crosshair, style=pg.QtCore.Qt.PenStyle.DashLine)
        self.vline.setPen(pen)
        self.hline.setPen(pen)

    def _moved(self, event: tuple[QPointF]) -> None:
        pos = event[0]
        if not self.plot.sceneBoundingRect().contains(pos):
            return
        point = self.plot.vb.mapSceneToView(pos)
        self.move_to(point.x(), point.y())

    def move_to(self, x: float, y: float) -> int | None:
        """Put the crosshair at (x, y) in data coordinates; returns the bar index shown."""
        self.vline.setPos(x)
        self.hline.setPos(y)
        self.vline.setVisible(True)
        self.hline.setVisible(True)
        index = self.series.index_at(x) if len(self.series) else None
        self.readout.setText("" if index is None else readout_text(self.series, index))
        return index
