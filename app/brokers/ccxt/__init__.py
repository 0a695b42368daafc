"""Real crypto venues through ccxt (ccxt.pro: one client does REST and WebSocket).

Public surface: ``CcxtConfig``, ``CcxtVenue`` (opens a venue: ``.data`` and ``.execution``),
``CcxtDataClient``, ``CcxtExecutionClient``, ``read_key_permissions``, ``venue_reachable``.
Every SDK call goes through ``calls.VenueCalls`` (one ``map_errors`` plus the per-key throttle);
venue differences are data in ``quirks``; ccxt's dicts become domain objects in ``parsing``.
"""

from app.brokers.ccxt.config import CcxtConfig
from app.brokers.ccxt.data import CcxtDataClient
from app.brokers.ccxt.execution import CcxtExecutionClient
from app.brokers.ccxt.permissions import read_key_permissions
from app.brokers.ccxt.probe import venue_reachable
from app.brokers.ccxt.venue import CcxtVenue

__all__ = [
    "CcxtConfig",
    "CcxtDataClient",
    "CcxtExecutionClient",
    "CcxtVenue",
    "read_key_permissions",
    "venue_reachable",
]
