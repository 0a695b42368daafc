"""How big an order a bot or a backtest sends when the strategy leaves the size to it.

Every mode returns a quantity rounded DOWN to the lot size (never more than meant); zero
means "too small to trade" and the caller skips the signal with a log line.

- ``fixed_qty``: ``value`` base units.
- ``fixed_notional``: ``value`` in quote currency at the reference price.
- ``pct_equity``: ``value`` % of account equity, in quote currency.
- ``risk_pct``: lose at most ``value`` % of equity if the stop-loss is hit:
  qty = equity × value% / stop distance. Needs a stop distance.
- ``compounding``: ``value`` in quote currency plus the realized profit (or loss) the bot has
  made so far: profits are reinvested, losses shrink the stake.
- ``all_in``: all available cash at the price, fees included (backtests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from app.engine.domain.errors import ValidationError
from app.engine.domain.values import ONE, ZERO, round_to_step, to_decimal

HUNDRED = Decimal(100)


class SizingMode(StrEnum):
    FIXED_QTY = "fixed_qty"
    FIXED_NOTIONAL = "fixed_notional"
    PCT_EQUITY = "pct_equity"
    RISK_PCT = "risk_pct"
    COMPOUNDING = "compounding"
    ALL_IN = "all_in"


@dataclass(frozen=True, slots=True)
class Sizing:
    mode: SizingMode
    value: Decimal = ZERO

    @classmethod
    def parse(cls, mode: object, value: object = None, field: str = "sizing") -> Sizing:
        try:
            parsed = SizingMode(str(mode))
        except ValueError:
            allowed = ", ".join(m.value for m in SizingMode)
            raise ValidationError(field, f"must be one of {allowed}", mode) from None
        if parsed is SizingMode.ALL_IN:
            return cls(parsed, ZERO)
        amount = to_decimal(value, f"{field} value")
        if amount <= 0:
            raise ValidationError(f"{field} value", "must be greater than 0", value)
        if parsed in (SizingMode.PCT_EQUITY, SizingMode.RISK_PCT) and amount > HUNDRED:
            raise ValidationError(f"{field} value", "is a percentage: at most 100", value)
        return cls(parsed, amount)

    def to_mapping(self) -> dict[str, str]:
        return {"mode": self.mode.value, "value": str(self.value)}

    @classmethod
    def from_mapping(cls, raw: Mapping[str, object], field: str = "sizing") -> Sizing:
        return cls.parse(raw.get("mode"), raw.get("value", "0"), field)

    @property
    def needs_stop(self) -> bool:
        return self.mode is SizingMode.RISK_PCT

    def quantity(
        self,
        *,
        price: Decimal,
        equity: Decimal,
        cash: Decimal,
        lot: Decimal,
        stop_distance: Decimal | None = None,
        realized: Decimal = ZERO,
        fee_rate: Decimal = ZERO,
    ) -> Decimal:
        """Order quantity at ``price``, rounded down to ``lot``; 0 when nothing fits."""
        if price <= 0:
            raise ValidationError("price", "must be greater than 0 to size an order", price)
        mode, value = self.mode, self.value
        if mode is SizingMode.FIXED_QTY:
            qty = value
        elif mode is SizingMode.FIXED_NOTIONAL:
            qty = value / price
        elif mode is SizingMode.PCT_EQUITY:
            qty = max(equity, ZERO) * value / HUNDRED / price
        elif mode is SizingMode.RISK_PCT:
            if stop_distance is None or stop_distance <= 0:
                raise ValidationError(
                    "stop_loss", "risk % sizing needs a stop-loss below/above the entry"
                )
            qty = max(equity, ZERO) * value / HUNDRED / stop_distance
        elif mode is SizingMode.COMPOUNDING:
            qty = max(value + realized, ZERO) / price
        else:
            qty = max(cash, ZERO) / (price * (ONE + fee_rate))
        if qty <= 0:
            return ZERO
        return round_to_step(qty, lot, down=True)
