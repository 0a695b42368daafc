from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.engine.harness import Harness


@pytest.fixture
async def h(data_dir: Path) -> AsyncIterator[Harness]:
    harness = Harness(data_dir)
    await harness.start()
    for symbol, price in (("BTC/USD", "100.00"), ("ETH/USD", "50.00"), ("SPY", "200.00")):
        harness.market(symbol, price)
    yield harness
    await harness.close()
