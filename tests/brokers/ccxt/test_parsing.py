"""ccxt dicts (from Binance's documented bodies through ccxt's own parser) -> domain objects."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ccxt.base.decimal_to_precision import DECIMAL_PLACES, TICK_SIZE

from app.brokers.ccxt import parsing
from app.engine.domain.errors import ValidationError
from app.engine.domain.fills import Liquidity
from app.engine.domain.market import Timeframe
from app.engine.domain.orders import OrderSide, OrderStatus, OrderType

from .shapes import example, parser


@pytest.fixture(scope="module")
def exchange():  # type: ignore[no-untyped-def]
    return parser()


@pytest.fixture(scope="module")
def ethbtc(exchange):  # type: ignore[no-untyped-def]
    return parsing.instrument_from_market(exchange.market("ETH/BTC"), "binance", TICK_SIZE)


def test_market_becomes_instrument_from_binance_filters(ethbtc) -> None:  # type: ignore[no-untyped-def]
    assert ethbtc.symbol == "ETH/BTC" and ethbtc.venue == "binance"
    assert (ethbtc.base, ethbtc.quote) == ("ETH", "BTC")
    assert ethbtc.tick_size == Decimal("0.000001")
    assert ethbtc.lot_size == Decimal("0.001")
    assert ethbtc.min_qty == Decimal("0.001")
    assert ethbtc.max_qty == Decimal("100000")
    assert ethbtc.min_notional == Decimal("0.0001")
    assert ethbtc.maker_fee == Decimal("0.001") and ethbtc.taker_fee == Decimal("0.001")


def test_market_without_raw_filters_uses_ccxt_precision_in_both_modes() -> None:
    market = {
        "symbol": "SOL/USDC",
        "base": "SOL",
        "quote": "USDC",
        "precision": {"price": 0.001, "amount": 0.01},
        "limits": {"amount": {"min": 0.05, "max": None}, "cost": {"min": 1.0}},
        "maker": 0.0002,
        "taker": 0.0006,
        "info": {},
    }
    tick = parsing.instrument_from_market(market, "x", TICK_SIZE)
    assert (tick.tick_size, tick.lot_size) == (Decimal("0.001"), Decimal("0.01"))
    assert (tick.min_qty, tick.min_notional, tick.max_qty) == (Decimal("0.05"), Decimal(1), None)
    assert (tick.maker_fee, tick.taker_fee) == (Decimal("0.0002"), Decimal("0.0006"))
    places = dict(market, precision={"price": 3, "amount": 2})
    digits = parsing.instrument_from_market(places, "x", DECIMAL_PLACES)
    assert (digits.tick_size, digits.lot_size) == (Decimal("0.001"), Decimal("0.01"))


def test_market_with_no_usable_precision_is_refused_naming_the_field() -> None:
    market = {"symbol": "A/B", "precision": {"price": None, "amount": 1}, "info": {}}
    with pytest.raises(ValidationError) as err:
        parsing.instrument_from_market(market, "x", TICK_SIZE)
    assert err.value.field == "A/B.precision.price"


def test_full_order_reply_becomes_state_and_fills(exchange, ethbtc) -> None:  # type: ignore[no-untyped-def]
    raw = dict(example("rest_new_order_ACK_RESULT_FULL", 2), symbol="ETHBTC")
    order = exchange.parse_order(raw)
    state = parsing.order_state(order, ethbtc)
    assert state.client_id == "6gCrw2kRUAF9CvJDGP16IP"
    assert state.venue_order_id == "28"
    assert state.status is OrderStatus.FILLED
    assert state.filled_qty == Decimal("10.000")
    first = dict(order["trades"][0], order="28", side="sell", timestamp=1507725176595)
    fill = parsing.fill_from_trade(first, "binance", ethbtc, "6gCrw2kRUAF9CvJDGP16IP")
    assert fill.trade_id == "56" and fill.venue_order_id == "28"
    assert fill.price == Decimal("4000.000000") and fill.quantity == Decimal("1.000")
    assert fill.fee == Decimal(4) and fill.fee_currency == "USDT"
    assert fill.side is OrderSide.SELL and fill.liquidity is Liquidity.TAKER
    assert fill.ts == 1507725176595 * 1_000_000


def test_query_order_statuses_map_including_partial_fill(exchange, ethbtc) -> None:  # type: ignore[no-untyped-def]
    raw = dict(example("rest_query_order"), symbol="ETHBTC")
    resting = parsing.order_state(exchange.parse_order(raw), ethbtc)
    assert resting.status is OrderStatus.ACCEPTED
    # what an order placed elsewhere is, for adopting it
    assert (resting.symbol, resting.side, resting.type) == (
        "ETH/BTC",
        OrderSide.BUY,
        OrderType.LIMIT,
    )
    assert (resting.quantity, resting.price, resting.trigger_price) == (
        Decimal("1.000"),
        Decimal("0.100000"),
        None,
    )
    stop = parsing.order_state(
        exchange.parse_order(dict(raw, type="STOP_LOSS_LIMIT", stopPrice="0.09")), ethbtc
    )
    assert stop.type is OrderType.STOP_LIMIT and stop.trigger_price == Decimal("0.090000")
    stop_market = exchange.parse_order(dict(raw, type="STOP_LOSS", stopPrice="0.09"))
    stop_state = parsing.order_state(stop_market, ethbtc)
    assert stop_state.type is OrderType.STOP_MARKET and stop_state.price is None
    partial = dict(raw, status="PARTIALLY_FILLED", executedQty="0.4")
    state = parsing.order_state(exchange.parse_order(partial), ethbtc)
    assert state.status is OrderStatus.PARTIALLY_FILLED and state.filled_qty == Decimal("0.400")
    for binance, ours in (
        ("CANCELED", OrderStatus.CANCELED),
        ("EXPIRED", OrderStatus.EXPIRED),
        ("REJECTED", OrderStatus.REJECTED),
        ("FILLED", OrderStatus.FILLED),
    ):
        parsed = exchange.parse_order(dict(raw, status=binance))
        assert parsing.order_state(parsed, ethbtc).status is ours


def test_unknown_status_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        parsing.order_status({"status": "weird"})
    assert err.value.field == "order.status"


def test_my_trade_becomes_fill_with_fee_and_maker_flag(exchange, ethbtc) -> None:  # type: ignore[no-untyped-def]
    raw = dict(example("rest_my_trades")[0], symbol="ETHBTC")
    trade = exchange.parse_trade(raw)
    fill = parsing.fill_from_trade(trade, "binance", ethbtc, "")
    assert (fill.trade_id, fill.venue_order_id, fill.client_id) == ("28457", "100234", "")
    assert fill.price == Decimal("4.000001") and fill.quantity == Decimal("12.000")
    assert fill.fee == Decimal("10.1") and fill.fee_currency == "BNB"
    assert fill.side is OrderSide.BUY and fill.liquidity is Liquidity.TAKER
    maker = exchange.parse_trade(dict(raw, isMaker=True))
    assert parsing.fill_from_trade(maker, "binance", ethbtc, "").liquidity is Liquidity.MAKER


def test_floats_are_read_through_str_and_rounded_to_tick_and_lot(ethbtc) -> None:  # type: ignore[no-untyped-def]
    trade = {
        "id": "1",
        "symbol": "ETH/BTC",
        "side": "buy",
        "price": 0.1 + 0.2,  # 0.30000000000000004
        "amount": 1.0000000001,
        "timestamp": 1,
        "fee": {"cost": 0.1, "currency": "BTC"},
    }
    fill = parsing.fill_from_trade(trade, "v", ethbtc, "c")
    assert fill.price == Decimal("0.300000") and str(fill.price) == "0.300000"
    assert fill.quantity == Decimal("1.000") and fill.fee == Decimal("0.1")


def test_trade_without_id_is_refused(ethbtc) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as err:
        parsing.fill_from_trade({"symbol": "ETH/BTC", "price": 1}, "v", ethbtc, "")
    assert err.value.field == "trade.id"


def test_book_ticker_becomes_quote(exchange, ethbtc) -> None:  # type: ignore[no-untyped-def]
    raw = dict(example("rest_bookTicker", 0), symbol="ETHBTC")
    ticker = exchange.parse_ticker(raw)
    quote = parsing.quote_from_ticker(ticker, ethbtc)
    assert quote is not None
    assert (quote.bid, quote.ask) == (Decimal("4.000000"), Decimal("4.000002"))
    assert (quote.bid_size, quote.ask_size) == (Decimal("431.000"), Decimal("9.000"))
    assert parsing.quote_from_ticker({"symbol": "ETH/BTC", "bid": None, "ask": 1}, ethbtc) is None


def test_public_trade_becomes_trade_tick(exchange, ethbtc) -> None:  # type: ignore[no-untyped-def]
    raw = example("rest_trades")[0]
    trade = exchange.parse_trade(raw, exchange.market("ETH/BTC"))
    tick = parsing.trade_tick(trade, ethbtc)
    assert tick.symbol == "ETH/BTC"
    assert tick.price == Decimal(str(trade["price"])).quantize(Decimal("0.000001"))
    assert tick.ts == trade["timestamp"] * 1_000_000


def test_kline_becomes_bar(exchange, ethbtc) -> None:  # type: ignore[no-untyped-def]
    row = exchange.parse_ohlcv(example("rest_klines")[0])
    bar = parsing.bar_from_ohlcv(row, "ETH/BTC", Timeframe.M1, ethbtc, closed=False)
    assert bar.ts == 1499040000000 * 1_000_000 and not bar.closed
    assert (bar.open, bar.high, bar.low, bar.close) == (
        Decimal("0.016348"),
        Decimal("0.800000"),
        Decimal("0.015758"),
        Decimal("0.015771"),
    )
    assert bar.volume == Decimal("148976.114")


def test_balances_keep_non_zero_totals(exchange) -> None:  # type: ignore[no-untyped-def]
    raw = example("rest_account")
    raw["balances"].append({"asset": "XRP", "free": "0.00000000", "locked": "0.00000000"})
    balance = exchange.parse_balance_custom(raw, "spot")
    totals = parsing.balances_from(balance)
    assert totals == {"BTC": Decimal("4723846.89208129"), "LTC": Decimal("4763368.68006011")}
