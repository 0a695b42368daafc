"""``CcxtVenue``: one opened ccxt venue (markets loaded) with its data and execution clients.

One ccxt.pro client per (venue, key) serves both: they share its connections, ccxt's rate
limiter and our per-key throttle (a 429 on a read pauses orders too).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from app.brokers.ccxt.calls import VenueCalls
from app.brokers.ccxt.client import build_exchange, close_exchange, load_markets
from app.brokers.ccxt.config import CcxtConfig
from app.brokers.ccxt.data import CcxtDataClient
from app.brokers.ccxt.execution import CcxtExecutionClient
from app.brokers.ccxt.parsing import instrument_from_market
from app.brokers.ccxt.quirks import quirks_for
from app.brokers.ccxt.throttle import KeyThrottle
from app.engine.domain.errors import ValidationError
from app.engine.domain.instruments import Instrument
from app.engine.ports import CandleCache

log = logging.getLogger(__name__)


class CcxtVenue:
    def __init__(
        self,
        config: CcxtConfig,
        exchange: Any,
        calls: VenueCalls,
        data: CcxtDataClient,
        execution: CcxtExecutionClient | None,
    ) -> None:
        self.config = config
        self.exchange = exchange
        self.calls = calls
        self.data = data
        self.execution = execution
        self._closed = False

    @classmethod
    async def open(cls, config: CcxtConfig, *, cache: CandleCache | None = None) -> CcxtVenue:
        """Build the client, load markets (under ``markets_timeout_s``) and the clients.

        Symbols the venue does not list are left out with a warning; the data client
        exposes the rest. ``.execution`` is None when the config has no key; with a key,
        the key is tried once (a balance read): AuthenticationFailed / PermissionDenied
        surface here."""
        exchange = build_exchange(config)
        try:
            markets = await load_markets(exchange, config.venue, config.markets_timeout_s)
            instruments = _instruments(config, markets, exchange.precisionMode)
            calls = VenueCalls(
                exchange,
                config.venue,
                quirks_for(config.exchange_id),
                KeyThrottle(config.venue, config.key_id),
            )
            data = CcxtDataClient(config, calls, instruments, cache=cache)
            execution = None
            if config.has_keys:
                # the key is checked over REST first: a refused key then fails here, with the
                # venue's own words, instead of inside the user stream (where ccxt 4.5.90
                # hides a refused ws-api signature behind a KeyError)
                await calls.read("check the API key", lambda: exchange.fetch_balance(), retry=False)
                execution = CcxtExecutionClient(config, calls, instruments)
        except BaseException:
            await asyncio.shield(close_exchange(exchange))
            raise
        return cls(config, exchange, calls, data, execution)

    async def close(self) -> None:
        """Close the client. Cancel ``data.run()``/``execution.run()`` first; a listener
        still running when the client closes ends instead of reconnecting."""
        if not self._closed:
            self._closed = True
            self.calls.closed = True
            await close_exchange(self.exchange)


def _instruments(
    config: CcxtConfig, markets: dict[str, Any], precision_mode: int
) -> list[Instrument]:
    out: list[Instrument] = []
    missing = []
    for symbol in config.symbols:
        market = markets.get(symbol)
        if market is None:
            missing.append(symbol)
            continue
        try:
            out.append(instrument_from_market(market, config.venue, precision_mode))
        except ValidationError as exc:
            log.warning("%s: %s left out: %s", config.venue, symbol, exc)
    if missing:
        log.warning("%s does not list %s", config.venue, ", ".join(missing))
    return out
