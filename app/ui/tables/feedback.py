"""Inline feedback for panel actions: a message line under the buttons, and a runner that
performs an engine call as an owned task and puts its outcome (the engine's own error text
when it refuses) on that line instead of a modal box or only the log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtWidgets import QLabel, QWidget

from app.ui.context import UiContext

log = logging.getLogger(__name__)


class MessageLine(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setWordWrap(True)
        self.setVisible(False)

    def show_error(self, text: str) -> None:
        self._show(text, "error")

    def show_info(self, text: str) -> None:
        self._show(text, "muted")

    def clear_message(self) -> None:
        self.setText("")
        self.setVisible(False)

    def _show(self, text: str, role: str) -> None:
        self.setProperty("role", role)
        # the style sheet keys on the property: re-polish so the colour follows it
        self.style().unpolish(self)
        self.style().polish(self)
        self.setText(text)
        self.setVisible(bool(text))


def run_action(
    ctx: UiContext,
    coro: Coroutine[Any, Any, Any],
    name: str,
    line: MessageLine,
    success: Callable[[Any], str],
) -> asyncio.Task[Any]:
    """Spawn ``coro`` on the engine's supervisor; report success or the error inline."""

    async def act() -> None:
        try:
            result = await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # shown to the trader; the engine already refused safely
            log.warning("%s refused: %s", name, exc)
            line.show_error(f"{name}: {exc}")
            return
        line.show_info(success(result))

    line.show_info(f"{name}…")
    return ctx.spawn(act(), name)
