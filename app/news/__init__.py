"""News headlines and their sentiment for the bots.

A ``NewsSource`` fetches headlines (``rss.RssSource`` reads a user-configured RSS 2.0 or
Atom feed), ``lexicon`` scores a headline offline in [-1, 1], and ``monitor.SentimentMonitor``
polls a source as a supervised coroutine, matches headlines to symbols and keeps a decaying
sentiment per symbol that the bot runtime hands to strategies through their context.
Strategies never do network I/O themselves; this package does it for them.
"""

from app.news.lexicon import Lexicon, score_text
from app.news.monitor import SentimentMonitor
from app.news.rss import RssSource
from app.news.source import CombinedSource, Headline, NewsError, NewsSource

__all__ = [
    "CombinedSource",
    "Headline",
    "Lexicon",
    "NewsError",
    "NewsSource",
    "RssSource",
    "SentimentMonitor",
    "score_text",
]
