"""Declared strategy parameters: name, type, default, range.

The declaration drives the bot dialog's form, the command line's ``--param k=v`` parsing and
the optimiser's grid and random search. Values arrive as text (a form field, the command
line) or as numbers; ``Param.parse`` turns either into the declared type or raises a
ValidationError naming the parameter and the rule.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.domain.errors import ValidationError

ParamValue = int | float | bool | str
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


@dataclass(frozen=True, slots=True)
class Param:
    """One tunable parameter. ``low``/``high`` bound numbers (inclusive); ``step`` spaces the
    optimiser's grid; ``choices`` lists the allowed strings of a ``str`` parameter."""

    name: str
    kind: type[int] | type[float] | type[bool] | type[str]
    default: ParamValue
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""

    def __post_init__(self) -> None:
        # a broken declaration is a programming error: fail at import, not in a user's form
        if self.kind in (int, float) and (self.low is None or self.high is None):
            raise TypeError(f"parameter {self.name}: numbers need low and high")
        if self.kind is str and not self.choices:
            raise TypeError(f"parameter {self.name}: a text parameter needs choices")
        self.parse(self.default)

    def parse(self, raw: object) -> ParamValue:
        """``raw`` as the declared type, inside the declared range."""
        field = self.name
        if self.kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValidationError(field, "must be true or false", raw)
        if self.kind is str:
            text = str(raw).strip()
            if text not in self.choices:
                raise ValidationError(field, f"must be one of {', '.join(self.choices)}", raw)
            return text
        value = self._number(raw)
        assert self.low is not None and self.high is not None
        if not self.low <= value <= self.high:
            raise ValidationError(field, f"must be between {self.low:g} and {self.high:g}", raw)
        return value

    def _number(self, raw: object) -> int | float:
        field = self.name
        if isinstance(raw, bool):
            raise ValidationError(field, "must be a number, not a boolean", raw)
        if isinstance(raw, int | float):
            number: float = float(raw)
        else:
            try:
                number = float(str(raw).strip())
            except ValueError:
                raise ValidationError(field, "must be a number", raw) from None
        if not math.isfinite(number):
            raise ValidationError(field, "must be a finite number", raw)
        if self.kind is int:
            if number != int(number):
                raise ValidationError(field, "must be a whole number", raw)
            return int(number)
        return number

    def grid(self) -> list[ParamValue]:
        """The optimiser's values: every choice, both booleans, or low..high by step."""
        if self.kind is bool:
            return [False, True]
        if self.kind is str:
            return list(self.choices)
        assert self.low is not None and self.high is not None
        step = self.step or (1 if self.kind is int else (self.high - self.low) / 10)
        count = math.floor((self.high - self.low) / step + 1e-9) + 1
        values = [self.low + i * step for i in range(count)]
        if self.kind is int:
            return sorted({round(v) for v in values})
        return [round(v, 10) for v in values]

    def sample(self, rng: random.Random) -> ParamValue:
        """A random value for random search (uniform over the range, on the step grid)."""
        if self.kind is bool or self.kind is str or self.step:
            return rng.choice(self.grid())
        assert self.low is not None and self.high is not None
        if self.kind is int:
            return rng.randint(int(self.low), int(self.high))
        return rng.uniform(self.low, self.high)


class Params(Mapping[str, ParamValue]):
    """Validated parameter values with attribute access (``self.p.fast``)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, ParamValue]) -> None:
        self._values = dict(values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> ParamValue:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Params({self._values!r})"


def validate_params(spec: Sequence[Param], values: Mapping[str, object]) -> dict[str, ParamValue]:
    """Defaults overlaid with ``values``; an unknown name or a bad value names the parameter."""
    known = {p.name: p for p in spec}
    for name in values:
        if name not in known:
            allowed = ", ".join(known) or "none"
            raise ValidationError(name, f"is not a parameter of this strategy (allowed: {allowed})")
    return {p.name: p.parse(values[p.name]) if p.name in values else p.default for p in spec}


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """``["fast=10", "slow=30"]`` from the command line into a mapping of raw strings."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValidationError("--param", "must look like name=value", item)
        if name.strip() in out:
            raise ValidationError("--param", f"{name.strip()} is given twice", item)
        out[name.strip()] = value.strip()
    return out
