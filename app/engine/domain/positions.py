"""Positions with average-cost accounting, kept exact.

Quantity is net and signed (short < 0). ``cost`` is the cash paid to open what is held
(negative for a short: cash received). The average entry price is ``cost / quantity``. A fill
that reduces the position removes the closed share of the cost and realizes
``direction x closed qty x price - removed cost``; closing in full removes exactly the cost,
so a completed round trip realizes exactly its cash change. A fill that crosses zero closes
the old position and opens the remainder at the fill price. Unrealized P&L is
``quantity x last - cost``, which keeps ``deposits + realized + unrealized - fees = equity``
exact in Decimal. Fees are kept apart from price P&L (``net_realized`` subtracts them).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.engine.domain.orders import OrderSide
from app.engine.domain.values import ZERO

#: resolution of the cost share removed by a partial close (far below any tick)
COST_QUANTUM = Decimal("1e-12")

# Enum members as module constants: on Python 3.11 ``OrderSide.BUY`` goes through
# ``EnumType.__getattr__``'s slow lookup hook every time, and these run for every fill.
_BUY = OrderSide.BUY


@dataclass(slots=True)
class Position:
    symbol: str
    source: str = ""
    quantity: Decimal = ZERO
    cost: Decimal = ZERO
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
    def avg_price(self) -> Decimal:
        return self.cost / self.quantity if self.quantity else ZERO

    @property
    def unrealized_pnl(self) -> Decimal:
        if self.quantity == 0 or self.last_price is None:
            return ZERO
        return self.quantity * self.last_price - self.cost

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
        signed = qty if side is _BUY else -qty
        realized = ZERO
        self.fees += fee_in_quote
        if self.quantity == 0 or (self.quantity > 0) == (signed > 0):
            if self.quantity == 0:
                self.opened_ns = ts
            self.cost += signed * price
            self.quantity += signed
        else:
            held = abs(self.quantity)
            direction = 1 if self.quantity > 0 else -1
            closing = min(qty, held)
            if closing == held:
                removed = self.cost
            else:
                removed = (self.cost * closing / held).quantize(COST_QUANTUM)
            realized = direction * closing * price - removed
            self.cost -= removed
            self.quantity += signed
            if self.quantity != 0 and (self.quantity > 0) != (direction > 0):
                # flipped through zero: the remainder opens at the fill price
                self.cost = self.quantity * price
                self.opened_ns = ts
        self.realized_pnl += realized
        if self.last_price is None:
            self.last_price = price
        return realized
