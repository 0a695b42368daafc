"""A cheaper ``__init__`` for frozen, slotted dataclasses built on the hot path (fills).

The ``__init__`` that ``@dataclass(frozen=True)`` generates stores each field with
``object.__setattr__(self, "name", value)``: a call through a slot wrapper that packs its
arguments into tuples and looks the name up again, several times the cost of a plain store.
A fill builds a handful of such objects (the venue's record, the ``Fill``, its attributed
copy, the events), so those stores were a tenth of a fill's cost.

``fast_frozen_init`` replaces that ``__init__`` with one that stores each field through the
class's own slot descriptor (``member.__set__``): the same parameters, defaults and result,
and the instance is exactly as frozen as before (``__setattr__`` still refuses). Only for
the plain shapes it can reproduce: no ``__post_init__``, no default factories, no init-only
or keyword-only fields; anything else is refused at import time rather than half-supported.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def fast_frozen_init(cls: type[T]) -> type[T]:
    """Decorator, applied above ``@dataclass(frozen=True, slots=True)``."""
    params = dataclasses.fields(cls)  # type: ignore[arg-type]
    if (
        not dataclasses.is_dataclass(cls)
        or not cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
        or "__slots__" not in cls.__dict__
        or hasattr(cls, "__post_init__")
        or any(
            not f.init or f.kw_only or f.default_factory is not dataclasses.MISSING for f in params
        )
    ):
        raise TypeError(f"fast_frozen_init cannot reproduce the __init__ of {cls.__name__}")
    namespace: dict[str, Any] = {}
    args: list[str] = []
    body: list[str] = []
    for f in params:
        if f.default is dataclasses.MISSING:
            args.append(f.name)
        else:
            namespace[f"_default_{f.name}"] = f.default
            args.append(f"{f.name}=_default_{f.name}")
        namespace[f"_set_{f.name}"] = cls.__dict__[f.name].__set__
        body.append(f"    _set_{f.name}(self, {f.name})")
    source = f"def __init__(self, {', '.join(args)}):\n" + "\n".join(body) + "\n"
    exec(source, namespace)  # built from field names only, as dataclasses itself does
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = dict(cls.__init__.__annotations__)
    setattr(cls, "__init__", init)  # noqa: B010 - mypy refuses a direct method assignment
    return cls
