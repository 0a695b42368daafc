"""Desktop notifications for what a trader must not miss while looking elsewhere: engine
alerts (breaker tripped, kill switch, feed stale) and orders the venue rejected.

Shown through the system tray when there is one. Every notification is also logged and kept
in ``shown`` (the most recent ``KEEP``), so a session without a tray — offscreen tests, some
Linux desktops — loses nothing and fails nowhere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

from app.engine.domain.events import Alert
from app.engine.domain.orders import Order, OrderStatus
from app.ui.context import UiContext

log = logging.getLogger(__name__)
KEEP = 200
_ICONS = {
    "critical": QSystemTrayIcon.MessageIcon.Critical,
    "error": QSystemTrayIcon.MessageIcon.Critical,
    "warning": QSystemTrayIcon.MessageIcon.Warning,
}
_LOG_LEVELS = {"critical": logging.CRITICAL, "error": logging.ERROR, "warning": logging.WARNING}


@dataclass(frozen=True, slots=True)
class Notification:
    level: str  # "critical", "error", "warning" or "info"
    title: str
    message: str


class Notifier(QObject):
    def __init__(
        self, ctx: UiContext, parent: QObject | None = None, *, duration_ms: int = 8000
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.duration_ms = duration_ms
        self.shown: list[Notification] = []
        #: None when the desktop has no system tray: notifications are then only recorded
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(self._icon(), self)
            self.tray.setToolTip("Tradedesk")
            self.tray.show()
        # a rejected order is terminal, but the bridge may hand it over again with a later
        # batch; one notification per order is enough
        self._rejected: set[str] = set()
        ctx.bridge.alerts.connect(self.on_alerts)
        ctx.bridge.orders.connect(self.on_orders)

    @staticmethod
    def _icon() -> QIcon:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            if not app.windowIcon().isNull():
                return app.windowIcon()
            return app.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return QIcon()

    def notify(self, level: str, title: str, message: str) -> Notification:
        note = Notification(level, title, message)
        self.shown.append(note)
        del self.shown[:-KEEP]
        log.log(_LOG_LEVELS.get(level, logging.INFO), "notification: %s — %s", title, message)
        if self.tray is not None:
            icon = _ICONS.get(level, QSystemTrayIcon.MessageIcon.Information)
            self.tray.showMessage(title, message, icon, self.duration_ms)
        return note

    def on_alerts(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            self.notify(alert.level, alert.title, alert.message)

    def on_orders(self, orders: list[Order]) -> None:
        for order in orders:
            if order.status is not OrderStatus.REJECTED or order.client_id in self._rejected:
                continue
            self._rejected.add(order.client_id)
            self.notify(
                "error",
                "Order rejected",
                f"{order.side.value.upper()} {order.quantity} {order.symbol} "
                f"({order.source}): {order.reason or 'no reason given'}",
            )

    def close(self) -> None:
        self.ctx.bridge.alerts.disconnect(self.on_alerts)
        self.ctx.bridge.orders.disconnect(self.on_orders)
        if self.tray is not None:
            self.tray.hide()
