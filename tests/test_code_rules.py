"""The architecture's import rules and the size rule, checked in every test run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [
            str(
                Path(sys.executable).parent
                / ("lint-imports.exe" if os.name == "nt" else "lint-imports")
            ),
            "--no-cache",
        ],
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


def test_domain_imports_only_the_standard_library() -> None:
    import ast

    offenders = []
    for path in (ROOT / "app" / "engine" / "domain").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and not name.startswith("app.engine.domain"):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []
