"""AccountService: validation naming the field, secrets in the keychain first, nothing half
written, edits keeping secrets, removal, the active account, and no secret on disk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from keyring.backends import fail, null

from app.accounts.model import DEMO_ACCOUNT, AccountMode
from app.accounts.secrets import KeychainUnavailable
from app.accounts.service import AccountService
from app.accounts.store import FILE_NAME, AccountsLocked, AccountStore
from app.engine.clock import SimClock
from app.engine.domain.errors import ValidationError
from app.keychain import KeychainError
from tests.accounts.conftest import T0
from tests.accounts.helpers import RecordingOps
from tests.accounts.keyrings import MemoryKeyring

KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"


def _binance(service: AccountService, label: str = "Main", mode: str = "testnet"):  # type: ignore[no-untyped-def]
    return service.add("binance", label, mode, None, {"api_key": KEY, "secret": SECRET})


def test_the_demo_account_is_always_there_and_active_by_default(service: AccountService) -> None:
    assert service.list() == [DEMO_ACCOUNT]
    assert service.active() == DEMO_ACCOUNT
    with pytest.raises(ValidationError) as caught:
        service.remove("demo")
    assert caught.value.field == "account"


def test_add_keeps_secrets_in_the_keychain_and_the_row_on_disk(
    service: AccountService, memory_keyring: MemoryKeyring, data_dir: Path
) -> None:
    account = _binance(service, "Main Binance")
    assert account.id == "main-binance"
    assert account.mode is AccountMode.TESTNET
    assert account.symbols == ("BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT")
    assert account.created_ns == T0
    assert memory_keyring.secrets() == {
        "account/main-binance/api_key": KEY,
        "account/main-binance/secret": SECRET,
    }
    assert service.credentials("main-binance") == {"api_key": KEY, "secret": SECRET}
    status = service.overview()[1]
    assert status.credentials_set == {"api_key", "secret"} and status.missing == ()


def test_no_secret_value_reaches_the_accounts_file(
    service: AccountService, store: AccountStore, data_dir: Path
) -> None:
    _binance(service)
    service.add(
        "blofin",
        "Swaps",
        "testnet",
        None,
        {"api_key": KEY + "b", "secret": SECRET + "b", "password": "Passphrase-Of-Mine-77"},
    )
    service.update("main", label="Main 2", credentials={"secret": SECRET + "x"})
    while_open = b"".join(  # the main file and its WAL, as they are during the session
        p.read_bytes() for p in data_dir.iterdir() if p.name.startswith(FILE_NAME)
    )
    store.close()  # the last connection folds the WAL into the file
    after_close = (data_dir / FILE_NAME).read_bytes()
    for raw in (while_open, after_close):
        assert b"account/main/secret" in raw  # the reference is there
        for value in (KEY, SECRET, SECRET + "x", KEY + "b", "Passphrase-Of-Mine-77"):
            assert value.encode() not in raw
            assert value[:16].encode() not in raw


@pytest.mark.parametrize(
    ("args", "field", "rule"),
    [
        (("nowhere", "A", "testnet", None, {}), "venue", "ccxt exchange id"),
        (("demo", "A", "demo", None, {}), "venue", "built in"),
        (("binance", "", "testnet", None, {}), "label", "1-40"),
        (("binance", "x" * 41, "testnet", None, {}), "label", "1-40"),
        (("binance", "Demo", "paper_live", None, {}), "label", "already used"),
        (("binance", "A", "sideways", None, {}), "mode", "must be one of"),
        (("binance", "A", "live", None, {}), "mode", "Go live"),
        (("binanceus", "A", "testnet", None, {}), "mode", "no testnet"),
        (("kraken", "A", "testnet", ["BTC/USD"], {}), "mode", "no testnet"),
        (("binance", "A", "testnet", None, {"api_key": KEY}), "credentials.secret", "required"),
        (("binance", "A", "testnet", None, {}), "credentials.api_key", "required for Testnet"),
        (
            ("binance", "A", "paper_live", None, {"secret": SECRET}),
            "credentials.api_key",
            "with the other",
        ),
        (("binance", "A", "paper_live", None, {"token": "x"}), "credentials.token", "not a cred"),
        (("binance", "A", "paper_live", None, {"api_key": "a b"}), "credentials.api_key", "spaces"),
        (("binance", "A", "paper_live", ["BTCUSDT"], {}), "symbols", "BTC/USDT"),
        (("binance", "A", "paper_live", ["BTC/USDT", "btc/usdt"], {}), "symbols", "twice"),
        (("kraken", "A", "paper_live", None, {}), "symbols", "at least one"),
        (("fyers", "A", "paper_live", ["BTC/USDT"], {}), "symbols", "NSE:SBIN-EQ"),
        (("binance", "A", "paper_live", None, {}, "CNC"), "product_type", "only to Fyers"),
        (
            (
                "fyers",
                "A",
                "paper_live",
                None,
                {
                    "app_id": "XB12345-100",
                    "secret_key": "s",
                    "redirect_url": "http://127.0.0.1:5000/",
                },
                "MIS",
            ),
            "product_type",
            "CNC",
        ),
        (
            (
                "fyers",
                "A",
                "paper_live",
                None,
                {"app_id": "bad", "secret_key": "s", "redirect_url": "http://127.0.0.1:5000/"},
            ),
            "credentials.app_id",
            "XB12345-100",
        ),
        (("fyers", "A", "paper_live", None, {}), "credentials.app_id", "required"),
        (
            ("fyers", "A", "paper_live", None, {"access_token": "t"}),
            "credentials.access_token",
            "login flow",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    service: AccountService,
    memory_keyring: MemoryKeyring,
    args: tuple,
    field: str,
    rule: str,  # type: ignore[type-arg]
) -> None:
    with pytest.raises(ValidationError) as caught:
        service.add(*args)
    assert caught.value.field == field
    assert rule in caught.value.rule
    assert memory_keyring.items == {} and service.list() == [DEMO_ACCOUNT]


def test_a_refused_secret_is_never_echoed_in_the_error(service: AccountService) -> None:
    with pytest.raises(ValidationError) as caught:
        service.add("binance", "A", "testnet", None, {"api_key": "my secret key", "secret": "s"})
    assert "my secret key" not in str(caught.value)


def test_other_ccxt_exchanges_and_paper_without_a_key(service: AccountService) -> None:
    kraken = service.add("Kraken", "K", "paper_live", ["btc/usd"], {})
    assert (kraken.venue, kraken.symbols) == ("kraken", ("BTC/USD",))
    okx = service.add(
        "okx", "O", "testnet", ["BTC/USDT"], {"api_key": "k", "secret": "s", "password": "p"}
    )
    assert service.credentials(okx.id) == {"api_key": "k", "secret": "s", "password": "p"}
    assert service.credentials(kraken.id) == {}


def test_a_failing_row_write_removes_the_secrets_just_written(
    ops: RecordingOps, memory_keyring: MemoryKeyring, data_dir: Path
) -> None:
    store = AccountStore(data_dir, busy_timeout_s=0.05)
    service = AccountService(store, ops, SimClock(T0))
    _binance(service, "First")
    # another program (a database browser) holds the write lock: the row cannot be written
    # after the secrets went to the keychain
    blocker = sqlite3.connect(data_dir / FILE_NAME, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(AccountsLocked, match="locked by another program"):
            service.add("binance", "Second", "testnet", None, {"api_key": "k2", "secret": "s2"})
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert set(memory_keyring.secrets()) == {"account/first/api_key", "account/first/secret"}
    assert [a.id for a in service.list()] == ["demo", "first"]
    # and an edit whose row fails gives the old secrets back
    blocker = sqlite3.connect(data_dir / FILE_NAME, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(AccountsLocked, match="locked by another program"):
            service.update("first", credentials={"secret": "replaced"})
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert service.credentials("first") == {"api_key": KEY, "secret": SECRET}
    store.close()


def test_a_keychain_failure_part_way_leaves_nothing(
    service: AccountService, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.fail_on_set = "account/main/secret"
    with pytest.raises(KeychainError, match="keychain is locked"):
        _binance(service)
    assert memory_keyring.items == {} and service.list() == [DEMO_ACCOUNT]


def test_edit_with_blank_secrets_keeps_them_and_a_new_value_replaces(
    service: AccountService, memory_keyring: MemoryKeyring
) -> None:
    _binance(service)
    edited = service.update(
        "main", label="Renamed", symbols=["ETH/USDT"], credentials={"api_key": "", "secret": " "}
    )
    assert edited.label == "Renamed" and edited.symbols == ("ETH/USDT",) and edited.id == "main"
    assert service.credentials("main") == {"api_key": KEY, "secret": SECRET}
    service.update("main", credentials={"secret": "new-secret"})
    assert service.credentials("main") == {"api_key": KEY, "secret": "new-secret"}
    assert service.get("main").label == "Renamed"


def test_a_secret_removed_outside_tradedesk_is_named(
    service: AccountService, memory_keyring: MemoryKeyring
) -> None:
    _binance(service)
    del memory_keyring.items[("Tradedesk", "account/main/secret")]
    with pytest.raises(ValidationError) as caught:
        service.credentials("main")
    assert caught.value.field == "credentials.secret"
    assert "no longer in the OS keychain" in caught.value.rule
    service.update("main", credentials={"secret": "again"})
    assert service.credentials("main") == {"api_key": KEY, "secret": "again"}


def test_edit_failing_in_the_keychain_restores_the_old_secrets(
    service: AccountService, memory_keyring: MemoryKeyring
) -> None:
    _binance(service)
    memory_keyring.fail_on_set = "account/main/secret"
    with pytest.raises(KeychainError):
        service.update("main", credentials={"api_key": "new-key", "secret": "new-secret"})
    assert service.credentials("main") == {"api_key": KEY, "secret": SECRET}


def test_remove_takes_row_and_keychain_entries_and_keeps_the_data_folder(
    service: AccountService, memory_keyring: MemoryKeyring, data_dir: Path
) -> None:
    _binance(service)
    service.set_active("main")
    folder = service.remove("main")
    assert folder == data_dir / "accounts" / "main"
    assert memory_keyring.items == {}
    assert service.list() == [DEMO_ACCOUNT] and service.active() == DEMO_ACCOUNT


def test_a_new_account_never_inherits_a_removed_ones_data_folder(
    service: AccountService, data_dir: Path
) -> None:
    first = _binance(service)
    service.data_folder(first.id).mkdir(parents=True)  # its journal lives there
    service.remove(first.id)
    again = _binance(service)
    assert again.id == "main-2" and again.label == "Main"


def test_the_active_account_is_remembered(
    service: AccountService, ops: RecordingOps, clock: SimClock, data_dir: Path
) -> None:
    _binance(service)
    service.set_active("main")
    service.store.close()
    again = AccountService(AccountStore(data_dir), ops, clock)
    assert again.active().id == "main"
    again.set_active("demo")
    assert again.active() == DEMO_ACCOUNT
    with pytest.raises(ValidationError, match="no such account"):
        again.set_active("ghost")
    again.store.close()


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
def test_a_refused_keychain_stops_credentials_but_not_keyless_accounts(
    service: AccountService,
    use_keyring,
    backend,  # type: ignore[no-untyped-def]
) -> None:
    use_keyring(backend)
    with pytest.raises(KeychainUnavailable) as caught:
        _binance(service)
    assert "Tradedesk never stores secrets in plaintext" in str(caught.value)
    assert service.list() == [DEMO_ACCOUNT]
    paper = service.add("binance", "Paper", "paper_live", None, {})
    assert paper.mode is AccountMode.PAPER_LIVE


def test_a_fyers_login_keeps_the_token_in_the_keychain_and_its_expiry_in_the_row(
    service: AccountService, ops: RecordingOps, clock: SimClock, memory_keyring: MemoryKeyring
) -> None:
    creds = {
        "app_id": "XB12345-100",
        "secret_key": "fy-secret",
        "redirect_url": "http://127.0.0.1:5000/cb",
    }
    account = service.add(
        "fyers", "Zerodha no, Fyers", "paper_live", ["nse:sbin-eq"], creds, "intraday"
    )
    assert account.product_type == "INTRADAY" and account.symbols == ("NSE:SBIN-EQ",)
    assert service.token_expired(account.id) is True
    opened: list[str] = []
    ops.token = ("fy-token-1", T0 + 3_600_000_000_000)
    updated = asyncio_run(service.fyers_login(account.id, open_browser=opened.append))
    assert opened == ["https://example.invalid/auth"]
    assert updated.token_expires_ns == T0 + 3_600_000_000_000
    assert memory_keyring.secrets()[f"account/{account.id}/access_token"] == "fy-token-1"
    assert service.credentials(account.id)["access_token"] == "fy-token-1"
    assert service.token_expired(account.id) is False
    clock.advance(3_600_000_000_000)
    assert service.token_expired(account.id) is True
    assert service.token_expired("demo") is False


def asyncio_run(coro):  # type: ignore[no-untyped-def]
    import asyncio

    return asyncio.run(coro)
