"""The add/edit form of an account, generated from the venue's declaration (VenueSpec).

Secret fields are masked with a "show" toggle; in an edit they start blank and blank means
"keep the stored value". Every ValidationError from the service appears under the field it
names. When the OS keychain is refused, the reason is shown and credentials cannot be typed.
Saving runs in a worker thread (an owned task): the OS keychain may wait on an unlock prompt.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.accounts.model import Account, AccountMode
from app.accounts.service import AccountService
from app.accounts.venues import CATALOG, OTHER_CCXT, PRODUCT_TYPES, VenueSpec, other_ccxt_spec
from app.engine.domain.errors import ValidationError
from app.ui.accounts.outcome import Outcome, captured

Spawn = Callable[[Coroutine[Any, Any, Any], str], "asyncio.Task[Any]"]
GENERAL = "_general"


def split_symbols(text: str) -> list[str]:
    return [s for s in re.split(r"[\s,;]+", text) if s]


def error_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel("", parent)
    label.setProperty("role", "error")
    label.setObjectName(f"error_{name}")
    label.setWordWrap(True)
    label.setVisible(False)
    return label


class SecretEdit(QWidget):
    """A masked line edit with a "Show" toggle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_box = QCheckBox("Show", self)
        self.show_box.toggled.connect(self._toggle)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.show_box)

    def _toggle(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.edit.setEchoMode(mode)


class AccountForm(QDialog):
    """Add (``account`` None) or edit an account. ``saved`` holds the result after Save."""

    def __init__(
        self,
        service: AccountService,
        spawn: Spawn,
        account: Account | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.spawn = spawn
        self.account = account
        self.saved: Account | None = None
        self.saving: asyncio.Task[Outcome[Account]] | None = None
        self.setWindowTitle("Edit account" if account else "Add account")
        self.keychain_refusal = service.secrets.refusal()
        self._errors: dict[str, QLabel] = {}
        self._cred_edits: dict[str, QLineEdit] = {}
        self._symbols_touched = False

        root = QVBoxLayout(self)
        self.keychain_banner = QLabel(self.keychain_refusal or "", self)
        self.keychain_banner.setObjectName("keychainRefused")
        self.keychain_banner.setProperty("role", "error")
        self.keychain_banner.setWordWrap(True)
        self.keychain_banner.setVisible(self.keychain_refusal is not None)
        root.addWidget(self.keychain_banner)

        top = QFormLayout()
        self._top = top
        self.venue_combo = QComboBox(self)
        self.venue_combo.setObjectName("venue")
        for spec in CATALOG:
            self.venue_combo.addItem(spec.title, spec.id)
        self.venue_combo.addItem("Other ccxt exchange…", OTHER_CCXT)
        self.other_id = QLineEdit(self)
        self.other_id.setObjectName("otherExchangeId")
        self.other_id.setPlaceholderText("ccxt exchange id, e.g. kraken")
        self.label_edit = QLineEdit(self)
        self.label_edit.setObjectName("label")
        self.label_edit.setMaxLength(40)
        self.mode_combo = QComboBox(self)
        self.mode_combo.setObjectName("mode")
        self.symbols_edit = QLineEdit(self)
        self.symbols_edit.setObjectName("symbols")
        self.symbols_edit.textEdited.connect(self._symbols_edited)
        self.product_combo = QComboBox(self)
        self.product_combo.setObjectName("productType")
        self.product_combo.addItems(list(PRODUCT_TYPES))
        self.product_label = QLabel("Product type", self)
        self.note = QLabel("", self)
        self.note.setProperty("role", "muted")
        self.note.setWordWrap(True)
        for text, widget, name in (
            ("Venue", self.venue_combo, "venue"),
            ("Exchange id", self.other_id, None),
            ("Label", self.label_edit, "label"),
            ("Mode", self.mode_combo, "mode"),
            ("Symbols", self.symbols_edit, "symbols"),
        ):
            top.addRow(text, widget)
            if name is not None:
                self._errors[name] = error_label(self, name)
                top.addRow(self._errors[name])
        top.addRow(self.product_label, self.product_combo)
        self._errors["product_type"] = error_label(self, "product_type")
        top.addRow(self._errors["product_type"])
        root.addLayout(top)
        root.addWidget(self.note)
        self.cred_box = QWidget(self)
        self.cred_layout = QFormLayout(self.cred_box)
        self.cred_layout.setContentsMargins(0, 0, 0, 0)
        root.addWidget(self.cred_box)
        self._errors[GENERAL] = error_label(self, GENERAL)
        root.addWidget(self._errors[GENERAL])
        self.busy = QLabel("", self)
        self.busy.setProperty("role", "muted")
        root.addWidget(self.busy)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        root.addWidget(buttons)

        self.venue_combo.currentIndexChanged.connect(self._venue_changed)
        self.other_id.editingFinished.connect(self._venue_changed)
        if account is not None:
            self._load(account)
        else:
            self._venue_changed()
        self.resize(520, 0)

    # --- what the form shows for a venue --------------------------------------------------
    def spec(self) -> VenueSpec:
        if self.account is not None:
            return self.service.spec(self.account)
        venue = self.venue_combo.currentData()
        if venue == OTHER_CCXT:
            exchange = self.other_id.text().strip().lower()
            has = bool(exchange) and self.service.ops.ccxt_has_sandbox(exchange)
            return other_ccxt_spec(exchange or "other", testnet=has)
        found = next(s for s in CATALOG if s.id == venue)
        return found

    def _venue_changed(self) -> None:
        spec = self.spec()
        other = self.account is None and self.venue_combo.currentData() == OTHER_CCXT
        self._top.setRowVisible(self.other_id, other)
        self.note.setText(spec.note)
        fyers = spec.kind == "fyers"
        self._top.setRowVisible(self.product_combo, fyers)
        current = self.mode_combo.currentData()
        self.mode_combo.clear()
        for mode in spec.modes:
            if mode is AccountMode.LIVE and (self.account is None or not self.account.is_live):
                continue  # live only through Go live…
            self.mode_combo.addItem(mode.display, mode.value)
        index = self.mode_combo.findData(current)
        self.mode_combo.setCurrentIndex(max(index, 0))
        if not self._symbols_touched and self.account is None:
            self.symbols_edit.setText(" ".join(spec.default_symbols))
        self.symbols_edit.setPlaceholderText("BTC/USDT ETH/USDT" if not fyers else "NSE:SBIN-EQ")
        self._build_credentials(spec)

    def _build_credentials(self, spec: VenueSpec) -> None:
        while self.cred_layout.rowCount():
            self.cred_layout.removeRow(0)
        for name in [n for n in self._errors if n.startswith("credentials.")]:
            del self._errors[name]
        self._cred_edits.clear()
        for field in spec.credentials:
            if not field.typed:
                continue
            edit: QLineEdit
            widget: QWidget
            if field.secret:
                holder = SecretEdit(self.cred_box)
                edit, widget = holder.edit, holder
                holder.show_box.setObjectName(f"show_{field.name}")
            else:
                edit = QLineEdit(self.cred_box)
                widget = edit
            edit.setObjectName(f"cred_{field.name}")
            if field.help:
                edit.setToolTip(field.help)
            if self.account is not None:
                edit.setPlaceholderText("unchanged (leave blank to keep)")
            elif not field.required:
                edit.setPlaceholderText("optional")
            edit.setEnabled(self.keychain_refusal is None)
            self._cred_edits[field.name] = edit
            self.cred_layout.addRow(field.label, widget)
            err = error_label(self.cred_box, f"credentials.{field.name}")
            self._errors[f"credentials.{field.name}"] = err
            self.cred_layout.addRow(err)

    def _load(self, account: Account) -> None:
        spec = self.service.spec(account)
        index = self.venue_combo.findData(account.venue)
        if index < 0:
            self.venue_combo.setCurrentIndex(self.venue_combo.findData(OTHER_CCXT))
            self.other_id.setText(account.venue)
        else:
            self.venue_combo.setCurrentIndex(index)
        self.venue_combo.setEnabled(False)  # the venue is the account's identity
        self.other_id.setReadOnly(True)
        self.label_edit.setText(account.label)
        self._symbols_touched = True
        self.symbols_edit.setText(" ".join(account.symbols))
        self._venue_changed()
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(account.mode.value))
        if account.product_type:
            self.product_combo.setCurrentText(account.product_type)
        self.note.setText(spec.note)

    def _symbols_edited(self, _text: str) -> None:
        self._symbols_touched = True

    # --- saving ---------------------------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        return {name: edit.text() for name, edit in self._cred_edits.items()}

    def save(self) -> None:
        """Validate and save through the service, off the loop; errors appear next to the
        fields they name, success closes the form (``saved`` holds the account)."""
        if self.saving is not None:
            return
        self.clear_errors()
        spec = self.spec()
        creds = self.credentials()
        if any(v.strip() for v in creds.values()) and self.keychain_refusal is not None:
            self.show_error(GENERAL, self.keychain_refusal)
            return
        product = self.product_combo.currentText() if spec.kind == "fyers" else None
        mode = str(self.mode_combo.currentData())
        symbols = split_symbols(self.symbols_edit.text())
        call: Callable[[], Account]
        if self.account is None:
            venue = self.venue_combo.currentData()
            if venue == OTHER_CCXT:
                venue = self.other_id.text()
            call = functools.partial(
                self.service.add, str(venue), self.label_edit.text(), mode, symbols, creds, product
            )
        else:
            call = functools.partial(
                self.service.update,
                self.account.id,
                label=self.label_edit.text(),
                mode=mode,
                symbols=symbols,
                credentials=creds,
                product_type=product,
            )
        self.save_button.setEnabled(False)
        self.busy.setText("Saving… (answer the OS keychain if it asks to be unlocked)")
        self.saving = self.spawn(captured(asyncio.to_thread(call)), "accounts-save")
        self.saving.add_done_callback(self._saved)

    def _saved(self, task: asyncio.Task[Outcome[Account]]) -> None:
        self.saving = None
        self.save_button.setEnabled(True)
        self.busy.clear()
        if task.cancelled():
            return
        if task.exception() is not None:  # a bug: the supervisor logs it
            self.show_error(GENERAL, "could not save (unexpected error, see the log)")
            return
        outcome = task.result()
        if isinstance(outcome.error, ValidationError):
            self.show_error(outcome.error.field, outcome.error.rule)
        elif outcome.error is not None:
            self.show_error(GENERAL, str(outcome.error))
        else:
            self.saved = outcome.value
            self.accept()

    def show_error(self, field: str, message: str) -> None:
        label = self._errors.get(field)
        if label is None:
            label = self._errors[GENERAL]
            message = f"{field}: {message}"
        label.setText(message)
        label.setVisible(True)

    def error_text(self, field: str) -> str:
        label = self._errors.get(field)
        return label.text() if label is not None and not label.isHidden() else ""

    def clear_errors(self) -> None:
        for label in self._errors.values():
            label.clear()
            label.setVisible(False)
