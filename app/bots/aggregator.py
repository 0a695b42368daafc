"""Closed one-minute bars into a bot's timeframe, on UTC-aligned buckets (the same buckets the
demo market's ``history`` uses, so warm-up history and live bars line up)."""

from __future__ import annotations

from app.engine.domain.market import Bar, Timeframe
from app.engine.series import Candle

MINUTE_NS = 60_000_000_000


class BarAggregator:
    """Feed closed 1m bars in time order; get back the bot-timeframe candles they complete.

    A bucket is emitted as soon as its last minute arrives; a bucket whose last minute never
    comes (a gap in the feed) is emitted when the first bar of a later bucket arrives. Bars at
    or before the last one seen are ignored, so warm-up history and the live feed can overlap.
    """

    def __init__(self, timeframe: Timeframe) -> None:
        self.span = timeframe.nanos
        self.last_ts = -1
        self._bucket = -1
        self._acc: list[float] | None = None  # open, high, low, close, volume

    def seed_last(self, ts: int) -> None:
        """Bars opening before ``ts`` + 1 minute were already seen (warm-up history)."""
        self.last_ts = max(self.last_ts, ts)

    def add(self, bar: Bar) -> list[Candle]:
        if not bar.closed or bar.ts <= self.last_ts:
            return []
        self.last_ts = bar.ts
        out: list[Candle] = []
        bucket = bar.ts - bar.ts % self.span
        if self._acc is not None and bucket != self._bucket:
            out.append(self._flush())
        o, h, lo, c, v = (
            float(bar.open),
            float(bar.high),
            float(bar.low),
            float(bar.close),
            float(bar.volume),
        )
        acc = self._acc
        if acc is None:
            self._acc = [o, h, lo, c, v]
            self._bucket = bucket
        else:
            acc[1] = max(acc[1], h)
            acc[2] = min(acc[2], lo)
            acc[3] = c
            acc[4] += v
        if bar.ts + MINUTE_NS >= bucket + self.span:
            out.append(self._flush())
        return out

    def _flush(self) -> Candle:
        acc = self._acc
        assert acc is not None
        self._acc = None
        return Candle(self._bucket, acc[0], acc[1], acc[2], acc[3], acc[4])
