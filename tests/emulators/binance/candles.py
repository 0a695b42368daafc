"""Klines: real history loaded from a CSV plus live candles built from the emulator's trades."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

from .symbols import fmt

INTERVAL_MS = {
    "1s": 1_000,
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
    "3d": 259_200_000,
    "1w": 604_800_000,
}


@dataclass(slots=True)
class Candle:
    open_ms: int
    interval_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    trades: int

    def add(self, price: Decimal, qty: Decimal) -> None:
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price
        self.volume += qty
        self.quote_volume += price * qty
        self.trades += 1

    def merge(self, other: Candle) -> None:
        self.high = max(self.high, other.high)
        self.low = min(self.low, other.low)
        self.close = other.close
        self.volume += other.volume
        self.quote_volume += other.quote_volume
        self.trades += other.trades

    def rest(self) -> list[Any]:
        """GET /api/v3/klines row."""
        return [
            self.open_ms,
            fmt(self.open),
            fmt(self.high),
            fmt(self.low),
            fmt(self.close),
            fmt(self.volume),
            self.open_ms + self.interval_ms - 1,
            fmt(self.quote_volume),
            self.trades,
            fmt(self.volume / 2),
            fmt(self.quote_volume / 2),
            "0",
        ]

    def stream(self, symbol_id: str, interval: str, now_ms: int) -> dict[str, Any]:
        """The `<symbol>@kline_<interval>` event."""
        return {
            "e": "kline",
            "E": now_ms,
            "s": symbol_id,
            "k": {
                "t": self.open_ms,
                "T": self.open_ms + self.interval_ms - 1,
                "s": symbol_id,
                "i": interval,
                "f": 0,
                "L": 0,
                "o": fmt(self.open),
                "c": fmt(self.close),
                "h": fmt(self.high),
                "l": fmt(self.low),
                "v": fmt(self.volume),
                "n": self.trades,
                "x": now_ms >= self.open_ms + self.interval_ms - 1,
                "q": fmt(self.quote_volume),
                "V": fmt(self.volume / 2),
                "Q": fmt(self.quote_volume / 2),
                "B": "0",
            },
        }


def load_csv(path: str | Path, end_ms: int | None = None) -> list[Candle]:
    """`timestamp_ms,open,high,low,close,volume` rows (bar open time), as in shared/data/ohlcv.
    ``end_ms``: shift the whole history so its last candle is the one before ``end_ms`` (real
    old candles made to look like the last days of a live market)."""
    rows: list[tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]] = []
    with Path(path).open(newline="") as fh:
        for row in csv.reader(fh):
            if not row or not row[0].strip().isdigit():
                continue
            ts, o, h, low, c, v = row[:6]
            rows.append((int(ts), Decimal(o), Decimal(h), Decimal(low), Decimal(c), Decimal(v)))
    rows.sort(key=lambda r: r[0])
    if len(rows) < 2:
        raise ValueError(f"candles_csv {path}: needs at least two candles")
    step = min(b[0] - a[0] for a, b in pairwise(rows) if b[0] > a[0])
    if end_ms is not None:
        shift = (end_ms - end_ms % step - step) - rows[-1][0]
        rows = [(ts + shift, *rest) for ts, *rest in rows]  # type: ignore[misc]
    return [Candle(ts, step, o, h, low, c, v, v * c, 1) for ts, o, h, low, c, v in rows]


class CandleStore:
    """History (fixed, from CSV) and live candles of every interval for one symbol."""

    def __init__(self, history: list[Candle] | None = None) -> None:
        self.history = history or []
        self.base_ms = self.history[0].interval_ms if self.history else 0
        self._aggregated: dict[int, list[Candle]] = {}
        self.live: dict[str, dict[int, Candle]] = {name: {} for name in INTERVAL_MS}

    def add_trade(self, price: Decimal, qty: Decimal, time_ms: int) -> dict[str, Candle]:
        """Fold a trade into every interval's current candle; returns them by interval."""
        touched: dict[str, Candle] = {}
        for name, ms in INTERVAL_MS.items():
            open_ms = time_ms - time_ms % ms
            bars = self.live[name]
            bar = bars.get(open_ms)
            if bar is None:
                bar = bars[open_ms] = Candle(
                    open_ms, ms, price, price, price, price, Decimal(0), Decimal(0), 0
                )
            bar.add(price, qty)
            touched[name] = bar
        return touched

    def _history_for(self, ms: int) -> list[Candle]:
        if not self.history or ms < self.base_ms or ms % self.base_ms:
            return []
        if ms == self.base_ms:
            return self.history
        cached = self._aggregated.get(ms)
        if cached is None:
            by_open: dict[int, Candle] = {}
            for bar in self.history:
                open_ms = bar.open_ms - bar.open_ms % ms
                agg = by_open.get(open_ms)
                if agg is None:
                    by_open[open_ms] = Candle(
                        open_ms,
                        ms,
                        bar.open,
                        bar.high,
                        bar.low,
                        bar.close,
                        bar.volume,
                        bar.quote_volume,
                        bar.trades,
                    )
                else:
                    agg.merge(bar)
            cached = self._aggregated[ms] = [by_open[k] for k in sorted(by_open)]
        return cached

    def query(
        self, interval: str, start_ms: int | None, end_ms: int | None, limit: int
    ) -> list[Candle]:
        """Binance paging: from startTime forwards, else the latest `limit` up to endTime."""
        ms = INTERVAL_MS[interval]
        merged = {bar.open_ms: bar for bar in self._history_for(ms)}
        merged.update(self.live[interval])
        bars = [merged[k] for k in sorted(merged)]
        if start_ms is not None:
            bars = [b for b in bars if b.open_ms >= start_ms]
        if end_ms is not None:
            bars = [b for b in bars if b.open_ms <= end_ms]
        return bars[:limit] if start_ms is not None else bars[-limit:]
