"""Positions with average-cost accounting.

Quantity is net and signed (short < 0). A fill that reduces the position realizes
``(exit - average entry) x closed quantity x direction``; a fill that crosses zero closes the
old position and opens the remainder at the fill price. Fees are kept apart from price P&L and
subtracted in ``net_realized``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.engine.domain.orders import OrderSide
from app.engine.domain.values import ZERO


@dataclass(slots=True)
class Position:
    symbol: str
    source: str = ""
    quantity: Decimal = ZERO
    avg_price: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO
    last_price: Decimal | None = None
    opened_ns: int = 0

    @property
    def is_flat(self) -> bool:
        return self.quantity == 0

    @property
    def side(self) -> str:
        return "flat" if self.quantity == 0 else ("long" if self.quantity > 0 else "short")

    @property
    def unrealized_pnl(self) -> Decimal:
        if self.quantity == 0 or self.last_price is None:
            return ZERO
        return (self.last_price - self.avg_price) * self.quantity

    @property
    def net_realized(self) -> Decimal:
        return self.realized_pnl - self.fees

    @property
    def notional(self) -> Decimal:
        price = self.last_price if self.last_price is not None else self.avg_price
        return abs(self.quantity) * price

    def apply_fill(
        self, side: OrderSide, qty: Decimal, price: Decimal, fee_in_quote: Decimal, ts: int
    ) -> Decimal:
        """Update for a fill and return the price P&L it realized (fees excluded)."""
        signed = qty if side is OrderSide.BUY else -qty
        realized = ZERO
        self.fees += fee_in_quote
        if self.quantity == 0 or (self.quantity > 0) == (signed > 0):
            total = self.quantity + signed
            self.avg_price = (self.avg_price * abs(self.quantity) + price * qty) / abs(total)
            if self.quantity == 0:
                self.opened_ns = ts
            self.quantity = total
        else:
            closing = min(qty, abs(self.quantity))
            direction = 1 if self.quantity > 0 else -1
            realized = (price - self.avg_price) * closing * direction
            self.quantity += signed
            if self.quantity == 0:
                self.avg_price = ZERO
            elif (self.quantity > 0) != (direction > 0):
                # flipped through zero: the remainder opens at the fill price
                self.avg_price = price
                self.opened_ns = ts
        self.realized_pnl += realized
        self.last_price = price if self.last_price is None else self.last_price
        return realized
