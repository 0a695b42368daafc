"""Every strategy the product ships, by id.

The built-in modules are imported on first use, so importing ``app.strategies`` stays cheap
(the CLI's ``--help`` and the window's start do not pay for strategies they do not show).
"""

from __future__ import annotations

import importlib

from app.engine.domain.errors import ValidationError
from app.strategies.base import Strategy

# each module lists its classes in a module-level STRATEGIES tuple
_BUILTIN_MODULES = (
    "app.strategies.reference",
    "app.strategies.scalping",
    "app.strategies.classic",
    "app.strategies.auto",
)
_registry: dict[str, type[Strategy]] = {}


def _load() -> dict[str, type[Strategy]]:
    if not _registry:
        found: dict[str, type[Strategy]] = {}
        for name in _BUILTIN_MODULES:
            module = importlib.import_module(name)
            for cls in module.STRATEGIES:
                if not cls.id or cls.id in found:
                    raise TypeError(f"strategy {cls.__name__}: missing or duplicate id {cls.id!r}")
                found[cls.id] = cls
        _registry.update(found)
    return _registry


def all_strategies() -> dict[str, type[Strategy]]:
    """id -> class, in declaration order."""
    return dict(_load())


def get_strategy(strategy_id: str) -> type[Strategy]:
    strategies = _load()
    try:
        return strategies[strategy_id]
    except KeyError:
        raise ValidationError(
            "strategy", f"unknown strategy (known: {', '.join(strategies)})", strategy_id
        ) from None
