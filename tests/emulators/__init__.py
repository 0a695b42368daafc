"""Loopback venue emulators that the real SDK clients talk to over 127.0.0.1 (tests only)."""
