"""Auto: run every candidate strategy in a shadow book and trade the best one.

Each candidate runs on the same bars in its own ShadowContext (instant simulated fills), so
the auto strategy always knows how each would have done lately. Its score is a t-statistic
of the shadow's per-bar equity returns over the last ``lookback`` bars (mean / std x sqrt(n):
risk-adjusted and comparable across candidates); only candidates with at least
``min_trades`` closed trades in that window and a score above ``min_score`` qualify.

The active candidate's shadow book is wired to the real context: every intent it makes
still fills in its shadow (so its score keeps tracking), and is also forwarded to the real
context, rescaled to the real account (an explicit quantity is scaled by real / shadow
equity; exits by the real position). Switching happens only while the real position is
flat and nothing is pending, and only to a candidate whose own shadow is flat, so the two
books start a trade together; a switch needs the newcomer to beat the active one by
``switch_margin``. Candidates: every registered strategy except ``auto`` itself and
``news_technicals`` (it needs a news feed), or one group of them.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np

from app.engine.domain.orders import OrderSide
from app.engine.series import Candle
from app.strategies.base import OrderIntent, Strategy, StrategyContext
from app.strategies.params import Param
from app.strategies.shadow import ShadowContext

EXCLUDED = frozenset({"auto", "news_technicals"})
GROUPS = ("all", "reference", "scalping", "classic")
_KEEP_TRADES = 500  # shadow book lists are trimmed so a bot can run for months

Forward = Callable[[OrderIntent, float, float], None]


class _RoutedShadow(ShadowContext):
    """A candidate's shadow book; while ``forward`` is set, every intent is also handed on
    with the shadow's equity and position from just before it filled here."""

    forward: Forward | None = None

    def submit(self, intent: OrderIntent) -> None:
        equity, position = self.equity(), self.position()
        super().submit(intent)
        if self.forward is not None and self.trading:
            self.forward(intent, equity, position)


class _Candidate:
    __slots__ = ("id", "returns", "shadow", "strategy")

    def __init__(self, cls: type[Strategy], ctx: StrategyContext, fee_rate: float, n: int) -> None:
        self.id = cls.id
        self.shadow = _RoutedShadow(ctx.symbol, ctx.timeframe, fee_rate=fee_rate)
        self.strategy = cls(self.shadow)
        self.shadow.attach(self.strategy)
        self.returns: deque[float] = deque(maxlen=n)

    def step(self, bar: Candle, forward: Forward | None) -> None:
        strategy, shadow = self.strategy, self.shadow
        shadow.trading = strategy.bars_seen >= strategy.warmup
        shadow.forward = forward
        shadow.step(bar)
        curve = shadow.equity_curve
        if len(curve) >= 2:
            self.returns.append(curve[-1] / curve[-2] - 1.0 if curve[-2] > 0 else 0.0)
        if len(curve) > 4:
            del curve[:-2]
        if len(shadow.trades) > 2 * _KEEP_TRADES:
            del shadow.trades[:-_KEEP_TRADES]
            del shadow.fills[:-_KEEP_TRADES]
            del shadow.messages[:-_KEEP_TRADES]

    def score(self) -> float:
        """t-statistic of the recent per-bar returns; 0 when it never moved."""
        n = len(self.returns)
        if n < 2:
            return 0.0
        r = np.fromiter(self.returns, dtype=np.float64, count=n)
        std = float(r.std(ddof=1))
        if not std > 1e-12:
            return 0.0
        return float(r.mean()) / std * math.sqrt(n)

    def trades_since(self, ts: int) -> int:
        count = 0
        for trade in reversed(self.shadow.trades):
            if trade.exit_ts < ts:
                break
            count += 1
        return count


