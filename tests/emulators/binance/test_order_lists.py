"""OCO order lists on the Binance emulator, driven through the REAL ccxt 4.5.90 client."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from ccxt.base import errors as cx

from tests.emulators.binance import Balance, BinanceEmulator, fixtures
from tests.emulators.binance.ccxt_client import ccxt_client as client

binance_emu = fixtures.binance_emu

WAIT = 5.0
SELL_OCO: dict[str, str] = {
    "symbol": "BTCUSDT",
    "side": "SELL",
    "quantity": "0.01",
    "aboveType": "LIMIT_MAKER",
    "abovePrice": "31000",
    "belowType": "STOP_LOSS_LIMIT",
    "belowStopPrice": "29000",
    "belowPrice": "28900",
    "belowTimeInForce": "GTC",
}


def sell_oco(tag: str, **changes: str | None) -> dict[str, str]:
    params = {
        **SELL_OCO,
        "listClientOrderId": f"oco-{tag}",
        "aboveClientOrderId": f"tp-{tag}",
        "belowClientOrderId": f"sl-{tag}",
        **changes,
    }
    return {k: v for k, v in params.items() if v is not None}


async def cached_orders(ex: Any, done: Any) -> dict[str, dict[str, Any]]:
    """ccxt.pro's order cache (what watch_orders returns), by client id, once `done` holds.

    Polling the cache, not awaiting watch_orders again: several updates can land between
    two watch_orders calls, and the next call only resolves on a later update."""
    while True:
        latest = {o["clientOrderId"]: o for o in (ex.orders or [])}
        if done(latest):
            return latest
        await asyncio.sleep(0.01)


async def test_oco_reply_locks_once_and_the_take_profit_fill_expires_the_stop(
    binance_emu: BinanceEmulator,
) -> None:
    binance_emu.set_balance("BTC", "0.1")
    async with client(binance_emu) as ex:
        reply = await ex.private_post_orderlist_oco(sell_oco("1"))
        locked = await ex.fetch_balance()
        open_orders = await ex.fetch_open_orders("BTC/USDT")
        binance_emu.set_price("BTC/USDT", "31000")
        stop = await ex.fetch_order(None, "BTC/USDT", params={"origClientOrderId": "sl-1"})
        take = await ex.fetch_order(None, "BTC/USDT", params={"origClientOrderId": "tp-1"})
        done = await ex.private_get_orderlist({"origClientOrderId": "oco-1"})
        settled = await ex.fetch_balance()
        trades = await ex.fetch_my_trades("BTC/USDT")
    list_id = reply["orderListId"]
    assert (reply["contingencyType"], reply["listStatusType"], reply["listOrderStatus"]) == (
        "OCO",
        "EXEC_STARTED",
        "EXECUTING",
    )
    assert reply["listClientOrderId"] == "oco-1" and reply["symbol"] == "BTCUSDT"
    # the stop leg is numbered and listed first, as in Binance's examples
    assert [o["clientOrderId"] for o in reply["orders"]] == ["sl-1", "tp-1"]
    reports = reply["orderReports"]
    assert [(r["type"], r["status"], r["orderListId"]) for r in reports] == [
        ("STOP_LOSS_LIMIT", "NEW", list_id),
        ("LIMIT_MAKER", "NEW", list_id),
    ]
    assert reports[0]["stopPrice"] == "29000.00000000" and reports[0]["workingTime"] == -1
    assert reports[1]["fills"] == []  # FULL is the default response type
    assert (locked["BTC"]["free"], locked["BTC"]["used"]) == (0.09, 0.01)  # locked once
    assert sorted(o["info"]["orderListId"] for o in open_orders) == [list_id, list_id]
    assert (take["status"], stop["status"]) == ("closed", "expired")
    assert stop["info"]["status"] == "EXPIRED" and stop["info"]["orderListId"] == list_id
    assert (done["listStatusType"], done["listOrderStatus"]) == ("ALL_DONE", "ALL_DONE")
    fee = Decimal("310") * Decimal("0.001")
    assert binance_emu.balances["USDT"].free == Decimal("10000") + Decimal("310") - fee
    assert settled["BTC"]["total"] == 0.09 and settled["BTC"]["used"] == 0.0
    assert [(t["info"]["orderListId"], t["takerOrMaker"]) for t in trades] == [(list_id, "maker")]


async def test_stop_trigger_fills_at_market_and_expires_the_limit_maker(
    binance_emu: BinanceEmulator,
) -> None:
    binance_emu.set_balance("BTC", "0.1")
    async with client(binance_emu) as ex:
        await ex.private_post_orderlist_oco(
            sell_oco("2", belowType="STOP_LOSS", belowPrice=None, belowTimeInForce=None)
        )
        binance_emu.set_price("BTC/USDT", "28990")
        stop = await ex.fetch_order(None, "BTC/USDT", params={"origClientOrderId": "sl-2"})
        take = await ex.fetch_order(None, "BTC/USDT", params={"origClientOrderId": "tp-2"})
    bid = binance_emu.venue.bid("BTCUSDT")
    fill = binance_emu.trades[-1]
    assert (stop["status"], take["status"]) == ("closed", "expired")
    assert fill.client_id == "sl-2" and fill.price == bid and not fill.is_maker
    assert binance_emu.balances["BTC"] == Balance(Decimal("0.09"), Decimal(0))
    quote = Decimal("0.01") * bid
    assert binance_emu.balances["USDT"].free == Decimal("10000") + quote - fill.commission
    assert binance_emu.order_list("oco-2").order_status == "ALL_DONE"


async def test_buy_oco_locks_the_dearer_leg_and_releases_the_rest_on_fill(
    binance_emu: BinanceEmulator,
) -> None:
    params = {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "quantity": "0.01",
        "listClientOrderId": "oco-buy",
        "aboveType": "STOP_LOSS",
        "aboveStopPrice": "31000",
        "aboveClientOrderId": "sl-buy",
        "belowType": "LIMIT_MAKER",
        "belowPrice": "29000",
        "belowClientOrderId": "lm-buy",
    }
    async with client(binance_emu) as ex:
        await ex.private_post_orderlist_oco(params)
        locked = await ex.fetch_balance()
        binance_emu.set_price("BTC/USDT", "29000")
        settled = await ex.fetch_balance()
    # the stop leg at 31000 costs more than the limit at 29000: that (plus fee) is locked
    assert locked["USDT"]["used"] == 310.31
    assert binance_emu.orders["lm-buy"].status == "FILLED"
    assert binance_emu.orders["sl-buy"].status == "EXPIRED"
    assert settled["USDT"]["used"] == 0.0
    assert settled["USDT"]["free"] == float(Decimal("10000") - Decimal("290") - Decimal("0.29"))
    assert settled["BTC"]["free"] == 0.01


async def test_canceling_one_leg_cancels_the_list(binance_emu: BinanceEmulator) -> None:
    binance_emu.set_balance("BTC", "0.1")
    async with client(binance_emu) as ex:
        await ex.private_post_orderlist_oco(sell_oco("3"))
        canceled = await ex.cancel_order(
            None, "BTC/USDT", params={"origClientOrderId": "tp-3", "newClientOrderId": "c-3"}
        )
        stop = await ex.fetch_order(None, "BTC/USDT", params={"origClientOrderId": "sl-3"})
        balance = await ex.fetch_balance()
        await ex.private_post_orderlist_oco(sell_oco("4"))
        by_list = await ex.private_delete_orderlist(
            {"symbol": "BTCUSDT", "listClientOrderId": "oco-4"}
        )
        with pytest.raises(cx.OrderNotFound, match="Unknown order list sent"):
            await ex.private_delete_orderlist({"symbol": "BTCUSDT", "listClientOrderId": "oco-4"})
        await ex.private_post_orderlist_oco(sell_oco("5"))
        open_lists = await ex.private_get_openorderlist()
        all_canceled = await ex.cancel_all_orders("BTC/USDT")
    # a leg's cancel answers in the list's shape, which ccxt 4.5.90 cannot parse as an order
    assert (canceled["id"], canceled["status"]) == (None, None)
    info = canceled["info"]
    assert (info["listStatusType"], info["listClientOrderId"]) == ("ALL_DONE", "oco-3")
    assert [
        (r["origClientOrderId"], r["clientOrderId"], r["status"]) for r in info["orderReports"]
    ] == [("sl-3", "c-3", "CANCELED"), ("tp-3", "c-3", "CANCELED")]
    assert stop["status"] == "canceled"
    assert (balance["BTC"]["free"], balance["BTC"]["used"]) == (0.1, 0.0)
    assert [r["status"] for r in by_list["orderReports"]] == ["CANCELED", "CANCELED"]
    assert [ol["listClientOrderId"] for ol in open_lists] == ["oco-5"]
    assert len(all_canceled) == 1 and all_canceled[0]["info"]["listClientOrderId"] == "oco-5"
    assert binance_emu.balances["BTC"].locked == 0


async def test_watch_orders_sees_both_legs_and_the_expired_one(
    binance_emu: BinanceEmulator,
) -> None:
    binance_emu.set_balance("BTC", "0.1")
    async with client(binance_emu, pro=True) as ex:
        first = asyncio.create_task(ex.watch_orders("BTC/USDT"))
        await binance_emu.wait_for_user_stream()
        await ex.private_post_orderlist_oco(sell_oco("6"))
        first_update = await asyncio.wait_for(first, WAIT)
        placed = await asyncio.wait_for(
            cached_orders(ex, lambda seen: {"tp-6", "sl-6"} <= set(seen)), WAIT
        )
        placed_status = {c: placed[c]["status"] for c in ("tp-6", "sl-6")}
        pending = asyncio.create_task(ex.watch_orders("BTC/USDT"))
        binance_emu.set_price("BTC/USDT", "31000")

        def settled(seen: dict[str, dict[str, Any]]) -> bool:
            return bool(seen["tp-6"]["status"] == "closed" and seen["sl-6"]["status"] != "open")

        after = await asyncio.wait_for(cached_orders(ex, settled), WAIT)
        await asyncio.wait_for(pending, WAIT)
    assert first_update[0]["clientOrderId"] == "sl-6"  # the stop leg's NEW comes first
    assert placed_status == {"tp-6": "open", "sl-6": "open"}
    assert after["sl-6"]["status"] == "expired" and after["sl-6"]["info"]["X"] == "EXPIRED"
    assert after["tp-6"]["info"]["g"] == binance_emu.order_list("oco-6").order_list_id


async def test_user_data_events_come_in_binance_order(binance_emu: BinanceEmulator) -> None:
    binance_emu.set_balance("BTC", "0.1")
    headers = {"X-MBX-APIKEY": binance_emu.api_key}
    async with aiohttp.ClientSession() as http, client(binance_emu) as ex:
        async with http.post(
            binance_emu.rest_url + "/api/v3/userDataStream", headers=headers
        ) as resp:
            key = (await resp.json())["listenKey"]
        user = await http.ws_connect(f"{binance_emu.ws_url}/ws/{key}")
        await binance_emu.wait_for_user_stream()
        await ex.private_post_orderlist_oco(sell_oco("7"))
        placed = [await user.receive_json(timeout=WAIT) for _ in range(4)]
        binance_emu.set_price("BTC/USDT", "31000")
        filled = [await user.receive_json(timeout=WAIT) for _ in range(4)]
        await user.close()
    list_id = binance_emu.order_list("oco-7").order_list_id

    def kinds(events: list[dict[str, Any]]) -> list[tuple[str, str | None, str | None]]:
        return [
            (e["e"], e.get("c") if e["e"] == "executionReport" else None, e.get("x", e.get("l")))
            for e in events
        ]

    assert kinds(placed) == [
        ("executionReport", "sl-7", "NEW"),
        ("executionReport", "tp-7", "NEW"),
        ("listStatus", None, "EXEC_STARTED"),
        ("outboundAccountPosition", None, None),
    ]
    assert kinds(filled) == [
        ("executionReport", "sl-7", "EXPIRED"),
        ("executionReport", "tp-7", "TRADE"),
        ("listStatus", None, "ALL_DONE"),
        ("outboundAccountPosition", None, None),
    ]
    started, done = placed[2], filled[2]
    assert (started["g"], started["c"], started["L"], started["C"]) == (
        list_id,
        "OCO",
        "EXECUTING",
        "oco-7",
    )
    assert [o["c"] for o in done["O"]] == ["sl-7", "tp-7"] and done["L"] == "ALL_DONE"
    assert placed[0]["g"] == list_id and filled[1]["X"] == "FILLED"


@pytest.mark.parametrize(
    ("changes", "expected", "message"),
    [
        ({"abovePrice": "29500"}, cx.InvalidOrder, "relationship of the prices"),
        ({"quantity": "5"}, cx.InsufficientFunds, "insufficient balance"),
        ({"belowTimeInForce": None}, cx.BadRequest, "belowTimeInForce"),
        ({"abovePrice": None}, cx.BadRequest, "abovePrice"),
        (
            {"belowType": "LIMIT_MAKER", "belowStopPrice": None, "belowTimeInForce": None},
            cx.InvalidOrder,
            "Unsupported order combination",
        ),
        ({"belowClientOrderId": "tp-8"}, cx.InvalidOrder, "Duplicate order sent"),
        ({"quantity": "9001"}, cx.InvalidOrder, "LOT_SIZE"),
        ({"abovePrice": "31000.001"}, cx.InvalidOrder, "PRICE_FILTER"),
    ],
)
async def test_refused_lists_raise_these_ccxt_errors(
    binance_emu: BinanceEmulator,
    changes: dict[str, str | None],
    expected: type[Exception],
    message: str,
) -> None:
    binance_emu.set_balance("BTC", "0.1")
    async with client(binance_emu) as ex:
        with pytest.raises(expected, match=message):
            await ex.private_post_orderlist_oco(sell_oco("8", **changes))
        lists = await ex.private_get_openorderlist()
    assert lists == [] and binance_emu.balances["BTC"].locked == 0


async def test_duplicate_list_client_id_is_refused_while_the_list_is_open(
    binance_emu: BinanceEmulator,
) -> None:
    binance_emu.set_balance("BTC", "0.1")
    async with client(binance_emu) as ex:
        await ex.private_post_orderlist_oco(sell_oco("9"))
        with pytest.raises(cx.InvalidOrder, match="Duplicate order sent"):
            await ex.private_post_orderlist_oco(
                sell_oco("9", aboveClientOrderId="tp-9b", belowClientOrderId="sl-9b")
            )
        with pytest.raises(cx.ExchangeError, match="cancel restrictions"):
            await ex.private_post_order_cancelreplace(
                {
                    "symbol": "BTCUSDT",
                    "side": "SELL",
                    "type": "LIMIT",
                    "timeInForce": "GTC",
                    "quantity": "0.01",
                    "price": "32000",
                    "cancelReplaceMode": "STOP_ON_FAILURE",
                    "cancelOrigClientOrderId": "tp-9",
                }
            )
    assert binance_emu.order_list("oco-9").order_status == "EXECUTING"
    assert {binance_emu.orders[c].status for c in ("tp-9", "sl-9")} == {"NEW"}


async def test_a_dropped_oco_reply_still_books_the_list(binance_emu: BinanceEmulator) -> None:
    binance_emu.set_balance("BTC", "0.1")
    faults = binance_emu.faults
    async with client(binance_emu, timeout=1000) as ex:
        faults.drop_reply()
        with pytest.raises(cx.NetworkError) as dropped:
            await ex.private_post_orderlist_oco(sell_oco("10"))
        faults.order_not_found_for(30)
        with pytest.raises(cx.OrderNotFound):
            await ex.fetch_order(None, "BTC/USDT", params={"origClientOrderId": "tp-10"})
        with pytest.raises(cx.OrderNotFound):
            await ex.private_get_orderlist({"origClientOrderId": "oco-10"})
        faults.clear()
        found = await ex.private_get_orderlist({"origClientOrderId": "oco-10"})
        faults.server_error(503, after_processing=True, paths=["POST /api/v3/orderList/oco"])
        with pytest.raises(cx.ExchangeNotAvailable):
            await ex.private_post_orderlist_oco(sell_oco("11", quantity="0.02"))
    assert isinstance(dropped.value, cx.ExchangeNotAvailable)
    assert found["listOrderStatus"] == "EXECUTING"
    assert binance_emu.order_list("oco-11").order_status == "EXECUTING"
    assert binance_emu.balances["BTC"].locked == Decimal("0.03")
    assert (faults.fired["drop_reply"], faults.fired["order_not_found"]) == (1, 2)


async def test_a_partial_fill_expires_the_other_leg_and_the_rest_cancels_alone(
    binance_emu: BinanceEmulator,
) -> None:
    binance_emu.set_balance("BTC", "0.1")
    async with client(binance_emu) as ex:
        reply = await ex.private_post_orderlist_oco(sell_oco("12"))
        binance_emu.fill_order("tp-12", "0.004")
        partial = await ex.fetch_balance()
        rest = await ex.cancel_order(None, "BTC/USDT", params={"origClientOrderId": "tp-12"})
        done = await ex.fetch_balance()
    assert binance_emu.orders["sl-12"].status == "EXPIRED"
    assert binance_emu.order_list("oco-12").order_status == "ALL_DONE"
    assert (partial["BTC"]["used"], partial["BTC"]["free"]) == (0.006, 0.09)
    # the list is done, so the remaining leg cancels as a single order (with its list id)
    assert (rest["status"], rest["filled"]) == ("canceled", 0.004)
    assert rest["info"]["origClientOrderId"] == "tp-12"
    assert rest["info"]["orderListId"] == reply["orderListId"]
    assert (done["BTC"]["used"], done["BTC"]["total"]) == (0.0, 0.096)
