"""The risk gate on its own: every rule names the field at fault and the rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.engine.domain.events import TradingState
from app.engine.domain.fills import Fill, Liquidity
from app.engine.domain.orders import OrderRequest, OrderSide, OrderType
from app.engine.portfolio import Portfolio
from app.engine.reservations import Reservations
from app.engine.risk import RiskDenied, RiskGate
from app.engine.risk_limits import RiskLimits
from tests.engine.harness import BTC, SPY


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000_000_000

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def gate() -> RiskGate:
    pf = Portfolio({"BTC/USD": BTC, "SPY": SPY})
    pf.deposit("USD", Decimal("10000"))
    pf.mark("BTC/USD", Decimal("100"))
    pf.mark("SPY", Decimal("50"))
    reservations = Reservations(pf.instruments, pf.last_prices.get)
    return RiskGate(pf.instruments, pf, reservations.reserved, Clock(), limits=RiskLimits())


def buy(qty: object = "1", **kw: object) -> OrderRequest:
    base: dict[str, object] = {
        "symbol": "BTC/USD",
        "side": OrderSide.BUY,
        "type": OrderType.MARKET,
        "quantity": qty,
    }
    base.update(kw)
    return OrderRequest(**base)  # type: ignore[arg-type]


def denied(gate: RiskGate, req: OrderRequest) -> RiskDenied:
    with pytest.raises(RiskDenied) as err:
        gate.check(req)
    return err.value


@pytest.mark.parametrize(
    ("qty", "rule"),
    [
        ("0", "greater than 0"),
        ("-1", "greater than 0"),
        ("NaN", "finite"),
        ("inf", "finite"),
        ("ten", "must be a number"),
        ("0.00001", "too many decimals"),
    ],
)
def test_bad_quantities(gate: RiskGate, qty: str, rule: str) -> None:
    err = denied(gate, buy(qty))
    assert err.field == "quantity" and rule in err.rule


def test_unknown_symbol(gate: RiskGate) -> None:
    err = denied(gate, buy(symbol="DOGE/USD"))
    assert err.field == "symbol" and "unknown symbol" in err.rule


def test_price_band_fat_finger(gate: RiskGate) -> None:
    err = denied(gate, buy(type=OrderType.LIMIT, price="110"))
    assert err.field == "price" and "price band is 5%" in err.rule
    assert gate.check(buy(type=OrderType.LIMIT, price="99.50")).price == Decimal("99.50")


def test_limit_needs_price_and_market_refuses_one(gate: RiskGate) -> None:
    assert denied(gate, buy(type=OrderType.LIMIT)).field == "price"
    assert denied(gate, buy(price="100")).field == "price"
    assert denied(gate, buy(type=OrderType.STOP_MARKET)).field == "trigger_price"


def test_min_notional_and_max_order(gate: RiskGate) -> None:
    assert "minimum notional" in denied(gate, buy("0.01")).rule
    gate.limits = RiskLimits(max_order_notional=Decimal("500"))
    assert "max order notional" in denied(gate, buy("6")).rule
    gate.limits = RiskLimits(max_order_qty=Decimal("2"))
    assert "max order quantity" in denied(gate, buy("3")).rule


def test_balance_and_spot_short(gate: RiskGate) -> None:
    err = denied(gate, buy("100"))
    assert err.field == "quantity" and "insufficient USD" in err.rule
    err = denied(gate, buy(side=OrderSide.SELL))
    assert "cannot sell what it does not hold" in err.rule


def test_position_limits(gate: RiskGate) -> None:
    gate.limits = RiskLimits(max_position_notional=Decimal("300"))
    assert "max position notional" in denied(gate, buy("4")).rule
    gate.limits = RiskLimits(max_open_positions=1)
    fill = Fill(
        "paper",
        "t",
        "c",
        None,
        "SPY",
        OrderSide.BUY,
        Decimal(1),
        Decimal(50),
        Decimal(0),
        "USD",
        Liquidity.TAKER,
        1,
        "manual",
    )
    gate.portfolio.apply_fill(fill)
    assert "open positions" in denied(gate, buy()).rule


def test_rate_limit(gate: RiskGate) -> None:
    gate.limits = RiskLimits(max_orders_per_minute=2, duplicate_window_s=Decimal("0.000000001"))
    clock = gate.clock
    assert isinstance(clock, Clock)
    gate.check(buy("1"))
    gate.check(buy("2"))
    assert denied(gate, buy("3")).field == "rate"
    clock.now += 61_000_000_000
    gate.check(buy("3"))


def test_duplicate_manual_order_needs_confirmation(gate: RiskGate) -> None:
    gate.check(buy())
    err = denied(gate, buy())
    assert err.needs_confirmation and err.field == "confirm"
    gate.check(buy(confirmed=True))
    gate.check(buy(source="bot:b1"))  # bots are not second-guessed
    clock = gate.clock
    assert isinstance(clock, Clock)
    clock.now += 4_000_000_000
    gate.check(buy())


def test_trading_states(gate: RiskGate) -> None:
    gate.state = TradingState.HALTED
    assert "HALTED" in denied(gate, buy()).rule
    gate.state = TradingState.REDUCING
    assert "REDUCING" in denied(gate, buy()).rule
    fill = Fill(
        "paper",
        "t",
        "c",
        None,
        "BTC/USD",
        OrderSide.BUY,
        Decimal(2),
        Decimal(100),
        Decimal(0),
        "USD",
        Liquidity.TAKER,
        1,
        "manual",
    )
    gate.portfolio.apply_fill(fill)
    assert gate.check(buy("1", side=OrderSide.SELL)).quantity == Decimal(1)
    err = denied(gate, buy("1", side=OrderSide.BUY, reduce_only=True))
    assert "reduce-only" in err.rule


def test_limits_from_settings_name_the_field() -> None:
    with pytest.raises(Exception, match="max_open_positions: must be a whole number"):
        RiskLimits.from_mapping({"max_open_positions": "two"})
    with pytest.raises(Exception, match="price_band_pct: must be greater than 0"):
        RiskLimits.from_mapping({"price_band_pct": "-1"})
    with pytest.raises(Exception, match="max_order_notionl: is not a risk limit"):
        RiskLimits.from_mapping({"max_order_notionl": "5"})
    limits = RiskLimits.from_mapping({"price_band_pct": "2.5", "daily_loss_limit": None})
    assert limits.price_band_pct == Decimal("2.5") and limits.daily_loss_limit is None


def test_preview_remembers_nothing(gate: RiskGate) -> None:
    gate.limits = RiskLimits(max_orders_per_minute=1)
    for _ in range(3):
        gate.check(buy(), record=False)  # a ticket previewing the same order again and again
    gate.check(buy())  # the real send is neither a duplicate nor over the rate
    assert denied(gate, buy("2")).field == "rate"
