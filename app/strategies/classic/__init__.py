"""The classic bots: volatile coins, simple profitable, enhanced (regime switching) and
news + technicals. One module per strategy; this package lists them for the registry."""

from app.strategies.classic.enhanced import Enhanced
from app.strategies.classic.news import NewsTechnicals
from app.strategies.classic.simple import SimpleProfitable
from app.strategies.classic.volatile import VolatileCoins

STRATEGIES = (VolatileCoins, SimpleProfitable, Enhanced, NewsTechnicals)

__all__ = ["STRATEGIES", "Enhanced", "NewsTechnicals", "SimpleProfitable", "VolatileCoins"]
