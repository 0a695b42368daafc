"""Keychain stand-ins installed through keyring's own API (keyring.set_keyring).

MemoryKeyring is a secure-rated backend keeping secrets in a dict, the OS keychain's
stand-in; keyring's real fail and null backends are the refused kinds.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError


def _unregistered(cls: type[KeyringBackend]) -> type[KeyringBackend]:
    # subclasses register themselves with keyring; a later get_keyring() must not pick one
    KeyringBackend._classes.discard(cls)  # type: ignore[attr-defined]
    return cls


@_unregistered
class MemoryKeyring(KeyringBackend):
    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}
        self.fail_on_set: str | None = None  # a username whose set_password fails

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
