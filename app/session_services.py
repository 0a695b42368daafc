"""What every trading session starts once its engine has restored and reconciled: the news
service and the bots (which need the restored orders, positions and prices), then the
collector tuning that ends start-up. Shared by the paper and the venue sessions."""

from __future__ import annotations

from collections.abc import Sequence

from app.bots.config import StrategyResolver
from app.bots.manager import BotManager
from app.bots.runtime import HistorySource
from app.engine.engine import TradingEngine
from app.engine.gc_tuning import tune_gc
from app.news.service import NewsService
from app.settings import Settings


async def start_services(
    engine: TradingEngine,
    settings: Settings,
    symbols: Sequence[str],
    history: HistorySource,
    strategies: StrategyResolver | None,
    *,
    tune: bool,
) -> tuple[NewsService, BotManager, list[str]]:
    """Start news and restore the bots; returns them and the bots' restore findings."""
    news = NewsService(
        list(symbols),
        lambda coro, name: engine.tasks.spawn(coro, name, service=True),
        interval=settings.news_poll_s,
    )
    news.configure(settings.news_feeds)
    bots = BotManager(engine, history=history, resolve=strategies, sentiment=news.sentiment)
    findings = await bots.restore()
    if tune:  # start-up is done: see app/engine/gc_tuning.py
        tune_gc()
    return news, bots, findings
