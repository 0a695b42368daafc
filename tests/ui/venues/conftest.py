"""The window on venue accounts, on the loopback emulators (see tests/venues/fixtures.py)."""

from tests.venues.fixtures import emu, keychain

__all__ = ["emu", "keychain"]
