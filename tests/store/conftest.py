"""Store fixtures: a real journal file in the test's own data directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.engine.store import Journal


@pytest.fixture
def journal(data_dir: Path) -> Iterator[Journal]:
    j = Journal.open(data_dir, busy_timeout=0.3)
    try:
        yield j
    finally:
        j.close()


@pytest.fixture
def db_path(data_dir: Path) -> Path:
    return data_dir / "tradedesk.sqlite"
