"""What a backtest run is configured with, validated once so the runner can trust it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from app.engine.domain.errors import ValidationError
from app.engine.domain.values import ZERO, to_decimal
from app.engine.sizing import Sizing, SizingMode

DEFAULT_LOT = Decimal("0.00000001")
Number = Decimal | int | float | str
MAX_BPS = Decimal(10_000)


class FillMode(StrEnum):
    """When an intent made on bar i executes: at bar i's close, or at bar i+1's open."""

    CLOSE = "close"
    NEXT_OPEN = "next_open"


def _number(value: object, name: str) -> Decimal:
    # a backtest setting is not an order: a float from code (the optimiser, a form) is fine,
    # taken by its shortest repr so 0.1 means 0.1
    if isinstance(value, float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValidationError(name, "must be a finite number", value)
        return Decimal(repr(value))
    return to_decimal(value, name)


@dataclass(frozen=True, slots=True, init=False)
class BacktestConfig:
    """Settings of one run.

    ``cash``: starting quote balance. ``fees_bps``: taker and maker fee in basis points
    (1 bps = 0.01 %). ``slippage_bps``: how much worse than the reference price every market
    fill is. ``fill``: see ``FillMode``. ``sizing``: how intents without a quantity are sized
    (``all_in`` = all available cash at the fill price, fees included). ``lot``: quantity
    step every order is rounded down to. ``stop_loss_pct`` / ``take_profit_pct``: bracket put
    on every entry whose intent has none. ``symbol`` / ``currency``: the instrument's name
    (empty: the series' symbol, else "ASSET/USD") and quote asset.
    """

    cash: Decimal
    fees_bps: Decimal
    slippage_bps: Decimal
    fill: FillMode
    sizing: Sizing
    lot: Decimal
    stop_loss_pct: Decimal | None
    take_profit_pct: Decimal | None
    symbol: str
    currency: str

    # a hand-written __init__ so callers may pass numbers as int, float, str or Decimal
    # while the fields stay typed as the exact Decimals the engine needs
    def __init__(
        self,
        cash: Number = 10_000,
        fees_bps: Number = 0,
        slippage_bps: Number = 0,
        fill: FillMode | str = FillMode.CLOSE,
        sizing: Sizing | None = None,
        lot: Number = DEFAULT_LOT,
        stop_loss_pct: Number | None = None,
        take_profit_pct: Number | None = None,
        symbol: str = "",
        currency: str = "USD",
    ) -> None:
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        amount = _number(cash, "cash")
        if amount <= 0:
            raise ValidationError("cash", "must be greater than 0", cash)
        put("cash", amount)
        for name, raw in (("fees_bps", fees_bps), ("slippage_bps", slippage_bps)):
            bps = _number(raw, name)
            if not ZERO <= bps < MAX_BPS:
                raise ValidationError(name, "must be at least 0 and below 10000", raw)
            put(name, bps)
        try:
            put("fill", FillMode(str(fill)))
        except ValueError:
            allowed = ", ".join(m.value for m in FillMode)
            raise ValidationError("fill", f"must be one of {allowed}", fill) from None
        if sizing is None:
            sizing = Sizing(SizingMode.ALL_IN)
        if not isinstance(sizing, Sizing):
            raise ValidationError("sizing", "must be a Sizing (see Sizing.parse)", sizing)
        put("sizing", sizing)
        step = _number(lot, "lot")
        if step <= 0:
            raise ValidationError("lot", "must be greater than 0", lot)
        put("lot", step)
        for name, raw_pct in (
            ("stop_loss_pct", stop_loss_pct),
            ("take_profit_pct", take_profit_pct),
        ):
            if raw_pct is None:
                put(name, None)
                continue
            pct = _number(raw_pct, name)
            if not ZERO < pct < 100:
                raise ValidationError(name, "must be between 0 and 100 percent", raw_pct)
            put(name, pct)
        put("symbol", str(symbol).strip())
        quote = str(currency).strip()
        if not quote:
            raise ValidationError("currency", "must not be empty", currency)
        put("currency", quote)

    @property
    def fee_rate(self) -> Decimal:
        return self.fees_bps / MAX_BPS


def base_asset(symbol: str, currency: str) -> str:
    """The asset a position is held in: the part of ``symbol`` before "/"."""
    base = symbol.split("/", 1)[0].strip()
    return base if base and base != currency else symbol + "-BASE"
