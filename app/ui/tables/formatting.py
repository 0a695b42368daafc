"""Text for table cells: Decimals with thousands separators at the instrument's precision,
percentages, and local times. Values stay Decimal until this last step, so what a trader
reads is exactly what the engine holds, rounded only for display."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from app.engine.domain.instruments import Instrument

#: P&L and cash are shown in the account currency to the cent
MONEY_PLACES = 2


def fmt_decimal(value: Decimal | None, places: int | None = None) -> str:
    """``1234.5`` -> ``1,234.50`` at ``places``; all significant digits when unknown."""
    if value is None:
        return ""
    if places is None:
        return f"{value.normalize():,f}"
    return f"{value:,.{places}f}"


def fmt_signed(value: Decimal | None, places: int = MONEY_PLACES) -> str:
    """P&L with an explicit sign, so a gain and a loss differ without colour too."""
    if value is None:
        return ""
    return f"{value:+,.{places}f}"


def fmt_pct(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return ""
    return f"{value:+,.{places}f}%"


def fmt_time(ns: int) -> str:
    """Local wall time of an epoch-ns timestamp (UTC inside, local only on screen)."""
    return datetime.fromtimestamp(ns / 1e9).strftime("%H:%M:%S") if ns else ""


def fmt_datetime(ns: int) -> str:
    if not ns:
        return ""
    dt = datetime.fromtimestamp(ns / 1e9)
    return dt.strftime("%Y-%m-%d %H:%M:%S.") + f"{dt.microsecond // 1000:03d}"


class Precision:
    """Display precision per symbol, from the instruments the engine knows; unknown symbols
    show every significant digit rather than a guessed rounding."""

    def __init__(self, instruments: Mapping[str, Instrument]) -> None:
        self._instruments = instruments

    def price(self, symbol: str) -> int | None:
        inst = self._instruments.get(symbol)
        return None if inst is None else inst.price_precision

    def qty(self, symbol: str) -> int | None:
        inst = self._instruments.get(symbol)
        return None if inst is None else inst.qty_precision
