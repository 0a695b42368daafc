"""Symbols the emulator lists: ids, trading filters and Binance's fixed-point number strings."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from .errors import filter_failure, illegal_number

EIGHT = Decimal("0.00000001")
ORDER_TYPES = (
    "LIMIT",
    "LIMIT_MAKER",
    "MARKET",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
)


def fmt(value: Decimal) -> str:
    """Binance prints every amount with eight decimals ("0.01000000")."""
    return format(value.quantize(EIGHT), "f")


def parse_decimal(name: str, raw: str | None) -> Decimal | None:
    """A request number: plain digits and one dot, as Binance accepts; anything else is -1100."""
    if raw is None or raw == "":
        return None
    text = raw.strip()
    if not text.replace(".", "", 1).isdigit():
        raise illegal_number(name)
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise illegal_number(name) from exc


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """One spot market and its filters; defaults suit BTC-like prices in the thousands."""

    base: str
    quote: str
    tick_size: Decimal = Decimal("0.01")
    step_size: Decimal = Decimal("0.00001")
    min_price: Decimal = Decimal("0.01")
    max_price: Decimal = Decimal("1000000")
    min_qty: Decimal = Decimal("0.00001")
    max_qty: Decimal = Decimal("9000")
    min_notional: Decimal = Decimal("5")
    notional_filter: str = "NOTIONAL"  # or the older "MIN_NOTIONAL"

    def __post_init__(self) -> None:
        if self.notional_filter not in ("NOTIONAL", "MIN_NOTIONAL"):
            raise ValueError(
                f"notional_filter {self.notional_filter!r}: must be NOTIONAL or MIN_NOTIONAL"
            )

    @classmethod
    def from_unified(cls, symbol: str, **filters: Any) -> SymbolSpec:
        base, _, quote = symbol.partition("/")
        if not base or not quote:
            raise ValueError(f"symbol {symbol!r}: must look like 'BASE/QUOTE'")
        return cls(base=base.upper(), quote=quote.upper(), **filters)

    @property
    def id(self) -> str:
        return self.base + self.quote

    @property
    def unified(self) -> str:
        return f"{self.base}/{self.quote}"

    def round_price_down(self, price: Decimal) -> Decimal:
        return (price / self.tick_size).to_integral_value(ROUND_FLOOR) * self.tick_size

    def round_price_up(self, price: Decimal) -> Decimal:
        return (price / self.tick_size).to_integral_value(ROUND_CEILING) * self.tick_size

    def check_price(self, price: Decimal) -> None:
        if price < self.min_price or price > self.max_price:
            raise filter_failure("PRICE_FILTER")
        if (price - self.min_price) % self.tick_size != 0:
            raise filter_failure("PRICE_FILTER")

    def check_qty(self, qty: Decimal) -> None:
        if qty < self.min_qty or qty > self.max_qty:
            raise filter_failure("LOT_SIZE")
        if (qty - self.min_qty) % self.step_size != 0:
            raise filter_failure("LOT_SIZE")

    def check_notional(self, notional: Decimal) -> None:
        if notional < self.min_notional:
            raise filter_failure(self.notional_filter)

    def exchange_info(self) -> dict[str, Any]:
        """The exchangeInfo entry, shaped as the documented example."""
        return {
            "symbol": self.id,
            "status": "TRADING",
            "baseAsset": self.base,
            "baseAssetPrecision": 8,
            "quoteAsset": self.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": list(ORDER_TYPES),
            "icebergAllowed": True,
            "ocoAllowed": True,
            "otoAllowed": True,
            "opoAllowed": False,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": False,
            "cancelReplaceAllowed": True,
            "amendAllowed": False,
            "pegInstructionsAllowed": False,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": fmt(self.min_price),
                    "maxPrice": fmt(self.max_price),
                    "tickSize": fmt(self.tick_size),
                },
                {
                    "filterType": "LOT_SIZE",
                    "minQty": fmt(self.min_qty),
                    "maxQty": fmt(self.max_qty),
                    "stepSize": fmt(self.step_size),
                },
                self._notional_filter(),
            ],
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER"],
        }

    def _notional_filter(self) -> dict[str, Any]:
        if self.notional_filter == "MIN_NOTIONAL":
            return {
                "filterType": "MIN_NOTIONAL",
                "minNotional": fmt(self.min_notional),
                "applyToMarket": True,
                "avgPriceMins": 5,
            }
        return {
            "filterType": "NOTIONAL",
            "minNotional": fmt(self.min_notional),
            "applyMinToMarket": True,
            "maxNotional": "9000000.00000000",
            "applyMaxToMarket": False,
            "avgPriceMins": 5,
        }
