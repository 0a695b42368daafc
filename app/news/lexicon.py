"""Offline headline sentiment: a small finance lexicon with negation and intensifiers.

No model, no network: each word or phrase of the built-in list carries a weight (positive
bullish, negative bearish); a negation within the three words before a term ("not",
"no", "never", "fails to", "isn't", ...) flips it and damps it, as "not bullish" is less
bearish than "bearish"; an intensifier just before a term scales it ("sharply lower",
"slightly higher"); a term after "after", "despite", "amid" or "following" counts half,
as it is the background of the news rather than the news ("rebounds after sell-off").
The sum is squashed into [-1, 1] with s / sqrt(s^2 + alpha) (VADER's normalisation), so
one strong word reads about ±0.7 and several agreeing words approach ±1. Punctuation ends
a negation's reach and a background clause ("no delay, shares surge" is positive).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

# fmt: off
_WORDS: dict[str, float] = {
    # bullish
    "bullish": 2.0, "bull": 1.2, "surge": 2.0, "soar": 2.2, "skyrocket": 2.5, "rally": 1.8,
    "rallies": 1.8, "rallied": 1.8, "rallying": 1.8, "jump": 1.5, "climb": 1.2, "rise": 1.0,
    "rises": 1.0, "rose": 1.0, "rising": 1.0, "gain": 1.3, "gains": 1.3, "higher": 0.8,
    "rebound": 1.3, "recover": 1.0, "recovery": 1.0, "boom": 1.8, "breakout": 1.5,
    "beat": 1.5, "beats": 1.5, "outperform": 1.5, "upgrade": 1.6, "upgraded": 1.6,
    "approve": 1.6, "approval": 1.6, "approved": 1.6, "adoption": 1.4, "adopt": 1.2,
    "partnership": 1.2, "inflow": 1.3, "inflows": 1.3, "profit": 1.2, "profitable": 1.3,
    "growth": 1.2, "strong": 1.0, "optimism": 1.5, "optimistic": 1.5, "buy": 0.8,
    "accumulate": 1.0, "launch": 0.8, "milestone": 1.0, "win": 1.2, "wins": 1.2, "won": 1.2,
    "positive": 1.0, "support": 0.6, "boost": 1.4, "upbeat": 1.4,
    # bearish
    "bearish": -2.0, "bear": -1.2, "crash": -2.5, "plunge": -2.2, "plummet": -2.4,
    "tumble": -1.8, "slump": -1.8, "sink": -1.5, "sank": -1.5, "drop": -1.3, "fall": -1.2,
    "falls": -1.2, "fell": -1.2, "falling": -1.2, "decline": -1.2, "lower": -0.8,
    "slide": -1.3, "loss": -1.3, "losses": -1.3, "lose": -1.2, "loses": -1.2, "lost": -1.2,
    "miss": -1.4, "misses": -1.4, "downgrade": -1.6, "downgraded": -1.6, "hack": -2.2,
    "hacked": -2.2, "exploit": -2.0, "breach": -1.8, "stolen": -2.0, "theft": -2.0,
    "fraud": -2.4, "scam": -2.2, "lawsuit": -1.6, "sue": -1.5, "sues": -1.5, "sued": -1.5,
    "ban": -2.0, "bans": -2.0, "banned": -2.0, "crackdown": -1.8, "probe": -1.2,
    "investigation": -1.2, "charged": -1.4, "fined": -1.4, "reject": -1.6,
    "rejects": -1.6, "rejected": -1.6, "rejection": -1.6, "delay": -1.0, "delayed": -1.0,
    "bankrupt": -2.5, "bankruptcy": -2.5, "insolvent": -2.4, "default": -1.8,
    "liquidation": -1.6, "liquidated": -1.6, "outflow": -1.3, "outflows": -1.3,
    "fear": -1.5, "fears": -1.5, "panic": -2.0, "weak": -1.0, "concern": -0.8,
    "concerns": -0.8, "warning": -1.2, "warns": -1.2, "sell": -0.8, "dump": -1.8,
    "halt": -1.4, "halted": -1.4, "recession": -1.6, "layoffs": -1.2, "negative": -1.0,
    "volatile": -0.4, "uncertainty": -1.0, "collapse": -2.4,
}

_PHRASES: dict[tuple[str, ...], float] = {
    ("all", "time", "high"): 2.5,
    ("record", "high"): 2.2,
    ("new", "high"): 1.6,
    ("short", "squeeze"): 1.2,
    ("price", "target", "raised"): 1.6,
    ("sell", "off"): -2.0,
    ("record", "low"): -2.2,
    ("new", "low"): -1.6,
    ("price", "target", "cut"): -1.6,
    ("rug", "pull"): -2.5,
    ("death", "cross"): -1.5,
    ("golden", "cross"): 1.5,
}

_NEGATIONS = frozenset({
    "not", "no", "never", "without", "neither", "nor", "cannot", "hardly", "barely",
    "fails", "failed", "fail", "lacks", "lacking", "none",
})
_BOOSTERS: dict[str, float] = {
    "very": 1.3, "sharply": 1.4, "strongly": 1.3, "massive": 1.4, "massively": 1.4,
    "huge": 1.3, "biggest": 1.3, "extremely": 1.5, "deeply": 1.3, "slightly": 0.6,
    "record": 1.3, "modestly": 0.7, "somewhat": 0.7, "marginally": 0.5, "mildly": 0.6,
}
# fmt: on
_NEGATION_REACH = 3
# "X after Y", "X despite Y": the headline's news is X, Y is background
_BACKGROUND = frozenset({"after", "despite", "amid", "following"})
_BACKGROUND_FACTOR = 0.5
_NEGATION_FACTOR = -0.75
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,;:!?]")
_BREAK = frozenset(".,;:!?")


class Lexicon:
    """A word/phrase weight table and the scoring rule. ``extra_words`` add to or override
    the built-in weights (a user's own terms)."""

    def __init__(
        self, extra_words: Mapping[str, float] | None = None, *, alpha: float = 4.0
    ) -> None:
        self.words = dict(_WORDS)
        for word, weight in (extra_words or {}).items():
            self.words[word.lower()] = float(weight)
        self.phrases = dict(_PHRASES)
        self.alpha = alpha
        self._longest = max(len(p) for p in self.phrases)

    def score(self, text: str) -> float:
        """Sentiment of ``text`` in [-1, 1]; 0.0 when no term of the lexicon occurs."""
        tokens = tokenize(text)
        total = 0.0
        background = 1.0  # after "after", "despite", ...: context, not the news itself
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token in _BREAK:
                background = 1.0
            elif token in _BACKGROUND:
                background = _BACKGROUND_FACTOR
            weight, length = self._term(tokens, i)
            if weight:
                total += weight * self._modifier(tokens, i) * background
                i += length
            else:
                i += 1
        if total == 0.0:
            return 0.0
        return max(-1.0, min(1.0, total / math.sqrt(total * total + self.alpha)))

    def _term(self, tokens: list[str], i: int) -> tuple[float, int]:
        for n in range(min(self._longest, len(tokens) - i), 1, -1):
            weight = self.phrases.get(tuple(tokens[i : i + n]))
            if weight is not None:
                return weight, n
        return self._word(tokens[i]), 1

    def _word(self, token: str) -> float:
        found = self.words.get(token)
        if found is not None:
            return found
        # plain English inflections: surges, surged, surging -> surge; gains -> gain
        for suffix, repl in (
            ("ing", "e"),
            ("ing", ""),
            ("ed", "e"),
            ("ed", ""),
            ("es", ""),
            ("s", ""),
        ):
            if token.endswith(suffix) and len(token) > len(suffix) + 2:
                found = self.words.get(token[: -len(suffix)] + repl)
                if found is not None:
                    return found
        return 0.0

    def _modifier(self, tokens: list[str], i: int) -> float:
        factor = 1.0
        if i > 0 and tokens[i - 1] in _BOOSTERS:
            factor *= _BOOSTERS[tokens[i - 1]]
        for j in range(i - 1, max(-1, i - 1 - _NEGATION_REACH), -1):
            token = tokens[j]
            if token in _BREAK:
                break
            if token in _NEGATIONS or token.endswith("n't"):
                factor *= _NEGATION_FACTOR
                break
        return factor


def tokenize(text: str) -> list[str]:
    """Lower-case words (keeping contractions like "isn't") and sentence punctuation."""
    return _TOKEN.findall(text.lower().replace("\u2019", "'").replace("-", " "))


DEFAULT = Lexicon()


def score_text(text: str) -> float:
    """Sentiment of ``text`` in [-1, 1] with the built-in lexicon."""
    return DEFAULT.score(text)
