"""Keychain stand-ins installed through keyring's own API (keyring.set_keyring).

MemoryKeyring is a secure-rated backend keeping secrets in a dict, the OS keychain's
stand-in (tests/support/keychain.py); keyring's real fail and null backends are the refused
kinds.
"""

from __future__ import annotations

from tests.support.keychain import MemoryKeychain as MemoryKeyring

__all__ = ["MemoryKeyring"]
