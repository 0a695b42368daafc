"""Venue health as the engine sees it: connections, stale symbols and venue alerts.

An adapter reports through the ``StatusSink`` it is given (``ReportsStatus``), on the
engine's loop. Every report is published on the bus (the UI shows it). Besides that:

- a stale symbol is remembered by the risk gate, which then refuses market orders and any
  bot order on it (protective exits pass) until the symbol is fresh again;
- an Alert whose ``extra["action"]`` is "halt" (a 418 ban) halts trading with its message;
- a stream that drops is logged (the user stream's drop also raised as a warning Alert:
  fills may be arriving unseen); when a stream of a venue comes back after a drop, the
  engine reconciles with that venue before trading resumes (``on_reconnect``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.engine.bus import Bus
from app.engine.controls import TradingControls
from app.engine.domain.events import (
    Alert,
    ConnectionChanged,
    SymbolHealth,
    TradingState,
    VenueStatus,
)
from app.engine.risk import RiskGate

log = logging.getLogger(__name__)


class VenueHealth:
    def __init__(
        self,
        bus: Bus,
        risk: RiskGate,
        controls: TradingControls,
        clock: Callable[[], int],
        on_reconnect: Callable[[str], None],
    ) -> None:
        self.bus = bus
        self.risk = risk
        self.controls = controls
        self.clock = clock
        self.on_reconnect = on_reconnect
        self.down: set[tuple[str, str]] = set()  # (venue, stream) seen disconnected

    @property
    def stale_symbols(self) -> frozenset[str]:
        return frozenset(self.risk.stale)

    def on_status(self, event: VenueStatus) -> None:
        """The StatusSink given to adapters. Never raises: a bad report is logged."""
        try:
            self.bus.publish(event)
            if isinstance(event, SymbolHealth):
                self._on_symbol(event)
            elif isinstance(event, ConnectionChanged):
                self._on_connection(event)
            elif isinstance(event, Alert):
                self._on_alert(event)
        except Exception:
            log.exception("failed to handle venue status %r", event)

    def _on_symbol(self, event: SymbolHealth) -> None:
        if event.stale:
            if event.symbol not in self.risk.stale:
                log.warning(
                    "%s %s: market data stale (no update for %.0f s): market and bot orders "
                    "are blocked",
                    event.venue,
                    event.symbol,
                    event.age_s,
                )
            self.risk.stale[event.symbol] = (event.age_s, event.ts)
        elif self.risk.stale.pop(event.symbol, None) is not None:
            log.info("%s %s: market data resumed", event.venue, event.symbol)

    def _on_connection(self, event: ConnectionChanged) -> None:
        key = (event.venue, event.stream)
        if not event.connected:
            if key in self.down:
                return  # still down: reported once
            self.down.add(key)
            log.warning(
                "%s %s stream disconnected: %s", event.venue, event.stream, event.reason or "?"
            )
            if event.stream == "user":
                self.bus.publish(
                    Alert(
                        "warning",
                        f"{event.venue}: order updates disconnected",
                        "Fills and order changes are not arriving "
                        f"({event.reason or 'connection lost'}). The engine reconciles with "
                        f"{event.venue} when the connection is back.",
                        event.ts,
                        source=event.venue,
                    )
                )
            return
        if key not in self.down:
            return  # the first connection, or a repeat
        self.down.discard(key)
        log.info("%s %s stream reconnected", event.venue, event.stream)
        self.on_reconnect(event.venue)

    def _on_alert(self, event: Alert) -> None:
        if event.extra.get("action") != "halt":
            return
        reason = f"{event.title}: {event.message}" if event.message else event.title
        log.error("venue alert halts trading: %s", reason)
        self.controls.set_state(TradingState.HALTED, reason, self.clock())
