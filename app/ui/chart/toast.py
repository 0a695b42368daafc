"""A short message over the chart (order modified, or why not) that hides itself."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QWidget

from app.ui.chart.palette import ChartPalette

SHOW_MS = 4000


class Toast(QLabel):
    def __init__(self, parent: QWidget, palette: ChartPalette) -> None:
        super().__init__(parent)
        self.palette_ = palette
        self.is_error = False
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setVisible(False)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.is_error = error
        self.setText(text)
        self._restyle()
        parent = self.parentWidget()
        width = min(460, max(200, parent.width() - 40)) if parent is not None else 320
        self.setFixedWidth(width)
        self.adjustSize()
        self.reposition()
        self.setVisible(True)
        self.raise_()
        self._timer.start(SHOW_MS)

    def reposition(self) -> None:
        """Bottom centre of the chart: the order lines' labels sit at the top left."""
        parent = self.parentWidget()
        if parent is not None:
            self.move((parent.width() - self.width()) // 2, parent.height() - self.height() - 30)

    def set_palette(self, palette: ChartPalette) -> None:
        self.palette_ = palette
        self._restyle()

    def _restyle(self) -> None:
        bg = self.palette_.toast_error if self.is_error else self.palette_.toast_ok
        self.setStyleSheet(
            f"background: {bg}; color: white; padding: 6px 10px; border-radius: 4px;"
        )
