"""Spot balances, free and locked, in exact Decimal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from .errors import insufficient_balance


@dataclass(frozen=True, slots=True)
class Balance:
    free: Decimal
    locked: Decimal

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


class Account:
    """Moves money between free and locked; a shortfall is Binance's -2010 refusal."""

    def __init__(self, balances: Mapping[str, str | Decimal]) -> None:
        self._free: dict[str, Decimal] = {a.upper(): Decimal(v) for a, v in balances.items()}
        self._locked: dict[str, Decimal] = {a: Decimal(0) for a in self._free}

    def free(self, asset: str) -> Decimal:
        return self._free.get(asset, Decimal(0))

    def locked(self, asset: str) -> Decimal:
        return self._locked.get(asset, Decimal(0))

    def require_free(self, asset: str, amount: Decimal) -> None:
        if self.free(asset) < amount:
            raise insufficient_balance()

    def lock(self, asset: str, amount: Decimal) -> None:
        self.require_free(asset, amount)
        self._free[asset] = self.free(asset) - amount
        self._locked[asset] = self.locked(asset) + amount

    def unlock(self, asset: str, amount: Decimal) -> None:
        self._locked[asset] = self.locked(asset) - amount
        self._free[asset] = self.free(asset) + amount

    def spend(self, asset: str, amount: Decimal, from_locked: Decimal) -> None:
        """Pay `amount`, first out of `from_locked` (the order's lock), the rest out of free."""
        taken = min(amount, from_locked)
        self._locked[asset] = self.locked(asset) - taken
        self._free[asset] = self.free(asset) - (amount - taken)

    def credit(self, asset: str, amount: Decimal) -> None:
        self._free[asset] = self.free(asset) + amount
        self._locked.setdefault(asset, Decimal(0))

    def set(self, asset: str, free: Decimal, locked: Decimal | None = None) -> None:
        """Test control: overwrite a balance (a deposit or withdrawal on the website)."""
        self._free[asset] = free
        self._locked[asset] = self.locked(asset) if locked is None else locked

    def snapshot(self) -> dict[str, Balance]:
        return {a: Balance(self.free(a), self.locked(a)) for a in sorted(self._free)}
