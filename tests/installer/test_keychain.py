"""app.keychain: secrets go to a secure OS keychain or nowhere.

A real in-memory backend stands in for the OS keychain (installed with keyring.set_keyring);
the refused kinds are keyring's own fail/null backends, a plaintext-style file backend
written here (keyrings.alt is not installed), a low-priority fallback and chains of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringError

from app import keychain
from app.cli import EXIT_NO_KEYCHAIN
from app.cli import main as cli_main
from app.engine.domain.errors import ValidationError
from tests.support.keychain import MemoryKeychain as MemoryKeyring


def unregistered(cls: type[KeyringBackend]) -> type[KeyringBackend]:
    # every subclass registers itself with keyring; left there, a later keyring.get_keyring()
    # in the same test session could choose one of these fakes as the machine's keychain
    KeyringBackend._classes.discard(cls)  # type: ignore[attr-defined]
    return cls


@unregistered
class PlaintextKeyring(MemoryKeyring):
    """Shaped like keyrings.alt.file.PlaintextKeyring: a file fallback rated 0.5."""

    priority = 0.5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.file_path = "~/.local/share/python_keyring/keyring_pass.cfg"


@unregistered
class PlaintextRatedHigh(PlaintextKeyring):
    """Named plaintext, but claiming a high priority: the name alone must refuse it."""

    priority = 9  # type: ignore[assignment]


@unregistered
class LowRatedKeyring(MemoryKeyring):
    """An innocently named backend keyring itself rates not recommended."""

    priority = 0.2  # type: ignore[assignment]


@unregistered
class BrokenKeyring(MemoryKeyring):
    """A secure backend whose keychain is locked: every call fails."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("keychain is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("keychain is locked")


def chain_of(*links: KeyringBackend) -> chainer.ChainerBackend:
    @unregistered
    class Chain(chainer.ChainerBackend):
        backends: ClassVar[list[KeyringBackend]] = list(links)  # type: ignore[misc]

    return Chain()


@pytest.fixture
def use_backend() -> Iterator[object]:
    previous = keyring.get_keyring()

    def install(backend: KeyringBackend) -> KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    yield install
    keyring.set_keyring(previous)


def test_secrets_round_trip_under_the_tradedesk_service(use_backend) -> None:
    store = use_backend(MemoryKeyring())
    assert keychain.secure_backend() is store
    assert keychain.get_secret("binance.api_key") is None
    keychain.set_secret("binance.api_key", "k-123")
    keychain.set_secret("binance.api_key", "k-456")  # replaces
    assert store.items == {("Tradedesk", "binance.api_key"): "k-456"}
    assert keychain.get_secret("binance.api_key") == "k-456"
    assert keychain.delete_secret("binance.api_key") is True
    assert keychain.delete_secret("binance.api_key") is False
    assert keychain.get_secret("binance.api_key") is None
    assert store.items == {}


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("", "x", "secret name"),
        ("  ", "x", "secret name"),
        (" padded", "x", "secret name"),
        ("key", "", "secret 'key'"),
    ],
)
def test_bad_names_and_values_are_refused_naming_the_field(
    use_backend, name: str, value: str, field: str
) -> None:
    store = use_backend(MemoryKeyring())
    with pytest.raises(ValidationError) as caught:
        keychain.set_secret(name, value)
    assert caught.value.field == field
    assert store.items == {}


