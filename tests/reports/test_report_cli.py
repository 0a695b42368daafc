"""``report performance`` on a real journal written by a real paper session."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_performance_report_of_a_paper_session(data_dir: Path, tmp_path: Path) -> None:
    session = run(
        "--data-dir", str(data_dir), "demo", "--seconds", "4", "--demo-orders", "--speed", "60",
        "--order-interval", "0.2",
    )  # fmt: skip
    assert session.returncode == 0, session.stderr
    d = str(data_dir)

    out_json = tmp_path / "all.json"
    done = run("--data-dir", d, "report", "performance", "--all", "--out", str(out_json))
    assert done.returncode == 0, done.stderr
    report = json.loads(out_json.read_text(encoding="utf-8"))
    fills = report["metrics"]["fills"]
    assert fills > 2 and f"of {fills} fills" in done.stdout
    assert len(report["equity"]) == fills + 1  # the capital, then one point per fill
    # without --capital the curve starts from the paper account's opening deposit
    assert report["equity"][0]["equity"] == 100_000.0 and report["info"]["capital"] == "100,000.00"
    assert report["info"]["source"] == "all sources"

    out_html = tmp_path / "manual.html"
    done = run(
        "--data-dir", d, "report", "performance", "--source", "manual", "--capital", "5000",
        "--since", "2000-01-01", "--out", str(out_html),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = out_html.read_text(encoding="utf-8")
    assert "Trading performance: manual" in page and "5,000.00" in page and "<svg" in page

    none = run(
        "--data-dir", d, "report", "performance", "--source", "bot:nobody", "--out",
        str(tmp_path / "none.json"),
    )  # fmt: skip
    assert none.returncode == 0, none.stderr
    assert json.loads((tmp_path / "none.json").read_text(encoding="utf-8"))["trades"] == []


def test_report_input_errors_exit_2(data_dir: Path, tmp_path: Path) -> None:
    d = str(data_dir)
    both = run("--data-dir", d, "report", "performance", "--all", "--source", "manual",
               "--out", str(tmp_path / "r.html"))  # fmt: skip
    assert both.returncode == 2 and "not allowed with" in both.stderr
    pdf = run("--data-dir", d, "report", "performance", "--all", "--out", str(tmp_path / "r.pdf"))
    assert pdf.returncode == 2 and "--out" in pdf.stderr and ".html or .json" in pdf.stderr
    nothing = run("--data-dir", d, "report", "performance", "--all", "--out",
                  str(tmp_path / "r.html"))  # fmt: skip
    assert nothing.returncode == 2 and "--capital" in nothing.stderr
    assert not (tmp_path / "r.html").exists()
