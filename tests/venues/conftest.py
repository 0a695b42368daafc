"""Venue sessions on the loopback emulators (see fixtures.py)."""

from tests.venues.fixtures import emu, keychain

__all__ = ["emu", "keychain"]
