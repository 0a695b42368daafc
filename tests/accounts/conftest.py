from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from app.accounts.service import AccountService
from app.accounts.store import AccountStore
from app.engine.clock import SimClock
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
def use_keyring() -> Iterator[object]:
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


@pytest.fixture
def ops() -> RecordingOps:
    return RecordingOps()


@pytest.fixture
def clock() -> SimClock:
    return SimClock(T0)


@pytest.fixture
def store(data_dir: Path) -> Iterator[AccountStore]:
    s = AccountStore(data_dir)
    yield s
    s.close()


@pytest.fixture
def service(
    store: AccountStore, ops: RecordingOps, clock: SimClock, memory_keyring: MemoryKeyring
) -> AccountService:
    return AccountService(store, ops, clock)
