"""Settings of a paper venue: starting cash, costs and what kind of account it simulates."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from app.engine.domain.errors import ValidationError
from app.engine.domain.values import ONE, ZERO, to_decimal


class FeeCurrency(StrEnum):
    """Which asset a fill's fee is charged in."""

    QUOTE = "quote"  # every fee in the quote asset (most venues, Fyers, ...)
    BASE_ON_BUY = "base_on_buy"  # Binance spot: a buy pays its fee in the base asset it receives


@dataclass(frozen=True, slots=True)
class PaperConfig:
    """How the paper venue behaves.

    ``initial_balances`` seed an empty venue only: once the record log holds anything, the
    balances come from replaying it, so a restart never deposits twice.
    ``slippage_bps`` worsens every market fill against the trader (1 bps = 0.01 %).
    ``shorting`` False is a spot account (cannot sell what it does not hold); True lets base go
    negative, margin-style, with the sale's proceeds credited in quote.
    ``maker_fee`` / ``taker_fee`` override the instrument's rates when set.
    ``fill_at_limit_probability`` is the chance that a resting limit order fills when a trade
    prints exactly AT its price (queue position unknown); 0 means only trades THROUGH the price
    fill it. Draws come from ``random.Random`` seeded with ``seed``, so runs are repeatable.
    """

    initial_balances: dict[str, Decimal] = field(default_factory=dict)
    slippage_bps: Decimal = ZERO
    seed: int = 0
    shorting: bool = False
    fee_currency: FeeCurrency = FeeCurrency.QUOTE
    maker_fee: Decimal | None = None
    taker_fee: Decimal | None = None
    fill_at_limit_probability: Decimal = ZERO

    def __post_init__(self) -> None:
        balances: dict[str, Decimal] = {}
        for asset, amount in self.initial_balances.items():
            value = to_decimal(amount, f"initial_balances.{asset}")
            if value < 0:
                raise ValidationError(f"initial_balances.{asset}", "must not be negative", amount)
            balances[asset] = value
        object.__setattr__(self, "initial_balances", balances)
        slippage = to_decimal(self.slippage_bps, "slippage_bps")
        if slippage < 0:
            raise ValidationError("slippage_bps", "must not be negative", self.slippage_bps)
        object.__setattr__(self, "slippage_bps", slippage)
        for name in ("maker_fee", "taker_fee"):
            raw = getattr(self, name)
            if raw is None:
                continue
            rate = to_decimal(raw, name)
            if not ZERO <= rate < ONE:
                raise ValidationError(name, "must be a fraction between 0 and 1", raw)
            object.__setattr__(self, name, rate)
        prob = to_decimal(self.fill_at_limit_probability, "fill_at_limit_probability")
        if not ZERO <= prob <= ONE:
            raise ValidationError("fill_at_limit_probability", "must be between 0 and 1", prob)
        object.__setattr__(self, "fill_at_limit_probability", prob)
        object.__setattr__(self, "fee_currency", FeeCurrency(self.fee_currency))
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValidationError("seed", "must be an integer", self.seed)
