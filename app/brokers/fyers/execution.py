"""FyersExecutionClient: orders through Fyers REST, their fate from the order socket.

Our client id travels as the order's ``orderTag`` (see ``order_tags``): ``query_order``
finds an order by it in the orderbook, and socket events for orders placed from this
process are matched by the Fyers order id learned at placement. Placement is never retried;
a lost reply raises ``OutcomeUnknown`` and the engine settles the order with
``query_order``. Orders are refused while NSE is closed, before any network call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from app.brokers.fyers import parsing
from app.brokers.fyers.config import VENUE, FyersConfig
from app.brokers.fyers.market_hours import NseSession, from_ns
from app.brokers.fyers.order_tags import client_id_from_tag, is_ours, tag_for, tag_matches
from app.brokers.fyers.sdk_bridge import (
    FyersRest,
    OrderSocket,
    SocketEvent,
    SocketFactory,
    SocketLink,
    order_socket_kwargs,
)
from app.brokers.fyers.streams import DEFAULT_BACKOFF, READ_BACKOFF, SocketStream
from app.brokers.retry import Backoff, retry_read
from app.engine.domain.errors import ValidationError
from app.engine.domain.events import (
    ExecutionReport,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderRejected,
    VenueStatus,
)
from app.engine.domain.fills import Fill
from app.engine.domain.orders import Order, OrderStatus, TimeInForce
from app.engine.ports import (
    Capabilities,
    OrderNotFound,
    OrderRefused,
    OutcomeUnknown,
    ReportSink,
    StatusSink,
    VenueOrderState,
)

log = logging.getLogger(__name__)
_VALIDITY = {TimeInForce.GTC: "DAY", TimeInForce.IOC: "IOC"}  # Fyers equity orders live a day
ORDER_CHANNELS = "OnOrders,OnTrades,OnPositions"
_MAX_EARLY = 256


class FyersExecutionClient:
    """``ExecutionClient`` + ``ReportsStatus`` for Fyers; ``start()`` opens the order socket."""

    venue = VENUE

    def __init__(
        self,
        config: FyersConfig,
        rest: FyersRest,
        factory: SocketFactory,
        *,
        session: NseSession | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        read_backoff: Backoff = READ_BACKOFF,
        wall_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self.capabilities = Capabilities(
            stop_orders=True,
            stop_limit_orders=True,
            modify=True,
            shorting=config.product_type == "INTRADAY",  # delivery (CNC) cannot sell short
            native_oco=False,
        )
        self._config = config
        self._rest = rest
        self._session = session or NseSession(config.holidays)
        self._wall_ns = wall_ns
        self._read_backoff = read_backoff
        self._report_sink: ReportSink | None = None
        self._status_sink: StatusSink | None = None
        self._outbox: deque[ExecutionReport] = deque()
        self._venue_ids: dict[str, str] = {}  # client id -> Fyers order id
        self._client_ids: dict[str, str] = {}  # Fyers order id -> client id
        self._accepted: set[str] = set()
        self._finished: set[str] = set()
        self._trades: set[str] = set()
        # socket events that may belong to an order whose placement reply is still on its way
        self._early: dict[str, list[SocketEvent]] = {}
        self._placing = 0
        self._task: asyncio.Task[None] | None = None
        self._link: SocketLink | None = None
        self._stream: SocketStream[OrderSocket] = SocketStream(
            venue=VENUE,
            stream="user",
            make_socket=lambda link: self._make_socket(factory, link),
            after_connect=self._subscribe,
            on_message=self._on_event,
            on_status=self._status,
            timeout_s=config.call_timeout_s,
            backoff=backoff,
            wall_ns=wall_ns,
        )

    # --- lifecycle ---------------------------------------------------------------------
    def set_report_sink(self, sink: ReportSink) -> None:
        self._report_sink = sink
        self._flush()

    def set_status_sink(self, sink: StatusSink) -> None:
        self._status_sink = sink

    @property
    def connected(self) -> bool:
        return self._stream.connected

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._stream.run(), name="fyers-order-socket"
            )

    async def close(self) -> None:
        await self._stream.stop()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                log.debug("fyers order socket task stopped")  # what cancel() asked for
            except Exception:
                log.exception("fyers order socket task failed")
            self._task = None

    # --- orders --------------------------------------------------------------------------
    async def submit(self, order: Order) -> None:
        closed = self._session.closed_message(from_ns(self._wall_ns()))
        if closed is not None:
            raise OrderRefused(closed, venue=VENUE, operation="place_order")
        try:
            payload = self._place_payload(order)
        except ValidationError as exc:
            raise OrderRefused(str(exc), venue=VENUE, operation="place_order") from None
        self._placing += 1
        try:
            body = await self._rest.call("place_order", payload, write=True)
        except BaseException:
            self._placing -= 1
            if not self._placing:
                self._early.clear()
            raise
        self._placing -= 1
        venue_id = str(body.get("id") or "")
        if not venue_id:  # "ok" without an id: it may exist; reconciliation will tell
            raise OutcomeUnknown(
                f"Fyers answered without an order id: {body.get('message', '')}",
                venue=VENUE,
                operation="place_order",
            )
        self._know(order.client_id, venue_id)
        self._accept(order.client_id, venue_id)
        for event in self._early.pop(venue_id, []):
            self._on_event(event)
        if not self._placing:
            self._early.clear()
        self._flush()

    async def cancel(self, order: Order) -> None:
        venue_id = await self._venue_id(order)
        await self._rest.call("cancel_order", {"id": venue_id}, write=True)
        self._finish(order.client_id, OrderCanceled(order.client_id, self._wall_ns()))
        self._flush()

    async def modify(
        self,
        order: Order,
        *,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
        quantity: Decimal | None = None,
    ) -> None:
        venue_id = await self._venue_id(order)
        payload: dict[str, Any] = {"id": venue_id, "type": parsing.FYERS_TYPE[order.type]}
        try:
            if price is not None:
                payload["limitPrice"] = float(price)  # the wire is JSON numbers
            if trigger_price is not None:
                payload["stopPrice"] = float(trigger_price)
            if quantity is not None:
                payload["qty"] = parsing.whole_shares(quantity)
        except ValidationError as exc:
            raise OrderRefused(str(exc), venue=VENUE, operation="modify_order") from None
        await self._rest.call("modify_order", payload, write=True)
        self._emit(OrderModified(order.client_id, self._wall_ns(), price, trigger_price, quantity))
        self._flush()

    # --- reads -----------------------------------------------------------------------------
    async def query_order(self, client_id: str, symbol: str | None = None) -> VenueOrderState:
        book = await self._orderbook()
        try:
            matches = [o for o in book if tag_matches(o.get("orderTag"), client_id)]
        except ValidationError:
            matches = []
        known = self._venue_ids.get(client_id)
        if not matches and known is not None:
            matches = [o for o in book if str(o.get("id")) == known]
        if not matches:
            raise OrderNotFound(
                f"no Fyers order tagged {client_id}", venue=VENUE, operation="query_order"
            )
        entry = matches[-1]
        venue_id = str(entry.get("id"))
        self._know(client_id, venue_id)
        fills = [f for f in await self._tradebook() if f.venue_order_id == venue_id]
        state = parsing.order_state(entry, [_with_client(f, client_id) for f in fills])
        return _replace_client(state, client_id)

    async def open_orders(self) -> Sequence[VenueOrderState]:
        book = await self._orderbook()
        working = [o for o in book if o.get("status") in parsing.OPEN_STATUS_CODES]
        if not working:
            return []
        fills = await self._tradebook()
        out = []
        for entry in working:
            venue_id = str(entry.get("id"))
            client_id = self._client_of(entry)
            mine = [_with_client(f, client_id) for f in fills if f.venue_order_id == venue_id]
            out.append(_replace_client(parsing.order_state(entry, mine), client_id))
        return out

    async def balances(self) -> dict[str, Decimal]:
        """INR cash (Total Balance) and the shares held per ticker: past days' delivery
        holdings plus today's net positions (without the holdings, shares bought for
        delivery would vanish the next morning and halt the account on a mismatch)."""
        funds = await retry_read(lambda: self._rest.call("funds"), "funds", self._read_backoff)
        positions = await retry_read(
            lambda: self._rest.call("positions"), "positions", self._read_backoff
        )
        held = await retry_read(lambda: self._rest.call("holdings"), "holdings", self._read_backoff)
        return parsing.balances_from_funds(funds) | parsing.shares_held(held, positions)

    async def recent_fills(self, symbols: Sequence[str], since_ns: int) -> Sequence[Fill]:
        wanted = set(symbols)
        out = []
        for fill in await self._tradebook():
            if fill.symbol in wanted and fill.ts >= since_ns:
                client_id = fill.client_id or self._client_ids.get(fill.venue_order_id or "", "")
                out.append(_with_client(fill, client_id))
        return sorted(out, key=lambda f: f.ts)

    # --- the order socket --------------------------------------------------------------
    def _make_socket(self, factory: SocketFactory, link: SocketLink) -> OrderSocket:
        self._link = link
        return factory.order_socket(
            **order_socket_kwargs(link, self._config.auth_header, self._config.log_dir)
        )

    async def _subscribe(self, socket: OrderSocket) -> None:
        if self._link is not None:
            await self._link.blocking(lambda: socket.subscribe(ORDER_CHANNELS), "subscribe")

    def _on_event(self, event: SocketEvent) -> None:
        payload = event.payload
        if not isinstance(payload, Mapping):
            return
        if event.channel == "orders" and isinstance(payload.get("orders"), Mapping):
            self._on_order(payload["orders"], event)
        elif event.channel == "trades" and isinstance(payload.get("trades"), Mapping):
            self._on_trade(payload["trades"], event)
        self._flush()

    def _on_order(self, entry: Mapping[str, object], event: SocketEvent) -> None:
        venue_id = str(entry.get("id") or "")
        client_id = self._our_client_of(entry)
        if not client_id:
            self._hold_early(venue_id, event)
            return
        self._know(client_id, venue_id)
        status = parsing.status_of(entry)
        now = self._wall_ns()
        if status in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED):
            self._accept(client_id, venue_id)
        elif status is OrderStatus.CANCELED:
            self._finish(client_id, OrderCanceled(client_id, now))
        elif status is OrderStatus.REJECTED:
            reason = str(entry.get("message") or "rejected by Fyers")
            self._finish(client_id, OrderRejected(client_id, reason, now))
        elif status is OrderStatus.EXPIRED:
            self._finish(client_id, OrderExpired(client_id, now))

    def _on_trade(self, entry: Mapping[str, object], event: SocketEvent) -> None:
        venue_id = str(entry.get("orderNumber") or "")
        client_id = self._our_client_of(entry, venue_id)
        if not client_id:
            self._hold_early(venue_id, event)
            return
        fill = parsing.fill_from_trade(entry, client_id)
        if fill.trade_id in self._trades:
            return
        self._trades.add(fill.trade_id)
        self._emit(OrderFilled(fill))

    def _hold_early(self, venue_id: str, event: SocketEvent) -> None:
        """An event for an order we cannot name: ours if a placement reply is pending (the
        socket can beat the REST reply), else an order placed elsewhere (ignored here; the
        engine sees it through open_orders and recent_fills)."""
        if self._placing and venue_id and len(self._early) < _MAX_EARLY:
            self._early.setdefault(venue_id, []).append(event)

    # --- internals ---------------------------------------------------------------------
    def _place_payload(self, order: Order) -> dict[str, Any]:
        validity = _VALIDITY.get(order.tif)
        if validity is None:
            raise ValidationError("tif", "Fyers takes DAY (GTC here) or IOC orders", order.tif)
        return {
            "symbol": order.symbol,
            "qty": parsing.whole_shares(order.quantity),
            "type": parsing.FYERS_TYPE[order.type],
            "side": 1 if order.side.sign > 0 else -1,
            "productType": self._config.product_type,
            # the wire is JSON numbers; a Decimal's float is the nearest double of its text
            "limitPrice": float(order.price) if order.type.has_price and order.price else 0,
            "stopPrice": (
                float(order.trigger_price) if order.type.has_trigger and order.trigger_price else 0
            ),
            "validity": validity,
            "disclosedQty": 0,
            "offlineOrder": False,
            "stopLoss": 0,
            "takeProfit": 0,
            "orderTag": tag_for(order.client_id),
        }

    async def _venue_id(self, order: Order) -> str:
        known = order.venue_order_id or self._venue_ids.get(order.client_id)
        if known:
            return known
        state = await self.query_order(order.client_id, order.symbol)
        if state.venue_order_id is None:
            raise OrderNotFound("Fyers gave no order id", venue=VENUE, operation="cancel")
        return state.venue_order_id

    async def _orderbook(self) -> list[Mapping[str, object]]:
        body = await retry_read(
            lambda: self._rest.call("orderbook"), "orderbook", self._read_backoff
        )
        return parsing.orders_from_book(body)

    async def _tradebook(self) -> list[Fill]:
        body = await retry_read(
            lambda: self._rest.call("tradebook"), "tradebook", self._read_backoff
        )
        return parsing.fills_from_tradebook(body)

    def _client_of(self, entry: Mapping[str, object], venue_id: str | None = None) -> str:
        """Our client id for a venue order: from its tag, or from the id we placed it under;
        a foreign tag (an order placed elsewhere) as it is, "" when there is none."""
        known = self._client_ids.get(venue_id if venue_id is not None else str(entry.get("id")))
        return known or client_id_from_tag(entry.get("orderTag"))

    def _our_client_of(self, entry: Mapping[str, object], venue_id: str | None = None) -> str:
        client_id = self._client_of(entry, venue_id)
        return client_id if client_id in self._venue_ids or is_ours(client_id) else ""

    def _know(self, client_id: str, venue_id: str) -> None:
        if venue_id:
            self._venue_ids[client_id] = venue_id
            self._client_ids[venue_id] = client_id

    def _accept(self, client_id: str, venue_id: str) -> None:
        if client_id not in self._accepted and client_id not in self._finished:
            self._accepted.add(client_id)
            self._emit(OrderAccepted(client_id, venue_id, self._wall_ns()))

    def _finish(self, client_id: str, report: ExecutionReport) -> None:
        if client_id not in self._finished:
            self._finished.add(client_id)
            self._emit(report)

    def _emit(self, report: ExecutionReport) -> None:
        self._outbox.append(report)

    def _flush(self) -> None:
        if self._report_sink is None:
            return
        while self._outbox:
            report = self._outbox.popleft()
            try:
                self._report_sink(report)
            except Exception:
                log.exception("fyers: report sink failed on %r", report)

    def _status(self, status: VenueStatus) -> None:
        if self._status_sink is not None:
            self._status_sink(status)


def _with_client(fill: Fill, client_id: str) -> Fill:
    if fill.client_id == client_id:
        return fill
    return Fill(
        fill.venue,
        fill.trade_id,
        client_id,
        fill.venue_order_id,
        fill.symbol,
        fill.side,
        fill.quantity,
        fill.price,
        fill.fee,
        fill.fee_currency,
        fill.liquidity,
        fill.ts,
    )


def _replace_client(state: VenueOrderState, client_id: str) -> VenueOrderState:
    return VenueOrderState(
        client_id, state.venue_order_id, state.status, state.filled_qty, state.fills, state.reason
    )
