"""FyersConfig validation and the client id <-> orderTag mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.brokers.fyers.config import FyersConfig
from app.brokers.fyers.order_tags import client_id_from_tag, tag_for, tag_matches
from app.engine.domain.errors import ValidationError
from app.engine.domain.ids import MAX_CLIENT_ID, bot_source, new_client_order_id


def config(tmp_path: Path, **kw: object) -> FyersConfig:
    values: dict[str, object] = {"app_id": "XB12345-100", "log_dir": tmp_path}
    values.update(kw)
    return FyersConfig(**values)  # type: ignore[arg-type]


def test_secrets_stay_out_of_repr(tmp_path: Path) -> None:
    c = config(tmp_path, secret_key="s3cret-key", access_token="t0ken-value")
    assert "s3cret-key" not in repr(c) and "t0ken-value" not in repr(c)
    assert c.auth_header == "XB12345-100:t0ken-value"


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("app_id", "nope", "app id"),
        ("symbols", ("SBIN",), "NSE:SBIN-EQ"),
        ("symbols", ("NSE:SBIN",), "NSE:SBIN-EQ"),
        ("product_type", "MARGIN", "CNC"),
        ("log_dir", "logs", "Path"),
        ("call_timeout_s", 0, "seconds"),
        ("stale_after_s", True, "seconds"),
        ("redirect_url", "ftp://x", "http"),
        ("api_base", "127.0.0.1:80", "http"),
    ],
)
def test_bad_values_name_the_field(tmp_path: Path, field: str, value: object, rule: str) -> None:
    with pytest.raises(ValidationError, match=rule) as caught:
        config(tmp_path, **{field: value})
    assert caught.value.field.startswith(field)


def test_a_missing_token_says_log_in(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="log in to Fyers first"):
        config(tmp_path).require_token()


def test_our_client_ids_round_trip_through_the_tag() -> None:
    for source in ("manual", "external", bot_source("ema_9"), bot_source("scalper_eth2")):
        client_id = new_client_order_id(source)
        assert len(client_id) <= MAX_CLIENT_ID
        tag = tag_for(client_id)
        assert tag.isalnum() and len(tag) <= 30
        assert client_id_from_tag(tag) == client_id
        assert client_id_from_tag(f"1:{tag}") == client_id
        assert tag_matches(f"1:{tag}", client_id)


def test_foreign_and_missing_tags() -> None:
    assert client_id_from_tag("1:Ordertag") == "Ordertag"
    assert client_id_from_tag("") == "" and client_id_from_tag(None) == ""


def test_unmappable_client_ids_are_refused() -> None:
    with pytest.raises(ValidationError, match="'Z' or 'Y'"):
        tag_for("tdbZed-1")
    with pytest.raises(ValidationError, match="at most 30"):
        tag_for("td" + "a" * 40)
