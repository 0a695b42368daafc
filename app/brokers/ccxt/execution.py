"""``CcxtExecutionClient``: orders, account reads and user data on one ccxt venue and key.

Our client order id goes out on every order (the venue's client-id param), so an order whose
reply was lost can be found by it. ``submit`` is never retried: a failure that may have
reached the venue raises OutcomeUnknown and ``query_order`` settles it later. Replies and
user-stream events become execution reports through ``ReportBook`` (once per fact).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from app.brokers.ccxt.account_trades import (
    fetch_my_trades,
    fetch_order_trades,
    name_orders,
    stamped,
)
from app.brokers.ccxt.calls import VenueCalls
from app.brokers.ccxt.config import CcxtConfig
from app.brokers.ccxt.connection import StreamHealth
from app.brokers.ccxt.order_lists import (
    BINANCE_ORDER_LIST,
    apply_list_reports,
    is_list_reply,
    submit_oco,
)
from app.brokers.ccxt.parsing import (
    NS_PER_MS,
    balances_from,
    client_id_of,
    fill_from_trade,
    order_state,
    order_status,
    trade_client_id,
)
from app.brokers.ccxt.quirks import EDIT_ORDER, VenueQuirks
from app.brokers.ccxt.reports import ReportBook
from app.brokers.ccxt.user_stream import UserDataFeed
from app.engine.domain.errors import ValidationError
from app.engine.domain.events import OrderModified
from app.engine.domain.fills import Fill
from app.engine.domain.instruments import Instrument
from app.engine.domain.orders import Order, OrderStatus, OrderType, TimeInForce
from app.engine.ports import Capabilities, ReportSink, StatusSink, VenueOrderState
from app.engine.venue_errors import (
    OrderNotFound,
    OrderRefused,
    OutcomeUnknown,
    VenueError,
)

log = logging.getLogger(__name__)

_CCXT_TYPE = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP_MARKET: "market",
    OrderType.STOP_LIMIT: "limit",
}
_TIF = {TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK"}
_TERMINAL_REPORTED = (OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED)


def _ts_ns(item: Mapping[str, Any]) -> int:
    for key in ("lastUpdateTimestamp", "lastTradeTimestamp", "timestamp"):
        value = item.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return int(value) * NS_PER_MS
    return time.time_ns()


class CcxtExecutionClient:
    """ExecutionClient + ReportsStatus for one ccxt venue and key."""

    def __init__(
        self, config: CcxtConfig, calls: VenueCalls, instruments: Sequence[Instrument]
    ) -> None:
        self.venue = config.venue
        self._config = config
        self._calls = calls
        self._exchange = calls.exchange
        self._instruments = {i.symbol: i for i in instruments}
        has = getattr(self._exchange, "has", {}) or {}
        stops = self._quirks.trigger_param is not None
        self.capabilities = Capabilities(
            stop_orders=stops,
            stop_limit_orders=stops and self._quirks.stop_limit,
            modify=self._quirks.edit == EDIT_ORDER and bool(has.get("editOrder")),
            shorting=False,
            # a stop-loss and take-profit as one list (funds reserved once); without it the
            # engine keeps the stop itself, as resting both would need the coins twice
            native_oco=self._quirks.oco == BINANCE_ORDER_LIST,
        )
        self.book = ReportBook(self.venue)
        self.health = StreamHealth(self.venue, "user")
        self._feed = UserDataFeed(self, config, self.health)

    # --- wiring ---------------------------------------------------------------------------
    def set_report_sink(self, sink: ReportSink) -> None:
        self.book.set_sink(sink)

    def set_status_sink(self, sink: StatusSink) -> None:
        self.health.set_status_sink(sink)
        self._calls.throttle.set_status_sink(sink)

    @property
    def _quirks(self) -> VenueQuirks:
        return self._calls.quirks

    @property
    def calls(self) -> VenueCalls:
        return self._calls

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self._instruments)

    def instrument(self, symbol: str) -> Instrument | None:
        return self._instruments.get(symbol)

    # --- orders ---------------------------------------------------------------------------
    async def submit(self, order: Order) -> None:
        """Send the order once. Refusals raise OrderRefused; doubt raises OutcomeUnknown."""
        self.check_client_id(order.client_id)
        if order.symbol not in self._instruments:
            raise OrderRefused(f"{order.symbol} is not a market of this session", venue=self.venue)
        kind = _CCXT_TYPE[order.type]
        params: dict[str, Any] = {self._quirks.client_id_param: order.client_id}
        if order.type.has_trigger:
            if not self.capabilities.stop_orders or (
                order.type is OrderType.STOP_LIMIT and not self.capabilities.stop_limit_orders
            ):
                raise OrderRefused(f"{self.venue} takes no {order.type.value} orders")
            if order.trigger_price is None or self._quirks.trigger_param is None:
                raise OrderRefused("a stop order needs a trigger price", venue=self.venue)
            params[self._quirks.trigger_param] = str(order.trigger_price)
        price: str | None = None
        if order.type.has_price:
            if order.price is None:
                raise OrderRefused("a limit order needs a price", venue=self.venue)
            price = str(order.price)
            params["timeInForce"] = _TIF[order.tif]
        self.book.track(order.client_id, order.symbol)
        exchange = self._exchange

        async def create() -> dict[str, Any]:
            reply: dict[str, Any] = await exchange.create_order(
                order.symbol, kind, order.side.value, str(order.quantity), price, params
            )
            return reply

        try:
            reply = await self._calls.create(f"submit {order.client_id}", create)
        except OrderRefused:
            self.book.forget(order.client_id)  # it does not exist at the venue
            raise
        await self.apply_reply(reply, order.client_id)

    async def submit_oco(self, stop: Order, target: Order) -> None:
        """Send a stop-loss and a take-profit as one one-cancels-the-other list."""
        if not self.capabilities.native_oco:
            raise OrderRefused(f"{self.venue} takes no one-cancels-the-other lists here")
        await submit_oco(self, stop, target)

    async def cancel(self, order: Order) -> None:
        """Ask the venue to cancel; the outcome is reported (OrderCanceled) when it answers."""
        exchange = self._exchange
        params = {self._quirks.client_id_query_param: order.client_id}

        async def cancel() -> dict[str, Any]:
            reply: dict[str, Any] = await exchange.cancel_order(
                order.venue_order_id or "", order.symbol, params
            )
            return reply

        reply = await self._calls.cancel(f"cancel {order.client_id}", cancel)
        self.book.track(order.client_id, order.symbol)
        await self.apply_reply(reply, order.client_id)

    async def modify(
        self,
        order: Order,
        *,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
        quantity: Decimal | None = None,
    ) -> None:
        """Change a live order in place, keeping our client id (Binance: cancelReplace).

        The replacement is for what is left: ``quantity`` minus what already filled."""
        if not self.capabilities.modify:
            raise OrderRefused(f"{self.venue} cannot modify orders; cancel and send a new one")
        new_price = price if price is not None else order.price
        new_trigger = trigger_price if trigger_price is not None else order.trigger_price
        new_qty = quantity if quantity is not None else order.quantity
        remaining = new_qty - order.filled_qty
        if remaining <= 0:
            raise OrderRefused("the new quantity is not above what already filled")
        params: dict[str, Any] = {self._quirks.client_id_param: order.client_id}
        if order.venue_order_id is None:
            params["cancelOrigClientOrderId"] = order.client_id
        if order.type.has_trigger and new_trigger is not None and self._quirks.trigger_param:
            params[self._quirks.trigger_param] = str(new_trigger)
        if order.type.has_price:
            params["timeInForce"] = _TIF[order.tif]
        tracked = self.book.track(order.client_id, order.symbol)
        self.book.link(order.client_id, order.venue_order_id)
        exchange = self._exchange

        async def edit() -> dict[str, Any]:
            reply: dict[str, Any] = await exchange.edit_order(
                order.venue_order_id or "",
                order.symbol,
                _CCXT_TYPE[order.type],
                order.side.value,
                str(remaining),
                str(new_price) if order.type.has_price and new_price is not None else None,
                params,
            )
            return reply

        tracked.modifying = True
        try:
            reply = await self._calls.create(f"modify {order.client_id}", edit)
        except OutcomeUnknown:
            tracked.modifying = False
            raise
        except VenueError:
            tracked.modifying = False
            # a replace can fail after its cancel half succeeded: learn what the order is now
            await self._settle_quietly(order.client_id, order.symbol)
            raise
        tracked.modifying = False
        new_id = reply.get("id")
        self.book.replaced(order.client_id, str(new_id) if new_id else None)
        self.book.modified(
            OrderModified(
                order.client_id,
                _ts_ns(reply),
                price=price,
                trigger_price=trigger_price,
                quantity=quantity,
            )
        )
        await self.apply_reply(reply, order.client_id)

    # --- reads ----------------------------------------------------------------------------
    async def query_order(self, client_id: str, symbol: str | None = None) -> VenueOrderState:
        """The venue's view of ``client_id`` (found by our client id) with its fills."""
        tracked = self.book.get(client_id)
        candidates = [symbol] if symbol else [tracked.symbol] if tracked else list(self.symbols)
        last_missing: OrderNotFound | None = None
        for candidate in candidates:
            try:
                order = await self.fetch_by_client_id(client_id, candidate)
            except OrderNotFound as exc:
                last_missing = exc
                continue
            fills = await self.order_fills(candidate, order, client_id)
            state = order_state(order, self.instrument(candidate), fills, client_id=client_id)
            self.book.adopt(client_id, candidate, state.venue_order_id, state.status)
            for fill in fills:
                self.book.seen_fill(fill)
            return state
        raise last_missing or OrderNotFound(f"no order {client_id}", venue=self.venue)

    async def open_orders(self) -> Sequence[VenueOrderState]:
        """Every working order on the account, ours and those placed elsewhere."""
        exchange = self._exchange
        if self._quirks.open_orders_need_symbol:
            found: list[dict[str, Any]] = []
            for symbol in self.symbols:

                async def some(symbol: str = symbol) -> list[dict[str, Any]]:
                    orders: list[dict[str, Any]] = await exchange.fetch_open_orders(symbol)
                    return orders

                found.extend(await self._calls.read(f"open orders {symbol}", some))
        else:
            found = await self._calls.read("open orders", lambda: exchange.fetch_open_orders())
        states = []
        for order in found:
            state = order_state(order, self.instrument(str(order.get("symbol"))))
            if state.client_id and state.symbol in self._instruments:
                # the engine adopts the ones it does not know; their later events count
                self.book.adopt(state.client_id, state.symbol, state.venue_order_id, state.status)
            states.append(state)
        return states

    async def balances(self) -> dict[str, Decimal]:
        """Totals per asset (free + locked), non-zero only."""
        exchange = self._exchange
        balance = await self._calls.read("balances", lambda: exchange.fetch_balance())
        return balances_from(balance)

    async def recent_fills(self, symbols: Sequence[str], since_ns: int) -> Sequence[Fill]:
        """The account's fills on ``symbols`` since ``since_ns`` (ours and external)."""
        out: list[Fill] = []
        for symbol in symbols:
            since_ms = since_ns // NS_PER_MS
            trades = await fetch_my_trades(self._calls, symbol, since_ms)
            names = await name_orders(self._calls, self.book.client_for, symbol, trades)
            for trade in trades:
                order_id = str(trade.get("order") or "")
                out.append(
                    fill_from_trade(
                        trade, self.venue, self.instrument(symbol), names.get(order_id, "")
                    )
                )
        return sorted(out, key=lambda f: (f.ts, f.trade_id))

    # --- shared with the user-data feed ----------------------------------------------------
    async def order_fills(
        self, symbol: str, order: Mapping[str, Any], client_id: str
    ) -> list[Fill]:
        """The fills of one order, named with our client id."""
        trades = await fetch_order_trades(self._calls, symbol, order)
        inst = self.instrument(symbol)
        return [fill_from_trade(t, self.venue, inst, client_id) for t in trades]

    async def apply_order(
        self,
        order: Mapping[str, Any],
        *,
        client_id: str | None = None,
        fetch_missing: bool = True,
    ) -> None:
        """Turn a ccxt order (a reply, a poll or a stream update) into reports, once each.

        ``fetch_missing``: fetch fills the order counts but we have not reported. A stream
        update passes False (its trades arrive on the trade stream) except for terminal
        states, whose missing fills must be reported before them."""
        venue_id = str(order.get("id")) if order.get("id") else None
        cid = client_id or self.book.client_for(venue_id) or client_id_of(order)
        tracked = self.book.get(cid) if cid else None
        if tracked is None:
            if cid and venue_id:
                self.book.link(cid, venue_id)
            return  # not ours (placed elsewhere): its fills still arrive as external fills
        status = order_status(order)
        ts = _ts_ns(order)
        if status is not OrderStatus.REJECTED:
            self.book.accepted(cid, venue_id, ts)
        symbol = str(order.get("symbol") or tracked.symbol)
        for trade in order.get("trades") or ():
            if trade.get("id") not in (None, ""):
                self.book.fill(
                    fill_from_trade(stamped(trade, order), self.venue, self.instrument(symbol), cid)
                )
        filled = Decimal(str(order.get("filled") or 0))
        if filled > tracked.filled and (
            status in _TERMINAL_REPORTED or fetch_missing or self._feed.polling
        ):
            # fills we have not reported yet (stream lag, polling, a lost event): fetch them
            # before the terminal state, or the engine would see them after the order died
            for fill in await self.order_fills(symbol, order, cid):
                self.book.fill(fill)
        if status in _TERMINAL_REPORTED:
            info = order.get("info") or {}
            reason = str(info.get("rejectReason") or "") if status is OrderStatus.REJECTED else ""
            self.book.finished(cid, venue_id, status, reason, ts)
        elif status is OrderStatus.FILLED and tracked.filled >= filled:
            self.book.filled_completely(cid)

    def apply_trade(self, trade: Mapping[str, Any]) -> None:
        """A user-stream trade as a fill (external ones too: the engine records them)."""
        order_id = str(trade.get("order")) if trade.get("order") else None
        cid = self.book.client_for(order_id) or trade_client_id(
            trade, self._quirks.trade_client_id_keys
        )
        symbol = str(trade.get("symbol"))
        instrument = self.instrument(symbol)
        if instrument is None:
            return  # a market this session does not trade: the engine has no instrument for it
        self.book.fill(fill_from_trade(trade, self.venue, instrument, cid))

    async def run(self) -> None:
        """Stream user data (or poll it) until cancelled."""
        await self._feed.run()

    # --- internals ------------------------------------------------------------------------
    async def apply_reply(self, reply: Mapping[str, Any], client_id: str) -> None:
        """Reports from a request's reply. The request succeeded: a failure here (fetching
        fills) must not make the caller think it did not; the stream or a reconcile brings
        what is missing."""
        if is_list_reply(reply):
            await apply_list_reports(self, reply["info"])
            return
        try:
            await self.apply_order(reply, client_id=client_id)
        except (VenueError, ValidationError) as exc:
            log.warning("%s: reply for %s only partly reported: %s", self.venue, client_id, exc)

    async def _settle_quietly(self, client_id: str, symbol: str) -> None:
        try:
            state = await self.fetch_by_client_id(client_id, symbol)
            await self.apply_order(state, client_id=client_id)
        except VenueError as exc:
            log.warning(
                "%s: could not re-read %s after a failed modify: %s", self.venue, client_id, exc
            )

    def check_client_id(self, client_id: str) -> None:
        limit = self._quirks.client_id_max_len
        if not client_id or len(client_id) > limit:
            raise OrderRefused(
                f"client order id must be 1-{limit} characters for {self.venue}",
                venue=self.venue,
                operation="submit",
            )

    async def fetch_by_client_id(self, client_id: str, symbol: str) -> dict[str, Any]:
        exchange = self._exchange
        params = {self._quirks.client_id_query_param: client_id}

        async def fetch() -> dict[str, Any]:
            order: dict[str, Any] = await exchange.fetch_order("", symbol, params)
            return order

        return await self._calls.read(f"query order {client_id}", fetch)
