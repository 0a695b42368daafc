"""The ticket's Qt-free form logic: notional sizing, brackets, reference prices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.engine.domain.errors import ValidationError
from app.engine.domain.instruments import Instrument
from app.engine.domain.orders import OrderSide, OrderType, TimeInForce
from app.ui.ticket.form import (
    TicketForm,
    build_request,
    describe,
    reference_price,
    slot_of,
)

BTC = Instrument(
    "BTC/USD", "demo", "BTC", "USD", Decimal("0.01"), Decimal("0.0001"), Decimal("0.0001")
)


def form(**changes: object) -> TicketForm:
    values: dict[str, object] = {
        "symbol": "BTC/USD",
        "type": OrderType.MARKET,
        "size": "0.5",
        "by_notional": False,
        "price": "",
        "trigger_price": "",
        "tif": TimeInForce.GTC,
    }
    values.update(changes)
    return TicketForm(**values)  # type: ignore[arg-type]


def test_quantity_is_passed_as_typed_for_the_gate_to_judge() -> None:
    req = build_request(form(size="abc"), OrderSide.BUY, BTC, Decimal(100))
    assert req.quantity == "abc" and req.price is None and req.bracket is None


def test_notional_rounds_down_to_whole_lots() -> None:
    req = build_request(form(size="1000", by_notional=True), OrderSide.BUY, BTC, Decimal(30001))
    assert req.quantity == Decimal("0.0333")  # 0.03333... rounded down, never more than asked
    with pytest.raises(ValidationError, match="less than one lot") as exc:
        build_request(form(size="1", by_notional=True), OrderSide.BUY, BTC, Decimal(30000))
    assert exc.value.field == "quantity"
    with pytest.raises(ValidationError, match="no price"):
        build_request(form(size="1000", by_notional=True), OrderSide.BUY, BTC, None)
    with pytest.raises(ValidationError, match="greater than 0"):
        build_request(form(size="-5", by_notional=True), OrderSide.BUY, BTC, Decimal(1))


def test_brackets_as_prices_or_percent() -> None:
    f = form(stop_loss="2", stop_loss_is_pct=True, take_profit="31000", trailing_pct="1")
    bracket = build_request(f, OrderSide.BUY, BTC, Decimal(30000)).bracket
    assert bracket is not None
    assert bracket.stop_loss_pct == Decimal(2) and bracket.stop_loss is None
    assert bracket.take_profit == Decimal(31000) and bracket.trailing_pct == Decimal(1)
    with pytest.raises(ValidationError) as exc:
        build_request(form(take_profit="x", take_profit_is_pct=True), OrderSide.BUY, BTC, None)
    assert slot_of(exc.value.field) == "take_profit"


def test_prices_only_for_the_types_that_take_them() -> None:
    f = form(type=OrderType.STOP_LIMIT, price="100", trigger_price="99")
    req = build_request(f, OrderSide.SELL, BTC, None)
    assert (req.price, req.trigger_price) == ("100", "99")
    assert describe(req) == "SELL 0.5 BTC/USD stop_limit @ 100 trigger 99"
    req = build_request(form(price="100", trigger_price="99"), OrderSide.SELL, BTC, None)
    assert req.price is None and req.trigger_price is None  # disabled fields are ignored


def test_unknown_symbol_is_named() -> None:
    with pytest.raises(ValidationError, match="unknown symbol XYZ") as exc:
        build_request(form(symbol="XYZ"), OrderSide.BUY, None, None)
    assert slot_of(exc.value.field) == "symbol"
    assert slot_of("trading") == slot_of("rate") == slot_of("confirm") == "general"


def test_reference_price_by_type_and_side() -> None:
    last, bid, ask = Decimal(100), Decimal(99), Decimal(101)
    assert reference_price(form(), OrderSide.BUY, last, bid, ask) == ask
    assert reference_price(form(), OrderSide.SELL, last, bid, ask) == bid
    assert reference_price(form(), OrderSide.SELL, last, None, None) == last
    limit = form(type=OrderType.LIMIT, price="95")
    assert reference_price(limit, OrderSide.BUY, last, bid, ask) == Decimal(95)
    assert (
        reference_price(form(type=OrderType.LIMIT, price="x"), OrderSide.BUY, last, bid, ask)
        is None
    )
