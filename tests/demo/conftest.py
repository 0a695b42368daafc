"""Fixtures for the demo market tests."""

from __future__ import annotations

import pytest

from tests.demo.helpers import SimClock


@pytest.fixture
def clock() -> SimClock:
    return SimClock()
