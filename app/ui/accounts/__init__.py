"""Tools → Accounts…: add, edit and remove trading accounts, choose one, go live."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.ui.accounts.dialog import AccountsDialog
from app.ui.context import UiContext

__all__ = ["AccountsDialog", "open_accounts_dialog"]


def open_accounts_dialog(parent: QWidget | None, ctx: UiContext) -> AccountsDialog:
    """Show the accounts dialog (non-modal: the session keeps running behind it)."""
    if ctx.accounts is None:
        raise RuntimeError("this session has no account service (bootstrap sets ctx.accounts)")
    dialog = AccountsDialog(ctx, ctx.accounts, parent)
    dialog.show()
    return dialog
