"""The SQLite candle cache: exact Decimals, idempotent upserts, corruption recovery."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest

from app.engine.domain.market import Bar, Timeframe
from app.engine.store.candle_cache import SqliteCandleCache

MIN = 60_000_000_000


def bar(i: int, close: str = "30000.10", closed: bool = True) -> Bar:
    return Bar(
        "BTC/USDT",
        Timeframe.M1,
        Decimal("30000.00"),
        Decimal("30010.50"),
        Decimal("29990.01"),
        Decimal(close),
        Decimal("1.23456"),
        i * MIN,
        closed,
    )


def test_round_trip_in_time_order_with_exact_decimals(tmp_path: Path) -> None:
    cache = SqliteCandleCache(tmp_path / "c" / "candles.sqlite")
    cache.store_bars("binance", [bar(3), bar(1), bar(2)])
    got = cache.load_bars("binance", "BTC/USDT", Timeframe.M1, 1 * MIN, 2 * MIN)
    assert [b.ts for b in got] == [MIN, 2 * MIN]
    assert got[0] == bar(1) and str(got[0].close) == "30000.10"
    assert cache.load_bars("other", "BTC/USDT", Timeframe.M1, 0, 10 * MIN) == []
    assert cache.load_bars("binance", "BTC/USDT", Timeframe.M5, 0, 10 * MIN) == []
    cache.close()


def test_upserts_are_idempotent_and_forming_bars_are_not_kept(tmp_path: Path) -> None:
    cache = SqliteCandleCache(tmp_path / "candles.sqlite")
    cache.store_bars("binance", [bar(1), bar(1)])
    cache.store_bars("binance", [bar(1, close="30001.00"), bar(2, closed=False)])
    assert cache.count("binance") == 1
    (only,) = cache.load_bars("binance", "BTC/USDT", Timeframe.M1, 0, 10 * MIN)
    assert only.close == Decimal("30001.00")
    cache.close()
    reopened = SqliteCandleCache(tmp_path / "candles.sqlite")
    assert reopened.count() == 1
    reopened.close()


def test_a_corrupted_file_is_moved_aside_and_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "candles.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING):
        cache = SqliteCandleCache(path)
    assert "moved to" in caplog.text
    assert any(p.name.startswith("candles.sqlite.corrupt-") for p in tmp_path.iterdir())
    cache.store_bars("binance", [bar(1)])
    assert cache.count() == 1
    cache.close()


def test_damage_found_while_in_use_rebuilds_the_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "candles.sqlite"
    cache = SqliteCandleCache(path)
    cache.store_bars("binance", [bar(i) for i in range(1, 400)])
    cache.close()
    raw = bytearray(path.read_bytes())
    raw[-4096:] = b"\xff" * 4096  # the last page (a leaf of the newest bars) is garbage
    path.write_bytes(bytes(raw))
    with caplog.at_level(logging.WARNING):
        damaged = SqliteCandleCache(path)  # opening touches only the first pages
        assert "rebuilt" not in caplog.text
        assert damaged.load_bars("binance", "BTC/USDT", Timeframe.M1, 0, 500 * MIN) == []
    assert "rebuilt empty" in caplog.text
    damaged.store_bars("binance", [bar(1)])
    assert damaged.count() == 1
    damaged.close()
