"""The scanner table's columns: one spec per metric of ``app.scanner.metrics.ScanRow``.

Cells keep the raw numbers (the sort proxy orders by them); text is formatted only for
display. A row without a value shows a dash, and the Status column says why (insufficient
history, stale, an error), so such rows never read as zeros.
"""

from __future__ import annotations

from typing import Any

from app.scanner.metrics import RowStatus, ScanRow
from app.ui.tables.formatting import Precision
from app.ui.tables.table_model import RIGHT, Column, Tone

DASH = "—"


def _num(places: int, suffix: str = "") -> Any:
    def fmt(value: float | None, _row: ScanRow) -> str:
        return DASH if value is None else f"{value:,.{places}f}{suffix}"

    return fmt


def _signed_pct(value: float | None, _row: ScanRow) -> str:
    return DASH if value is None else f"{value:+,.2f}%"


def _float_tone(value: Any, _row: ScanRow) -> Tone | None:
    if not isinstance(value, float) or value == 0:
        return None
    return Tone.UP if value > 0 else Tone.DOWN


def _rsi_tone(value: Any, _row: ScanRow) -> Tone | None:
    # the classic reading: oversold is a buying interest (green), overbought a selling one
    if not isinstance(value, float):
        return None
    if value <= 30:
        return Tone.UP
    if value >= 70:
        return Tone.DOWN
    return None


def breakout_value(row: ScanRow) -> int | None:
    """+1 up, -1 down, 0 neither; None when not measured (sorts apart from 'neither')."""
    if row.breakout_up is None or row.breakout_down is None:
        return None
    return 1 if row.breakout_up else -1 if row.breakout_down else 0


def _breakout_text(value: int | None, _row: ScanRow) -> str:
    if value is None:
        return DASH
    return {1: "▲ high", -1: "▼ low"}.get(value, "")


def _breakout_tone(value: Any, _row: ScanRow) -> Tone | None:
    return Tone.UP if value == 1 else Tone.DOWN if value == -1 else None


def status_text(row: ScanRow) -> str:
    return "ok" if row.status is RowStatus.OK else row.note or row.status.value


def _status_tone(_value: Any, row: ScanRow) -> Tone | None:
    return Tone.DOWN if row.status in (RowStatus.ERROR, RowStatus.INVALID) else None


def scanner_columns(precision: Precision) -> tuple[Column[ScanRow], ...]:
    def price(value: float | None, row: ScanRow) -> str:
        if value is None:
            return DASH
        places = precision.price(row.symbol)
        return f"{value:,.{places}f}" if places is not None else f"{value:,g}"

    col = Column[ScanRow]
    return (
        col("symbol", "Symbol", lambda r: r.symbol),
        col("price", "Last", lambda r: r.price, price, RIGHT),
        col("change_pct", "Chg %", lambda r: r.change_pct, _signed_pct, RIGHT, tone=_float_tone),
        col("atr_pct", "ATR %", lambda r: r.atr_pct, _num(2, "%"), RIGHT),
        col("volatility", "Vol (ann.)", lambda r: r.volatility, _num(1, "%"), RIGHT),
        col("volume_surge", "Vol surge", lambda r: r.volume_surge, _num(2, "×"), RIGHT),
        col("rsi", "RSI", lambda r: r.rsi, _num(1), RIGHT, tone=_rsi_tone),
        col("breakout", "Breakout", breakout_value, _breakout_text, tone=_breakout_tone),
        col("bars", "Bars", lambda r: r.bars, lambda v, _r: f"{v:,}", RIGHT),
        col("status", "Status", status_text, tone=_status_tone),
    )
