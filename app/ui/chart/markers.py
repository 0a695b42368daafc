"""Our own fills on the chart: a triangle up for a buy, down for a sell, at fill time/price."""

from __future__ import annotations

from collections.abc import Iterable

import pyqtgraph as pg

from app.engine.domain.fills import Fill
from app.engine.domain.orders import OrderSide
from app.ui.chart.palette import ChartPalette

NS = 1e9


class FillMarkers:
    def __init__(self, plot: pg.PlotItem, palette: ChartPalette) -> None:
        self.item = pg.ScatterPlotItem(size=11, pxMode=True)
        self.item.setZValue(20)
        plot.addItem(self.item, ignoreBounds=True)
        self.palette = palette
        self.symbol = ""
        self.fills: list[Fill] = []

    def set_symbol(self, symbol: str, fills: Iterable[Fill]) -> None:
        self.symbol = symbol
        self.fills = [f for f in fills if f.symbol == symbol]
        self._redraw()

    def add(self, fills: Iterable[Fill]) -> None:
        new = [f for f in fills if f.symbol == self.symbol]
        if new:
            self.fills.extend(new)
            self._redraw()

    def set_palette(self, palette: ChartPalette) -> None:
        self.palette = palette
        self._redraw()

    def _redraw(self) -> None:
        spots = []
        for f in self.fills:
            buy = f.side is OrderSide.BUY
            colour = self.palette.order_buy if buy else self.palette.order_sell
            spots.append(
                {
                    "pos": (f.ts / NS, float(f.price)),
                    "symbol": "t1" if buy else "t",  # t1 points up, t points down
                    "brush": pg.mkBrush(colour),
                    "pen": pg.mkPen(self.palette.foreground, width=0.8),
                    "data": f.trade_id,
                }
            )
        self.item.setData(spots)
