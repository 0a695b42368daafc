"""Dark and light themes: a QPalette plus a short style sheet for the few widgets that must
stand out (BUY, SELL, the kill switch). Colours are chosen for contrast on both themes."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True, slots=True)
class Colors:
    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    highlight: str
    up: str
    down: str
    warn: str


DARK = Colors(
    "#1b1e23",
    "#121417",
    "#1f2329",
    "#e6e9ef",
    "#8a93a3",
    "#2f6feb",
    "#26a269",
    "#e5484d",
    "#f5a524",
)
LIGHT = Colors(
    "#f4f5f7",
    "#ffffff",
    "#f0f2f5",
    "#1b1e23",
    "#5f6b7a",
    "#2f6feb",
    "#1a7f4b",
    "#c9252d",
    "#b26b00",
)

STYLE = """
QPushButton#buyButton {{ background: {up}; color: white; font-weight: bold; font-size: 15px;
    min-height: 38px; border-radius: 4px; }}
QPushButton#sellButton {{ background: {down}; color: white; font-weight: bold; font-size: 15px;
    min-height: 38px; border-radius: 4px; }}
QPushButton#killSwitch {{ background: {down}; color: white; font-weight: bold; font-size: 16px;
    min-height: 44px; border-radius: 4px; }}
QPushButton:disabled, QPushButton#buyButton:disabled, QPushButton#sellButton:disabled {{
    background: {alt_base}; color: {muted}; }}
QLabel[role="error"] {{ color: {down}; }}
QLabel[role="muted"] {{ color: {muted}; }}
QDockWidget::title {{ padding: 3px 6px; background: {alt_base}; }}
QStatusBar QLabel {{ padding: 0 6px; }}
"""


def colors(dark: bool) -> Colors:
    return DARK if dark else LIGHT


def apply_theme(app: QApplication, dark: bool) -> Colors:
    c = colors(dark)
    app.setStyle("Fusion")
    pal = QPalette()
    pal.setColor(QPalette.ColorRole.Window, QColor(c.window))
    pal.setColor(QPalette.ColorRole.WindowText, QColor(c.text))
    pal.setColor(QPalette.ColorRole.Base, QColor(c.base))
    pal.setColor(QPalette.ColorRole.AlternateBase, QColor(c.alt_base))
    pal.setColor(QPalette.ColorRole.Text, QColor(c.text))
    pal.setColor(QPalette.ColorRole.Button, QColor(c.alt_base))
    pal.setColor(QPalette.ColorRole.ButtonText, QColor(c.text))
    pal.setColor(QPalette.ColorRole.Highlight, QColor(c.highlight))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    pal.setColor(QPalette.ColorRole.ToolTipBase, QColor(c.alt_base))
    pal.setColor(QPalette.ColorRole.ToolTipText, QColor(c.text))
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor(c.muted))
    app.setPalette(pal)
    app.setStyleSheet(STYLE.format(up=c.up, down=c.down, alt_base=c.alt_base, muted=c.muted))
    return c
