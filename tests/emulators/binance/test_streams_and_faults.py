"""The Binance emulator's streams, user data and fault switches, seen through REAL ccxt.pro."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from ccxt.base import errors as cx

from tests.emulators.binance import BinanceEmulator, fixtures
from tests.emulators.binance.ccxt_client import ccxt_client as client

binance_emu = fixtures.binance_emu  # the shared fixture, as other suites use it

WAIT = 5.0


async def seen_order(ex: Any, client_id: str) -> None:
    while not any(o["clientOrderId"] == client_id for o in await ex.watch_orders()):
        pass


# ---- streams (ccxt.pro) ----------------------------------------------------------------------
async def test_watch_ticker_trades_and_ohlcv_follow_set_price(
    binance_emu: BinanceEmulator,
) -> None:
    async with client(binance_emu, pro=True) as ex:
        ticker = asyncio.create_task(ex.watch_ticker("BTC/USDT"))
        trades = asyncio.create_task(ex.watch_trades("BTC/USDT"))
        candles = asyncio.create_task(ex.watch_ohlcv("BTC/USDT", "1m"))
        for stream in ("btcusdt@miniTicker", "btcusdt@trade", "btcusdt@kline_1m"):
            await binance_emu.wait_for_stream(stream)
        binance_emu.set_price("BTC/USDT", "30123.45")
        got_ticker = await asyncio.wait_for(ticker, WAIT)
        got_trades = await asyncio.wait_for(trades, WAIT)
        got_candles = await asyncio.wait_for(candles, WAIT)
    assert got_ticker["symbol"] == "BTC/USDT" and got_ticker["last"] == 30123.45
    assert got_trades[-1]["price"] == 30123.45 and got_trades[-1]["id"]
    assert got_candles[-1][4] == 30123.45


async def test_watch_order_book_syncs_and_recovers_after_a_depth_gap(
    binance_emu: BinanceEmulator,
) -> None:
    async with client(binance_emu, pro=True) as ex:
        book = await asyncio.wait_for(ex.watch_order_book("BTC/USDT"), WAIT)
        assert book["nonce"] == binance_emu.books["BTCUSDT"].last_update_id
        binance_emu.set_price("BTC/USDT", "30200")
        book = await asyncio.wait_for(ex.watch_order_book("BTC/USDT"), WAIT)
        assert book["bids"][0][0] == float(binance_emu.venue.bid("BTCUSDT"))
        assert book["nonce"] == binance_emu.books["BTCUSDT"].last_update_id
        binance_emu.faults.depth_gap()
        binance_emu.set_price("BTC/USDT", "30300")
        with pytest.raises(cx.ChecksumError):
            await asyncio.wait_for(ex.watch_order_book("BTC/USDT"), WAIT)
        recovered = await asyncio.wait_for(ex.watch_order_book("BTC/USDT"), WAIT)
    assert recovered["asks"][0][0] == float(binance_emu.venue.ask("BTCUSDT"))
    assert binance_emu.faults.fired["depth_gap"] == 1


async def test_watch_orders_and_my_trades_receive_a_fill(binance_emu: BinanceEmulator) -> None:
    async with client(binance_emu, pro=True) as ex:
        await ex.create_order(
            "BTC/USDT", "limit", "buy", 0.01, 29000, params={"clientOrderId": "ws-1"}
        )
        orders = asyncio.create_task(ex.watch_orders("BTC/USDT"))
        await binance_emu.wait_for_user_stream()
        my_trades = asyncio.create_task(ex.watch_my_trades("BTC/USDT"))
        balance = asyncio.create_task(ex.watch_balance())
        await asyncio.sleep(0)  # let both watchers register before the fill
        binance_emu.set_price("BTC/USDT", "28950")
        got_orders = await asyncio.wait_for(orders, WAIT)
        got_trades = await asyncio.wait_for(my_trades, WAIT)
        got_balance = await asyncio.wait_for(balance, WAIT)
        web_id = binance_emu.place_web_order("BTC/USDT", "SELL", "LIMIT", "0.01", "31000")
        await asyncio.wait_for(seen_order(ex, web_id), WAIT)
        canceled_on_web = asyncio.create_task(ex.watch_orders("BTC/USDT"))
        await asyncio.sleep(0)
        binance_emu.cancel_order(web_id)
        got_cancel = await asyncio.wait_for(canceled_on_web, WAIT)
    assert (got_cancel[-1]["clientOrderId"], got_cancel[-1]["status"]) == (web_id, "canceled")
    fill = binance_emu.trades[-1]
    assert got_orders[-1]["clientOrderId"] == "ws-1" and got_orders[-1]["status"] == "closed"
    assert got_trades[-1]["id"] == str(fill.trade_id)
    assert got_trades[-1]["fee"]["cost"] == float(fill.commission)
    assert got_trades[-1]["takerOrMaker"] == "maker"
    assert got_balance["BTC"]["free"] == 0.01


async def test_ws_api_refuses_a_bad_signature(binance_emu: BinanceEmulator) -> None:
    async with client(binance_emu, pro=True, secret="not-the-secret") as ex:
        # ccxt 4.5.90 turns the -1022 reply into AuthenticationError, then its own cleanup
        # deletes the subscription twice and KeyError('spot') escapes instead (a ccxt bug)
        with pytest.raises((cx.AuthenticationError, KeyError)):
            await asyncio.wait_for(ex.watch_orders(), WAIT)
    assert binance_emu.hub.user_listeners() == 0


async def test_listen_key_stream_and_combined_streams_by_hand(
    binance_emu: BinanceEmulator,
) -> None:
    headers = {"X-MBX-APIKEY": binance_emu.api_key}
    async with aiohttp.ClientSession() as http:
        async with http.post(
            binance_emu.rest_url + "/api/v3/userDataStream", headers=headers
        ) as resp:
            key = (await resp.json())["listenKey"]
        user = await http.ws_connect(f"{binance_emu.ws_url}/ws/{key}")
        combined = await http.ws_connect(binance_emu.ws_url + "/stream?streams=btcusdt@trade")
        await binance_emu.wait_for_user_stream()
        await binance_emu.wait_for_stream("btcusdt@trade")
        client_id = binance_emu.place_web_order("BTC/USDT", "BUY", "MARKET", "0.01")
        events = [await user.receive_json(timeout=WAIT) for _ in range(3)]
        binance_emu.set_price("BTC/USDT", "30001")
        wrapped = await combined.receive_json(timeout=WAIT)
        await combined.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@nope"], "id": 9})
        while "id" not in (reply := await combined.receive_json(timeout=WAIT)):
            pass
        await user.close()
        await combined.close()
    kinds = [(e["e"], e.get("x")) for e in events]
    assert kinds == [
        ("executionReport", "NEW"),
        ("executionReport", "TRADE"),
        ("outboundAccountPosition", None),
    ]
    assert {b["a"] for b in events[2]["B"]} == {"BTC", "USDT"}
    assert events[1]["c"] == client_id and events[1]["t"] > 0 and events[1]["N"] == "USDT"
    assert wrapped["stream"] == "btcusdt@trade" and wrapped["data"]["e"] == "trade"
    assert reply["id"] == 9 and reply["error"]["code"] == 2


# ---- faults seen through ccxt -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (429, cx.DDoSProtection),
        (418, cx.DDoSProtection),
        (500, cx.ExchangeNotAvailable),
        (502, cx.ExchangeNotAvailable),
        (503, cx.ExchangeNotAvailable),
        (504, cx.RequestTimeout),
    ],
)
async def test_http_faults_raise_the_documented_ccxt_errors(
    binance_emu: BinanceEmulator, status: int, expected: type[Exception]
) -> None:
    async with client(binance_emu) as ex:
        if status in (418, 429):
            binance_emu.faults.rate_limit(
                status=status, retry_after_s=1, times=2, paths=["GET /api/v3/ticker/24hr"]
            )
        else:
            binance_emu.faults.server_error(status=status, times=2, paths=["/api/v3/ticker/24hr"])
        for _ in range(2):
            with pytest.raises(expected):
                await ex.fetch_ticker("BTC/USDT")
        assert (await ex.fetch_ticker("BTC/USDT"))["last"] == 30000.0
    name = "rate_limit" if status in (418, 429) else "server_error"
    assert binance_emu.faults.fired[name] == 2
    assert binance_emu.request_counts[("GET", "/api/v3/ticker/24hr")] == 3


async def test_lost_replies_leave_the_order_booked(binance_emu: BinanceEmulator) -> None:
    faults = binance_emu.faults
    async with client(binance_emu, timeout=1000) as ex:
        faults.drop_reply()
        with pytest.raises(cx.NetworkError) as dropped:
            await ex.create_order(
                "BTC/USDT", "limit", "buy", 0.01, 29000, params={"clientOrderId": "drop-1"}
            )
        faults.delay_reply(1.5)
        with pytest.raises(cx.RequestTimeout):
            await ex.create_order(
                "BTC/USDT", "limit", "buy", 0.01, 29000, params={"clientOrderId": "slow-1"}
            )
        faults.server_error(503, after_processing=True, paths=["POST /api/v3/order"])
        with pytest.raises(cx.ExchangeNotAvailable):
            await ex.create_order(
                "BTC/USDT", "limit", "buy", 0.01, 29000, params={"clientOrderId": "503-1"}
            )
        found = [
            await ex.fetch_order(None, "BTC/USDT", params={"origClientOrderId": cid})
            for cid in ("drop-1", "slow-1", "503-1")
        ]
    assert isinstance(dropped.value, cx.ExchangeNotAvailable)
    assert [o["status"] for o in found] == ["open", "open", "open"]
    assert (faults.fired["drop_reply"], faults.fired["delay_reply"]) == (1, 1)


async def test_order_not_found_for_a_while_after_acceptance(
    binance_emu: BinanceEmulator,
) -> None:
    binance_emu.faults.order_not_found_for(1.0)
    async with client(binance_emu) as ex:
        await ex.create_order(
            "BTC/USDT", "limit", "buy", 0.01, 29000, params={"clientOrderId": "ghost"}
        )
        with pytest.raises(cx.OrderNotFound):
            await ex.fetch_order(None, "BTC/USDT", params={"origClientOrderId": "ghost"})
        assert [o["clientOrderId"] for o in await ex.fetch_open_orders("BTC/USDT")] == ["ghost"]
        await asyncio.sleep(1.05)
        found = await ex.fetch_order(None, "BTC/USDT", params={"origClientOrderId": "ghost"})
    assert found["status"] == "open"
    assert binance_emu.faults.fired["order_not_found"] == 1


async def test_silent_feed_keeps_the_socket_open_but_sends_nothing(
    binance_emu: BinanceEmulator,
) -> None:
    async with client(binance_emu, pro=True) as ex:
        trades = asyncio.create_task(ex.watch_trades("BTC/USDT"))
        await binance_emu.wait_for_stream("btcusdt@trade")
        binance_emu.faults.silent_feed(["BTC/USDT"])
        binance_emu.set_price("BTC/USDT", "30100")
        done, _ = await asyncio.wait({trades}, timeout=0.2)
        assert not done and binance_emu.hub.subscribed("btcusdt@trade")
        binance_emu.faults.clear()
        binance_emu.set_price("BTC/USDT", "30200")
        got = await asyncio.wait_for(trades, WAIT)
    assert [t["price"] for t in got] == [30200.0]


async def test_close_ws_drops_every_socket_and_ccxt_reconnects(
    binance_emu: BinanceEmulator,
) -> None:
    async with client(binance_emu, pro=True) as ex:
        trades = asyncio.create_task(ex.watch_trades("BTC/USDT"))
        orders = asyncio.create_task(ex.watch_orders())
        await binance_emu.wait_for_stream("btcusdt@trade")
        await binance_emu.wait_for_user_stream()
        binance_emu.faults.close_ws(code=1006)
        for task in (trades, orders):
            with pytest.raises(cx.NetworkError, match="1006"):
                await asyncio.wait_for(task, WAIT)
        again = asyncio.create_task(ex.watch_trades("BTC/USDT"))
        orders_again = asyncio.create_task(ex.watch_orders())
        await binance_emu.wait_for_stream("btcusdt@trade")
        await binance_emu.wait_for_user_stream()
        binance_emu.set_price("BTC/USDT", "30300")
        got = await asyncio.wait_for(again, WAIT)
        client_id = binance_emu.place_web_order("BTC/USDT", "BUY", "MARKET", "0.001")
        got_orders = await asyncio.wait_for(orders_again, WAIT)
    assert got[-1]["price"] == 30300.0 and binance_emu.faults.fired["close_ws"] == 1
    assert got_orders[-1]["clientOrderId"] == client_id


async def test_every_market_stream_kind_and_unsubscribe(binance_emu: BinanceEmulator) -> None:
    names = [
        "btcusdt@aggTrade",
        "btcusdt@bookTicker",
        "btcusdt@depth5@100ms",
        "btcusdt@ticker",
        "btcusdt@depth",
    ]
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(binance_emu.ws_url + "/ws")
        await ws.send_json({"method": "SUBSCRIBE", "params": names, "id": 1})
        assert await ws.receive_json(timeout=WAIT) == {"result": None, "id": 1}
        binance_emu.set_price("BTC/USDT", "30010")
        got = [await ws.receive_json(timeout=WAIT) for _ in names]
        await ws.send_json({"method": "UNSUBSCRIBE", "params": names, "id": 2})
        assert await ws.receive_json(timeout=WAIT) == {"result": None, "id": 2}
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 3})
        listed = await ws.receive_json(timeout=WAIT)
        await ws.close()
    kinds = sorted(m.get("e", "partial" if "lastUpdateId" in m else "book") for m in got)
    assert kinds == ["24hrTicker", "aggTrade", "book", "depthUpdate", "partial"]
    partial = next(m for m in got if "lastUpdateId" in m)
    assert len(partial["bids"]) == 5 and partial["lastUpdateId"] > 0
    assert listed == {"result": [], "id": 3}


async def test_full_ticker_and_bids_asks_through_ccxt_pro(binance_emu: BinanceEmulator) -> None:
    async with client(binance_emu, pro=True) as ex:
        ticker = asyncio.create_task(ex.watch_ticker("BTC/USDT", params={"name": "ticker"}))
        bids_asks = asyncio.create_task(ex.watch_bids_asks(["BTC/USDT"]))
        await binance_emu.wait_for_stream("btcusdt@ticker")
        await binance_emu.wait_for_stream("btcusdt@bookTicker")
        binance_emu.set_price("BTC/USDT", "30050")
        got = await asyncio.wait_for(ticker, WAIT)
        top = await asyncio.wait_for(bids_asks, WAIT)
    assert got["bid"] == float(binance_emu.venue.bid("BTCUSDT")) and got["last"] == 30050.0
    assert top["BTC/USDT"]["ask"] == float(binance_emu.venue.ask("BTCUSDT"))
