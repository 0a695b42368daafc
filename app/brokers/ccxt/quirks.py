"""Venue differences as data: one ``VenueQuirks`` per ccxt exchange id, nowhere else.

Code asks ``quirks_for(exchange_id)`` what a venue does (how stops are sent, whether an order
can be edited in place, how to find an order by our client id, whether open orders need a
symbol, how key permissions are read) instead of testing the exchange's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from app.brokers.ccxt.order_lists import BINANCE_ORDER_LIST

# How an order is changed in place: ccxt ``edit_order`` (Binance spot turns it into
# order/cancelReplace, which keeps nothing but the client id we give it) or not at all.
EDIT_ORDER = "edit_order"


@dataclass(frozen=True, slots=True)
class VenueQuirks:
    """What one venue does differently. Defaults are ccxt's unified behaviour."""

    #: ccxt params key that carries our client order id on create (ccxt unified name)
    client_id_param: str = "clientOrderId"
    #: params key that finds an order by client id in fetch_order / cancel_order
    client_id_query_param: str = "clientOrderId"
    #: longest client order id the venue takes
    client_id_max_len: int = 32
    #: params key for a stop's trigger price (ccxt unified); None: the venue has no stops
    trigger_param: str | None = "triggerPrice"
    #: whether stop-limit orders exist (a trigger plus a limit price)
    stop_limit: bool = True
    #: how to change a live order (EDIT_ORDER) or None when only cancel + new is possible
    edit: str | None = None
    #: how a one-cancels-the-other list is sent (order_lists.BINANCE_ORDER_LIST), or None
    #: when this adapter sends none for the venue (the engine then holds the stop itself)
    oco: str | None = None
    #: use ccxt.pro's user streams if the exchange has them; False forces polling
    user_streams: bool = True
    #: fetch_open_orders without a symbol is refused (or too costly) at this venue
    open_orders_need_symbol: bool = False
    #: params key that narrows fetch_my_trades to one order; None: filter client-side
    my_trades_order_param: str | None = None
    #: trade["info"] keys holding the client order id (user-stream trades)
    trade_client_id_keys: tuple[str, ...] = ("clientOrderId",)
    #: regex over an error message: our clock or signature is wrong (-> AuthenticationFailed)
    auth_error_pattern: str | None = None
    #: how key permissions are read: "binance_api_restrictions" or None (not reported)
    permissions: str | None = None
    #: OHLCV page size for history requests
    ohlcv_page_limit: int = 500
    #: my-trades page size
    trades_page_limit: int = 500
    #: a trades request with only a start time covers this much (Binance spot: 24 h);
    #: None when it runs to the present
    my_trades_window_ms: int | None = None
    #: how far back trades are read at most (a long absence is caught by the balance check)
    my_trades_lookback_ms: int = 7 * 86_400_000
    #: ccxt options this venue needs whatever the config says (config options override)
    ccxt_options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


_BINANCE = VenueQuirks(
    client_id_param="clientOrderId",
    client_id_query_param="origClientOrderId",
    client_id_max_len=36,
    trigger_param="triggerPrice",  # ccxt sends STOP_LOSS / STOP_LOSS_LIMIT on spot
    stop_limit=True,
    edit=EDIT_ORDER,  # POST /api/v3/order/cancelReplace
    oco=BINANCE_ORDER_LIST,  # POST /api/v3/orderList/oco
    open_orders_need_symbol=False,
    my_trades_order_param="orderId",
    trade_client_id_keys=("c", "clientOrderId"),
    # -1021: timestamp outside recvWindow (our clock); -1022: signature not valid
    auth_error_pattern=r'"code"\s*:\s*-102[12]\b',
    permissions="binance_api_restrictions",
    ohlcv_page_limit=1000,
    trades_page_limit=1000,
    my_trades_window_ms=86_400_000,
    ccxt_options=MappingProxyType(
        {
            # all-symbol open orders cost weight 80 on Binance; we ask once per reconcile
            "warnOnFetchOpenOrdersWithoutSymbol": False,
            # a spot account: loading futures/margin markets would cost requests (and fail
            # on the spot testnet); currencies need the wallet API, which testnet lacks
            "defaultType": "spot",
            "fetchMarkets": {"types": ["spot"]},
            "fetchMargins": False,
            "fetchCurrencies": False,
            # FULL replies carry the fills of an order that filled on arrival
            "newOrderRespType": {"market": "FULL", "limit": "FULL"},
        }
    ),
)

_BY_ID: dict[str, VenueQuirks] = {
    "binance": _BINANCE,
    # Binance.US documents only the older POST /api/v3/order/oco, which no test here speaks
    "binanceus": replace(_BINANCE, oco=None),
    "blofin": VenueQuirks(client_id_max_len=32, edit=None, open_orders_need_symbol=False),
}

_DEFAULT = VenueQuirks()


def quirks_for(exchange_id: str) -> VenueQuirks:
    """The venue's quirks; an exchange we have no entry for gets ccxt's unified defaults."""
    return _BY_ID.get(exchange_id, _DEFAULT)


def with_overrides(quirks: VenueQuirks, **changes: Any) -> VenueQuirks:
    """A copy with some fields changed (tests; a venue variant)."""
    return replace(quirks, **changes)
