"""The architecture's import rules and the size rule, checked in every test run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "importlinter.cli", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    # lint-imports' own report says which import broke which rule
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: " in result.stdout and " 0 broken" in result.stdout, result.stdout


def test_no_module_over_600_lines() -> None:
    big = [
        f"{p.relative_to(ROOT)}: {n} lines"
        for p in (ROOT / "app").rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600
    ]
    assert big == []
