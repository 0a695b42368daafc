"""The product's one door to the OS keychain: API keys and tokens live there and nowhere else.

keyring picks a backend at run time (Windows Credential Locker, macOS Keychain, Secret Service
or KWallet on Linux, or whatever a config file or ``PYTHON_KEYRING_BACKEND`` names). Some of
its possible answers would quietly betray the user, so every operation here first checks the
active backend and refuses, with the backend's name and the reason, when it is:

- ``fail``: keyring found no usable keychain (a headless Linux without Secret Service);
- ``null``: it accepts secrets and throws them away;
- a plaintext or file fallback (``keyrings.alt``, anything named plaintext): a file anyone with
  the disk can read;
- a backend keyring itself rates "not recommended" (priority below 1);
- a chainer whose chain holds any of the above: reads fall through to every link.

Secrets are stored under the service name ``Tradedesk``; ``name`` is keyring's "username".
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import keyring
import keyring.backend
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringError, PasswordDeleteError

from app.engine.domain.errors import ValidationError

SERVICE = "Tradedesk"
#: keyring's own scale: 1 and above is "recommended"; fallbacks sit below
MIN_PRIORITY = 1.0


class KeychainUnavailable(RuntimeError):
    """No secure OS keychain: ``backend`` names keyring's choice, ``reason`` why it is refused."""

    def __init__(self, backend: str, reason: str) -> None:
        self.backend = backend
        self.reason = reason
        super().__init__(
            f"no secure keychain: keyring's backend {backend} {reason}; "
            "Tradedesk never stores secrets in plaintext"
        )


class KeychainError(RuntimeError):
    """The keychain is secure but the operation failed (locked, denied, backend error)."""


@dataclass(frozen=True, slots=True)
class KeychainStatus:
    """What keyring selected, and whether Tradedesk accepts it (``reason`` is None if so)."""

    backend: str
    reason: str | None
    #: every backend class keyring loaded, with its priority or why it is unusable here
    candidates: tuple[str, ...] = ()

    @property
    def secure(self) -> bool:
        return self.reason is None


def backend_name(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__} (priority {_priority(backend)})"


def refusal(backend: KeyringBackend) -> str | None:
    """Why ``backend`` must not hold secrets, or None when it is a secure keychain."""
    if isinstance(backend, fail.Keyring):
        return "means no usable OS keychain was found (on Linux: no Secret Service running)"
    if isinstance(backend, null.Keyring):
        return "discards every secret it is given"
    if isinstance(backend, chainer.ChainerBackend):
        links = list(backend.backends)
        if not links:
            return "chains no backends at all"
        for link in links:
            why = refusal(link)
            if why is not None:
                return f"chains {backend_name(link)}, which {why}"
        return None
    cls = type(backend)
    where = f"{cls.__module__}.{cls.__qualname__}".lower()
    if where.startswith("keyrings.alt") or "plaintext" in where:
        return "keeps secrets in a plaintext or file fallback, not in the OS keychain"
    priority = _priority(backend)
    if priority is None or priority < MIN_PRIORITY:
        return f"is rated not recommended by keyring (priority {priority} < {MIN_PRIORITY:g})"
    return None


def status() -> KeychainStatus:
    """keyring's active backend and Tradedesk's verdict on it; never raises for a bad one."""
    try:
        backend = _active()
    except KeychainUnavailable as exc:
        return KeychainStatus(exc.backend, exc.reason, candidates())
    return KeychainStatus(backend_name(backend), refusal(backend), candidates())


def candidates() -> tuple[str, ...]:
    """The backend classes keyring has loaded (through its entry points), each with its
    priority or the reason it is unusable on this machine: proves what a frozen build ships."""
    keyring.backend.get_all_keyring()  # loads the entry-point backends (once per process)
    classes: set[type[KeyringBackend]] = getattr(KeyringBackend, "_classes", set())
    lines = []
    for cls in list(classes):
        where = f"{cls.__module__}.{cls.__qualname__}"
        try:
            note = f"priority {float(cls.priority)}"
        except Exception as exc:  # the probe's own words: missing D-Bus, no jeepney, ...
            note = f"unusable here: {exc}"
        lines.append(f"{where}: {note}")
    return tuple(sorted(lines))


def secure_backend() -> KeyringBackend:
    """The active keyring backend, or KeychainUnavailable naming it and the reason."""
    backend = _active()
    reason = refusal(backend)
    if reason is not None:
        raise KeychainUnavailable(backend_name(backend), reason)
    return backend


def get_secret(name: str) -> str | None:
    """The secret stored under ``name``, or None when there is none."""
    checked = _checked(name)
    backend = secure_backend()
    try:
        return backend.get_password(SERVICE, checked)
    except KeyringError as exc:
        raise KeychainError(f"cannot read {name!r} from {backend_name(backend)}: {exc}") from exc


def set_secret(name: str, value: str) -> None:
    """Store ``value`` under ``name``, replacing any earlier value."""
    checked = _checked(name)
    if not isinstance(value, str) or not value:
        raise ValidationError(f"secret {name!r}", "must be a non-empty string")
    backend = secure_backend()
    try:
        backend.set_password(SERVICE, checked, value)
    except KeyringError as exc:
        raise KeychainError(f"cannot store {name!r} in {backend_name(backend)}: {exc}") from exc


def delete_secret(name: str) -> bool:
    """Remove the secret under ``name``; False when there was none to remove."""
    checked = _checked(name)
    backend = secure_backend()
    try:
        if backend.get_password(SERVICE, checked) is None:
            return False
        backend.delete_password(SERVICE, checked)
    except PasswordDeleteError:
        return False  # removed by someone else between the two calls
    except KeyringError as exc:
        raise KeychainError(f"cannot delete {name!r} from {backend_name(backend)}: {exc}") from exc
    return True


def _active() -> KeyringBackend:
    try:
        return keyring.get_keyring()
    except Exception as exc:  # a configured backend that cannot be imported or built
        configured = os.environ.get("PYTHON_KEYRING_BACKEND") or "named in keyringrc.cfg"
        raise KeychainUnavailable(
            configured, f"could not be loaded ({type(exc).__name__}: {exc})"
        ) from exc


def _checked(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("secret name", "must be a non-empty string", name)
    if name != name.strip():
        raise ValidationError("secret name", "must not start or end with spaces", name)
    return name


def _priority(backend: KeyringBackend) -> float | None:
    # priority is a class property that some backends compute by probing the system and
    # that may raise when the probe fails; a backend we cannot rate is not trusted
    try:
        return float(backend.priority)
    except Exception:
        return None
