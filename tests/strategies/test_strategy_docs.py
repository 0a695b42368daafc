"""docs/strategies.md is generated from the strategy classes and must stay in step with them.

Regenerate it after changing a strategy's summary or parameters:

    WRITE_STRATEGY_DOCS=1 python3 -m uv run pytest tests/strategies/test_strategy_docs.py
"""

from __future__ import annotations

import os

from app.strategies.base import Strategy
from app.strategies.params import Param
from app.strategies.reference import STRATEGIES as REFERENCE
from app.strategies.registry import all_strategies
from app.strategies.scalping import STRATEGIES as SCALPING
from tests.conftest import ROOT

DOC = ROOT / "docs" / "strategies.md"
GROUPS = {
    "reference": "Reference strategies",
    "scalping": "Scalping strategies",
    "classic": "Classic strategies",
    "auto": "Automatic strategy selection",
}
HEADER = """# Strategies

Every strategy Tradedesk ships, one paragraph each: the idea, the entries, the exits and the
parameters, then the parameter ranges the bot dialog and the optimiser use. All strategies
are long-only (spot accounts cannot short) and act on closed bars.

This file is generated from the strategy classes (their `summary` and `params`); do not edit
it by hand. Regenerate it with
`WRITE_STRATEGY_DOCS=1 python3 -m uv run pytest tests/strategies/test_strategy_docs.py`.
"""


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def _param_row(p: Param) -> str:
    if p.kind is str:
        allowed = " / ".join(p.choices)
        return f"| `{p.name}` | choice | {p.default} | {allowed} | | {p.help} |"
    if p.kind is bool:
        return f"| `{p.name}` | yes/no | {p.default} | | | {p.help} |"
    span = f"{_num(p.low)} – {_num(p.high)}"
    kind = "whole number" if p.kind is int else "number"
    default = _num(float(p.default))  # type: ignore[arg-type]
    return f"| `{p.name}` | {kind} | {default} | {span} | {_num(p.step)} | {p.help} |"


def section(cls: type[Strategy]) -> str:
    lines = [f"### {cls.name} — `{cls.id}`", "", cls.summary, ""]
    if cls.params:
        lines += [
            "| parameter | type | default | range | step | meaning |",
            "|---|---|---|---|---|---|",
            *(_param_row(p) for p in cls.params),
            "",
        ]
    return "\n".join(lines)


def render() -> str:
    groups: dict[str, list[type[Strategy]]] = {}
    for cls in all_strategies().values():
        group = cls.__module__.split(".")[2]
        groups.setdefault(group, []).append(cls)
    parts = [HEADER]
    for group, classes in groups.items():
        parts.append(f"## {GROUPS.get(group, group.title())}\n")
        parts += [section(cls) for cls in classes]
    return "\n".join(parts)


def test_docs_describe_every_reference_and_scalping_strategy() -> None:
    if os.environ.get("WRITE_STRATEGY_DOCS"):
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(render(), encoding="utf-8")
    text = DOC.read_text(encoding="utf-8")
    stale = [cls.id for cls in (*REFERENCE, *SCALPING) if section(cls) not in text]
    assert stale == [], f"docs/strategies.md is stale for {stale}; see this module's docstring"


def test_docs_list_every_registered_strategy() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [sid for sid in all_strategies() if f"— `{sid}`" not in text]
    assert missing == [], f"docs/strategies.md lacks {missing}; see this module's docstring"
