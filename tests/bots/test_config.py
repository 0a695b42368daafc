"""Bot configs: validation names the field; mappings round-trip through the journal's JSON."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.bots.config import BotConfig
from app.engine.domain.errors import ValidationError
from app.engine.sizing import SizingMode
from tests.bots.conftest import bot
from tests.bots.strategies import resolve

SYMBOLS = {"BTC/USD", "ETH/USD"}


def build(**kw: Any) -> BotConfig:
    return BotConfig.from_mapping(bot("c1", **kw), resolve=resolve, symbols=SYMBOLS)


def test_round_trip() -> None:
    config = build(
        strategy="every_n",
        params={"hold": "4"},
        symbols=["BTC/USD", "ETH/USD"],
        timeframe="15m",
        sizing={"mode": "risk_pct", "value": "0.5"},
        stop_loss_pct="1.5",
        take_profit_pct="3",
        limits={"max_position_notional": "5000", "max_orders_per_hour": "20"},
    )
    assert config.params == {"hold": 4, "warm": 3}
    assert config.sizing.mode is SizingMode.RISK_PCT
    assert config.limits.max_orders_per_hour == 20 and config.limits.max_daily_loss is None
    again = BotConfig.from_mapping(config.to_mapping(), resolve=resolve, symbols=SYMBOLS)
    assert again == config
    assert config.source == "bot:c1"
    assert config.stop_loss_pct == Decimal("1.5")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "has space"}, "id"),
        ({"id": "waytoolongname13"}, "id"),
        ({"id": ""}, "id"),
        ({"strategy": "nope"}, "strategy"),
        ({"strategy": ""}, "strategy"),
        ({"symbols": []}, "symbols"),
        ({"symbols": ["XRP/USD"]}, "symbols"),
        ({"symbols": ["BTC/USD", "BTC/USD"]}, "symbols"),
        ({"timeframe": "7m"}, "timeframe"),
        ({"params": {"warm": 9999}}, "params.warm"),
        ({"params": {"bogus": 1}}, "params.bogus"),
        ({"params": {"warm": "x"}}, "params.warm"),
        ({"sizing": {"mode": "martingale", "value": "1"}}, "sizing"),
        ({"sizing": {"mode": "fixed_qty", "value": "-1"}}, "sizing value"),
        ({"sizing": {"mode": "pct_equity", "value": "150"}}, "sizing value"),
        ({"stop_loss_pct": "0"}, "stop_loss_pct"),
        ({"take_profit_pct": "100"}, "take_profit_pct"),
        ({"take_profit_pct": "abc"}, "take_profit_pct"),
        ({"limits": {"max_position_notional": "-5"}}, "max_position_notional"),
        ({"limits": {"max_orders_per_hour": "1.5"}}, "max_orders_per_hour"),
        ({"limits": {"max_daily_loss": "0"}}, "max_daily_loss"),
        ({"name": "x" * 61}, "name"),
    ],
)
def test_bad_configs_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        build(**change)
    assert err.value.field == field, str(err.value)
