"""Keyboard shortcuts for the common actions, in one table the Help dialog also shows."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QDialog, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget


@dataclass(frozen=True, slots=True)
class Shortcut:
    action: str
    keys: str
    description: str


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("buy", "F9", "Buy with the order ticket's current settings"),
    Shortcut("sell", "F10", "Sell with the order ticket's current settings"),
    Shortcut("focus_search", "Ctrl+K", "Focus the symbol search of the watchlist"),
    Shortcut("focus_quantity", "Ctrl+Q", "Focus the order ticket's quantity"),
    Shortcut("cancel_all", "Ctrl+Shift+X", "Cancel all working orders"),
    Shortcut("flatten", "Ctrl+Shift+F", "Flatten all positions (market orders)"),
    Shortcut("kill_switch", "Ctrl+Shift+K", "Kill switch: halt, cancel all, flatten"),
    Shortcut("help", "F1", "Show this list"),
)


class HelpDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Tradedesk keyboard shortcuts"))
        table = QTableWidget(len(SHORTCUTS), 2, self)
        table.setHorizontalHeaderLabels(["Keys", "Action"])
        for row, sc in enumerate(SHORTCUTS):
            table.setItem(row, 0, QTableWidgetItem(sc.keys))
            table.setItem(row, 1, QTableWidgetItem(sc.description))
        table.resizeColumnsToContents()
        table.verticalHeader().setVisible(False)
        layout.addWidget(table)
        self.table = table
        self.resize(520, 320)