class Auto(Strategy):
    id = "auto"
    name = "Auto (best recent strategy)"
    summary = (
        "A meta-strategy: it runs every other built-in strategy (or one `candidates` group: "
        "reference, scalping or classic; never news + technicals) in a shadow book on the "
        "same bars and trades the one with the best recent risk-adjusted record. Score: the "
        "t-statistic (mean / standard deviation x square root of n) of each shadow's per-bar "
        "equity returns over the last `lookback` bars, after a `fee_rate` per fill; only "
        "candidates with at least `min_trades` closed trades in that window and a score above "
        "`min_score` qualify. Entries and exits are the active candidate's own, forwarded to "
        "the account. It switches candidate only while the account is flat on the symbol, "
        "only to a candidate that is itself flat, and only when the newcomer's score beats "
        "the active one's by `switch_margin`; with no candidate qualifying it stands aside. "
        "Every switch is logged. Warm-up is the longest of the candidates'."
    )
    params = (
        Param("lookback", int, 300, 20, 2000, 20, help="bars of shadow returns that are scored"),
        Param("min_trades", int, 2, 1, 50, 1, help="closed trades needed in the window"),
        Param("min_score", float, 0.0, -2.0, 5.0, 0.25, help="score a candidate must exceed"),
        Param("switch_margin", float, 0.25, 0.0, 3.0, 0.25, help="score lead needed to switch"),
        Param("fee_rate", float, 0.001, 0.0, 0.01, 0.0005, help="fee per fill in the shadows"),
        Param("candidates", str, "all", choices=GROUPS, help="which strategies compete"),
    )

    def __init__(self, ctx: StrategyContext, params: Mapping[str, object] | None = None) -> None:
        super().__init__(ctx, params)
        self.candidates: list[_Candidate] = []
        self.active: _Candidate | None = None
        self._window_ts: deque[int] = deque(maxlen=int(self.p.lookback))

    @property
    def warmup(self) -> int:
        return max((c.strategy.warmup for c in self.candidates), default=0)

    def on_start(self) -> None:
        # imported here: the registry imports this module while it loads
        from app.strategies.registry import all_strategies

        group = str(self.p.candidates)
        for strategy_id, cls in all_strategies().items():
            if strategy_id in EXCLUDED or cls is type(self):
                continue
            if group != "all" and cls.__module__.split(".")[2] != group:
                continue
            self.candidates.append(
                _Candidate(cls, self.ctx, float(self.p.fee_rate), int(self.p.lookback))
            )
        self.log(
            f"auto: {len(self.candidates)} candidates "
            f"({', '.join(c.id for c in self.candidates)}), warm-up {self.warmup} bars"
        )

    def on_bar(self, bar: Candle) -> None:
        self._window_ts.append(bar.ts)
        self._select()
        for cand in self.candidates:
            active = cand is self.active
            was_long = active and cand.shadow.position() > 0
            cand.step(bar, self._forward if active else None)
            if was_long and cand.shadow.position() == 0:
                self._resync(cand)

    def on_stop(self) -> None:
        for cand in self.candidates:
            cand.strategy.on_stop()

    # --- choosing --------------------------------------------------------------------------
    def _select(self) -> None:
        if self.ctx.pending() or self.ctx.position() != 0 or not self._window_ts:
            return
        since = self._window_ts[0]
        best: _Candidate | None = None
        best_score = -math.inf
        for cand in self.candidates:
            if cand.trades_since(since) < self.p.min_trades:
                continue
            score = cand.score()
            if score > self.p.min_score and score > best_score:
                best, best_score = cand, score
        current = self.active
        if best is None:
            if current is not None:
                self.log(f"switch {current.id} -> none: no candidate scores above the minimum")
                self.active = None
            return
        if best is current or best.shadow.position() != 0:
            return
        if current is not None and best_score < current.score() + self.p.switch_margin:
            return
        self.log(
            f"switch {current.id if current else 'none'} -> {best.id} "
            f"(score {best_score:.2f}, {best.trades_since(since)} trades "
            f"in the last {len(self._window_ts)} bars)"
        )
        self.active = best

    # --- routing the active candidate's intents -------------------------------------------
    def _forward(self, intent: OrderIntent, shadow_equity: float, shadow_pos: float) -> None:
        if self.ctx.pending() or self.active is None:
            return
        real = self.ctx.position()
        tag = f"{self.active.id}/{intent.tag or ('exit' if intent.close else 'order')}"
        if intent.close or intent.side is OrderSide.SELL:
            if real <= 0:
                return  # long-only: nothing to reduce
            qty = real
            if not intent.close and intent.qty is not None and shadow_pos > 0:
                qty = min(real, intent.qty * real / shadow_pos)
            self.ctx.submit(
                OrderIntent(OrderSide.SELL, qty, intent.limit, close=intent.close, tag=tag)
            )
            return
        if real != 0:
            return  # one entry per trade: the books must not drift apart by pyramiding
        size = intent.qty
        if size is not None:
            size = size * self.equity / shadow_equity if shadow_equity > 0 else None
        self.ctx.submit(replace(intent, qty=size, tag=tag))

    def _resync(self, cand: _Candidate) -> None:
        """The active shadow left its trade on its own stop or target (no intent to
        forward); the account's bracket should have done the same, but if it has not,
        close the account's position so the two books agree again."""
        if not self.ctx.pending() and self.ctx.position() > 0:
            self.close(tag=f"{cand.id}/sync_with_shadow")


STRATEGIES = (Auto,)
