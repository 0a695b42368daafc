"""The status bar: account and venue, feed state and age, event-loop lag, equity and day
P&L, trading state. Refreshed four times a second from values the bridge already holds."""

from __future__ import annotations

import time
from decimal import Decimal

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.engine.domain.events import AccountChanged, TradingStateChanged
from app.engine.loop_monitor import LoopLagMonitor
from app.ui.context import UiContext
from app.ui.theme import Colors

STALE_AFTER_S = 5.0
DISCONNECTED_AFTER_S = 30.0


def feed_state(age_s: float | None) -> str:
    if age_s is None or age_s >= DISCONNECTED_AFTER_S:
        return "disconnected"
    return "stale" if age_s >= STALE_AFTER_S else "live"


class StatusBar(QStatusBar):
    def __init__(
        self, ctx: UiContext, lag: LoopLagMonitor, colors: Colors, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.lag = lag
        self.colors = colors
        self.account = QLabel(ctx.account_title)
        if ctx.live:  # real money: never mistaken for paper at a glance
            self.account.setStyleSheet(
                f"color: white; background: {colors.down}; font-weight: bold; padding: 0 4px;"
            )
        self.feed = QLabel("feed: —")
        self.venue = QLabel("")  # the venue's streams, once a real venue reports them
        self.feed_age = QLabel("age: —")
        self.loop = QLabel("loop lag: —")
        self.equity = QLabel("equity: —")
        self.day_pnl = QLabel("day P&L: —")
        self.state = QLabel("ACTIVE")
        labels = (self.account, self.venue, self.feed, self.feed_age, self.loop, self.equity)
        for label in (*labels, self.day_pnl):
            self.addPermanentWidget(label)
        self.addPermanentWidget(self.state)
        self.state.setObjectName("tradingState")
        self._pause_shown: str | None = None
        ctx.bridge.account.connect(self._on_account)
        ctx.bridge.trading_state.connect(self._on_state)
        self._on_state_value(ctx.engine.risk.state.value, ctx.engine.controls.reason)
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()

    def set_colors(self, colors: Colors) -> None:
        self.colors = colors
        self._on_state_value(self.ctx.engine.risk.state.value, self.ctx.engine.controls.reason)

    def refresh(self) -> None:
        last = self.ctx.bridge.last_market_wall
        age = None if last is None else time.monotonic() - last
        state = feed_state(age)
        color = {"live": self.colors.up, "stale": self.colors.warn}.get(state, self.colors.down)
        self.feed.setText(f"feed: {state}")
        _restyle(self.feed, f"color: {color}")
        self.feed_age.setText("age: —" if age is None else f"age: {age * 1000:,.0f} ms")
        self.loop.setText(
            f"loop lag: {self.lag.last_ms:.1f} ms (p99 {self.lag.percentile(99):.1f})"
        )
        self._show_streams()
        self._show_pause()

    def _show_pause(self) -> None:
        """While the engine reconciles after a reconnect, new orders wait: say so."""
        paused = self.ctx.engine.risk.paused
        if paused == self._pause_shown:
            return
        self._pause_shown = paused
        if paused:
            self.state.setText("RECONCILING")
            self.state.setToolTip(paused)
            self.state.setStyleSheet(
                f"color: white; background: {self.colors.warn}; font-weight: bold;"
            )
        else:
            self._on_state_value(self.ctx.engine.risk.state.value, self.ctx.engine.controls.reason)

    def _show_streams(self) -> None:
        streams = self.ctx.bridge.streams
        if not streams:
            self.venue.hide()
            return
        down = [e for e in streams.values() if not e.connected]
        self.venue.show()
        if down:
            names = ", ".join(f"{e.stream} stream" for e in down)
            self.venue.setText(f"{down[0].venue}: {names} DOWN, reconnecting")
            self.venue.setToolTip("\n".join(f"{e.stream}: {e.reason}" for e in down))
            _restyle(self.venue, f"color: {self.colors.down}; font-weight: bold;")
        else:
            venue = next(iter(streams.values())).venue
            self.venue.setText(f"{venue}: connected")
            self.venue.setToolTip(", ".join(sorted(s for _v, s in streams)) + " streams up")
            _restyle(self.venue, f"color: {self.colors.up}")

    def _on_account(self, event: AccountChanged) -> None:
        self.equity.setText(f"equity: {event.equity:,.2f}")
        self._show_pnl(event.day_pnl)

    def _show_pnl(self, pnl: Decimal) -> None:
        color = self.colors.up if pnl >= 0 else self.colors.down
        self.day_pnl.setText(f"day P&L: {pnl:+,.2f}")
        _restyle(self.day_pnl, f"color: {color}")

    def _on_state(self, event: TradingStateChanged) -> None:
        self._on_state_value(event.state.value, event.reason)

    def _on_state_value(self, state: str, reason: str) -> None:
        color = {"active": self.colors.up, "reducing": self.colors.warn}.get(
            state, self.colors.down
        )
        self.state.setText(state.upper())
        self.state.setToolTip(reason or state)
        self.state.setStyleSheet(f"color: white; background: {color}; font-weight: bold;")


def _restyle(label: QLabel, css: str) -> None:
    """Set a style sheet only when it changes: each set re-polishes the widget, and the
    refresh runs four times a second."""
    if label.styleSheet() != css:
        label.setStyleSheet(css)
