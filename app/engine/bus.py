"""A typed publish/subscribe bus.

Handlers subscribe to an event type, optionally for one symbol, with a priority: lower runs
first, so the portfolio and order state (CORE) are current before strategies and the UI hear
an event. Dispatch is synchronous and cheap (a cached, pre-sorted handler tuple per type and
symbol). Each handler is isolated: one that raises is logged and the others still run.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, TypeVar

log = logging.getLogger(__name__)

E = TypeVar("E")
Handler = Callable[[Any], None]


class Priority(IntEnum):
    CORE = 0  # cache, portfolio, order state
    RISK = 10  # brackets, emulated stops, breakers
    STRATEGY = 50
    VENUE = 60  # simulated venues matching against the tape
    UI = 90  # bridges, loggers, printers


@dataclass(frozen=True, slots=True)
class _Sub:
    priority: int
    seq: int
    handler: Handler


class Bus:
    def __init__(self) -> None:
        self._subs: dict[tuple[type, str | None], list[_Sub]] = defaultdict(list)
        self._cache: dict[tuple[type, str | None], tuple[Handler, ...]] = {}
        self._symbolic: dict[type, bool] = {}  # may an event of this type carry a symbol?
        # handlers of the types that cannot carry a symbol, keyed by the type alone: the
        # engine's own events (order updates, fills, positions) take this one lookup
        self._plain: dict[type, tuple[Handler, ...]] = {}
        self._seq = 0
        self.errors = 0

    def subscribe(
        self,
        event_type: type[E],
        handler: Callable[[E], None],
        *,
        priority: int = Priority.STRATEGY,
        symbol: str | None = None,
    ) -> Callable[[], None]:
        """Subscribe; returns a function that unsubscribes."""
        self._seq += 1
        sub = _Sub(int(priority), self._seq, handler)
        self._subs[(event_type, symbol)].append(sub)
        self._cache.clear()
        self._plain.clear()

        def unsubscribe() -> None:
            subs = self._subs.get((event_type, symbol), [])
            if sub in subs:
                subs.remove(sub)
                self._cache.clear()
                self._plain.clear()

        return unsubscribe

    def _handlers(self, event_type: type, symbol: str | None) -> tuple[Handler, ...]:
        key = (event_type, symbol)
        found = self._cache.get(key)
        if found is None:
            subs = list(self._subs.get((event_type, None), ()))
            if symbol is not None:
                subs.extend(self._subs.get(key, ()))
            subs.sort(key=lambda s: (s.priority, s.seq))
            found = tuple(s.handler for s in subs)
            self._cache[key] = found
        return found

    def publish(self, event: object) -> None:
        event_type = type(event)
        handlers = self._plain.get(event_type)
        if handlers is None:
            symbolic = self._symbolic.get(event_type)
            if symbolic is None:
                symbolic = self._symbolic[event_type] = _may_have_symbol(event_type)
            if symbolic:
                # getattr with a default on an object without the attribute raises and
                # swallows an AttributeError inside: only asked of types that may have one
                symbol = getattr(event, "symbol", None)
                handlers = self._cache.get((event_type, symbol))
                if handlers is None:
                    handlers = self._handlers(event_type, symbol)
            else:
                handlers = self._plain[event_type] = self._handlers(event_type, None)
        for handler in handlers:
            try:
                handler(event)
            except Exception:
                self.errors += 1
                log.exception("bus handler %r failed on %s", handler, type(event).__name__)


def _may_have_symbol(event_type: type) -> bool:
    """False only when no instance of ``event_type`` can have a ``symbol`` attribute: the class
    has none, its instances have no ``__dict__`` (slots), and attribute lookup is not custom."""
    return (
        hasattr(event_type, "symbol")
        or event_type.__dictoffset__ != 0
        or hasattr(event_type, "__getattr__")
        or getattr(event_type, "__getattribute__") is not object.__getattribute__  # noqa: B009
    )
