"""Fyers tests use the loopback emulator's fixtures."""

from tests.emulators.fyers.fixtures import fyers_clock, fyers_emu, fyers_sockets

__all__ = ["fyers_clock", "fyers_emu", "fyers_sockets"]
