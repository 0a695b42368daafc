"""Fills: executions reported by a venue, unique per (venue, trade_id)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from app.engine.domain.fastinit import fast_frozen_init
from app.engine.domain.orders import OrderSide


class Liquidity(StrEnum):
    MAKER = "maker"
    TAKER = "taker"


@fast_frozen_init  # built twice per fill: see fastinit
@dataclass(frozen=True, slots=True)
class Fill:
    """One execution. ``fee`` is charged in ``fee_currency`` (quote or base, as the venue does).

    ``source`` and ``realized_pnl`` are filled in by the engine when it records the fill.
    """

    venue: str
    trade_id: str
    client_id: str
    venue_order_id: str | None
    symbol: str
    side: OrderSide
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: Liquidity
    ts: int
    source: str = ""
    realized_pnl: Decimal | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.venue, self.trade_id)

    @property
    def notional(self) -> Decimal:
        return self.quantity * self.price

    def attributed(self, source: str, realized_pnl: Decimal) -> Fill:
        """This fill as the engine records it (``dataclasses.replace`` is slower on the hot
        path, where every fill passes)."""
        return Fill(
            self.venue,
            self.trade_id,
            self.client_id,
            self.venue_order_id,
            self.symbol,
            self.side,
            self.quantity,
            self.price,
            self.fee,
            self.fee_currency,
            self.liquidity,
            self.ts,
            source,
            realized_pnl,
        )
