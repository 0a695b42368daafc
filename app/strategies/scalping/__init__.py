"""The twelve built-in scalping strategies (long-only; spot accounts cannot short).

``trend`` follows short trends, ``reversion`` buys stretched dips on a first turn, and
``breakout`` buys price leaving a range; ``common`` holds their shared skeleton and risk
parameters (ATR stop, ATR target, time stop).
"""

from app.strategies.scalping.breakout import (
    AtrTrailingBreakout,
    BollingerSqueeze,
    DonchianBreakout,
    KeltnerBreakout,
    VolumeSpike,
)
from app.strategies.scalping.reversion import (
    BollingerBounce,
    RsiReversal,
    StochCross,
    VwapReversion,
)
from app.strategies.scalping.trend import EmaCross, MacdMomentum, SuperTrendFollow

STRATEGIES = (
    EmaCross,
    RsiReversal,
    BollingerBounce,
    BollingerSqueeze,
    MacdMomentum,
    VwapReversion,
    StochCross,
    DonchianBreakout,
    SuperTrendFollow,
    KeltnerBreakout,
    VolumeSpike,
    AtrTrailingBreakout,
)

__all__ = [
    "STRATEGIES",
    "AtrTrailingBreakout",
    "BollingerBounce",
    "BollingerSqueeze",
    "DonchianBreakout",
    "EmaCross",
    "KeltnerBreakout",
    "MacdMomentum",
    "RsiReversal",
    "StochCross",
    "SuperTrendFollow",
    "VolumeSpike",
    "VwapReversion",
]
