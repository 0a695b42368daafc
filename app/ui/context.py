"""What every panel is given: the engine facade, market data, the update bridge, settings.

Panels trade only through ``engine`` (its public methods: place_order, cancel, modify,
close_position, reverse_position, flatten_all, kill_switch, resume_trading, set_limits,
summary, instruments, portfolio, risk.limits) and read history through ``data`` (the
DataClient port). They never import a broker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.accounts.service import AccountService
from app.bots.manager import BotManager
from app.engine.engine import TradingEngine
from app.engine.ports import DataClient
from app.news.service import NewsService
from app.settings import Settings
from app.ui.bridge import EngineBridge


@dataclass(slots=True)
class UiContext:
    engine: TradingEngine
    data: DataClient
    bridge: EngineBridge
    settings: Settings
    bots: BotManager | None = None  # the bot manager, when the session runs bots
    news: NewsService | None = None  # the news feeds behind the news-aware bots
    # symbol -> its candle file on the real clock (the demo's bundled candles), for backtests
    candle_file: Callable[[str], Path | None] | None = None
    # what the status bar and title say this session trades on; ``live`` paints it red
    account_title: str = "Paper · demo market"
    live: bool = False
    # the account's own folder (watchlists...); None: the demo account, at the data folder
    state_dir: Path | None = None
    # the trader's accounts (Tools → Accounts…) and how to restart the session on another
    accounts: AccountService | None = None
    switch_account: Callable[[str], None] | None = None

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run an engine call from a button: the task is owned and its failure logged."""
        return self.engine.tasks.spawn(coro, name)
