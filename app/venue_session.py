"""A trading session on a real venue: a ccxt exchange or Fyers, live, on its testnet, or paper
trading on its public data.

Like ``PaperSession`` (the offline demo) it owns a journal, an engine, the bots and the news
service; here the market data comes from the venue's adapter and the orders go either to the
venue's execution client (testnet, live) or to our paper exchange matching against the
venue's real quotes ("paper on live data"). Each account keeps its own journal in
``accounts/<id>/`` of the data folder, so the venue's orders, fills and balances never mix
with another account's.

Start order matters: the adapter connects and loads markets; the engine restores its journal
and reconciles with the venue (orders, fills, balances) BEFORE any stream runs or any bot
trades; then the streams start and the bots come back.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from app.accounts.model import Account, AccountMode, account_folder
from app.bots.config import StrategyResolver
from app.bots.manager import BotManager
from app.brokers.paper import PaperConfig, PaperExchange
from app.engine.bus import Priority
from app.engine.clock import FuncClock
from app.engine.domain.errors import ValidationError
from app.engine.domain.market import QuoteTick, TradeTick
from app.engine.engine import TradingEngine
from app.engine.ports import DataClient, ExecutionClient, ReportsStatus
from app.engine.store import Journal
from app.news.service import NewsService
from app.paper_session import PAPER_VENUE
from app.redaction import register_secret
from app.session_services import start_services
from app.settings import Settings


@runtime_checkable
class Streaming(Protocol):
    """An adapter half with its own streams (market data, the user-data stream)."""

    async def run(self) -> None: ...


@dataclass(slots=True)
class OpenedVenue:
    """An adapter's two halves, connected, and how to close them."""

    data: DataClient
    execution: ExecutionClient | None
    close: Callable[[], Awaitable[None]]
    currency: str  # the account's cash asset (USDT, USD, INR)


VenueOpener = Callable[[Settings, Account, Mapping[str, str], Path], Awaitable[OpenedVenue]]


@dataclass(slots=True)
class VenueSession:
    settings: Settings
    account: Account
    journal: Journal
    data: DataClient
    execution: ExecutionClient
    engine: TradingEngine
    findings: list[str]
    bots: BotManager
    news: NewsService
    _venue: OpenedVenue
    candle_file: None = None  # a live venue's history comes from the venue, not a file
    _closed: bool = field(default=False)

    @property
    def title(self) -> str:
        return f"{self.account.label} · {self.account.mode.display}"

    @classmethod
    async def open(
        cls,
        settings: Settings,
        account: Account,
        credentials: Mapping[str, str],
        *,
        opener: VenueOpener | None = None,
        strategies: StrategyResolver | None = None,
        clock: Callable[[], int] = time.time_ns,
        tune: bool = True,
    ) -> VenueSession:
        if account.mode is AccountMode.DEMO:
            raise ValidationError("account", "the demo account runs as a PaperSession")
        for value in credentials.values():
            register_secret(value)  # masked in every log line from here on
        folder = account_folder(settings.data_dir, account.id)
        journal = Journal.open(folder)
        venue: OpenedVenue | None = None
        engine: TradingEngine | None = None
        try:
            venue = await (opener or open_venue)(settings, account, credentials, folder)
            instruments = list(venue.data.instruments())
            if not instruments:
                raise ValidationError(
                    "symbols", f"none of {', '.join(account.symbols)} is listed on {account.venue}"
                )
            paper: PaperExchange | None = None
            if account.mode is AccountMode.PAPER_LIVE:
                cash = {venue.currency: settings.paper_cash}
                paper = PaperExchange(
                    PAPER_VENUE,
                    instruments,
                    PaperConfig(initial_balances=cash, slippage_bps=settings.slippage_bps),
                    journal,
                    clock,
                )
                execution: ExecutionClient = paper
            elif venue.execution is None:
                raise ValidationError("credentials", f"{account.label} has no API key set")
            else:
                execution = venue.execution
            engine = TradingEngine(
                journal=journal,
                client=execution,
                instruments={i.symbol: i for i in instruments},
                clock=FuncClock(clock),
                currency=venue.currency,
            )
            if paper is not None:  # matches against the venue's real tape, after the engine
                engine.bus.subscribe(QuoteTick, paper.on_quote, priority=Priority.VENUE)
                engine.bus.subscribe(TradeTick, paper.on_trade, priority=Priority.VENUE)
            for source in (venue.data, execution):
                if isinstance(source, ReportsStatus):
                    engine.attach_status(source)
            venue.data.set_market_sink(engine.on_market)
            deposit = {venue.currency: settings.paper_cash} if paper is not None else None
            # journal restored and reconciled with the venue before a single stream runs
            findings = await engine.start(initial_deposit=deposit)
            symbols = [i.symbol for i in instruments]
            await venue.data.subscribe(symbols)
            if isinstance(venue.data, Streaming):
                engine.tasks.spawn(venue.data.run(), "market-data", service=True)
            if paper is None and isinstance(execution, Streaming):
                engine.tasks.spawn(execution.run(), "user-data", service=True)
            data = venue.data
            news, bots, restored = await start_services(
                engine,
                settings,
                symbols,
                lambda s, tf, n: data.history(s, tf, limit=n),
                strategies,
                tune=tune,
            )
            findings.extend(restored)
        except BaseException:
            if engine is not None:  # its streams and checks end before the venue closes
                await engine.stop()
            if venue is not None:
                await venue.close()
            journal.close()
            raise
        return cls(
            settings, account, journal, venue.data, execution, engine, findings, bots, news, venue
        )

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.news.close()
            await self.bots.close()
            await self.engine.stop()
            await self._venue.close()
        finally:
            self.journal.close()


