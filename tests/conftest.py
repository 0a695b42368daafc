"""Shared test setup. Qt runs offscreen; every test gets its own real data directory."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


# --- the whole run at DEBUG, with planted credentials that must leak nowhere ---------------
_debug_log: logging.Handler | None = None


def pytest_sessionstart(session: pytest.Session) -> None:
    global _debug_log
    from app import redaction
    from tests.support.planted import start_debug_log

    redaction.install()  # as main.py does: the product's own defence, not the test's
    base = session.config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    _debug_log = start_debug_log(Path(base))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests.support.planted import leaks, planted

    if _debug_log is None:
        return
    _debug_log.close()
    logging.getLogger().removeHandler(_debug_log)
    base = Path(session.config._tmp_path_factory.getbasetemp())  # type: ignore[attr-defined]
    found = leaks(base, planted())
    if found:
        print("\nplanted credentials leaked into:\n  " + "\n  ".join(found))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
