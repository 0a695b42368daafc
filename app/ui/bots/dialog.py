"""Create or edit a bot: strategy (with its summary), symbols, timeframe, the parameter form
generated from the strategy's declaration, sizing, default stop-loss/take-profit and the
bot's limits. The dialog does not validate by itself: ``submit`` (the manager's create or
edit) does, and a ValidationError is shown next to the field it names."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.bots.config import BotConfig
from app.engine.domain.errors import ValidationError
from app.engine.domain.market import Timeframe
from app.engine.sizing import SizingMode
from app.strategies.base import Strategy
from app.ui.param_form import GENERAL, ParamForm

SIZING_LABELS = {
    SizingMode.FIXED_QTY: "Fixed quantity (base units)",
    SizingMode.FIXED_NOTIONAL: "Fixed notional (quote currency)",
    SizingMode.PCT_EQUITY: "% of equity",
    SizingMode.RISK_PCT: "Risk % of equity (uses the stop distance)",
    SizingMode.COMPOUNDING: "Compounding: stake + realized profit",
}
# a ValidationError's field -> the dialog's field that shows it
_FIELD_OF = {
    "sizing value": "sizing",
    "sizing": "sizing",
    "limits": "max_position_notional",
}


class BotDialog(QDialog):
    def __init__(
        self,
        strategies: Mapping[str, type[Strategy]],
        symbols: Sequence[str],
        submit: Callable[[dict[str, Any]], object],
        *,
        existing: BotConfig | None = None,
        preset_symbol: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit bot" if existing else "New bot")
        self.strategies = dict(strategies)
        self.submit = submit
        self.existing = existing
        self.result_value: object = None
        self.errors: dict[str, QLabel] = {}
        form = QFormLayout()

        self.id_edit = QLineEdit(existing.id if existing else "")
        self.id_edit.setPlaceholderText("letters, digits, _ (up to 12)")
        self.id_edit.setEnabled(existing is None)
        self.name_edit = QLineEdit(existing.name if existing else "")
        self.strategy_combo = QComboBox()
        for sid, cls in self.strategies.items():
            self.strategy_combo.addItem(cls.name or sid, sid)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setProperty("role", "muted")
        self.symbol_list = QListWidget()
        self.symbol_list.setMaximumHeight(110)
        chosen = set(existing.symbols if existing else ([preset_symbol] if preset_symbol else []))
        for symbol in symbols:
            item = QListWidgetItem(symbol)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if symbol in chosen else Qt.CheckState.Unchecked
            )
            self.symbol_list.addItem(item)
        self.timeframe_combo = QComboBox()
        for tf in Timeframe:
            self.timeframe_combo.addItem(tf.value, tf.value)
        self.sizing_combo = QComboBox()
        for mode, label in SIZING_LABELS.items():
            self.sizing_combo.addItem(label, mode.value)
        self.sizing_value = QLineEdit("1")
        self.sl_edit = QLineEdit()
        self.tp_edit = QLineEdit()
        for edit in (self.sl_edit, self.tp_edit):
            edit.setPlaceholderText("none")
        self.max_notional = QLineEdit()
        self.max_orders = QLineEdit()
        self.max_loss = QLineEdit()
        for edit in (self.max_notional, self.max_orders, self.max_loss):
            edit.setPlaceholderText("no limit")

        sizing_row = QWidget()
        sizing_box = QHBoxLayout(sizing_row)
        sizing_box.setContentsMargins(0, 0, 0, 0)
        sizing_box.addWidget(self.sizing_combo, 1)
        sizing_box.addWidget(self.sizing_value)
        self._row(form, "Id", self.id_edit, "id")
        self._row(form, "Name", self.name_edit, "name")
        self._row(form, "Strategy", self.strategy_combo, "strategy")
        form.addRow("", self.summary)
        self._row(form, "Symbols", self.symbol_list, "symbols")
        self._row(form, "Timeframe", self.timeframe_combo, "timeframe")
        self._row(form, "Sizing", sizing_row, "sizing")
        self._row(form, "Default stop-loss %", self.sl_edit, "stop_loss_pct")
        self._row(form, "Default take-profit %", self.tp_edit, "take_profit_pct")
        self._row(form, "Max position value", self.max_notional, "max_position_notional")
        self._row(form, "Max orders per hour", self.max_orders, "max_orders_per_hour")
        self._row(form, "Max daily loss", self.max_loss, "max_daily_loss")

        self.params_box = QVBoxLayout()
        self.param_form: ParamForm | None = None
        self.general = QLabel("")
        self.general.setProperty("role", "error")
        self.general.setWordWrap(True)
        self.general.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)
        params_title = QLabel("Parameters")
        params_title.setProperty("role", "muted")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(params_title)
        layout.addLayout(self.params_box)
        layout.addWidget(self.general)
        layout.addWidget(self.buttons)

        self.strategy_combo.currentIndexChanged.connect(self._strategy_changed)
        if existing is not None:
            self._load(existing)
        else:
            self._strategy_changed()

    # --- building -----------------------------------------------------------------------------
    def _row(self, form: QFormLayout, label: str, widget: QWidget, field: str) -> None:
        box = QWidget()
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(1)
        col.addWidget(widget)
        error = QLabel("")
        error.setProperty("role", "error")
        error.setWordWrap(True)
        error.setVisible(False)
        col.addWidget(error)
        self.errors[field] = error
        form.addRow(label, box)

    def _strategy_changed(self, *_: object) -> None:
        cls = self.strategies.get(self.strategy_id())
        self.summary.setText(cls.summary if cls else "")
        if self.param_form is not None:
            self.params_box.removeWidget(self.param_form)
            self.param_form.deleteLater()
            self.param_form = None
        if cls is None:
            return
        self.param_form = ParamForm(cls.params, self)
        self.params_box.addWidget(self.param_form)
        if self.existing is None:
            self.timeframe_combo.setCurrentIndex(
                max(0, self.timeframe_combo.findData(cls.default_timeframe))
            )

    def _load(self, config: BotConfig) -> None:
        index = self.strategy_combo.findData(config.strategy)
        self.strategy_combo.setCurrentIndex(max(0, index))
        self._strategy_changed()
        if self.param_form is not None:
            self.param_form.set_values(config.params)
        self.timeframe_combo.setCurrentIndex(
            max(0, self.timeframe_combo.findData(config.timeframe.value))
        )
        self.sizing_combo.setCurrentIndex(
            max(0, self.sizing_combo.findData(config.sizing.mode.value))
        )
        self.sizing_value.setText(str(config.sizing.value))
        lim = config.limits
        for edit, value in (
            (self.sl_edit, config.stop_loss_pct),
            (self.tp_edit, config.take_profit_pct),
            (self.max_notional, lim.max_position_notional),
            (self.max_orders, lim.max_orders_per_hour),
            (self.max_loss, lim.max_daily_loss),
        ):
            edit.setText("" if value is None else str(value))

    # --- reading ----------------------------------------------------------------------------
    def strategy_id(self) -> str:
        return str(self.strategy_combo.currentData() or "")

    def checked_symbols(self) -> list[str]:
        items = (self.symbol_list.item(i) for i in range(self.symbol_list.count()))
        return [it.text() for it in items if it.checkState() == Qt.CheckState.Checked]

    def set_symbols(self, symbols: Sequence[str]) -> None:
        for i in range(self.symbol_list.count()):
            item = self.symbol_list.item(i)
            on = item.text() in symbols
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def mapping(self) -> dict[str, Any]:
        """The form as a config mapping (text as typed; the manager validates it)."""
        return {
            "id": self.id_edit.text().strip(),
            "name": self.name_edit.text().strip(),
            "strategy": self.strategy_id(),
            "symbols": self.checked_symbols(),
            "timeframe": self.timeframe_combo.currentData(),
            "params": self.param_form.values() if self.param_form is not None else {},
            "sizing": {
                "mode": self.sizing_combo.currentData(),
                "value": self.sizing_value.text().strip(),
            },
            "stop_loss_pct": self.sl_edit.text().strip() or None,
            "take_profit_pct": self.tp_edit.text().strip() or None,
            "limits": {
                "max_position_notional": self.max_notional.text().strip() or None,
                "max_orders_per_hour": self.max_orders.text().strip() or None,
                "max_daily_loss": self.max_loss.text().strip() or None,
            },
        }

    # --- accepting ----------------------------------------------------------------------------
    def try_accept(self) -> bool:
        self.clear_errors()
        try:
            self.result_value = self.submit(self.mapping())
        except ValidationError as exc:
            self.show_error(exc.field, exc.rule)
            return False
        self.accept()
        return True

    def show_error(self, field: str, rule: str) -> None:
        if field.startswith("params.") and self.param_form is not None:
            self.param_form.show_error(field.removeprefix("params."), rule)
            return
        if field == "params" and self.param_form is not None:
            self.param_form.show_error("", rule)
            return
        label = self.errors.get(_FIELD_OF.get(field, field))
        if label is None:
            label = self.general
            rule = f"{field}: {rule}"
        label.setText(rule)
        label.setVisible(True)

    def error_text(self, field: str) -> str:
        if field.startswith("params.") and self.param_form is not None:
            return self.param_form.error_text(field.removeprefix("params."))
        label = self.errors.get(field, self.general if field == GENERAL else None)
        return "" if label is None else label.text()

    def clear_errors(self) -> None:
        for label in (*self.errors.values(), self.general):
            label.setText("")
            label.setVisible(False)
        if self.param_form is not None:
            self.param_form.clear_errors()
