"""An account's credentials in the OS keychain, through ``app.keychain`` only.

Entries are named ``account/<id>/<field>``. A keychain Tradedesk refuses (none, null,
plaintext) raises KeychainUnavailable, whose message is shown to the trader as is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from app import keychain
from app.accounts.model import secret_name
from app.keychain import KeychainError, KeychainUnavailable
from app.redaction import register_secret

__all__ = ["AccountSecrets", "KeychainError", "KeychainUnavailable"]

log = logging.getLogger(__name__)


class AccountSecrets:
    """Reads and writes one account's credential fields in the keychain."""

    def require_secure(self) -> None:
        """Raise KeychainUnavailable unless a secure keychain is active."""
        keychain.secure_backend()

    def refusal(self) -> str | None:
        """Why credentials cannot be saved on this machine (the message to show as is), or
        None when a secure keychain is available."""
        try:
            keychain.secure_backend()
        except KeychainUnavailable as exc:
            return str(exc)
        return None

    def write(self, account_id: str, values: Mapping[str, str]) -> dict[str, str | None]:
        """Store every field; returns each field's earlier value (None: there was none), for
        ``restore``. If one fails part way, every field this call touched gets its earlier
        value back before the error propagates: nothing is left half written."""
        self.require_secure()
        before: dict[str, str | None] = {}
        try:
            for field, value in values.items():
                name = secret_name(account_id, field)
                before[field] = keychain.get_secret(name)
                register_secret(value)
                keychain.set_secret(name, value)
        except BaseException:
            self.restore(account_id, before)
            raise
        return before

    def restore(self, account_id: str, before: Mapping[str, str | None]) -> None:
        """Undo a ``write``: earlier values back, fields that had none removed (best effort:
        a failure here is logged, the caller is already reporting the first error)."""
        for field, old in before.items():
            try:
                if old is None:
                    keychain.delete_secret(secret_name(account_id, field))
                else:
                    keychain.set_secret(secret_name(account_id, field), old)
            except (KeychainError, KeychainUnavailable) as exc:
                log.warning("could not restore keychain entry %s: %s", field, exc)

    def read(self, account_id: str, fields: Iterable[str]) -> dict[str, str]:
        """The fields that are set (missing ones are left out)."""
        out: dict[str, str] = {}
        for field in fields:
            value = keychain.get_secret(secret_name(account_id, field))
            if value is not None:
                register_secret(value)  # masked in every log line from now on
                out[field] = value
        return out

    def delete(self, account_id: str, fields: Iterable[str], *, quiet: bool = False) -> None:
        """Remove the fields' entries; ``quiet`` logs failures instead of raising (cleanup)."""
        for field in fields:
            try:
                keychain.delete_secret(secret_name(account_id, field))
            except (KeychainError, KeychainUnavailable) as exc:
                if not quiet:
                    raise
                log.warning("could not remove keychain entry %s: %s", field, exc)
