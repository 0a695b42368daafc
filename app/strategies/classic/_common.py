"""Small helpers the classic strategies share."""

from __future__ import annotations


class BarsSince:
    """Counts bars since a condition last held, so a setup (an oversold reading, a band
    touch) can stay valid for a few bars instead of having to coincide with the trigger."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count: int | None = None  # None: never seen

    def update(self, condition: bool) -> int | None:
        if condition:
            self.count = 0
        elif self.count is not None:
            self.count += 1
        return self.count

    def within(self, bars: int) -> bool:
        return self.count is not None and self.count <= bars


def risk_qty(
    equity: float,
    cash: float,
    price: float,
    risk_pct: float,
    stop_distance: float,
    max_exposure: float,
) -> float:
    """Units such that a stop ``stop_distance`` away loses ``risk_pct`` % of ``equity``,
    capped so the notional stays within ``max_exposure`` of equity and the cash at hand
    (spot accounts cannot borrow)."""
    if equity <= 0 or price <= 0 or stop_distance <= 0:
        return 0.0
    qty = equity * risk_pct / 100.0 / stop_distance
    cap = min(equity * max_exposure, max(cash, 0.0)) / price
    return max(min(qty, cap), 0.0)
