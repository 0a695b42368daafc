"""Modify a working order: new limit price, trigger or quantity.

The dialog does not judge the values itself: it hands what changed to ``ctx.engine.modify``,
the same checks every client goes through (tick size, lot size, price band, filled quantity),
and shows a refusal next to the field the engine named. Nothing is sent unless the engine
accepts the values.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.engine.domain.errors import ValidationError
from app.engine.domain.orders import Order
from app.ui.context import UiContext

log = logging.getLogger(__name__)

FIELDS = (("price", "Limit price"), ("trigger_price", "Trigger"), ("quantity", "Quantity"))


def _text(value: Decimal | None) -> str:
    return "" if value is None else str(value)


class ModifyDialog(QDialog):
    def __init__(self, ctx: UiContext, order: Order, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.order = order
        self.setWindowTitle(f"Modify {order.side.value} {order.symbol} ({order.client_id})")
        self.edits: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        form = QFormLayout()
        current = {
            "price": order.price,
            "trigger_price": order.trigger_price,
            "quantity": order.quantity,
        }
        enabled = {
            "price": order.type.has_price,
            "trigger_price": order.type.has_trigger,
            "quantity": True,
        }
        self._original = {name: _text(value) for name, value in current.items()}
        for name, label in FIELDS:
            edit = QLineEdit(self._original[name])
            edit.setEnabled(enabled[name])
            edit.setObjectName(name)
            error = QLabel("")
            error.setProperty("role", "error")
            error.setWordWrap(True)
            error.setVisible(False)
            self.edits[name], self.errors[name] = edit, error
            form.addRow(label, edit)
            form.addRow("", error)
        self.general_error = QLabel("")
        self.general_error.setProperty("role", "error")
        self.general_error.setWordWrap(True)
        self.general_error.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.general_error)
        layout.addWidget(self.buttons)
        self._pending: asyncio.Task[Any] | None = None

    def changes(self) -> dict[str, str]:
        """Fields whose text differs from the order's current value."""
        return {
            name: edit.text().strip()
            for name, edit in self.edits.items()
            if edit.isEnabled() and edit.text().strip() != self._original[name]
        }

    def error_text(self, field: str | None = None) -> str:
        label = self.general_error if field is None else self.errors[field]
        return label.text() if label.isVisible() else ""

    async def submit(self) -> bool:
        """Send the changes through the engine; True (and the dialog closes) if accepted."""
        self._clear_errors()
        changes = self.changes()
        if not changes:
            self._show(None, "Nothing changed")
            return False
        self.buttons.setEnabled(False)
        try:
            await self.ctx.engine.modify(self.order.client_id, **changes)
        except ValidationError as exc:  # RiskDenied too: both name the field at fault
            self._show(exc.field if exc.field in self.edits else None, str(exc))
            return False
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # venue timeout or refusal: the order is unchanged or UNKNOWN
            log.warning("modify %s failed: %s", self.order.client_id, exc)
            self._show(None, f"Not modified: {type(exc).__name__}: {exc}")
            return False
        finally:
            self.buttons.setEnabled(True)
        self.accept()
        return True

    def _on_ok(self) -> None:
        if self._pending is None or self._pending.done():
            self._pending = self.ctx.spawn(self.submit(), f"modify {self.order.client_id}")

    def _clear_errors(self) -> None:
        for label in (*self.errors.values(), self.general_error):
            label.setText("")
            label.setVisible(False)

    def _show(self, field: str | None, text: str) -> None:
        label = self.general_error if field is None else self.errors[field]
        label.setText(text)
        label.setVisible(True)
        if field is not None:
            self.edits[field].setFocus()
