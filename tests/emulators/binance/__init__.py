"""A loopback Binance SPOT venue that the REAL ccxt client (4.5.90) talks to unchanged.

Start it on the running loop, point ccxt at it with `ccxt_config()`, move the market with
`set_price`. REST on http://127.0.0.1:<port>/api/v3 (+ /sapi/v1/account/apiRestrictions);
market streams on ws://127.0.0.1:<port>/ws, /ws/<stream>, /stream?streams=a/b (combined,
wrapped as {"stream", "data"}); user data on /ws/<listenKey> (REST listenKey) and on the
WebSocket API /ws-api/v3 (`userDataStream.subscribe.signature`), which is what ccxt.pro
4.5.90 uses for spot watch_orders / watch_my_trades / watch_balance.

    emu = BinanceEmulator(symbols=("BTC/USDT", "ETH/USDT"), balances={"USDT": "10000"},
                          api_key="k", secret="s", prices={"BTC/USDT": "30000"})
    await emu.start()
    ex = ccxt.pro.binance(emu.ccxt_config())
    ...
    await emu.stop()

Things a ccxt user must know (found by driving ccxt 4.5.90 against it):
- `watch_ticker` subscribes `<sym>@miniTicker` (no bid/ask: those stay None); pass
  `params={"name": "ticker"}` for the full 24hr ticker with bid/ask.
- `watch_order_book` subscribes `<sym>@depth@100ms`, then GET /depth?limit=1000; a gap in the
  update ids raises ChecksumError from the pending watch and drops the subscription; the next
  `watch_order_book` call resubscribes and resyncs from a new snapshot.
- ccxt chooses spot-specific error maps by URL (https://api.binance.com/...), which a
  loopback URL never matches; the shared maps below apply, and they agree for these codes.
- ccxt checks precision before sending: an amount below the step never reaches the venue
  (InvalidOrder raised client-side); above maxQty it does (-1013 LOT_SIZE).
- Use `await emu.wait_for_stream("btcusdt@trade")` / `await emu.wait_for_user_stream()`
  after starting a watch and before `set_price`, or the event may precede the subscription.

What each refusal and fault becomes in ccxt 4.5.90 (verified in test_binance_emulator.py):

    venue answer / fault                               ccxt exception (MRO head)
    -------------------------------------------------  ----------------------------------------
    429 -1003 + Retry-After   (faults.rate_limit)      DDoSProtection < NetworkError
    418 -1003 banned          (rate_limit(418))        DDoSProtection < NetworkError
    500 / 502 / 503           (faults.server_error)    ExchangeNotAvailable < NetworkError
    504                       (server_error(504))      RequestTimeout < NetworkError
    reply never sent, TCP closed (faults.drop_reply)   ExchangeNotAvailable < NetworkError
    reply late > ccxt timeout (faults.delay_reply)     RequestTimeout < NetworkError
    -2013 Order does not exist. (also order_not_found_for)  OrderNotFound < InvalidOrder
    -2011 Unknown order sent. (cancel)                 OrderNotFound < InvalidOrder
    -2010 Duplicate order sent.                        InvalidOrder
    -2010 Account has insufficient balance ...         InsufficientFunds
    -2010 Order would immediately match and take.      OrderImmediatelyFillable < InvalidOrder
    -2010 Stop price would trigger immediately.        OrderImmediatelyFillable < InvalidOrder
    -1013 Filter failure: LOT_SIZE / PRICE_FILTER      InvalidOrder (ccxt matches the body text)
    -1013 Filter failure: NOTIONAL / MIN_NOTIONAL      BadRequest
    -1121 Invalid symbol.                              BadSymbol < BadRequest
    -1021 timestamp outside recvWindow                 InvalidNonce < NetworkError
    -1022 bad signature                                AuthenticationError
    -2015 wrong API key                                AuthenticationError
    ws-api subscribe with a bad signature (-1022)      KeyError('spot') from watch_orders: a
                                                       ccxt 4.5.90 bug hides AuthenticationError,
                                                       and a second watch_orders then hangs;
                                                       check keys over REST first, and bound
                                                       every watch_* with a timeout
    close_ws(1006): TCP abort, no close frame          NetworkError "closing code 1006" from
                                                       every pending watch_*; next watch_*
                                                       reconnects
    silent_feed(symbols): no market messages           nothing: the watch just never resolves
    depth_gap(): skipped diff-depth update ids         ChecksumError from watch_order_book

After close_ws(1006) with a user-data watch open, asyncio logs one "Future exception was
never retrieved ... NetworkError ... 1006": a future inside ccxt's ws-api client, harmless.

OCO order lists (order_lists.py, verified in test_order_lists.py): POST /api/v3/orderList/oco
(ccxt: `private_post_orderlist_oco(params)`; default newOrderRespType FULL), DELETE and GET
/api/v3/orderList, GET /api/v3/openOrderList and /api/v3/allOrderList. Each leg is an ordinary
order with its orderListId (`g` in executionReport), the stop leg numbered and listed first.
The list locks funds once (SELL: the base qty; BUY: the dearer leg's quote + fee). A fill or a
stop trigger on one leg EXPIREs the other and sends `listStatus` ALL_DONE; placing sends
listStatus EXEC_STARTED. `emu.order_list(listClientOrderId)` gives the list and its legs.
ccxt 4.5.90 sees: the reply as a raw dict; an expired leg as status "expired" (fetch_order and
watch_orders); listStatus events ignored; DELETE /api/v3/order on a leg cancels the whole list
and answers in the LIST's shape (as Binance documents for order.cancel), so `cancel_order`
returns an order with id/status None and the list reply in `info`. Refusals: bad price
relation (-2010) and -1014 combination InvalidOrder; missing leg params (-1102) BadRequest;
cancelReplace on a leg of an open list -2022 (ExchangeError, body has the -2011 cancel refusal).
drop_reply / delay_reply / server_error(after_processing) apply to the OCO endpoint too.

Note: 5xx and lost or late replies mean UNKNOWN: with `after_processing=True` (server_error),
drop_reply and delay_reply the order IS booked on the venue.
"""

from .account import Balance
from .emulator import BinanceEmulator
from .faults import Faults
from .order_lists import OrderList
from .orders import Fill, Order
from .symbols import SymbolSpec
from .threaded import ThreadedBinanceEmulator

__all__ = [
    "Balance",
    "BinanceEmulator",
    "Faults",
    "Fill",
    "Order",
    "OrderList",
    "SymbolSpec",
    "ThreadedBinanceEmulator",
]
