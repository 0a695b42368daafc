"""Fills and round trips of a backtest, and the round-trip CSV.

A round trip runs from flat to flat: every fill in the entry's direction adds to it, every
fill against it reduces it, and it closes when the position is back to zero. A position
still open when the data ends is a round trip too (``open``), marked at the last close and
not closed: its ``pnl`` is unrealized (fees paid so far included) and its exit fields are
empty.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from app.engine.domain.fastinit import fast_frozen_init
from app.engine.domain.values import ZERO

CSV_COLUMNS = (
    "entry_time",
    "exit_time",
    "side",
    "qty",
    "entry_price",
    "exit_price",
    "pnl",
    "fees",
    "return_pct",
    "bars_held",
    "open",
)


@fast_frozen_init  # one per fill of every run (see fastinit)
@dataclass(frozen=True, slots=True)
class BacktestFill:
    """One execution. ``index`` is the bar it happened in; ``role`` why (entry, close,
    stop_loss, take_profit...)."""

    ts: int
    index: int
    side: str  # "buy" / "sell"
    qty: float
    price: float
    fee: float
    role: str = ""


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """Flat to flat. ``side`` +1 long, -1 short. Prices are volume-weighted averages; ``pnl``
    is after fees; ``return_pct`` is pnl over the entry notional, in percent."""

    entry_ts: int
    exit_ts: int | None
    qty: float
    entry_price: float
    exit_price: float | None
    pnl: float
    fees: float
    return_pct: float
    bars_held: int
    open: bool
    entry_index: int
    exit_index: int | None
    side: int = 1


class RoundTripBuilder:
    """Turns the fill stream into round trips; the position is tracked exactly (Decimal)."""

    def __init__(self) -> None:
        self.trips: list[RoundTrip] = []
        self.position = ZERO
        self._reset()

    def _reset(self) -> None:
        self._side = 0
        self._entry_ts = 0
        self._entry_index = 0
        self._in_qty = 0.0
        self._in_value = 0.0
        self._out_qty = 0.0
        self._out_value = 0.0
        self._fees = 0.0
        self._cash_flow = 0.0  # quote received minus paid, fees excluded

    def add(self, fill: BacktestFill, qty: Decimal) -> None:
        sign = 1 if fill.side == "buy" else -1
        if self.position == 0:
            self._reset()
            self._side = sign
            self._entry_ts = fill.ts
            self._entry_index = fill.index
        if sign == self._side:
            self._in_qty += fill.qty
            self._in_value += fill.qty * fill.price
        else:
            self._out_qty += fill.qty
            self._out_value += fill.qty * fill.price
        self._fees += fill.fee
        self._cash_flow -= sign * fill.qty * fill.price
        self.position += qty if sign > 0 else -qty
        if self.position == 0:
            pnl = self._cash_flow - self._fees
            self.trips.append(self._trip(pnl, fill.ts, fill.index, fill.index, closed=True))

    def finish(self, last_close: float, last_index: int) -> list[RoundTrip]:
        """All round trips, the one still open (if any) marked at ``last_close``."""
        trips = list(self.trips)
        if self.position != 0:
            pnl = self._cash_flow + float(self.position) * last_close - self._fees
            trips.append(self._trip(pnl, None, None, last_index, closed=False))
        return trips

    def _trip(
        self, pnl: float, exit_ts: int | None, exit_index: int | None, last: int, *, closed: bool
    ) -> RoundTrip:
        entry_price = self._in_value / self._in_qty if self._in_qty else 0.0
        exit_price = self._out_value / self._out_qty if closed and self._out_qty else None
        notional = self._in_value
        return RoundTrip(
            entry_ts=self._entry_ts,
            exit_ts=exit_ts,
            qty=self._in_qty,
            entry_price=entry_price,
            exit_price=exit_price,
            pnl=pnl,
            fees=self._fees,
            return_pct=pnl / notional * 100.0 if notional else 0.0,
            bars_held=last - self._entry_index,
            open=not closed,
            entry_index=self._entry_index,
            exit_index=exit_index,
            side=self._side,
        )


def _iso(ns: int | None) -> str:
    if ns is None:
        return ""
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat().replace("+00:00", "Z")


def _num(value: float | None) -> str:
    return "" if value is None else repr(value)


def write_round_trips_csv(trips: Sequence[RoundTrip], out: Path) -> int:
    """Write ``CSV_COLUMNS`` rows; the file appears complete or not at all."""
    out = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent or ".")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for t in trips:
                writer.writerow(
                    (
                        _iso(t.entry_ts),
                        _iso(t.exit_ts),
                        "long" if t.side > 0 else "short",
                        _num(t.qty),
                        _num(t.entry_price),
                        _num(t.exit_price),
                        _num(t.pnl),
                        _num(t.fees),
                        _num(t.return_pct),
                        t.bars_held,
                        "true" if t.open else "false",
                    )
                )
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(trips)
