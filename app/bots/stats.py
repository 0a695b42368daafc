"""Per-bot statistics from the bot's own fills (source ``bot:<id>``), exact in Decimal.

- P&L: realized price P&L, fees and unrealized P&L at the latest marks, per symbol with the
  same average-cost rule as the portfolio (``Position``), so the figures match its per-source
  books.
- trades: round trips; one ends when a symbol's position returns to zero (or flips through
  it). A round trip is a win when its realized P&L minus every fee paid during it is > 0.
- max drawdown: the largest fall from a peak of the bot's P&L curve (realized - fees +
  unrealized), in the account currency. The curve is the P&L after each fill plus the
  sampled points the manager records while the bot runs (marks between fills).
- exposure: the fraction of time since the bot first started during which it held a
  position in any of its symbols.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.engine.domain.fills import Fill
from app.engine.domain.instruments import Instrument
from app.engine.domain.positions import Position
from app.engine.domain.values import ZERO


@dataclass(frozen=True, slots=True)
class BotStats:
    realized: Decimal
    unrealized: Decimal
    fees: Decimal
    trades: int
    wins: int
    max_drawdown: Decimal
    exposure: float
    open_qty: Mapping[str, Decimal]

    @property
    def pnl(self) -> Decimal:
        """Net P&L: realized + unrealized - fees."""
        return self.realized + self.unrealized - self.fees

    @property
    def win_rate(self) -> float | None:
        return None if self.trades == 0 else self.wins / self.trades


EMPTY = BotStats(ZERO, ZERO, ZERO, 0, 0, ZERO, 0.0, {})


def fee_in_quote(fill: Fill, inst: Instrument | None) -> Decimal:
    if inst is None or fill.fee_currency == inst.quote:
        return fill.fee
    if fill.fee_currency == inst.base:
        return fill.fee * fill.price
    return fill.fee  # a third currency: the venue's own token; counted at face value


def pnl_after(positions: Mapping[str, Position]) -> Decimal:
    return sum((p.realized_pnl - p.fees + p.unrealized_pnl for p in positions.values()), ZERO)


def compute_stats(
    fills: Iterable[Fill],
    instruments: Mapping[str, Instrument],
    marks: Mapping[str, Decimal],
    *,
    since_ns: int | None,
    now_ns: int,
    samples: Sequence[tuple[int, Decimal]] = (),
) -> BotStats:
    """Stats of one bot's fills (any order; sorted by time here)."""
    ordered = sorted(fills, key=lambda f: f.ts)
    positions: dict[str, Position] = {}
    trip_net: dict[str, Decimal] = {}
    trades = wins = 0
    curve: list[tuple[int, Decimal]] = []
    open_symbols = 0
    held_ns = 0
    held_since = 0
    start = since_ns if since_ns is not None else (ordered[0].ts if ordered else now_ns)
    for fill in ordered:
        pos = positions.get(fill.symbol)
        if pos is None:
            pos = positions[fill.symbol] = Position(fill.symbol)
        before = pos.quantity
        fee = fee_in_quote(fill, instruments.get(fill.symbol))
        realized = pos.apply_fill(fill.side, fill.quantity, fill.price, fee, fill.ts)
        pos.last_price = fill.price
        trip_net[fill.symbol] = trip_net.get(fill.symbol, ZERO) + realized - fee
        after = pos.quantity
        closed = before != 0 and (after == 0 or (after > 0) != (before > 0))
        if closed:
            trades += 1
            if trip_net[fill.symbol] > 0:
                wins += 1
            trip_net[fill.symbol] = ZERO
        was_open = open_symbols
        open_symbols += (after != 0) - (before != 0)
        ts = max(fill.ts, start)
        if was_open == 0 and open_symbols > 0:
            held_since = ts
        elif was_open > 0 and open_symbols == 0:
            held_ns += ts - held_since
        curve.append((fill.ts, pnl_after(positions)))
    if open_symbols > 0:
        held_ns += max(0, now_ns - held_since)
    for symbol, pos in positions.items():
        mark = marks.get(symbol)
        if mark is not None:
            pos.last_price = mark
    realized = sum((p.realized_pnl for p in positions.values()), ZERO)
    fees = sum((p.fees for p in positions.values()), ZERO)
    unrealized = sum((p.unrealized_pnl for p in positions.values()), ZERO)
    curve.extend(samples)
    curve.sort(key=lambda point: point[0])
    curve.append((now_ns, realized - fees + unrealized))
    span = now_ns - start
    exposure = min(1.0, held_ns / span) if span > 0 else (1.0 if open_symbols else 0.0)
    return BotStats(
        realized=realized,
        unrealized=unrealized,
        fees=fees,
        trades=trades,
        wins=wins,
        max_drawdown=max_drawdown(v for _, v in curve),
        exposure=exposure,
        open_qty={s: p.quantity for s, p in positions.items() if p.quantity != 0},
    )


def max_drawdown(values: Iterable[Decimal]) -> Decimal:
    """Largest peak-to-trough fall; the curve starts at 0 (a new bot has made nothing)."""
    peak = ZERO
    worst = ZERO
    for value in values:
        if value > peak:
            peak = value
        elif peak - value > worst:
            worst = peak - value
    return worst
