"""The command line, run as a user runs it: a real process, a real data directory."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.engine.trade_export import COLUMNS

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_help_documents_every_command() -> None:
    out = run("--help").stdout
    for needle in ("demo", "export", "--data-dir", "--log-level"):
        assert needle in out
    demo = run("demo", "--help").stdout
    for needle in ("--seconds", "--demo-orders", "--speed", "--order-interval"):
        assert needle in demo
    export = run("export", "trades", "--help").stdout
    for needle in ("--out", "--since", "--until", "--source", "--symbol", *COLUMNS):
        assert needle in export


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("demo", "--seconds", "-1"), "--seconds: must be a finite number greater than 0"),
        (("demo", "--seconds", "abc"), "--seconds: must be a number"),
        (("demo", "--seconds", "nan"), "--seconds: must be a finite number greater than 0"),
        (("demo", "--seconds", "1", "--speed", "0"), "--speed: must be a finite number"),
        (("export", "trades", "--out", "x.csv", "--since", "yesterday"), "--since: must be a date"),
        (("export", "trades", "--out", "x.csv", "--source", "robot"), "--source: must be"),
        (("export", "trades"), "--out"),
        (("export", "trades", "--out", "x.csv", "--until", "2999-01-01"), "between 1970 and"),
    ],
)
def test_bad_command_line_values_name_the_option(
    data_dir: Path, args: tuple[str, ...], message: str
) -> None:
    result = run("--data-dir", str(data_dir), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (data_dir / "tradedesk.sqlite").exists()  # nothing was opened or written


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"paper_cash": "-5"}', "settings.json: paper_cash: must be greater than 0"),
        ('{"demo_speed": "fast"}', "settings.json: demo_speed: must be a number"),
        ('{"paper_cash": 0.1}', "paper_cash: floats are not accepted"),
        ('{"papercash": "5"}', "settings.json: papercash: is not a known setting"),
        ('{"paper_cash": "5",', "is not valid JSON (line 1"),
        ("[1, 2]", "must hold a JSON object"),
    ],
)
def test_malformed_settings_are_reported_and_left_alone(
    data_dir: Path, content: str, message: str
) -> None:
    settings = data_dir / "settings.json"
    settings.write_text(content, encoding="utf-8")
    result = run("--data-dir", str(data_dir), "demo", "--seconds", "1")
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert settings.read_text(encoding="utf-8") == content


def test_corrupted_database_is_reported_and_never_touched(data_dir: Path) -> None:
    db = data_dir / "tradedesk.sqlite"
    garbage = b"this is not a database\x00" * 300
    db.write_bytes(garbage)
    result = run("--data-dir", str(data_dir), "demo", "--seconds", "1")
    assert result.returncode == 3
    assert "tradedesk.sqlite" in result.stderr
    assert db.read_bytes() == garbage


def test_second_process_on_the_same_data_dir_gets_a_clear_error(data_dir: Path) -> None:
    first = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "--data-dir",
            str(data_dir),
            "demo",
            "--seconds",
            "30",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (data_dir / "tradedesk.sqlite").exists():
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(0.5)
        second = run(
            "--data-dir", str(data_dir), "export", "trades", "--out", str(data_dir / "t.csv")
        )
        assert second.returncode == 3
        assert "in use" in second.stderr and str(data_dir) in second.stderr
        assert not (data_dir / "t.csv").exists()
    finally:
        first.kill()
        first.communicate()


def test_demo_session_then_export_trades(data_dir: Path, tmp_path: Path) -> None:
    session = run(
        "--data-dir",
        str(data_dir),
        "demo",
        "--seconds",
        "4",
        "--demo-orders",
        "--speed",
        "60",
        "--order-interval",
        "0.2",
    )
    assert session.returncode == 0, session.stderr
    out = session.stdout
    assert "FILL BUY" in out and "equity" in out and "[FINAL]" in out
    assert "REFUSED" in out and "price band" in out  # the fat-finger order
    assert "confirm to send it again" in out  # the duplicate guard
    assert "WORKING stop_loss" in out and "WORKING take_profit" in out

    csv_path = tmp_path / "trades.csv"
    export = run("--data-dir", str(data_dir), "export", "trades", "--out", str(csv_path))
    assert export.returncode == 0, export.stderr
    with csv_path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) > 3
    first = dict(zip(COLUMNS, rows[1], strict=True))
    assert first["side"] in ("buy", "sell") and first["source"] == "manual"
    assert first["time"].endswith("Z") and first["order_id"].startswith("tdm-")
    assert f"wrote {len(rows) - 1} trades" in export.stdout

    none = tmp_path / "none.csv"
    later = run(
        "--data-dir", str(data_dir), "export", "trades", "--out", str(none), "--since", "2200-01-01"
    )
    assert later.returncode == 0
    assert none.read_text(encoding="utf-8").splitlines() == [",".join(COLUMNS)]
    bots = run(
        "--data-dir",
        str(data_dir),
        "export",
        "trades",
        "--out",
        str(none),
        "--source",
        "bot:nobody",
    )
    assert bots.returncode == 0 and "wrote 0 trades" in bots.stdout


def test_settings_round_trip(data_dir: Path) -> None:
    from decimal import Decimal

    from app.settings import Settings

    s = Settings.load(data_dir).updated({"paper_cash": "25000", "demo_speed": 5})
    s.save()
    saved = json.loads((data_dir / "settings.json").read_text(encoding="utf-8"))
    assert saved["paper_cash"] == "25000"
    loaded = Settings.load(data_dir)
    assert loaded.paper_cash == Decimal("25000") and loaded.demo_speed == 5.0


def test_smoke_test_opens_the_window_and_saves_a_screenshot(data_dir: Path, tmp_path: Path) -> None:
    import os

    shot = tmp_path / "window.png"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "--data-dir",
            str(data_dir),
            "--smoke-test",
            "3",
            "--screenshot",
            str(shot),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "window visible=True" in result.stdout and "prices moved in" in result.stdout
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_screenshot_needs_the_smoke_test(data_dir: Path) -> None:
    result = run("--data-dir", str(data_dir), "--screenshot", "x.png")
    assert result.returncode == 2 and "--screenshot: goes with --smoke-test" in result.stderr
