"""AccountStore on a real SQLite file: round trip, active id, refusal of files not ours."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.accounts.model import Account, AccountMode
from app.accounts.store import FILE_NAME, AccountsFileError, AccountStore
from app.engine.domain.errors import ValidationError


def _account(**over: object) -> Account:
    base: dict[str, object] = dict(
        id="main",
        venue="binance",
        label="Main",
        mode=AccountMode.TESTNET,
        symbols=("BTC/USDT", "ETH/USDT"),
        created_ns=5,
    )
    base.update(over)
    return Account(**base)  # type: ignore[arg-type]


def test_round_trip_survives_reopening(data_dir: Path) -> None:
    store = AccountStore(data_dir)
    account = _account(acknowledged_warnings=("w1",), live_confirmed_ns=9)
    store.insert(account, ["secret", "api_key"])
    store.set_active_id("main")
    store.close()

    again = AccountStore(data_dir)
    got = again.get("main")
    assert got is not None
    assert got.account == account
    assert got.credentials == {"api_key", "secret"}
    assert again.active_id() == "main"
    assert [s.account.id for s in again.all()] == ["main"]
    again.close()


def test_the_file_uses_wal(data_dir: Path) -> None:
    store = AccountStore(data_dir)
    store.insert(_account(), [])
    with sqlite3.connect(data_dir / FILE_NAME) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_update_replaces_the_row_and_credentials(store: AccountStore) -> None:
    store.insert(_account(), ["api_key", "secret"])
    store.update(_account(label="Renamed", mode=AccountMode.PAPER_LIVE), [])
    got = store.get("main")
    assert got is not None and got.account.label == "Renamed"
    assert got.account.mode is AccountMode.PAPER_LIVE
    assert got.credentials == frozenset()


def test_delete_removes_the_row_its_references_and_the_active_mark(store: AccountStore) -> None:
    store.insert(_account(), ["api_key"])
    store.set_active_id("main")
    store.delete("main")
    assert store.get("main") is None and store.all() == []
    assert store.active_id() is None


def test_a_duplicate_label_is_one_failed_transaction(store: AccountStore) -> None:
    store.insert(_account(), ["api_key"])
    with pytest.raises(ValidationError, match="label: is already used"):
        store.insert(_account(id="other"), ["api_key", "secret"])
    assert [s.account.id for s in store.all()] == ["main"]
    assert store.get("other") is None


@pytest.mark.parametrize(
    "content",
    [b"this is not a database at all, just text\n" * 10, b"SQLite format 3\x00" + b"\xff" * 400],
    ids=["text", "damaged-header"],
)
def test_a_corrupted_file_is_refused_untouched(data_dir: Path, content: bytes) -> None:
    path = data_dir / FILE_NAME
    path.write_bytes(content)
    with pytest.raises(AccountsFileError) as caught:
        AccountStore(data_dir)
    assert str(path) in str(caught.value)
    assert "left untouched" in str(caught.value)
    assert path.read_bytes() == content
    assert not (data_dir / (FILE_NAME + "-wal")).exists()


def test_an_sqlite_file_of_someone_else_is_refused_untouched(data_dir: Path) -> None:
    path = data_dir / FILE_NAME
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
        conn.execute("INSERT INTO recipes VALUES ('bread')")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(AccountsFileError, match="not made by Tradedesk") as caught:
        AccountStore(data_dir)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == before
