"""Tools → Accounts…: the trader's accounts and what can be done with each.

The table shows label, venue, mode (LIVE in red), whether the credentials the mode needs
are set, the Fyers token's expiry and which account is active. Venue calls (test
connection, the go-live key check, the Fyers login) run as owned tasks (``ctx.spawn``)
with a busy indicator; the loop never waits on them.
"""

from __future__ import annotations

import asyncio
import webbrowser
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.accounts.model import AccountMode
from app.accounts.service import AccountService, AccountStatus
from app.engine.domain.errors import ValidationError
from app.engine.store.errors import StoreError
from app.ui.accounts.form import AccountForm
from app.ui.accounts.golive import GoLiveDialog
from app.ui.accounts.outcome import Outcome, captured
from app.ui.accounts.paste import PasteUrlDialog
from app.ui.context import UiContext
from app.ui.theme import DARK

COLUMNS = ("", "Label", "Venue", "Mode", "Credentials", "Token", "Symbols")


class AccountsDialog(QDialog):
    def __init__(self, ctx: UiContext, service: AccountService, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.service = service
        self.setWindowTitle("Accounts")
        #: opens the Fyers login page (the trader's browser: outside the app)
        self.open_browser: Callable[[str], object] = webbrowser.open
        self.task: asyncio.Task[Any] | None = None
        self.form: AccountForm | None = None
        self.go_live_dialog: GoLiveDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self.paste_dialog: PasteUrlDialog | None = None
        self._rows: list[AccountStatus] = []

        layout = QVBoxLayout(self)
        refusal = service.secrets.refusal()
        self.keychain_banner = QLabel(refusal or "", self)
        self.keychain_banner.setObjectName("keychainRefused")
        self.keychain_banner.setProperty("role", "error")
        self.keychain_banner.setWordWrap(True)
        self.keychain_banner.setVisible(refusal is not None)
        layout.addWidget(self.keychain_banner)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table)

        row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (
            ("add", "Add…", self.add),
            ("edit", "Edit…", self.edit),
            ("remove", "Remove", self.remove),
            ("use", "Use this account", self.use),
            ("test", "Test connection", self.test_connection),
            ("login", "Log in to Fyers", self.fyers_login),
            ("live", "Go live…", self.go_live),
        ):
            button = QPushButton(text, self)
            button.setObjectName(f"accounts_{key}")
            button.clicked.connect(slot)
            self.buttons[key] = button
            row.addWidget(button)
        layout.addLayout(row)
        status_row = QHBoxLayout()
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)  # busy: the venue call has no measurable progress
        self.progress.setMaximumWidth(120)
        self.progress.setVisible(False)
        self.status = QLabel("", self)
        self.status.setObjectName("accountsStatus")
        self.status.setWordWrap(True)
        status_row.addWidget(self.progress)
        status_row.addWidget(self.status, 1)
        layout.addLayout(status_row)
        self.resize(900, 420)
        self.refresh()

    # --- the table ------------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> None:
        keep = select or self.selected_id()
        self._rows = self.service.overview()
        self.table.setRowCount(len(self._rows))
        red = QBrush(QColor(DARK.down))
        for r, st in enumerate(self._rows):
            a = st.account
            mode = "LIVE" if a.mode is AccountMode.LIVE else a.mode.display
            if st.spec.kind == "demo":
                creds = "—"
            elif st.missing:
                creds = "missing: " + ", ".join(st.missing)
            else:
                creds = "set" if st.credentials_set else "none (paper)"
            token = "—"
            if st.spec.kind == "fyers":
                token = (
                    "not logged in"
                    if a.token_expires_ns is None
                    else _local(a.token_expires_ns) + (" (expired)" if st.token_expired else "")
                )
            cells = (
                "●" if st.active else "",
                a.label,
                st.spec.title,
                mode,
                creds,
                token,
                " ".join(a.symbols) or "demo market",
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 3 and a.mode is AccountMode.LIVE:
                    item.setForeground(red)
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                if c == 4 and st.missing:
                    item.setForeground(red)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        ids = [s.account.id for s in self._rows]
        self.table.selectRow(ids.index(keep) if keep in ids else 0)
        self._selection_changed()

    def selected(self) -> AccountStatus | None:
        rows = self.table.selectionModel().selectedRows()
        return self._rows[rows[0].row()] if rows else None

    def selected_id(self) -> str | None:
        st = self.selected()
        return st.account.id if st is not None else None

    def select(self, account_id: str) -> None:
        ids = [s.account.id for s in self._rows]
        self.table.selectRow(ids.index(account_id))

    def _selection_changed(self) -> None:
        st = self.selected()
        busy = self.task is not None
        real = st is not None and st.spec.kind != "demo"
        for key in ("edit", "remove", "test"):
            self.buttons[key].setEnabled(real and not busy)
        self.buttons["use"].setEnabled(st is not None and not st.active and not busy)
        fyers = st is not None and st.spec.kind == "fyers"
        self.buttons["login"].setEnabled(fyers and not busy)
        live_ok = real and st is not None and st.account.mode is not AccountMode.LIVE
        self.buttons["live"].setEnabled(live_ok and not busy)
        self.buttons["add"].setEnabled(not busy)

    # --- local actions --------------------------------------------------------------------
    def add(self) -> None:
        self._open_form(AccountForm(self.service, self.ctx.spawn, None, self))

    def edit(self) -> None:
        st = self.selected()
        if st is not None:
            self._open_form(AccountForm(self.service, self.ctx.spawn, st.account, self))

    def _open_form(self, form: AccountForm) -> None:
        self.form = form
        form.accepted.connect(lambda: self._form_saved(form))
        form.open()

    def _form_saved(self, form: AccountForm) -> None:
        if form.saved is not None:
            self.refresh(select=form.saved.id)
            self.status.setText(f"Saved {form.saved.label}.")

    def remove(self) -> None:
        st = self.selected()
        if st is None:
            return
        folder = self.service.data_folder(st.account.id)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Remove account",
            f"Remove {st.account.label} and its API key from the keychain?\n\n"
            f"Its data folder {folder} (journal, reports) is kept.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        self.confirm_box = box
        account_id = st.account.id
        box.finished.connect(lambda result: self._remove_answered(account_id, result))
        box.open()

    def _remove_answered(self, account_id: str, result: int) -> None:
        if result != QMessageBox.StandardButton.Yes.value:
            return
        self._run(
            asyncio.to_thread(self.service.remove, account_id),  # the keychain may prompt
            "Removing…",
            lambda folder: self.status.setText(f"Removed. Its data folder {folder} is kept."),
        )

    def use(self) -> None:
        st = self.selected()
        if st is None:
            return
        try:
            account = self.service.set_active(st.account.id)
        except (ValidationError, StoreError) as exc:
            self.status.setText(str(exc))
            return
        self.refresh(select=account.id)
        if self.ctx.switch_account is None:
            self.status.setText(f"{account.label} will be used at the next start.")
            return
        self.status.setText(f"Switching to {account.label}…")
        self.ctx.switch_account(account.id)

    # --- venue calls (owned tasks) --------------------------------------------------------
    def test_connection(self) -> None:
        st = self.selected()
        if st is not None:
            label = st.account.label
            self._run(
                self.service.test_connection(st.account.id),
                f"Testing {label}…",
                lambda summary: self.status.setText(f"{label}: {summary}"),
            )

    def go_live(self) -> None:
        st = self.selected()
        if st is None:
            return
        account = st.account
        self._run(
            self.service.check_go_live(account.id),
            f"Checking {account.label}'s API key with {st.spec.title}…",
            lambda warnings: self._open_go_live(account.id, warnings),
        )

    def _open_go_live(self, account_id: str, warnings: list[str]) -> None:
        self.status.setText("")
        dialog = GoLiveDialog(self.service, self.service.get(account_id), warnings, self)
        self.go_live_dialog = dialog
        dialog.accepted.connect(lambda: self._went_live(dialog))
        dialog.open()

    def _went_live(self, dialog: GoLiveDialog) -> None:
        if dialog.result_account is not None:
            self.refresh(select=dialog.result_account.id)
            self.status.setText(f"{dialog.result_account.label} is LIVE.")

    def fyers_login(self) -> None:
        st = self.selected()
        if st is None:
            return
        account_id = st.account.id
        self._run(
            self.service.fyers_login(
                account_id, open_browser=self.open_browser, paste_url=self._ask_pasted_url
            ),
            "Logging in to Fyers: finish in the browser…",
            lambda account: self.status.setText(
                f"Logged in; the token is valid until {_local(account.token_expires_ns)}."
            ),
        )

    async def _ask_pasted_url(self, auth_url: str) -> str:
        """Ask for the URL the browser landed on (when it cannot be captured locally)."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        dialog = PasteUrlDialog(auth_url, self)
        self.paste_dialog = dialog

        def answered(result: int) -> None:
            if future.done():
                return
            if result == QDialog.DialogCode.Accepted.value:
                future.set_result(dialog.url())
            else:
                future.set_exception(ValidationError("redirect URL", "the login was cancelled"))

        dialog.finished.connect(answered)
        dialog.open()
        try:
            return await future
        finally:
            dialog.close()

    def _run(self, work: Awaitable[Any], busy: str, done: Callable[[Any], None]) -> None:
        if self.task is not None:
            if isinstance(work, Coroutine):
                work.close()
            return
        self.status.setText(busy)
        self.progress.setVisible(True)
        self.task = self.ctx.spawn(captured(work), "accounts-venue-call")
        self._selection_changed()
        self.task.add_done_callback(lambda task: self._finished(task, done))

    def _finished(self, task: asyncio.Task[Outcome[Any]], done: Callable[[Any], None]) -> None:
        self.task = None
        self.progress.setVisible(False)
        self._selection_changed()
        if task.cancelled():
            self.status.setText("Cancelled.")
            return
        if task.exception() is not None:  # a bug: the supervisor logs it with its traceback
            self.status.setText("Failed: unexpected error (see the log)")
            return
        outcome = task.result()
        if outcome.error is not None:
            self.status.setText(f"Failed: {outcome.error}")
            return
        self.refresh()
        done(outcome.value)

    def closeEvent(self, event: Any) -> None:
        if self.task is not None:
            self.task.cancel()
        super().closeEvent(event)


def _local(ns: int | None) -> str:
    if ns is None:
        return "—"
    return datetime.fromtimestamp(ns / 1e9).astimezone().strftime("%Y-%m-%d %H:%M")
