"""Which symbols a scan covers, and where their bars come from.

On the demo market the universe is every instrument. On a real venue (hundreds or thousands
of markets) it is the most liquid N by quote volume: ``MostLiquidUniverse`` takes a callable
that returns quote volumes per symbol (the venue adapter will supply one built on its
tickers) and keeps the top N. ``top_by_quote_volume`` and ``quote_volumes_from_tickers``
are the pure parts, testable without a venue.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from app.engine.domain.errors import ValidationError
from app.engine.domain.market import Timeframe
from app.engine.ports import DataClient
from app.engine.series import BarSeries


class UniverseProvider(Protocol):
    async def symbols(self) -> list[str]:
        """The symbols to scan, in a stable order."""
        ...


class HistoryProvider(Protocol):
    async def history(self, symbol: str, timeframe: Timeframe, limit: int) -> BarSeries:
        """Up to ``limit`` closed bars, oldest first."""
        ...


class StaticUniverse:
    def __init__(self, symbols: Sequence[str]) -> None:
        self._symbols = list(dict.fromkeys(symbols))

    async def symbols(self) -> list[str]:
        return list(self._symbols)


class AllInstruments:
    """Every instrument a data client lists (the demo market: all demo symbols)."""

    def __init__(self, data: DataClient) -> None:
        self._data = data

    async def symbols(self) -> list[str]:
        return sorted(i.symbol for i in self._data.instruments())


QuoteVolumes = Callable[[], Awaitable[Mapping[str, float]]]


class MostLiquidUniverse:
    """The ``n`` symbols with the highest quote volume, asked afresh on every scan."""

    def __init__(self, quote_volumes: QuoteVolumes, n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValidationError("universe_size", "must be a whole number >= 1", n)
        self._quote_volumes = quote_volumes
        self.n = n

    async def symbols(self) -> list[str]:
        return top_by_quote_volume(await self._quote_volumes(), self.n)


def top_by_quote_volume(volumes: Mapping[str, float], n: int) -> list[str]:
    """The ``n`` symbols with the largest quote volume, largest first (ties by name).
    Missing, non-finite and non-positive volumes never make the list: a market that did
    not trade is not liquid."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValidationError("universe_size", "must be a whole number >= 1", n)
    ranked = []
    for symbol, volume in volumes.items():
        try:
            v = float(volume)
        except (TypeError, ValueError):
            continue
        if math.isfinite(v) and v > 0:
            ranked.append((-v, symbol))
    ranked.sort()
    return [symbol for _, symbol in ranked[:n]]


def quote_volumes_from_tickers(tickers: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """Quote volume per symbol from unified tickers (ccxt's shape): ``quoteVolume`` when the
    venue reports it, else ``baseVolume * last`` (``close`` when ``last`` is missing)."""
    out: dict[str, float] = {}
    for symbol, ticker in tickers.items():
        quote = _number(ticker.get("quoteVolume"))
        if quote is None:
            base = _number(ticker.get("baseVolume"))
            price = _number(ticker.get("last"))
            if price is None:
                price = _number(ticker.get("close"))
            quote = None if base is None or price is None else base * price
        if quote is not None:
            out[symbol] = quote
    return out


def _number(raw: object) -> float | None:
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


class DataClientHistory:
    """Bars from a ``DataClient`` port (the demo market, later a venue adapter)."""

    def __init__(self, data: DataClient) -> None:
        self._data = data

    async def history(self, symbol: str, timeframe: Timeframe, limit: int) -> BarSeries:
        bars = await self._data.history(symbol, timeframe, limit=limit)
        series = BarSeries.from_bars(bars)
        if not series.symbol:
            return BarSeries(
                series.ts,
                series.open,
                series.high,
                series.low,
                series.close,
                series.volume,
                symbol,
                timeframe.value,
            )
        return series
