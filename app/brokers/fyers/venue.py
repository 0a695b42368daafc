"""FyersVenue: the REST client, the data client and the execution client of one account."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from app.brokers.fyers import parsing
from app.brokers.fyers.config import FyersConfig
from app.brokers.fyers.data import FyersDataClient
from app.brokers.fyers.execution import FyersExecutionClient
from app.brokers.fyers.market_hours import NseSession
from app.brokers.fyers.sdk_bridge import FyersRest, SdkSocketFactory, SocketFactory
from app.brokers.fyers.streams import DEFAULT_BACKOFF, READ_BACKOFF
from app.brokers.retry import Backoff, retry_read
from app.engine.domain.instruments import Instrument

log = logging.getLogger(__name__)


class FyersVenue:
    """``await FyersVenue.open(config)`` checks the token (profile), learns each configured
    symbol's tick size (depth), opens the order socket and returns ``.data`` and
    ``.execution``; ``await close()`` stops both sockets and the HTTP session."""

    def __init__(
        self, rest: FyersRest, data: FyersDataClient, execution: FyersExecutionClient
    ) -> None:
        self.rest = rest
        self.data = data
        self.execution = execution
        self._closed = False

    @classmethod
    async def open(
        cls,
        config: FyersConfig,
        *,
        socket_factory: SocketFactory | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        read_backoff: Backoff = READ_BACKOFF,
        wall_ns: Callable[[], int] = time.time_ns,
    ) -> FyersVenue:
        config.require_token()
        factory = socket_factory or SdkSocketFactory()
        rest = FyersRest.for_account(config)
        try:
            await rest.call("get_profile")  # a bad or expired token fails here, clearly
            instruments = [await _instrument(rest, s, read_backoff) for s in config.symbols]
        except BaseException:
            await rest.close()
            raise
        data = FyersDataClient(
            config,
            rest,
            factory,
            instruments,
            backoff=backoff,
            read_backoff=read_backoff,
            wall_ns=wall_ns,
        )
        execution = FyersExecutionClient(
            config,
            rest,
            factory,
            session=NseSession(config.holidays),
            backoff=backoff,
            read_backoff=read_backoff,
            wall_ns=wall_ns,
        )
        execution.start()
        return cls(rest, data, execution)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self.execution.close()
            await self.data.close()
        finally:
            await self.rest.close()


async def _instrument(rest: FyersRest, symbol: str, backoff: Backoff) -> Instrument:
    body = await retry_read(
        lambda: rest.call("depth", {"symbol": symbol, "ohlcv_flag": "1"}), "depth", backoff
    )
    return parsing.instrument(symbol, parsing.tick_size_from_depth(body, symbol))
