"""Reading the account's trades from the venue (REST): paged, per order, and named.

REST trades carry the venue's order id but not the client order id; ``name_orders`` finds
the client ids of the orders behind them (ours from what we sent, others by asking the
venue for each order). A venue whose trade query covers a fixed window from its start
(Binance spot: 24 h) is read window by window. Trades inside an order reply (Binance FULL
``fills``) carry neither time nor side: ``stamped`` completes them from their order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from app.brokers.ccxt.calls import VenueCalls
from app.brokers.ccxt.parsing import NS_PER_MS, client_id_of, trade_client_id
from app.engine.venue_errors import BadRequest, OrderNotFound

log = logging.getLogger(__name__)
_MAX_LOOKUPS = 20  # orders placed elsewhere named per call (each is one request)


async def fetch_my_trades(calls: VenueCalls, symbol: str, since_ms: int) -> list[dict[str, Any]]:
    """All of the account's trades on ``symbol`` since ``since_ms`` (at most the venue's
    lookback), page by page and window by window, oldest first, each once."""
    exchange = calls.exchange
    quirks = calls.quirks
    limit = quirks.trades_page_limit
    window = quirks.my_trades_window_ms
    now_ms = time.time_ns() // NS_PER_MS
    earliest = now_ms - quirks.my_trades_lookback_ms
    if since_ms < earliest:
        log.info(
            "%s: reading %s trades from %d ms only (lookback limit), not %d",
            calls.venue,
            symbol,
            earliest,
            since_ms,
        )
        since_ms = earliest
    seen: dict[str, dict[str, Any]] = {}
    window_start = since = since_ms
    while True:

        async def page(start: int = since) -> list[dict[str, Any]]:
            trades: list[dict[str, Any]] = await exchange.fetch_my_trades(
                symbol, since=start, limit=limit
            )
            return trades

        batch = await calls.read(f"my trades {symbol}", page)
        fresh = [t for t in batch if str(t.get("id")) not in seen]
        for trade in fresh:
            seen[str(trade.get("id"))] = trade
        if len(batch) >= limit and fresh:
            # a full page: the next starts at the newest time seen (repeats dropped by id)
            since = max(int(t.get("timestamp") or since) for t in batch)
            continue
        if window is None:
            break
        # a venue that answers one window per request: walk the windows up to now
        window_start += window
        if window_start > now_ms:
            break
        since = max(since, window_start)
    return sorted(seen.values(), key=lambda t: (t.get("timestamp") or 0, str(t.get("id"))))


async def fetch_order_trades(
    calls: VenueCalls, symbol: str, order: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The trades of one order: by the venue's order-id filter where it has one, else by
    scanning the account's trades since the order was placed."""
    venue_id = order.get("id")
    if not venue_id or not order.get("filled"):
        return []
    exchange = calls.exchange
    param = calls.quirks.my_trades_order_param
    if param:

        async def by_order() -> list[dict[str, Any]]:
            trades: list[dict[str, Any]] = await exchange.fetch_my_trades(
                symbol, params={param: venue_id}
            )
            return trades

        trades = await calls.read(f"order trades {venue_id}", by_order)
    else:
        since = order.get("timestamp")
        trades = await fetch_my_trades(calls, symbol, int(since) if since else 0)
    return [stamped(t, order) for t in trades if str(t.get("order")) == str(venue_id)]


async def name_orders(
    calls: VenueCalls,
    known: Callable[[str | None], str | None],
    symbol: str,
    trades: Sequence[Mapping[str, Any]],
    limit: int = _MAX_LOOKUPS,
) -> dict[str, str]:
    """Venue order id -> client order id for these trades. ``known`` answers for our own
    orders; the others (placed elsewhere) are looked up one by one, at most ``limit``."""
    names: dict[str, str] = {}
    unknown: list[str] = []
    for trade in trades:
        order_id = str(trade.get("order") or "")
        name = known(order_id) or trade_client_id(trade, calls.quirks.trade_client_id_keys)
        if name:
            names[order_id] = name
        elif order_id and order_id not in unknown:
            unknown.append(order_id)
    exchange = calls.exchange
    for order_id in unknown[:limit]:

        async def lookup(order_id: str = order_id) -> dict[str, Any]:
            order: dict[str, Any] = await exchange.fetch_order(order_id, symbol)
            return order

        try:
            order = await calls.read(f"name order {order_id}", lookup)
        except (BadRequest, OrderNotFound) as exc:
            log.warning("%s: cannot name order %s of a fill: %s", calls.venue, order_id, exc)
            continue
        if client_id_of(order):
            names[order_id] = client_id_of(order)
    if len(unknown) > limit:
        log.warning(
            "%s: %d fills of orders placed elsewhere keep no client id (named %d)",
            calls.venue,
            len(unknown) - limit,
            limit,
        )
    return names


def stamped(trade: Mapping[str, Any], order: Mapping[str, Any]) -> dict[str, Any]:
    """A trade completed from its order where it lacks time, symbol, side or order id."""
    out = dict(trade)
    if not out.get("timestamp"):
        out["timestamp"] = (
            order.get("lastTradeTimestamp") or order.get("timestamp") or time.time_ns() // NS_PER_MS
        )
    for key, source in (("symbol", "symbol"), ("side", "side"), ("order", "id")):
        if not out.get(key):
            out[key] = order.get(source)
    return out
