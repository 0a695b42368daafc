"""The OS keychain's stand-ins for tests.

``MemoryKeychain`` lives in the test process (``keyring.set_keyring``). ``ProcessKeychain``
serves an app started as a subprocess (``PYTHON_KEYRING_BACKEND=tests.support.keychain.
ProcessKeychain`` and ``TRADEDESK_TEST_KEYCHAIN=<file>``): headless Linux has no Secret Service,
and a subprocess killed with SIGKILL and restarted must find its API key again, as it would in
the real keychain. Both are rated like a real keychain so the product's checks accept them;
neither is ever installed outside the tests.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

ENV_FILE = "TRADEDESK_TEST_KEYCHAIN"
BACKEND = "tests.support.keychain.ProcessKeychain"


class MemoryKeychain(KeyringBackend):
    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}
        self.fail_on_set: str | None = None  # a username whose set_password fails (locked)

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.fail_on_set is not None and username == self.fail_on_set:
            raise KeyringError("keychain is locked")
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("no such secret")

    def secrets(self) -> dict[str, str]:
        return {user: value for (_, user), value in self.items.items()}


class ProcessKeychain(KeyringBackend):
    priority = 5  # type: ignore[assignment]

    @property
    def _file(self) -> Path:
        return Path(os.environ[ENV_FILE])

    def _load(self) -> dict[str, str]:
        try:
            return dict(json.loads(self._file.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return {}

    def _save(self, items: dict[str, str]) -> None:
        tmp = self._file.with_suffix(".tmp")
        tmp.write_text(json.dumps(items), encoding="utf-8")
        os.replace(tmp, self._file)

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        items = self._load()
        items[f"{service}\n{username}"] = password
        self._save(items)

    def delete_password(self, service: str, username: str) -> None:
        items = self._load()
        if items.pop(f"{service}\n{username}", None) is None:
            raise PasswordDeleteError("no such secret")
        self._save(items)


# keyring registers every backend class it sees; these must never be picked by accident
for _cls in (MemoryKeychain, ProcessKeychain):
    KeyringBackend._classes.discard(_cls)  # type: ignore[attr-defined]
