"""Closed candles from a venue: paginated ``fetch_ohlcv`` and the candle cache in front of it.

Only closed bars are returned and cached (a bar is closed once its period has ended before
the requested end). The cache is asked first; only the ranges it lacks before and after what
it holds are fetched, so asking twice for the same window makes no request. Real data has
gaps: bars the venue does not return are never invented, and a page that brings nothing new
ends the walk.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from app.brokers.ccxt.calls import VenueCalls
from app.brokers.ccxt.parsing import NS_PER_MS, bar_from_ohlcv
from app.engine.domain.errors import ValidationError
from app.engine.domain.instruments import Instrument
from app.engine.domain.market import Bar, Timeframe
from app.engine.ports import CandleCache

MAX_LIMIT = 5_000


def closed_window(timeframe: Timeframe, end_ns: int, limit: int) -> tuple[int, int]:
    """Open times of the first and last closed bar ending at or before ``end_ns``."""
    span = timeframe.nanos
    last_open = (end_ns // span) * span - span
    return last_open - (limit - 1) * span, last_open


async def fetch_closed_bars(
    calls: VenueCalls,
    instrument: Instrument,
    timeframe: Timeframe,
    first_open_ns: int,
    last_open_ns: int,
    page_limit: int,
) -> list[Bar]:
    """Every bar the venue has opening in [first, last], walking pages forward."""
    exchange = calls.exchange
    span_ms = timeframe.seconds * 1000
    since_ms = first_open_ns // NS_PER_MS
    last_ms = last_open_ns // NS_PER_MS
    rows: dict[int, list[Any]] = {}
    while since_ms <= last_ms:
        wanted = min(page_limit, (last_ms - since_ms) // span_ms + 1)
        start = since_ms

        async def page(start: int = start, wanted: int = wanted) -> list[list[Any]]:
            result: list[list[Any]] = await exchange.fetch_ohlcv(
                instrument.symbol, timeframe.value, since=start, limit=wanted
            )
            return result

        batch = await calls.read(f"history {instrument.symbol} {timeframe.value}", page)
        newest = None
        for row in batch:
            ts = int(row[0])
            if start <= ts <= last_ms:
                rows[ts] = list(row)
                newest = ts if newest is None else max(newest, ts)
        if newest is None:
            break  # nothing more in range (a gap to the end, or before the listing)
        since_ms = newest + span_ms
    return [
        bar_from_ohlcv(rows[ts], instrument.symbol, timeframe, instrument, closed=True)
        for ts in sorted(rows)
    ]


async def history(
    calls: VenueCalls,
    instrument: Instrument,
    timeframe: Timeframe | str,
    *,
    end_ns: int | None,
    limit: int,
    page_limit: int,
    cache: CandleCache | None,
    starts: dict[tuple[str, str], int] | None = None,
) -> list[Bar]:
    """Up to ``limit`` closed bars ending at ``end_ns`` (default now), oldest first.

    ``starts`` remembers, per (symbol, timeframe), the first bar the venue has (its
    listing): a window reaching further back does not ask for that range again."""
    try:
        frame = Timeframe(timeframe)
    except ValueError:
        known = ", ".join(t.value for t in Timeframe)
        raise ValidationError("timeframe", f"must be one of {known}", timeframe) from None
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", f"must be a whole number from 1 to {MAX_LIMIT}", limit)
    now = time.time_ns()
    if end_ns is not None and (isinstance(end_ns, bool) or not isinstance(end_ns, int)):
        raise ValidationError("end_ns", "must be epoch nanoseconds (int)", end_ns)
    end = now if end_ns is None else min(end_ns, now)
    first, last = closed_window(frame, end, limit)
    venue = calls.venue
    span = frame.nanos
    cached: list[Bar] = []
    if cache is not None:
        cached = await asyncio.to_thread(
            cache.load_bars, venue, instrument.symbol, frame, first, last
        )
    key = (instrument.symbol, frame.value)
    known_start = starts.get(key) if starts is not None else None
    if not cached:
        fetched = await fetch_closed_bars(calls, instrument, frame, first, last, page_limit)
        if fetched and fetched[0].ts > first and starts is not None:
            starts[key] = fetched[0].ts
        await _store(cache, venue, fetched)
        return fetched
    head: list[Bar] = []
    tail: list[Bar] = []
    if cached[0].ts > first and (known_start is None or known_start < cached[0].ts):
        head = await fetch_closed_bars(
            calls, instrument, frame, first, cached[0].ts - span, page_limit
        )
        if not head and starts is not None:
            starts[key] = cached[0].ts  # nothing before it at this venue
    if cached[-1].ts < last:
        tail = await fetch_closed_bars(
            calls, instrument, frame, cached[-1].ts + span, last, page_limit
        )
    await _store(cache, venue, head + tail)
    merged = {bar.ts: bar for bar in (*head, *cached, *tail)}
    return [merged[ts] for ts in sorted(merged)]


async def _store(cache: CandleCache | None, venue: str, bars: Sequence[Bar]) -> None:
    if cache is not None and bars:
        await asyncio.to_thread(cache.store_bars, venue, bars)
