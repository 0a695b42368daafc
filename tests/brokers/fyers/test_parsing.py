"""Fyers shapes (/work/shared/data/exchange/fyers) -> domain objects."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from app.brokers.fyers import parsing
from app.engine.domain.errors import ValidationError
from app.engine.domain.instruments import AssetClass
from app.engine.domain.market import QuoteTick, Timeframe, TradeTick
from app.engine.domain.orders import OrderSide, OrderStatus, OrderType
from tests.emulators.fyers.server import SHAPES


def load(name: str) -> Any:
    return json.loads((SHAPES / name).read_text(encoding="utf-8"))


def test_instrument_is_a_whole_share_inr_equity() -> None:
    sbin = parsing.instrument("NSE:SBIN-EQ")
    assert (sbin.base, sbin.quote, sbin.venue) == ("SBIN", "INR", "fyers")
    assert (sbin.tick_size, sbin.lot_size, sbin.min_qty) == (Decimal("0.05"), 1, 1)
    assert sbin.asset_class is AssetClass.EQUITY
    assert parsing.instrument("NSE:IDEA-EQ", Decimal("0.01")).tick_size == Decimal("0.01")


def test_depth_gives_the_touch_and_the_tick_size() -> None:
    body = load("rest/depth_response_success.json")
    assert parsing.tick_size_from_depth(body, "NSE:SBIN-EQ") == Decimal("0.05")
    quote = parsing.quote_from_depth(body, "NSE:SBIN-EQ")
    assert quote == QuoteTick(
        "NSE:SBIN-EQ",
        Decimal("427.25"),
        Decimal("427.4"),
        Decimal(4738),
        Decimal(2193),
        1622184920 * 10**9,
    )
    with pytest.raises(ValidationError, match="no depth for NSE:IDEA-EQ"):
        parsing.quote_from_depth(body, "NSE:IDEA-EQ")


def test_quotes() -> None:
    [quote] = parsing.quotes_from_rest(load("rest/quotes_response_success.json"))
    assert (quote.symbol, quote.bid, quote.ask, quote.ts) == (
        "NSE:SBIN-EQ",
        Decimal("675.4"),
        Decimal("675.45"),
        1775001600 * 10**9,
    )


@pytest.mark.parametrize(
    "name", ["rest/history_response_success.json", "errors/history_success.json"]
)
def test_history_candles_are_epoch_seconds(name: str) -> None:
    body = load(name)
    bars = parsing.bars_from_history(body, "NSE:SBIN-EQ", Timeframe.D1, now_ns=2 * 10**18)
    first = body["candles"][0]
    assert bars[0].ts == first[0] * 1_000_000_000
    assert (bars[0].open, bars[0].close) == (Decimal(str(first[1])), Decimal(str(first[4])))
    assert all(b.closed for b in bars)
    forming = parsing.bars_from_history(
        body, "NSE:SBIN-EQ", Timeframe.D1, now_ns=first[0] * 10**9 + 10
    )
    assert not forming[0].closed
    assert (
        parsing.resolution_of(Timeframe.M5) == "5" and parsing.resolution_of(Timeframe.D1) == "1D"
    )


def test_orderbook_entry_to_venue_state() -> None:
    [entry] = parsing.orders_from_book(load("rest/orderbook_response_success.json"))
    state = parsing.order_state(entry)
    assert state.status is OrderStatus.FILLED  # status 2: traded
    assert state.venue_order_id == "23030900015105"
    assert state.filled_qty == Decimal(1)
    assert state.client_id == "Ordertag"  # a foreign tag, "1:" prefix dropped
    assert parsing.order_type_of(entry) is OrderType.LIMIT
    # what the order is, so one placed on Fyers' website can be adopted
    assert (state.symbol, state.side, state.type) == (
        "NSE:IDEA-EQ",
        OrderSide.SELL,
        OrderType.LIMIT,
    )
    assert (state.quantity, state.price, state.trigger_price) == (Decimal(1), Decimal("6.95"), None)


@pytest.mark.parametrize(
    ("status", "filled", "expected"),
    [
        (1, 0, OrderStatus.CANCELED),
        (2, 5, OrderStatus.FILLED),
        (4, 0, OrderStatus.ACCEPTED),
        (5, 0, OrderStatus.REJECTED),
        (6, 0, OrderStatus.ACCEPTED),
        (6, 2, OrderStatus.PARTIALLY_FILLED),
        (7, 0, OrderStatus.EXPIRED),
        (90, 5, OrderStatus.FILLED),  # undocumented: the quantities decide
        (90, 0, OrderStatus.ACCEPTED),
    ],
)
def test_status_codes(status: int, filled: int, expected: OrderStatus) -> None:
    assert parsing.status_of({"status": status, "qty": 5, "filledQty": filled}) is expected


def test_rejected_state_carries_the_reason() -> None:
    entry = {"id": "1", "status": 5, "qty": 1, "filledQty": 0, "message": "RMS: no margin"}
    assert parsing.order_state(entry).reason == "RMS: no margin"


def test_order_socket_trade_to_fill() -> None:
    trade = load("ws/order_event_trade.json")["trades"]
    fill = parsing.fill_from_trade(trade, "tdm-abc-1")
    assert fill.trade_id == "23080400089344-21726639"
    assert fill.venue_order_id == "23080400089344"
    assert (fill.side, fill.quantity, fill.price) == (OrderSide.SELL, Decimal(1), Decimal("7.95"))
    assert fill.client_id == "tdm-abc-1" and fill.fee == 0 and fill.fee_currency == "INR"
    # "04-08-2023 10:12:58" IST is 04:42:58 UTC
    assert fill.ts == 1691124178 * 10**9


def test_rest_times_are_ist() -> None:
    assert parsing.fyers_time_to_ns("09-Mar-2023 09:34:38") == 1678334678 * 10**9
    with pytest.raises(ValidationError, match="orderDateTime"):
        parsing.fyers_time_to_ns("yesterday")


def test_funds_and_positions() -> None:
    funds = parsing.balances_from_funds(load("rest/funds_response_success.json"))
    assert funds == {"INR": Decimal("58.15")}  # 58.150000000000006 rounded to paise
    positions = parsing.net_positions(load("rest/positions_response_success.json"))
    assert positions == {"SILVERMIC20AUGFUT": Decimal(1)}
    with pytest.raises(ValidationError, match="fund_limit"):
        parsing.balances_from_funds({"fund_limit": []})


def test_socket_symbol_update_gives_quote_and_trade() -> None:
    events = parsing.market_events(load("ws/data_event_symbol_update.json"))
    quote, trade = events
    assert isinstance(quote, QuoteTick) and isinstance(trade, TradeTick)
    assert (quote.bid, quote.ask, quote.bid_size, quote.ask_size) == (
        Decimal("606.4"),
        Decimal("606.45"),
        Decimal(2081),
        Decimal(903),
    )
    assert (trade.price, trade.size, trade.ts) == (Decimal("606.4"), Decimal(5), 1690953622 * 10**9)


def test_socket_lite_index_depth_and_control() -> None:
    [lite] = parsing.market_events(load("ws/data_lite_mode_symbol_update.json"))
    assert isinstance(lite, TradeTick) and lite.price == Decimal("500.55")
    [index] = parsing.market_events(load("ws/data_event_index_update.json"))
    assert isinstance(index, TradeTick) and index.size == 0 and index.price == Decimal("26188.1")
    [depth] = parsing.market_events(load("ws/data_event_depth_update.json"))
    assert isinstance(depth, QuoteTick) and depth.bid == Decimal("606.25")
    for control in load("ws/data_event_control.json"):
        assert parsing.market_events(control) == []


def test_values_refuse_garbage() -> None:
    with pytest.raises(ValidationError, match="price"):
        parsing.dec(None, "price")
    with pytest.raises(ValidationError, match="price"):
        parsing.dec("nan", "price")
    with pytest.raises(ValidationError, match="side"):
        parsing.side_of(0)
    with pytest.raises(ValidationError, match="whole number"):
        parsing.whole_shares(Decimal("2.5"))
    assert parsing.whole_shares(Decimal("3.000")) == 3


def test_shares_held_add_past_holdings_and_todays_positions() -> None:
    held = {
        "s": "ok",
        "holdings": [
            {"symbol": "NSE:SBIN-EQ", "quantity": 10, "remainingQuantity": 6},
            {"symbol": "NSE:IDEA-EQ", "quantity": 4, "remainingQuantity": 4},
            {"symbol": "bad"},
        ],
    }
    today = {
        "netPositions": [
            {"symbol": "NSE:SBIN-EQ", "netQty": -4, "productType": "CNC"},  # sold 4 today
            {"symbol": "NSE:IDEA-EQ", "netQty": -4, "productType": "CNC"},  # sold them all
            {"symbol": "NSE:TCS-EQ", "netQty": 2, "productType": "CNC"},
        ]
    }
    assert parsing.holdings(held) == {"SBIN": Decimal(10), "IDEA": Decimal(4)}
    assert parsing.shares_held(held, today) == {"SBIN": Decimal(6), "TCS": Decimal(2)}
