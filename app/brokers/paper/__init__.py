"""The paper exchange: a simulated venue for paper trading and backtests.

Behind the same ``ExecutionClient`` protocol as real venues; fed market data by the wiring
through ``on_quote`` / ``on_trade`` (or ``on_market``).
"""

from app.brokers.paper.config import FeeCurrency, PaperConfig
from app.brokers.paper.exchange import PaperExchange
from app.brokers.paper.records import PaperStateError

__all__ = ["FeeCurrency", "PaperConfig", "PaperExchange", "PaperStateError"]
