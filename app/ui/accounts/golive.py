"""Go live…: the last step before an account trades with real money.

It says so plainly, lists the key's warnings as the venue reported them (each with a box
that must be ticked), and asks for the account's label to be typed. The Go live button
stays disabled until all of that is done; the service checks it all again.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.accounts.model import Account
from app.accounts.service import AccountService
from app.engine.domain.errors import ValidationError
from app.engine.store.errors import StoreError


class GoLiveDialog(QDialog):
    def __init__(
        self,
        service: AccountService,
        account: Account,
        warnings: Sequence[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.account = account
        self.warnings = list(warnings)
        self.result_account: Account | None = None
        self.setWindowTitle(f"Go live: {account.label}")
        layout = QVBoxLayout(self)
        heading = QLabel(
            f"<b>{account.label}</b> will trade with <b>REAL MONEY</b> on "
            f"{service.spec(account).title}. "
            "Orders placed from now on, by you or by bots, are real and cannot be undone.",
            self,
        )
        heading.setObjectName("realMoney")
        heading.setProperty("role", "error")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        self.checks: list[QCheckBox] = []
        if self.warnings:
            layout.addWidget(QLabel("The venue reports about this API key:", self))
        else:
            layout.addWidget(QLabel("The venue reported no warning about this API key.", self))
        for index, warning in enumerate(self.warnings):
            box = QCheckBox(f"I understand: {warning}", self)
            box.setObjectName(f"ack_{index}")
            box.toggled.connect(self._update)
            self.checks.append(box)
            layout.addWidget(box)
        layout.addWidget(QLabel(f"Type the account's label ({account.label}) to confirm:", self))
        self.typed = QLineEdit(self)
        self.typed.setObjectName("typedLabel")
        self.typed.textChanged.connect(self._update)
        layout.addWidget(self.typed)
        self.error = QLabel("", self)
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.go_button = buttons.addButton("Go live", QDialogButtonBox.ButtonRole.AcceptRole)
        self.go_button.setObjectName("goLive")
        buttons.accepted.connect(self.confirm)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._update()

    def acknowledged(self) -> list[str]:
        return [w for w, box in zip(self.warnings, self.checks, strict=True) if box.isChecked()]

    def _update(self) -> None:
        ready = len(self.acknowledged()) == len(self.warnings) and (
            self.typed.text().strip() == self.account.label
        )
        self.go_button.setEnabled(ready)

    def confirm(self) -> bool:
        try:
            self.result_account = self.service.go_live(
                self.account.id, self.typed.text(), self.acknowledged()
            )
        except (ValidationError, StoreError) as exc:
            self.error.setText(str(exc))
            return False
        self.accept()
        return True
