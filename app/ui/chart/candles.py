"""Candles and volume bars drawn from cached pictures, one per chunk of bars.

Every bar but the last is recorded once into a QPicture per chunk of ``CHUNK`` bars; painting
replays only the chunks that intersect the exposed area. The last bar is never cached: it is
drawn directly, so a live update invalidates just its rectangle and costs one candle, and a
closed bar dirties only the chunk it lands in. Zoomed far out (several bars per pixel) the
chunks are built from coarser candles (2^k bars merged), so 100,000 bars on screen still
replay a few thousand shapes, not 100,000.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QPointF, QRectF
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPicture
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from app.ui.chart.palette import ChartPalette
from app.ui.chart.series import F64, BarSeries

CHUNK = 512
BODY = 0.8  # share of the bar's time span the body covers
_MAX_LEVEL = 12


def _levels(series: BarSeries, level: int) -> tuple[F64, F64, F64, F64, F64, F64]:
    """x, open, high, low, close, volume with 2^level consecutive bars merged (level 0: as is),
    leaving out the last bar (it is drawn live)."""
    n = len(series) - 1
    x, o, h, lo, c, v = (
        series.x[:n],
        series.open[:n],
        series.high[:n],
        series.low[:n],
        series.close[:n],
        series.volume[:n],
    )
    if level == 0 or n == 0:
        return x, o, h, lo, c, v
    step = 1 << level
    starts = np.arange(0, n, step)
    ends = np.minimum(starts + step, n) - 1
    return (
        x[starts],
        o[starts],
        np.maximum.reduceat(h, starts),
        np.minimum.reduceat(lo, starts),
        c[ends],
        np.add.reduceat(v, starts),
    )


class ChunkedBarsItem(pg.GraphicsObject):  # type: ignore[misc]  # pyqtgraph is untyped
    # what a subclass supplies; the chunking, caching and bounds here are shared
    _y_range: Callable[[int, int], tuple[float, float]]
    _draw: Callable[[QPainter, F64, F64, F64, F64, F64, F64, float], None]
    """Base: chunk caching, bounds and live-last-bar invalidation; subclasses draw bars."""

    def __init__(self, series: BarSeries, palette: ChartPalette) -> None:
        super().__init__()
        self.series = series
        self.palette = palette
        self._chunks: dict[tuple[int, int], QPicture] = {}
        self._level_data: dict[int, tuple[F64, F64, F64, F64, F64, F64]] = {}
        self._bounds = QRectF()
        self._last_rect = QRectF()
        # for tests and the benchmark: paint calls, and chunks replayed by the last one
        self.paints = 0
        self.chunks_painted = 0
        #: y values the auto-range must include besides the bars (the trader's order lines)
        self.also_show: Callable[[], list[float]] = list
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    # --- data changes ---------------------------------------------------------------------
    def reset(self) -> None:
        """The whole series changed (new symbol, timeframe, older bars prepended)."""
        self._chunks.clear()
        self._level_data.clear()
        self._update_bounds(full=True)
        self.update()

    def last_changed(self) -> None:
        """Only the last bar changed: repaint its old and new rectangles."""
        old = self._last_rect
        self._update_bounds(full=False)
        self.update(old.united(self._last_rect))

    def appended(self) -> None:
        """A bar was appended: the previous last bar joins its (now stale) chunk."""
        n = len(self.series)
        if n >= 2:
            stale = (n - 2) // CHUNK
            # merged levels are dropped whole: they are rebuilt lazily, and only when zoomed
            # far out, where one more rebuild per closed bar is not noticed
            self._chunks = {k: p for k, p in self._chunks.items() if k[0] == 0 and k[1] < stale}
        self._level_data.clear()
        old = self._last_rect
        self._update_bounds(full=True)
        self.update(old.united(self._last_rect).adjusted(-self._span(), 0, 0, 0))

    def set_palette(self, palette: ChartPalette) -> None:
        self.palette = palette
        self.reset()

    # --- geometry -------------------------------------------------------------------------
    def _span(self) -> float:
        return self.series.span_ns / 1e9

    def _update_bounds(self, *, full: bool) -> None:
        s, n = self.series, len(self.series)
        if n == 0:
            new = QRectF()
            self._last_rect = QRectF()
        else:
            x_last = float(s.ts[-1]) / 1e9
            y0, y1 = self._y_range(n - 1, n)
            self._last_rect = QRectF(x_last, y0, self._span(), max(y1 - y0, 1e-12))
            if full or self._bounds.isNull():
                lo, hi = self._y_range(0, n)
                x0 = float(s.ts[0]) / 1e9
                new = QRectF(x0, lo, x_last + self._span() - x0, max(hi - lo, 1e-12))
            else:
                new = self._bounds.united(self._last_rect)
        if new != self._bounds:
            self.prepareGeometryChange()
            self._bounds = new

    def boundingRect(self) -> QRectF:
        return QRectF(self._bounds)

    def dataBounds(
        self, ax: int, frac: float = 1.0, orthoRange: tuple[float, float] | None = None
    ) -> tuple[float, float] | tuple[None, None]:
        """pyqtgraph's auto-range hook: y bounds of the bars within the visible x range."""
        s, n = self.series, len(self.series)
        if n == 0:
            return None, None
        if ax == 0:
            return float(s.ts[0]) / 1e9, float(s.ts[-1]) / 1e9 + self._span()
        a, b = 0, n
        if orthoRange is not None:
            t0 = int((orthoRange[0] - self._span()) * 1e9)
            t1 = int(orthoRange[1] * 1e9)
            a = int(np.searchsorted(s.ts, t0, side="right"))
            b = int(np.searchsorted(s.ts, t1, side="right"))
            if a >= b:
                return None, None
        lo, hi = self._y_range(a, b)
        extra = self.also_show()
        return (min(lo, *extra), max(hi, *extra)) if extra else (lo, hi)

    # --- painting -------------------------------------------------------------------------
    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        self.paints += 1
        n = len(self.series)
        if n == 0:
            return
        exposed = option.exposedRect
        left, right = exposed.left(), exposed.right()
        level = self._level_for(painter)
        x = self._level(level)[0]
        if len(x):
            first = max(0, int(np.searchsorted(x, left - self._span() * (1 << level))) - 1)
            last = int(np.searchsorted(x, right, side="right"))
            painted = 0
            for chunk in range(first // CHUNK, (max(last - 1, first)) // CHUNK + 1):
                picture = self._chunks.get((level, chunk))
                if picture is None:
                    picture = self._chunks[(level, chunk)] = self._record(level, chunk)
                painter.drawPicture(QPointF(0, 0), picture)
                painted += 1
            self.chunks_painted = painted
        if self._last_rect.right() >= left and self._last_rect.left() <= right:
            s = self.series
            self._draw(
                painter,
                s.x_from(n - 1),
                s.open[n - 1 :],
                s.high[n - 1 :],
                s.low[n - 1 :],
                s.close[n - 1 :],
                s.volume[n - 1 :],
                self._span(),
            )

    def _level_for(self, painter: QPainter) -> int:
        """The coarsest merge that still gives each drawn candle about 2 pixels or more."""
        px_per_second = painter.worldTransform().m11()
        if px_per_second <= 0:
            return 0
        bar_px = self._span() * px_per_second
        level = 0
        while bar_px * (1 << level) < 2.0 and level < _MAX_LEVEL:
            level += 1
        return level

    def _level(self, level: int) -> tuple[F64, F64, F64, F64, F64, F64]:
        data = self._level_data.get(level)
        if data is None:
            data = self._level_data[level] = _levels(self.series, level)
        return data

    def _record(self, level: int, chunk: int) -> QPicture:
        a, b = chunk * CHUNK, (chunk + 1) * CHUNK
        x, o, h, lo, c, v = self._level(level)
        picture = QPicture()
        p = QPainter(picture)
        try:
            span = self._span() * (1 << level)
            self._draw(p, x[a:b], o[a:b], h[a:b], lo[a:b], c[a:b], v[a:b], span)
        finally:
            p.end()
        return picture


def _pen(colour: str) -> QPen:
    pen = QPen(QColor(colour))
    pen.setCosmetic(True)
    pen.setWidthF(1.0)
    return pen


class CandleItem(ChunkedBarsItem):
    def _y_range(self, a: int, b: int) -> tuple[float, float]:
        s = self.series
        return float(np.min(s.low[a:b])), float(np.max(s.high[a:b]))

    def _draw(
        self, p: QPainter, x: F64, o: F64, h: F64, lo: F64, c: F64, v: F64, span: float
    ) -> None:
        up = c >= o
        mid = x + span / 2
        left = x + span * (1 - BODY) / 2
        width = span * BODY
        for mask, colour in ((up, self.palette.up), (~up, self.palette.down)):
            if not mask.any():
                continue
            p.setPen(_pen(colour))
            p.setBrush(QBrush(QColor(colour)))
            m, hi, low = mid[mask].tolist(), h[mask].tolist(), lo[mask].tolist()
            p.drawLines([QLineF(xm, a, xm, b) for xm, a, b in zip(m, low, hi, strict=True)])
            bottom = np.minimum(o[mask], c[mask]).tolist()
            height = np.abs(c[mask] - o[mask]).tolist()
            p.drawRects(
                [
                    QRectF(xl, y, width, dy)
                    for xl, y, dy in zip(left[mask].tolist(), bottom, height, strict=True)
                ]
            )


class VolumeItem(ChunkedBarsItem):
    def _y_range(self, a: int, b: int) -> tuple[float, float]:
        return 0.0, float(np.max(self.series.volume[a:b]))

    def _draw(
        self, p: QPainter, x: F64, o: F64, h: F64, lo: F64, c: F64, v: F64, span: float
    ) -> None:
        up = c >= o
        left = x + span * (1 - BODY) / 2
        width = span * BODY
        for mask, colour in ((up, self.palette.volume_up), (~up, self.palette.volume_down)):
            if not mask.any():
                continue
            p.setPen(_pen(colour))
            p.setBrush(QBrush(QColor(colour)))
            p.drawRects(
                [
                    QRectF(xl, 0.0, width, vol)
                    for xl, vol in zip(left[mask].tolist(), v[mask].tolist(), strict=True)
                ]
            )
