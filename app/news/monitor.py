"""Polls a news source, matches headlines to symbols and keeps a sentiment per symbol.

``SentimentMonitor.run`` is a long-running coroutine for the runtime's supervisor: it polls
every ``interval`` seconds, re-raises CancelledError, and on any other error logs it and
backs off (doubling the wait up to ``max_backoff``) instead of dying. A headline belongs to
a symbol when its title names the symbol's base asset or one of its aliases as a whole word
("Bitcoin" or "BTC" for BTC/USD). Each symbol's sentiment is the decay-weighted mean of its
headlines' scores over the last ``window`` seconds (weight halves every ``half_life``
seconds), so one old story fades instead of steering a bot for days.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping

from app.engine.domain.errors import ValidationError
from app.news.lexicon import score_text
from app.news.source import Headline, NewsSource
from app.strategies.base import Sentiment

log = logging.getLogger(__name__)

NS = 1_000_000_000

# Names headlines use for common base assets; the ticker itself always matches too.
ALIASES: dict[str, tuple[str, ...]] = {
    "BTC": ("bitcoin", "xbt"),
    "ETH": ("ethereum", "ether"),
    "LTC": ("litecoin",),
    "SOL": ("solana",),
    "XRP": ("ripple",),
    "ADA": ("cardano",),
    "DOGE": ("dogecoin",),
    "BNB": ("binance coin",),
    "DOT": ("polkadot",),
    "AVAX": ("avalanche",),
    "SPY": ("s&p 500", "s&p500", "sp500"),
    "AAPL": ("apple",),
    "INTC": ("intel",),
    "MSFT": ("microsoft",),
    "NVDA": ("nvidia",),
    "TSLA": ("tesla",),
    "AMZN": ("amazon",),
    "GOOGL": ("google", "alphabet"),
}


def base_asset(symbol: str) -> str:
    """The base asset: "BTC/USD" -> "BTC", "NSE:SBIN-EQ" -> "SBIN", "SPY" -> "SPY"."""
    text = symbol.split(":", 1)[-1]
    return re.split(r"[/\-_ ]", text, maxsplit=1)[0].upper()


def _pattern(names: Iterable[str]) -> re.Pattern[str]:
    # (?<!\w)...(?!\w) rather than \b so names with symbols ("s&p 500") still match whole
    alternatives = sorted({n.lower() for n in names if n}, key=len, reverse=True)
    joined = "|".join(re.escape(n) for n in alternatives)
    return re.compile(rf"(?<!\w)(?:{joined})(?!\w)", re.IGNORECASE)


class SentimentMonitor:
    def __init__(
        self,
        source: NewsSource,
        symbols: Iterable[str],
        *,
        interval: float = 300.0,
        window: float = 6 * 3600.0,
        half_life: float = 2 * 3600.0,
        max_backoff: float = 3600.0,
        aliases: Mapping[str, Iterable[str]] | None = None,
        scorer: Callable[[str], float] = score_text,
        clock: Callable[[], int] = time.time_ns,
        on_poll: Callable[[bool], None] | None = None,
    ) -> None:
        for field, value in (("interval", interval), ("window", window), ("half_life", half_life)):
            if not value > 0:
                raise ValidationError(field, "must be more than 0 seconds", value)
        if max_backoff < interval:
            raise ValidationError("max_backoff", "must be at least the interval", max_backoff)
        self.source = source
        self.interval = interval
        self.window_ns = int(window * NS)
        self.half_life_ns = half_life * NS
        self.max_backoff = max_backoff
        self.scorer = scorer
        self.clock = clock
        self.on_poll = on_poll  # told after every attempt whether it worked (status displays)
        names = {**ALIASES, **{k.upper(): tuple(v) for k, v in (aliases or {}).items()}}
        self._patterns: dict[str, re.Pattern[str]] = {}
        for symbol in symbols:
            base = base_asset(symbol)
            if not base:
                raise ValidationError("symbols", "a symbol needs a base asset", symbol)
            self._patterns[symbol] = _pattern((base, *names.get(base, ())))
        self._scores: dict[str, deque[tuple[int, float]]] = {s: deque() for s in self._patterns}
        self._seen: OrderedDict[str, None] = OrderedDict()  # bounded de-duplication memory
        self.polls = 0
        self.failures = 0  # consecutive
        self.last_error: str | None = None

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self._patterns)

    # --- polling -------------------------------------------------------------------------
    async def run(self) -> None:
        """Poll forever. Cancel the task to stop it."""
        while True:
            try:
                await self.poll_once()
                delay, ok = self.interval, True
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a feed outage must not end the monitor
                self.failures += 1
                self.last_error = str(exc)
                delay, ok = min(self.interval * 2**self.failures, self.max_backoff), False
                log.warning("news poll failed (%s); retrying in %.3g s", exc, delay)
            if self.on_poll is not None:
                self.on_poll(ok)
            await asyncio.sleep(delay)

    async def poll_once(self) -> int:
        """Fetch once and take in the new headlines; the number that matched a symbol."""
        headlines = await self.source.fetch()
        matched = self.ingest(headlines)
        self.polls += 1
        self.failures = 0
        self.last_error = None
        return matched

    def ingest(self, headlines: Iterable[Headline]) -> int:
        """Score and file headlines not seen before; the number that matched a symbol."""
        now = self.clock()
        matched = 0
        for h in headlines:
            keys = h.keys
            if any(k in self._seen for k in keys):
                continue
            for key in keys:
                self._remember(key)
            # no date, or a date in the future (a feed's clock or zone is off): "now"
            ts = now if h.published_ns is None or h.published_ns > now else h.published_ns
            if now - ts > self.window_ns:
                continue
            symbols = [s for s, pat in self._patterns.items() if pat.search(h.title)]
            if not symbols:
                continue
            score = max(-1.0, min(1.0, float(self.scorer(h.title))))
            for symbol in symbols:
                bucket = self._scores[symbol]
                bucket.append((ts, score))
                if len(bucket) > 1 and bucket[-2][0] > ts:  # keep time order for pruning
                    self._scores[symbol] = deque(sorted(bucket))
            matched += 1
        return matched

    def _remember(self, key: str) -> None:
        self._seen[key] = None
        while len(self._seen) > 10_000:
            self._seen.popitem(last=False)

    # --- reading -------------------------------------------------------------------------
    def sentiment(self, symbol: str) -> Sentiment | None:
        """Decay-weighted sentiment of ``symbol``'s recent headlines; None without any."""
        bucket = self._scores.get(symbol)
        if not bucket:
            return None
        now = self.clock()
        while bucket and now - bucket[0][0] > self.window_ns:
            bucket.popleft()
        if not bucket:
            return None
        total = weights = 0.0
        for ts, score in bucket:
            weight = 0.5 ** (max(now - ts, 0) / self.half_life_ns)
            total += weight * score
            weights += weight
        return Sentiment(total / weights, len(bucket), bucket[-1][0])

    def provider(self, symbol: str) -> Callable[[], Sentiment | None]:
        """A zero-argument callable for a strategy context (``ShadowContext(sentiment=...)``
        or the bot runtime)."""
        return lambda: self.sentiment(symbol)
