"""The optimiser's search space: which parameter sets a grid or random search tries.

Every declared parameter (``app.strategies.params.Param``) contributes a dimension: by default
its own ``grid()`` (grid search) or ``sample(rng)`` (random search). The user narrows a
dimension with a range ``name=lo:hi[:step]`` (numbers; ``step`` defaults to the declared one)
or a list ``name=a,b,c``, and pins a parameter with a fixed value (``--param name=v``). Every
value is parsed by the parameter itself, so a range outside the declared bounds is refused
with a ValidationError naming the parameter.

Sets that break a cross-parameter rule (``Strategy.check_params``, e.g. fast < slow) are
skipped and counted, not run.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.engine.domain.errors import ValidationError
from app.strategies.base import Strategy
from app.strategies.params import Param, ParamValue

# a grid this large is a typo, not a plan: refuse it before building millions of dicts
MAX_GRID = 1_000_000
# random search gives up after this many draws per wanted set (small or mostly-invalid spaces)
_DRAWS_PER_SET = 50


@dataclass(frozen=True, slots=True)
class Dimension:
    """The values one parameter may take: an explicit list, or (numbers, no step) a
    continuous range ``low..high`` that random search samples uniformly."""

    param: Param
    values: tuple[ParamValue, ...] = ()
    low: float | None = None
    high: float | None = None

    def grid(self) -> list[ParamValue]:
        if self.values:
            return list(self.values)
        return self.param.grid()

    def sample(self, rng: random.Random) -> ParamValue:
        if self.values:
            return rng.choice(self.values)
        if self.low is None or self.high is None:
            return self.param.sample(rng)
        if self.param.kind is int:
            return self.param.parse(rng.randint(math.ceil(self.low), math.floor(self.high)))
        return self.param.parse(rng.uniform(self.low, self.high))


@dataclass(frozen=True, slots=True)
class SearchSpace:
    strategy: type[Strategy]
    dimensions: tuple[Dimension, ...]

    @property
    def grid_size(self) -> int:
        return math.prod(len(d.grid()) for d in self.dimensions)


@dataclass(frozen=True, slots=True)
class ParamSets:
    """The sets to run and how many candidates were skipped for breaking a rule."""

    sets: list[dict[str, ParamValue]]
    skipped: int
    first_skip_reason: str = ""


def parse_range(param: Param, text: str) -> Dimension:
    """``lo:hi[:step]`` or ``a,b,c`` for ``param``; the field named in errors is the
    parameter."""
    text = text.strip()
    name = param.name
    if ":" in text:
        if param.kind not in (int, float):
            raise ValidationError(name, "a lo:hi:step range needs a number parameter", text)
        parts = text.split(":")
        if len(parts) not in (2, 3) or not all(p.strip() for p in parts):
            raise ValidationError(name, "a range must look like lo:hi or lo:hi:step", text)
        low = float(param.parse(parts[0]))
        high = float(param.parse(parts[1]))
        if low > high:
            raise ValidationError(name, "range low must not exceed high", text)
        step: float | None = param.step
        if len(parts) == 3:
            try:
                step = float(parts[2])
            except ValueError:
                raise ValidationError(name, "range step must be a number", text) from None
            if not math.isfinite(step) or step <= 0:
                raise ValidationError(name, "range step must be greater than 0", text)
            if param.kind is int and step != int(step):
                raise ValidationError(name, "range step must be a whole number", text)
        if step is None:
            if param.kind is float:
                # no step anywhere: grid search uses 11 points, random search the continuum
                values = tuple(
                    param.parse(round(low + i * (high - low) / 10, 10)) for i in range(11)
                )
                return Dimension(param, tuple(dict.fromkeys(values)), low, high)
            step = 1.0
        count = math.floor((high - low) / step + 1e-9) + 1
        raw = [low + i * step for i in range(count)]
        values = tuple(
            dict.fromkeys(param.parse(round(v) if param.kind is int else round(v, 10)) for v in raw)
        )
        return Dimension(param, values)
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise ValidationError(name, "a list of values must look like a,b,c", text)
    return Dimension(param, tuple(dict.fromkeys(param.parse(item) for item in items)))


def build_space(
    strategy: type[Strategy],
    ranges: Mapping[str, str] | None = None,
    fixed: Mapping[str, object] | None = None,
) -> SearchSpace:
    """Dimensions for every declared parameter: ``fixed`` pins one value, ``ranges`` narrows."""
    ranges = dict(ranges or {})
    fixed = dict(fixed or {})
    known = {p.name: p for p in strategy.params}
    allowed = ", ".join(known) or "none"
    for name in [*ranges, *fixed]:
        if name not in known:
            raise ValidationError(name, f"is not a parameter of this strategy (allowed: {allowed})")
    both = sorted(set(ranges) & set(fixed))
    if both:
        raise ValidationError(both[0], "is given both a range and a fixed value")
    dims = []
    for p in strategy.params:
        if p.name in fixed:
            dims.append(Dimension(p, (p.parse(fixed[p.name]),)))
        elif p.name in ranges:
            dims.append(parse_range(p, ranges[p.name]))
        else:
            dims.append(Dimension(p))
    return SearchSpace(strategy, tuple(dims))


def _check(strategy: type[Strategy], values: dict[str, ParamValue]) -> str | None:
    """None when ``values`` passes the strategy's rules, else the reason."""
    try:
        strategy.check_params(values)
    except ValidationError as exc:
        return str(exc)
    return None


def grid_sets(space: SearchSpace) -> ParamSets:
    """The cartesian product of every dimension's values, in declaration order."""
    size = space.grid_size
    if size > MAX_GRID:
        raise ValidationError(
            "--range",
            f"the grid has {size:,} combinations (at most {MAX_GRID:,}); narrow a range or "
            "use random search",
        )
    names = [d.param.name for d in space.dimensions]
    sets: list[dict[str, ParamValue]] = []
    skipped, reason = 0, ""
    for combo in itertools.product(*(d.grid() for d in space.dimensions)):
        values = dict(zip(names, combo, strict=True))
        why = _check(space.strategy, values)
        if why is None:
            sets.append(values)
        else:
            skipped += 1
            reason = reason or why
    return ParamSets(sets, skipped, reason)


def random_sets(space: SearchSpace, samples: int, seed: int | None = None) -> ParamSets:
    """Up to ``samples`` distinct valid sets drawn with ``random.Random(seed)``; draws that
    break a rule are skipped and counted. A small space may yield fewer sets than asked."""
    if samples < 1:
        raise ValidationError("--samples", "must be at least 1", samples)
    rng = random.Random(seed)
    seen: set[tuple[ParamValue, ...]] = set()
    sets: list[dict[str, ParamValue]] = []
    skipped, reason = 0, ""
    for _ in range(samples * _DRAWS_PER_SET):
        if len(sets) >= samples:
            break
        values = {d.param.name: d.sample(rng) for d in space.dimensions}
        key = tuple(values.values())
        if key in seen:
            continue
        seen.add(key)
        why = _check(space.strategy, values)
        if why is None:
            sets.append(values)
        else:
            skipped += 1
            reason = reason or why
    return ParamSets(sets, skipped, reason)


def parse_range_args(items: Sequence[str]) -> dict[str, str]:
    """``["fast=5:20:5", "slow=30,50"]`` -> ``{"fast": "5:20:5", "slow": "30,50"}``."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name or not value.strip():
            raise ValidationError("--range", "must look like name=lo:hi:step or name=a,b,c", item)
        if name in out:
            raise ValidationError("--range", f"{name} is given twice", item)
        out[name] = value.strip()
    return out
