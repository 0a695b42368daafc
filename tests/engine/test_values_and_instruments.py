from __future__ import annotations

from decimal import Decimal

import pytest

from app.engine.domain.errors import ValidationError
from app.engine.domain.instruments import Instrument
from app.engine.domain.values import round_to_step, to_decimal
from tests.engine.harness import BTC


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (0.1, "floats are not accepted"),
        ("NaN", "finite"),
        ("inf", "finite"),
        ("-Infinity", "finite"),
        ("abc", "must be a number"),
        ("", "is required"),
        (True, "not a boolean"),
        (None, "must be a number"),
    ],
)
def test_to_decimal_refuses_bad_values(value: object, rule: str) -> None:
    with pytest.raises(ValidationError) as err:
        to_decimal(value, "quantity")
    assert err.value.field == "quantity"
    assert rule in str(err.value)


def test_rounding_to_tick_and_lot() -> None:
    assert BTC.make_price("100.005") == Decimal("100.01")
    assert BTC.make_qty("0.12349") == Decimal("0.1234")  # down: never more than meant
    assert round_to_step(Decimal("7"), Decimal("5")) == Decimal("5")


@pytest.mark.parametrize(
    ("qty", "rule"),
    [
        ("0", "greater than 0"),
        ("-1", "greater than 0"),
        ("0.00001", "too many decimals"),
        ("0.00005", "too many decimals"),
        ("1e-9", "too many decimals"),
    ],
)
def test_check_qty_names_the_rule(qty: str, rule: str) -> None:
    with pytest.raises(ValidationError) as err:
        BTC.check_qty(qty)
    assert err.value.field == "quantity" and rule in err.value.rule


def test_check_price_and_notional() -> None:
    assert BTC.check_price("100.25") == Decimal("100.25")
    with pytest.raises(ValidationError, match=r"steps of 0\.01"):
        BTC.check_price("100.255")
    with pytest.raises(ValidationError, match="minimum notional"):
        BTC.check_notional(Decimal("0.0001"), Decimal("100"))


def test_instrument_refuses_bad_steps() -> None:
    with pytest.raises(ValidationError, match="tick_size"):
        Instrument("X/USD", "paper", "X", "USD", Decimal(0), Decimal(1), Decimal(1))
