"""Tools → Accounts…: real widgets on a real service (SQLite file, keyring API with an
in-memory backend); the venues are stood in for by RecordingOps (VenueOpsImpl itself is
tested against the loopback Binance emulator in tests/accounts/test_venue_ops.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtWidgets import QLineEdit, QMessageBox

from app.accounts.model import AccountMode
from app.accounts.service import AccountService
from app.accounts.store import AccountStore
from app.engine.clock import SimClock
from app.engine.ports import KeyPermissions
from app.ui.accounts import open_accounts_dialog
from app.ui.accounts.dialog import AccountsDialog
from app.ui.accounts.form import AccountForm
from tests.accounts.helpers import RecordingOps
from tests.accounts.keyrings import MemoryKeyring

T0 = 1_764_000_000_000_000_000


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def ops() -> RecordingOps:
    return RecordingOps()


@pytest.fixture
def service(ui_ctx, ops, memory_keyring) -> Iterator[AccountService]:  # type: ignore[no-untyped-def]
    store = AccountStore(ui_ctx.settings.data_dir)
    svc = AccountService(store, ops, SimClock(T0))
    ui_ctx.accounts = svc
    yield svc
    store.close()


@pytest.fixture
def dialog(ui_ctx, service, qtbot) -> AccountsDialog:  # type: ignore[no-untyped-def]
    switched: list[str] = []
    ui_ctx.switch_account = switched.append
    dlg = open_accounts_dialog(None, ui_ctx)
    qtbot.addWidget(dlg)
    dlg.switched = switched  # type: ignore[attr-defined]
    return dlg


def _cell(dialog: AccountsDialog, row: int, col: int) -> str:
    item = dialog.table.item(row, col)
    assert item is not None
    return item.text()


def _edit(form: AccountForm, name: str) -> QLineEdit:
    found = form.findChild(QLineEdit, name)
    assert found is not None, name
    return found


def _add_binance(dialog: AccountsDialog, label: str = "Main", mode: str = "testnet") -> AccountForm:
    dialog.buttons["add"].click()
    form = dialog.form
    assert form is not None and form.isVisible()
    form.venue_combo.setCurrentIndex(form.venue_combo.findData("binance"))
    form.label_edit.setText(label)
    form.mode_combo.setCurrentIndex(form.mode_combo.findData(mode))
    _edit(form, "cred_api_key").setText("KEY-1111")
    _edit(form, "cred_secret").setText("SECRET-2222")
    return form


async def _save(form: AccountForm) -> None:
    """Click Save and wait for the save (a worker thread: the keychain may prompt)."""
    form.save_button.click()
    for _ in range(300):
        if form.saving is None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the save did not finish")


async def _settle(dialog: AccountsDialog) -> None:
    for _ in range(200):
        if dialog.task is None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the venue call did not finish")


async def test_add_an_account_through_the_form(dialog, service, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    assert dialog.table.rowCount() == 1 and _cell(dialog, 0, 1) == "Demo"
    assert _cell(dialog, 0, 0) == "●"
    form = _add_binance(dialog)
    # the modes Binance offers, never LIVE (that is Go live…'s job)
    modes = [form.mode_combo.itemData(i) for i in range(form.mode_combo.count())]
    assert modes == ["paper_live", "testnet"]
    secret = _edit(form, "cred_secret")
    assert secret.echoMode() is QLineEdit.EchoMode.Password
    await _save(form)
    assert form.saved is not None and not form.isVisible()
    assert dialog.table.rowCount() == 2
    assert [_cell(dialog, 1, c) for c in (1, 2, 3, 4)] == ["Main", "Binance", "Testnet", "set"]
    assert memory_keyring.secrets() == {
        "account/main/api_key": "KEY-1111",
        "account/main/secret": "SECRET-2222",
    }


async def test_errors_show_next_to_the_field_at_fault(dialog, service, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    form = _add_binance(dialog)
    form.label_edit.setText("")
    await _save(form)
    assert "1-40 characters" in form.error_text("label") and form.isVisible()
    form.label_edit.setText("Demo")
    await _save(form)
    assert "already used" in form.error_text("label")
    form.label_edit.setText("Fine")
    _edit(form, "cred_secret").setText("")
    await _save(form)
    assert form.error_text("label") == ""
    assert "required for Testnet" in form.error_text("credentials.secret")
    _edit(form, "cred_secret").setText("S")
    form.symbols_edit.setText("BTCUSDT")
    await _save(form)
    assert "BTC/USDT" in form.error_text("symbols")
    form.venue_combo.setCurrentIndex(form.venue_combo.findData("other"))
    assert form.other_id.isVisible()
    form.other_id.setText("nosuchexchange")
    form.symbols_edit.setText("BTC/USD")
    await _save(form)
    assert "ccxt exchange id" in form.error_text("venue")
    assert memory_keyring.items == {} and dialog.table.rowCount() == 1


async def test_secret_fields_are_masked_with_a_show_toggle(dialog, service) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QCheckBox

    form = _add_binance(dialog)
    toggle = form.findChild(QCheckBox, "show_secret")
    assert toggle is not None
    toggle.setChecked(True)
    assert _edit(form, "cred_secret").echoMode() is QLineEdit.EchoMode.Normal
    toggle.setChecked(False)
    assert _edit(form, "cred_secret").echoMode() is QLineEdit.EchoMode.Password


async def test_fyers_form_offers_product_type_and_no_testnet(dialog, service) -> None:  # type: ignore[no-untyped-def]
    dialog.buttons["add"].click()
    form = dialog.form
    assert form is not None
    form.venue_combo.setCurrentIndex(form.venue_combo.findData("fyers"))
    assert form.product_combo.isVisible()
    modes = [form.mode_combo.itemData(i) for i in range(form.mode_combo.count())]
    assert modes == ["paper_live"]
    assert form.findChild(QLineEdit, "cred_access_token") is None  # filled by the login
    assert form.symbols_edit.text().startswith("NSE:SBIN-EQ")


async def test_edit_keeps_secrets_left_blank(dialog, service, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    await _save(_add_binance(dialog))
    dialog.select("main")
    dialog.buttons["edit"].click()
    form = dialog.form
    assert form is not None and not form.venue_combo.isEnabled()
    assert _edit(form, "cred_secret").text() == ""
    assert "leave blank to keep" in _edit(form, "cred_secret").placeholderText()
    form.label_edit.setText("Main renamed")
    form.symbols_edit.setText("ETH/USDT, SOL/USDT")
    await _save(form)
    assert form.saved is not None
    assert service.get("main").symbols == ("ETH/USDT", "SOL/USDT")
    assert _cell(dialog, 1, 1) == "Main renamed"
    assert memory_keyring.secrets()["account/main/secret"] == "SECRET-2222"


async def test_remove_confirms_and_keeps_the_data_folder(dialog, service, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    await _save(_add_binance(dialog))
    dialog.select("main")
    dialog.buttons["remove"].click()
    box = dialog.confirm_box
    assert box is not None and "is kept" in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    assert dialog.table.rowCount() == 2
    dialog.buttons["remove"].click()
    dialog.confirm_box.button(QMessageBox.StandardButton.Yes).click()  # type: ignore[union-attr]
    await _settle(dialog)
    assert dialog.table.rowCount() == 1 and memory_keyring.items == {}
    assert "is kept" in dialog.status.text()


async def test_use_test_connection_and_the_demo_row(dialog, service, ops) -> None:  # type: ignore[no-untyped-def]
    assert not dialog.buttons["remove"].isEnabled()  # the demo account
    await _save(_add_binance(dialog))
    dialog.select("main")
    dialog.buttons["test"].click()
    assert dialog.progress.isVisible() and not dialog.buttons["test"].isEnabled()
    await _settle(dialog)
    assert dialog.status.text() == "Main: binance: ok"
    assert not dialog.progress.isVisible()
    dialog.buttons["use"].click()
    assert dialog.switched == ["main"]  # type: ignore[attr-defined]
    assert service.active().id == "main" and _cell(dialog, 1, 0) == "●"


async def test_going_live_needs_every_warning_ticked_and_the_label_typed(
    dialog,
    service,
    ops,  # type: ignore[no-untyped-def]
) -> None:
    ops.permissions = KeyPermissions(can_trade=True, can_withdraw=True, ip_restricted=False)
    await _save(_add_binance(dialog, mode="paper_live"))
    dialog.select("main")
    dialog.buttons["live"].click()
    assert "Checking" in dialog.status.text()
    await _settle(dialog)
    live = dialog.go_live_dialog
    assert live is not None and live.isVisible()
    assert len(live.checks) == 2 and "WITHDRAW" in live.checks[0].text()
    assert not live.go_button.isEnabled()
    live.typed.setText("Main")
    assert not live.go_button.isEnabled()
    live.checks[0].setChecked(True)
    assert not live.go_button.isEnabled()
    live.checks[1].setChecked(True)
    assert live.go_button.isEnabled()
    live.typed.setText("main")
    assert not live.go_button.isEnabled()
    live.typed.setText("Main")
    live.go_button.click()
    account = service.get("main")
    assert account.mode is AccountMode.LIVE and len(account.acknowledged_warnings) == 2
    assert _cell(dialog, 1, 3) == "LIVE"
    assert dialog.table.item(1, 3).foreground().color().name() == "#e5484d"
    assert not dialog.buttons["live"].isEnabled()


async def test_a_refused_key_check_shows_the_venue_reason(dialog, service, ops) -> None:  # type: ignore[no-untyped-def]
    ops.refuse_key = True
    await _save(_add_binance(dialog, mode="paper_live"))
    dialog.select("main")
    dialog.buttons["live"].click()
    await _settle(dialog)
    assert "Invalid API-key" in dialog.status.text() and dialog.go_live_dialog is None
    await _save(_add_binance(dialog, "Sandbox", "testnet"))
    dialog.select("sandbox")
    dialog.buttons["live"].click()
    await _settle(dialog)
    assert "a testnet key cannot trade real money" in dialog.status.text()
    assert dialog.go_live_dialog is None


async def test_fyers_login_with_a_pasted_url(dialog, service, ops, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    account = service.add(
        "fyers",
        "Fyers",
        "paper_live",
        None,
        {"app_id": "XB12345-100", "secret_key": "fs", "redirect_url": "https://example.com/cb"},
    )
    ops.ask_paste = True
    ops.token = ("fy-token", T0 + 10**12)
    opened: list[str] = []
    dialog.open_browser = opened.append
    dialog.refresh(select=account.id)
    assert _cell(dialog, 1, 5) == "not logged in"
    dialog.buttons["login"].click()
    for _ in range(100):
        if dialog.paste_dialog is not None:
            break
        await asyncio.sleep(0.01)
    assert dialog.paste_dialog is not None
    dialog.paste_dialog.edit.setText("https://example.com/cb?auth_code=abc&state=x")
    dialog.paste_dialog.accept()
    await _settle(dialog)
    assert opened == ["https://example.invalid/auth"]
    assert ops.pasted == ["https://example.com/cb?auth_code=abc&state=x"]
    assert memory_keyring.secrets()[f"account/{account.id}/access_token"] == "fy-token"
    assert "valid until" in dialog.status.text()
    assert _cell(dialog, 1, 5) != "not logged in"


async def test_a_refused_keychain_is_shown_and_credentials_cannot_be_saved(
    dialog,
    service,
    ui_ctx,  # type: ignore[no-untyped-def]
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        refused = AccountsDialog(ui_ctx, service)
        assert refused.keychain_banner.isVisibleTo(refused)
        assert "Tradedesk never stores secrets in plaintext" in refused.keychain_banner.text()
        refused.buttons["add"].click()
        form = refused.form
        assert form is not None
        assert "never stores secrets in plaintext" in form.keychain_banner.text()
        assert not _edit(form, "cred_api_key").isEnabled()
        form.venue_combo.setCurrentIndex(form.venue_combo.findData("binance"))
        form.label_edit.setText("Keyless paper")
        _edit(form, "cred_api_key").setText("K")  # pasted in some other way: still refused
        await _save(form)
        assert "never stores secrets in plaintext" in form.error_text("_general")
        assert form.saved is None and service.list()[1:] == []
        _edit(form, "cred_api_key").setText("")
        await _save(form)  # paper on live data needs no key: allowed
        assert form.saved is not None and form.saved.mode is AccountMode.PAPER_LIVE
        refused.close()
    finally:
        keyring.set_keyring(previous)
