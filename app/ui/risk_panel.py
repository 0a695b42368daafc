"""The risk panel: every risk limit editable in place, the kill switch, Resume, the trading
state and the daily-loss breaker.

A limit is applied the moment its field is left (``engine.set_limits`` validates, applies
and persists it); a refused value shows the engine's rule under the field and the old limit
stays in force. The breaker display follows ``AccountChanged``, which the engine publishes
every breaker interval, so the panel never polls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import shiboken6
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.engine.domain.errors import ValidationError
from app.engine.domain.events import AccountChanged, TradingState, TradingStateChanged
from app.ui.context import UiContext
from app.ui.theme import Colors, colors

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LimitSpec:
    key: str  # the RiskLimits field
    label: str
    hint: str  # grey hint text in the empty field: what empty means, or that one is required
    optional: bool = True


LIMITS: tuple[LimitSpec, ...] = (
    LimitSpec("max_order_notional", "Max order notional", "no limit"),
    LimitSpec("max_order_qty", "Max order quantity", "no limit"),
    LimitSpec("max_position_notional", "Max position notional", "no limit"),
    LimitSpec("max_open_positions", "Max open positions", "no limit"),
    LimitSpec("price_band_pct", "Price band %", "no band"),
    LimitSpec("max_orders_per_minute", "Max orders / minute", "no limit"),
    LimitSpec("daily_loss_limit", "Daily loss limit", "no limit"),
    LimitSpec("duplicate_window_s", "Duplicate window (s)", "required", optional=False),
)


def _shown(value: object) -> str:
    return "" if value is None else str(value)


class RiskPanel(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        #: asks the trader (title, text) -> yes?; tests replace it to answer without a dialog
        self.confirm: Callable[[str, str], bool] = self._ask
        self.colors: Colors = colors(True)
        self.day_pnl: Decimal = ctx.engine.controls.day_pnl()
        self.fields: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        self._build()
        ctx.bridge.trading_state.connect(self._on_state)
        ctx.bridge.account.connect(self._on_account)
        self.refresh()

    # --- building -------------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)

        self.kill_button = QPushButton("KILL SWITCH", self)
        self.kill_button.setObjectName("killSwitch")
        self.kill_button.setToolTip("Halt trading and cancel every working order")
        self.flatten_box = QCheckBox("flatten positions too", self)
        self.resume_button = QPushButton("Resume trading", self)
        self.kill_button.clicked.connect(self.kill_switch)
        self.resume_button.clicked.connect(self.resume)
        root.addWidget(self.kill_button)
        row = QHBoxLayout()
        row.addWidget(self.flatten_box)
        row.addStretch(1)
        row.addWidget(self.resume_button)
        root.addLayout(row)

        state_box = QGroupBox("Trading state", self)
        state_form = QFormLayout(state_box)
        self.state = QLabel("", state_box)
        self.state.setObjectName("tradingState")
        self.reason = QLabel("", state_box)
        self.reason.setWordWrap(True)
        self.breaker = QLabel("", state_box)
        self.pnl = QLabel("", state_box)
        self.loss_bar = QProgressBar(state_box)
        self.loss_bar.setRange(0, 100)
        state_form.addRow("State", self.state)
        state_form.addRow("Reason", self.reason)
        state_form.addRow("Daily-loss breaker", self.breaker)
        state_form.addRow("Today's P&&L", self.pnl)  # && : a literal &, not a mnemonic
        state_form.addRow("Loss used", self.loss_bar)
        root.addWidget(state_box)

        limits_box = QGroupBox("Risk limits (applied when you leave a field)", self)
        form = QFormLayout(limits_box)
        for spec in LIMITS:
            edit = QLineEdit(limits_box)
            edit.setPlaceholderText(spec.hint)
            edit.setObjectName(f"limit_{spec.key}")
            edit.editingFinished.connect(lambda key=spec.key: self.apply_limit(key))
            error = QLabel("", limits_box)
            error.setProperty("role", "error")
            error.setWordWrap(True)
            error.setVisible(False)
            form.addRow(spec.label, edit)
            form.addRow(error)
            self.fields[spec.key] = edit
            self.errors[spec.key] = error
        root.addWidget(limits_box)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.status.setProperty("role", "muted")
        root.addWidget(self.status)
        root.addStretch(1)

    # --- limits ---------------------------------------------------------------------------
    def current(self, key: str) -> str:
        """The limit in force, as the field shows it ("" = no limit)."""
        return _shown(getattr(self.ctx.engine.risk.limits, key))

    def apply_limit(self, key: str) -> bool:
        """Apply the field's text as the limit ``key``; False (and an inline message) if
        the engine refuses it, in which case the old limit stays."""
        edit = self.fields[key]
        text = edit.text().strip()
        old = self.current(key)
        if text == old:
            self._set_error(key, "")
            return True
        spec = next(s for s in LIMITS if s.key == key)
        try:
            limits = self.ctx.engine.set_limits({key: text})
        except ValidationError as exc:
            self._set_error(
                key, f"{spec.label}: {exc.rule}; the limit stays {old or 'off (no limit)'}"
            )
            return False
        new = _shown(getattr(limits, key))
        edit.setText(new)
        self._set_error(key, "")
        self.status.setText(f"{spec.label} set to {new or 'no limit'}")
        log.info("risk limit %s set to %s (was %s)", key, new or "none", old or "none")
        self._show_breaker()
        return True

    def error_text(self, key: str) -> str:
        label = self.errors[key]
        return label.text() if not label.isHidden() else ""

    def _set_error(self, key: str, text: str) -> None:
        self.errors[key].setText(text)
        self.errors[key].setVisible(bool(text))

    # --- kill switch and resume -------------------------------------------------------------
    def kill_switch(self) -> None:
        flatten = self.flatten_box.isChecked()
        what = "Halt trading and cancel every working order"
        if flatten:
            what += ", then close every position at market"
        if not self.confirm("Kill switch", what + "?"):
            self.status.setText("kill switch not pulled")
            return
        self.ctx.spawn(self._kill(flatten), "ui-kill-switch")

    async def _kill(self, flatten: bool) -> None:
        canceled = await self.ctx.engine.kill_switch(flatten=flatten)
        if shiboken6.isValid(self):
            tail = " and positions flattened" if flatten else ""
            self.status.setText(f"kill switch: trading halted, {canceled} orders canceled{tail}")
            self.refresh()

    def resume(self) -> None:
        self.ctx.engine.resume_trading()
        self.refresh()  # the bus event follows on the next bridge flush; show it now
        self.status.setText(f"trading {self.ctx.engine.controls.state.value.upper()}")

    # --- state and breaker display ----------------------------------------------------------
    def refresh(self) -> None:
        """Show everything from the engine's current figures."""
        controls = self.ctx.engine.controls
        for spec in LIMITS:
            field = self.fields[spec.key]
            # keep a refused text for the trader to fix, and never type over their editing
            if not self.error_text(spec.key) and not field.hasFocus():
                field.setText(self.current(spec.key))
        self._show_state(controls.state, controls.reason)
        self._show_breaker()

    def set_dark(self, dark: bool) -> None:
        """Called by the main window when the theme changes."""
        self.colors = colors(dark)
        self._show_state(self.ctx.engine.controls.state, self.ctx.engine.controls.reason)

    def _on_state(self, event: TradingStateChanged) -> None:
        self._show_state(event.state, event.reason)
        self._show_breaker()

    def _on_account(self, event: AccountChanged) -> None:
        self.day_pnl = event.day_pnl
        self._show_breaker()

    def _show_state(self, state: TradingState, reason: str) -> None:
        colour = {
            TradingState.ACTIVE: self.colors.up,
            TradingState.REDUCING: self.colors.warn,
            TradingState.HALTED: self.colors.down,
        }[state]
        self.state.setText(state.value.upper())
        self.state.setStyleSheet(f"color: {colour}; font-weight: bold; font-size: 15px;")
        self.reason.setText(reason or "—")
        self.resume_button.setEnabled(state is not TradingState.ACTIVE)

    def _show_breaker(self) -> None:
        tripped = self.ctx.engine.controls.breaker_tripped
        limit = self.ctx.engine.risk.limits.daily_loss_limit
        self.breaker.setText("TRIPPED (reducing only until tomorrow)" if tripped else "armed")
        self.breaker.setStyleSheet(f"color: {self.colors.down if tripped else self.colors.up};")
        currency = self.ctx.engine.portfolio.currency
        pnl = self.day_pnl
        if limit is None:
            self.pnl.setText(f"{pnl:,.2f} {currency} (no daily loss limit)")
            self.loss_bar.setEnabled(False)
            self.loss_bar.setValue(0)
            self.loss_bar.setFormat("no limit")
            return
        used = max(Decimal(0), -pnl) / limit * 100
        self.pnl.setText(f"{pnl:,.2f} {currency} of a -{limit:,} {currency} limit")
        self.loss_bar.setEnabled(True)
        self.loss_bar.setValue(min(100, int(used)))
        self.loss_bar.setFormat(f"{used:.1f}% of the daily loss limit used")

    def _ask(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes
