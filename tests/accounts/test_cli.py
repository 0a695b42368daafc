"""``main.py accounts ...`` through its parser and run(), with credentials on stdin."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest
from keyring.backends import fail

from app.accounts import cli
from app.settings import Settings
from tests.accounts.helpers import RecordingOps
from tests.accounts.keyrings import MemoryKeyring


def _run(
    data_dir: Path,
    argv: list[str],
    stdin: str = "",
    capsys: pytest.CaptureFixture[str] | None = None,
) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="main.py")
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    out = io.StringIO()
    code = cli.run(args, Settings(data_dir), RecordingOps(), stdin=io.StringIO(stdin), out=out)
    return code, out.getvalue()


def test_add_list_use_show_remove(
    data_dir: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(
        data_dir,
        [
            "accounts",
            "add",
            "--venue",
            "binance",
            "--label",
            "Main",
            "--mode",
            "testnet",
            "--symbols",
            "BTC/USDT",
            "ETH/USDT",
        ],
        '{"api_key": "KEY-123456", "secret": "SECRET-abcdef"}',
    )
    assert code == 0 and "added main (Main, binance, testnet)" in out
    assert memory_keyring.secrets()["account/main/secret"] == "SECRET-abcdef"

    code, out = _run(data_dir, ["accounts", "use", "main"])
    assert code == 0 and "active account: main" in out
    code, out = _run(data_dir, ["accounts", "list"])
    lines = out.splitlines()
    assert lines[0].startswith("  demo") and lines[1].startswith("* main")
    assert "keys: set" in lines[1]

    code, out = _run(data_dir, ["accounts", "show", "main"])
    assert code == 0
    assert "credential: api_key: set (keychain account/main/api_key)" in out
    assert "symbols:    BTC/USDT ETH/USDT" in out
    assert "KEY-123456" not in out and "SECRET-abcdef" not in out

    code, out = _run(data_dir, ["accounts", "remove", "main"])
    assert code == 0 and "data folder" in out and "is kept" in out
    assert memory_keyring.items == {}
    _, out = _run(data_dir, ["accounts", "list"])
    assert out.startswith("* demo")


@pytest.mark.parametrize(
    ("argv", "stdin", "named"),
    [
        (["--venue", "binance", "--label", "A", "--mode", "testnet"], "", "credentials.api_key"),
        (
            ["--venue", "binance", "--label", "A", "--mode", "testnet"],
            '{"api_key": ',
            "credentials (stdin)",
        ),
        (
            ["--venue", "binance", "--label", "A", "--mode", "testnet"],
            '["k"]',
            "credentials (stdin)",
        ),
        (
            ["--venue", "binance", "--label", "A", "--mode", "testnet"],
            '{"api_key": 5}',
            "credentials.api_key",
        ),
        (["--venue", "moon", "--label", "A", "--mode", "paper_live"], "", "venue"),
        (
            ["--venue", "binance", "--label", "A", "--mode", "paper_live", "--symbols", "BTC"],
            "",
            "symbols",
        ),
    ],
)
def test_bad_input_exits_2_naming_the_field(
    data_dir: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    stdin: str,
    named: str,
) -> None:
    code, _ = _run(data_dir, ["accounts", "add", *argv], stdin)
    assert code == cli.EXIT_INPUT
    assert f"error: {named}:" in capsys.readouterr().err


def test_a_secret_in_bad_json_is_never_echoed(
    data_dir: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = _run(
        data_dir,
        ["accounts", "add", "--venue", "binance", "--label", "A", "--mode", "testnet"],
        '{"api_key": "TOPSECRET-KEY", secret}',
    )
    assert code == cli.EXIT_INPUT
    assert "TOPSECRET" not in capsys.readouterr().err


def test_no_secure_keychain_exits_4(
    data_dir: Path,
    use_keyring,
    capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
) -> None:
    use_keyring(fail.Keyring())
    code, _ = _run(
        data_dir,
        ["accounts", "add", "--venue", "binance", "--label", "A", "--mode", "testnet"],
        '{"api_key": "k", "secret": "s"}',
    )
    assert code == cli.EXIT_NO_KEYCHAIN
    assert "never stores secrets in plaintext" in capsys.readouterr().err


def test_unknown_account_and_a_foreign_file(
    data_dir: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(data_dir, ["accounts", "show", "ghost"])[0] == cli.EXIT_INPUT
    assert "account: no such account" in capsys.readouterr().err
    (data_dir / "accounts.sqlite").write_bytes(b"not a database" * 20)
    assert _run(data_dir, ["accounts", "list"])[0] == cli.EXIT_STORE
    assert "accounts.sqlite is not an SQLite database" in capsys.readouterr().err


def test_credentials_cannot_be_given_on_the_command_line(data_dir: Path) -> None:
    parser = argparse.ArgumentParser(prog="main.py")
    cli.add_parser(parser.add_subparsers(dest="command"))
    with pytest.raises(SystemExit):
        parser.parse_args(
            [
                "accounts",
                "add",
                "--venue",
                "binance",
                "--label",
                "A",
                "--mode",
                "testnet",
                "--api-key",
                "k",
            ]
        )


_ENTRY = """
import argparse, sys
from pathlib import Path
from app.accounts import cli
from app.settings import Settings
from app.venue_ops import VenueOpsImpl
parser = argparse.ArgumentParser(prog="main.py")
parser.add_argument("--data-dir", type=Path, required=True)
cli.add_parser(parser.add_subparsers(dest="command"))
args = parser.parse_args(sys.argv[1:])
sys.exit(cli.run(args, Settings(args.data_dir), VenueOpsImpl(args.data_dir)))
"""


@pytest.mark.slow  # three processes, each importing ccxt
def test_a_real_process_with_piped_stdin_and_no_os_keychain(data_dir: Path) -> None:
    """As wired into main.py: the real VenueOpsImpl's ccxt ids, credentials piped on stdin,
    and this machine's keyring told there is no keychain (keyring's own fail backend)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}

    def main(*argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", _ENTRY, "--data-dir", str(data_dir), "accounts", *argv],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )

    keyed = main(
        "add",
        "--venue",
        "okx",
        "--label",
        "OKX",
        "--mode",
        "testnet",
        "--symbols",
        "BTC/USDT",
        stdin='{"api_key": "k-1", "secret": "s-1", "password": "p-1"}',
    )
    assert keyed.returncode == cli.EXIT_NO_KEYCHAIN, keyed.stderr
    assert "never stores secrets in plaintext" in keyed.stderr
    paper = main(
        "add",
        "--venue",
        "kraken",
        "--label",
        "Kraken",
        "--mode",
        "paper_live",
        "--symbols",
        "BTC/USD",
    )
    assert paper.returncode == 0, paper.stderr
    listed = main("list")
    assert listed.returncode == 0
    assert "kraken" in listed.stdout and "OKX" not in listed.stdout
