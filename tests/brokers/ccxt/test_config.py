"""CcxtConfig validation names the field at fault and never shows a secret."""

from __future__ import annotations

import pytest

from app.brokers.ccxt.config import CcxtConfig
from app.brokers.retry import Backoff
from app.engine.domain.errors import ValidationError


def test_defaults_and_derived_values() -> None:
    config = CcxtConfig("binance", symbols=["BTC/USDT", "BTC/USDT", "ETH/USDT"])
    assert config.venue == "binance"
    assert config.symbols == ("BTC/USDT", "ETH/USDT")
    assert not config.has_keys and config.key_id == "binance:public"


def test_secrets_never_appear_in_repr_or_key_id() -> None:
    config = CcxtConfig("binance", api_key="AKIAKEY123456", secret="s3cr3t-value", password="pw")
    text = repr(config)
    assert "AKIAKEY" not in text and "s3cr3t" not in text and "pw'" not in text
    assert "3456" not in config.key_id and config.key_id.startswith("binance:")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"exchange_id": "nosuchvenue"}, "exchange_id"),
        ({"venue": "Has Spaces"}, "venue"),
        ({"api_key": "k"}, "secret"),
        ({"api_key": " k", "secret": "s"}, "api_key"),
        ({"symbols": "BTC/USDT"}, "symbols"),
        ({"symbols": ["BTCUSDT"]}, "symbols"),
        ({"urls": ["x"]}, "urls"),
        ({"stale_after_s": 0}, "stale_after_s"),
        ({"poll_interval_s": "1"}, "poll_interval_s"),
        ({"timeout_ms": 10}, "timeout_ms"),
        ({"backoff": Backoff(base=0)}, "backoff"),
        ({"rate_limit_ms": 0}, "rate_limit_ms"),
    ],
)
def test_bad_values_name_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"exchange_id": "binance", **kwargs}
    with pytest.raises(ValidationError) as err:
        CcxtConfig(**args)  # type: ignore[arg-type]
    assert err.value.field == field


def test_secret_errors_do_not_echo_the_value() -> None:
    with pytest.raises(ValidationError) as err:
        CcxtConfig("binance", api_key="k", secret=" topsecret")
    assert "topsecret" not in str(err.value)


def test_urls_and_options_are_frozen_copies() -> None:
    urls = {"api": {"public": "http://127.0.0.1:1/api/v3"}}
    config = CcxtConfig("binance", urls=urls)
    urls["api"] = {}
    assert config.urls["api"] == {"public": "http://127.0.0.1:1/api/v3"}
    with pytest.raises(TypeError):
        config.urls["x"] = 1  # type: ignore[index]
