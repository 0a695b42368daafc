"""The whole suite runs with logging at DEBUG into one file, with planted API keys and
secrets in its venue fixtures (the Binance emulator's, the venue sessions', the ccxt
adapter's, the accounts service's). When the run ends, the log and every database, CSV,
JSON, HTML and log file the tests wrote are searched for those values: finding one fails the
run (``pytest_sessionfinish`` in tests/conftest.py). The in-process and subprocess keychain
stand-ins are the only places a secret may be, as in the OS keychain."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

LOG_NAME = "suite-debug.log"
SCANNED = {".sqlite", ".sqlite-wal", ".csv", ".log", ".json", ".html", ".txt", ".ini"}
KEYCHAIN_FILES = {"keychain.json"}  # tests.support.keychain.ProcessKeychain: the keychain


def planted() -> list[str]:
    from tests.accounts.test_service import SECRET as ACCOUNTS_SECRET
    from tests.brokers.ccxt.conftest import API_KEY as CCXT_KEY
    from tests.brokers.ccxt.conftest import SECRET as CCXT_SECRET
    from tests.emulators.binance.fixtures import TEST_API_KEY, TEST_SECRET
    from tests.venues.fixtures import API_KEY, SECRET

    values = [API_KEY, SECRET, CCXT_KEY, CCXT_SECRET, TEST_API_KEY, TEST_SECRET, ACCOUNTS_SECRET]
    return sorted(set(values))


def start_debug_log(folder: Path) -> logging.Handler:
    """Every record of the run, at DEBUG, into ``folder/suite-debug.log``."""
    handler = logging.FileHandler(folder / LOG_NAME, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    return handler


def leaks(folder: Path, secrets: Iterable[str]) -> list[str]:
    """``file: secret…`` for every written file under ``folder`` holding a planted secret."""
    wanted = [(s, s.encode()) for s in secrets]
    found = []
    for path in folder.rglob("*"):
        if path.suffix not in SCANNED or path.name in KEYCHAIN_FILES or not path.is_file():
            continue
        try:
            blob = path.read_bytes()
        except OSError:
            continue
        found += [f"{path}: {s[:10]}…" for s, raw in wanted if raw in blob]
    return found
