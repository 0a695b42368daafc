"""Trades CSV export, shared by the CLI and the UI so both write the same columns.

Columns (in this order):
    time            fill time, UTC, ISO-8601 with milliseconds (2026-11-22T10:15:00.123Z)
    symbol          e.g. BTC/USD
    side            buy | sell
    qty             filled quantity (exact decimal)
    price           fill price (exact decimal)
    fee             fee charged (exact decimal)
    fee_currency    asset the fee was charged in
    order_id        our client order id
    source          manual | bot:<id> | external
    realized_pnl    price P&L the fill realized on the account position, fees excluded
    trade_id        the venue's trade id (unique per venue)
    venue           the venue
The file is written to a temporary name and renamed, so a failed export leaves no half file.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from app.engine.domain.fills import Fill

COLUMNS = (
    "time",
    "symbol",
    "side",
    "qty",
    "price",
    "fee",
    "fee_currency",
    "order_id",
    "source",
    "realized_pnl",
    "trade_id",
    "venue",
)


def iso_utc(ns: int) -> str:
    dt = datetime.fromtimestamp(ns // 1_000_000_000, tz=UTC)
    ms = (ns // 1_000_000) % 1000
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms:03d}Z"


def fill_row(fill: Fill) -> list[str]:
    return [
        iso_utc(fill.ts),
        fill.symbol,
        fill.side.value,
        str(fill.quantity),
        str(fill.price),
        str(fill.fee),
        fill.fee_currency,
        fill.client_id,
        fill.source,
        "" if fill.realized_pnl is None else str(fill.realized_pnl),
        fill.trade_id,
        fill.venue,
    ]


def write_trades_csv(fills: Iterable[Fill], path: Path) -> int:
    """Write fills to ``path``; returns the number of rows written."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise FileNotFoundError(f"--out: folder {path.parent} does not exist")
    tmp = path.with_name(path.name + ".part")
    count = 0
    try:
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            for fill in fills:
                writer.writerow(fill_row(fill))
                count += 1
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return count