def quote_currency(symbols: Sequence[str], default: str) -> str:
    """The cash asset of an account: the quote most of its symbols trade against."""
    quotes = [s.split("/")[1].split(":")[0] for s in symbols if "/" in s]
    return max(set(quotes), key=quotes.count) if quotes else default


async def open_venue(
    settings: Settings, account: Account, credentials: Mapping[str, str], folder: Path
) -> OpenedVenue:
    """Connect the adapter an account's venue needs (ccxt or Fyers)."""
    if account.venue == "fyers":
        return await _open_fyers(settings, account, credentials, folder)
    return await _open_ccxt(settings, account, credentials)


async def _open_ccxt(
    settings: Settings, account: Account, credentials: Mapping[str, str]
) -> OpenedVenue:
    from app.brokers.ccxt.config import CcxtConfig
    from app.brokers.ccxt.venue import CcxtVenue
    from app.engine.store.candle_cache import SqliteCandleCache

    keyed = account.mode is not AccountMode.PAPER_LIVE
    config = CcxtConfig(
        exchange_id=account.venue,
        api_key=credentials.get("api_key", "") if keyed else "",
        secret=credentials.get("secret", "") if keyed else "",
        password=credentials.get("password", "") if keyed else "",
        uid=credentials.get("uid", "") if keyed else "",
        sandbox=account.mode is AccountMode.TESTNET,
        symbols=account.symbols,
        urls=settings.venue_urls.get(account.venue, {}),
    )
    cache = SqliteCandleCache(settings.data_dir / "cache" / "candles.sqlite")
    venue = await CcxtVenue.open(config, cache=cache)

    async def close() -> None:
        try:
            await venue.close()
        finally:
            cache.close()

    return OpenedVenue(venue.data, venue.execution, close, quote_currency(account.symbols, "USDT"))


async def _open_fyers(
    settings: Settings,
    account: Account,
    credentials: Mapping[str, str],
    folder: Path,
    *,
    socket_factory: Any = None,
    wall_ns: Callable[[], int] = time.time_ns,
) -> OpenedVenue:
    """Fyers: REST through the SDK, its data and order sockets bridged to the loop (tests
    pass a ``socket_factory`` standing in for the SDK's sockets, and the NSE clock)."""
    from app.brokers.fyers.config import FyersConfig
    from app.brokers.fyers.venue import FyersVenue

    if not credentials.get("access_token"):
        raise ValidationError(
            "credentials.access_token", "log in to Fyers first (Tools → Accounts… → Log in)"
        )
    api = settings.venue_urls.get("fyers", {}).get("api")
    config = FyersConfig(
        app_id=credentials.get("app_id", ""),
        access_token=credentials["access_token"],
        symbols=tuple(account.symbols),
        product_type=account.product_type or "CNC",
        log_dir=folder / "fyers-logs",
        api_base=api if isinstance(api, str) else None,
    )
    if credentials.get("redirect_url"):  # the login's; the session itself does not need it
        config = replace(config, redirect_url=credentials["redirect_url"])
    venue = await FyersVenue.open(config, socket_factory=socket_factory, wall_ns=wall_ns)
    return OpenedVenue(venue.data, venue.execution, venue.close, "INR")
