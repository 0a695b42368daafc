"""Waiting in async UI tests (see tests/support/waiting.py)."""

from tests.support.waiting import eventually

__all__ = ["eventually"]