@pytest.mark.parametrize(
    ("backend", "named", "why"),
    [
        (fail.Keyring(), "keyring.backends.fail.Keyring", "no usable OS keychain"),
        (null.Keyring(), "keyring.backends.null.Keyring", "discards every secret"),
        (PlaintextKeyring(), "PlaintextKeyring", "plaintext or file fallback"),
        (PlaintextRatedHigh(), "PlaintextRatedHigh", "plaintext or file fallback"),
        (LowRatedKeyring(), "LowRatedKeyring", "not recommended by keyring (priority 0.2"),
    ],
    ids=["fail", "null", "plaintext", "plaintext-high-priority", "low-priority"],
)
def test_insecure_backends_are_refused_naming_backend_and_reason(
    use_backend, backend: KeyringBackend, named: str, why: str
) -> None:
    use_backend(backend)
    with pytest.raises(keychain.KeychainUnavailable) as caught:
        keychain.secure_backend()
    assert named in caught.value.backend
    assert why in caught.value.reason
    assert "never stores secrets in plaintext" in str(caught.value)
    for operation in (
        lambda: keychain.set_secret("api_key", "secret"),
        lambda: keychain.get_secret("api_key"),
        lambda: keychain.delete_secret("api_key"),
    ):
        with pytest.raises(keychain.KeychainUnavailable):
            operation()
    if isinstance(backend, MemoryKeyring):
        assert backend.items == {}  # nothing reached the plaintext store


def test_a_chain_holding_a_plaintext_link_is_refused(use_backend) -> None:
    secure, plain = MemoryKeyring(), PlaintextKeyring()
    use_backend(chain_of(secure, plain))
    with pytest.raises(keychain.KeychainUnavailable) as caught:
        keychain.set_secret("api_key", "secret")
    assert "chains tests.installer.test_keychain.PlaintextKeyring" in caught.value.reason
    assert secure.items == {} and plain.items == {}


def test_an_empty_chain_is_refused_and_a_chain_of_secure_links_is_accepted(
    use_backend,
) -> None:
    use_backend(chain_of())
    with pytest.raises(keychain.KeychainUnavailable, match="chains no backends"):
        keychain.secure_backend()
    first, second = MemoryKeyring(), MemoryKeyring()
    use_backend(chain_of(first, second))
    keychain.set_secret("api_key", "secret")
    assert first.items == {("Tradedesk", "api_key"): "secret"}


def test_backend_failures_are_reported_with_the_backend_name(use_backend) -> None:
    use_backend(BrokenKeyring())
    with pytest.raises(keychain.KeychainError, match=r"BrokenKeyring.*keychain is locked"):
        keychain.get_secret("api_key")
    with pytest.raises(keychain.KeychainError, match="cannot store 'api_key'"):
        keychain.set_secret("api_key", "secret")


def test_status_reports_the_verdict_and_what_keyring_loaded(use_backend) -> None:
    use_backend(MemoryKeyring())
    found = keychain.status()
    assert found.secure and "MemoryKeychain (priority 5.0)" in found.backend
    use_backend(fail.Keyring())
    found = keychain.status()
    assert not found.secure and "no usable OS keychain" in (found.reason or "")
    # keyring's own backends come through its entry points: a frozen build must keep them
    names = "\n".join(found.candidates)
    assert "keyring.backends.fail.Keyring: priority 0.0" in names
    assert "keyring.backends.SecretService.Keyring" in names


def test_keychain_info_command(use_backend, capsys: pytest.CaptureFixture[str]) -> None:
    use_backend(MemoryKeyring())
    assert cli_main(["keychain-info"]) == 0
    assert "secure: yes" in capsys.readouterr().out
    use_backend(fail.Keyring())
    assert cli_main(["keychain-info"]) == EXIT_NO_KEYCHAIN
    out = capsys.readouterr().out
    assert "keychain backend: keyring.backends.fail.Keyring" in out
    assert "secure: no" in out and "refuses to store secrets in plaintext" in out


def test_a_configured_backend_that_cannot_load_is_refused_not_crashed(
    use_backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # what a user gets after pointing keyring at keyrings.alt, which Tradedesk never ships
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # make keyring choose again
    with pytest.raises(keychain.KeychainUnavailable) as caught:
        keychain.set_secret("api_key", "secret")
    assert caught.value.backend == "keyrings.alt.file.PlaintextKeyring"
    assert "could not be loaded (ModuleNotFoundError" in caught.value.reason
    found = keychain.status()
    assert not found.secure and found.backend == "keyrings.alt.file.PlaintextKeyring"
