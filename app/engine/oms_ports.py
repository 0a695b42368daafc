"""What the order manager needs from its neighbours, and how it marks engine-held orders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Protocol, runtime_checkable

from app.engine.domain.orders import Order

#: venue order id of an order held engine-side (an emulated stop) until it triggers
EMULATED_PREFIX = "EMU-"

#: changes a venue-held one-cancels-the-other order (new price, trigger, quantity): such an
#: order cannot be amended in place, so its pair is replaced (the bracket manager does it)
PairModifier = Callable[[Order, Decimal | None, Decimal | None, Decimal | None], Awaitable[None]]


def is_emulated(order: Order) -> bool:
    return bool(order.venue_order_id and order.venue_order_id.startswith(EMULATED_PREFIX))


@runtime_checkable
class SubmitsAtOnce(Protocol):
    """A venue client that may answer a new order before returning (the in-process paper
    exchange): ``synchronous_submit`` gives that plain call, or None to keep ``submit``."""

    def synchronous_submit(self) -> Callable[[Order], None] | None: ...


class OrderEmulatorPort(Protocol):
    """What the OMS needs from the engine-side stop emulator (see emulator.py)."""

    def hold(self, order: Order, trail_pct: Decimal | None = None) -> None: ...

    def release(self, client_id: str) -> None: ...
