"""Universes: every demo instrument, and the most liquid N of a venue by quote volume."""

from __future__ import annotations

import math
from typing import Any

import pytest

from app.brokers.demo.market import DemoMarket
from app.engine.domain.errors import ValidationError
from app.engine.domain.market import Timeframe
from app.scanner import (
    AllInstruments,
    DataClientHistory,
    MostLiquidUniverse,
    StaticUniverse,
    quote_volumes_from_tickers,
    top_by_quote_volume,
)

NOW_NS = 1_764_633_600 * 10**9


def test_top_by_quote_volume_ranks_and_skips_what_did_not_trade() -> None:
    volumes: dict[str, Any] = {
        "BTC/USDT": 9.1e9,
        "ETH/USDT": 4.2e9,
        "DOGE/USDT": 3.0e8,
        "XRP/USDT": 3.0e8,  # a tie: by name
        "DEAD/USDT": 0.0,
        "NAN/USDT": math.nan,
        "NEG/USDT": -5.0,
        "INF/USDT": math.inf,
        "TXT/USDT": "lots",
    }
    assert top_by_quote_volume(volumes, 3) == ["BTC/USDT", "ETH/USDT", "DOGE/USDT"]
    assert top_by_quote_volume(volumes, 100) == ["BTC/USDT", "ETH/USDT", "DOGE/USDT", "XRP/USDT"]
    assert top_by_quote_volume({}, 5) == []


@pytest.mark.parametrize("n", [0, -1, 2.5, True])
def test_universe_size_must_be_a_positive_whole_number(n: object) -> None:
    with pytest.raises(ValidationError) as caught:
        top_by_quote_volume({"A": 1.0}, n)  # type: ignore[arg-type]
    assert caught.value.field == "universe_size"
    with pytest.raises(ValidationError):
        MostLiquidUniverse(lambda: None, n)  # type: ignore[arg-type, return-value]


def test_quote_volumes_from_unified_tickers() -> None:
    tickers: dict[str, dict[str, Any]] = {
        "BTC/USDT": {"quoteVolume": 1000.0, "baseVolume": 1.0, "last": 5.0},
        "ETH/USDT": {"quoteVolume": None, "baseVolume": "20", "last": "3"},  # derived
        "LTC/USDT": {"baseVolume": 10.0, "last": None, "close": 2.0},  # close stands in
        "NONE/USDT": {"baseVolume": None, "last": 1.0},  # nothing to go on
        "BAD/USDT": {"quoteVolume": "n/a"},
        "FLAG/USDT": {"quoteVolume": True},
    }
    assert quote_volumes_from_tickers(tickers) == {
        "BTC/USDT": 1000.0,
        "ETH/USDT": 60.0,
        "LTC/USDT": 20.0,
    }


async def test_most_liquid_universe_asks_afresh_each_time() -> None:
    answers = [
        {"A": 10.0, "B": 30.0, "C": 20.0},
        {"A": 50.0, "B": 30.0, "C": 20.0},
    ]

    async def quote_volumes() -> dict[str, float]:
        return answers.pop(0)

    universe = MostLiquidUniverse(quote_volumes, 2)
    assert await universe.symbols() == ["B", "C"]
    assert await universe.symbols() == ["A", "B"]


async def test_static_and_instrument_universes() -> None:
    assert await StaticUniverse(["B", "A", "B"]).symbols() == ["B", "A"]  # duplicates once
    market = DemoMarket(seed=0, clock=lambda: NOW_NS)
    symbols = await AllInstruments(market).symbols()
    assert symbols == sorted(i.symbol for i in market.instruments())
    assert {"BTC/USD", "ETH/USD", "SPY"} <= set(symbols)


async def test_data_client_history_gives_named_series() -> None:
    market = DemoMarket(seed=0, clock=lambda: NOW_NS)
    series = await DataClientHistory(market).history("ETH/USD", Timeframe.M5, 120)
    bars = market.history_sync("ETH/USD", Timeframe.M5, limit=120)
    assert len(series) == 120 and series.symbol == "ETH/USD" and series.timeframe == "5m"
    assert series.close[-1] == float(bars[-1].close) and series.ts[0] == bars[0].ts
