"""ccxt's exceptions (raised by ccxt's own binance error handler from Binance's documented
error bodies) mapped to the venue error hierarchy, with context and without secrets."""

from __future__ import annotations

import json
from typing import Any

import ccxt
import pytest

from app.brokers.ccxt.errors import map_errors, record_response, retry_after_s, scrub, translate
from app.brokers.ccxt.quirks import quirks_for
from app.engine.venue_errors import (
    AuthenticationFailed,
    BadRequest,
    InsufficientFunds,
    OrderNotFound,
    OrderRefused,
    OutcomeUnknown,
    RateLimited,
    VenueBanned,
    VenueError,
    VenueUnavailable,
)

from .shapes import parser

SIGNED_URL = (
    "https://api.binance.com/api/v3/order?symbol=BTCUSDT&timestamp=1&signature=deadbeefcafe"
)
AUTH = quirks_for("binance").auth_error_pattern


def ccxt_error(status: int, body: dict[str, Any], url: str = SIGNED_URL) -> ccxt.BaseError:
    """What ccxt's binance error handler raises for this reply."""
    exchange = parser()
    text = json.dumps(body)
    try:
        exchange.handle_errors(status, "reason", url, "POST", {}, text, body, {}, None)
        exchange.handle_http_status_code(status, "reason", url, "POST", text)
    except ccxt.BaseError as exc:
        return exc
    raise AssertionError("ccxt raised nothing")


def mapped(
    exc: BaseException, status: int, headers: dict[str, str] | None = None, **kw: Any
) -> VenueError:
    """``exc`` raised inside map_errors after ccxt recorded a reply with ``status``."""
    with pytest.raises(VenueError) as caught, map_errors("binance", "op", auth_pattern=AUTH, **kw):
        record_response(status, headers or {})
        raise exc
    return caught.value


def test_insufficient_balance_is_insufficient_funds() -> None:
    exc = ccxt_error(
        400, {"code": -2010, "msg": "Account has insufficient balance for requested action."}
    )
    assert isinstance(translate(exc, "binance", "submit", creating_order=True), InsufficientFunds)


def test_filter_failures_are_refusals_on_create_and_bad_requests_on_reads() -> None:
    for body in (
        {"code": -1013, "msg": "Filter failure: LOT_SIZE"},
        {"code": -1013, "msg": "Filter failure: NOTIONAL"},
        {"code": -1121, "msg": "Invalid symbol."},
    ):
        exc = ccxt_error(400, body)
        refused = mapped(exc, 400, creating_order=True)
        assert type(refused) is OrderRefused and "binance op" in str(refused)
        assert type(mapped(exc, 400)) is BadRequest


def test_unknown_order_is_order_not_found() -> None:
    exc = ccxt_error(400, {"code": -2013, "msg": "Order does not exist."})
    assert isinstance(translate(exc, "binance", "query"), OrderNotFound)
    cancel = ccxt_error(400, {"code": -2011, "msg": "Unknown order sent."})
    assert isinstance(translate(cancel, "binance", "cancel", canceling_order=True), OrderNotFound)


def test_clock_and_signature_errors_are_authentication_failures() -> None:
    for code, msg in (
        (-1021, "Timestamp for this request is outside of the recvWindow."),
        (-1022, "Signature for this request is not valid."),
    ):
        exc = ccxt_error(400, {"code": code, "msg": msg})
        assert isinstance(translate(exc, "binance", "x", auth_pattern=AUTH), AuthenticationFailed)
    bad_key = ccxt_error(401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions."})
    assert isinstance(translate(bad_key, "binance", "x"), AuthenticationFailed)


def test_429_is_rate_limited_with_retry_after_from_the_reply_headers() -> None:
    exc = ccxt_error(429, {"code": -1003, "msg": "Too many requests."})
    error = mapped(exc, 429, headers={"Retry-After": "7"})
    assert type(error) is RateLimited and error.retry_after_s == 7
    assert error.retryable


def test_418_is_a_ban_even_when_only_the_message_says_so() -> None:
    exc = ccxt_error(418, {"code": -1003, "msg": "Way too many requests; IP banned."})
    error = mapped(exc, 418, headers={"retry-after": "120"})
    assert isinstance(error, VenueBanned) and error.retry_after_s == 120
    assert not error.retryable
    assert isinstance(translate(exc, "binance", "x"), VenueBanned)  # no reply recorded


def test_network_trouble_is_outcome_unknown_on_create_and_cancel_but_unavailable_on_reads() -> None:
    for exc in (
        ccxt.RequestTimeout("binance POST " + SIGNED_URL),
        ccxt.ExchangeNotAvailable("binance POST " + SIGNED_URL),
        ccxt.NetworkError("connection reset"),
        TimeoutError(),
        ConnectionResetError("reset"),
    ):
        assert type(translate(exc, "b", "submit", creating_order=True)) is OutcomeUnknown
        assert type(translate(exc, "b", "cancel", canceling_order=True)) is OutcomeUnknown
        assert type(translate(exc, "b", "read")) is VenueUnavailable


def test_5xx_with_a_venue_body_is_still_outcome_unknown_on_create() -> None:
    exc = ccxt_error(503, {"code": -1000, "msg": "An unknown error occurred."})
    assert type(mapped(exc, 503, creating_order=True)) is OutcomeUnknown
    assert type(mapped(exc, 503)) is VenueUnavailable


def test_messages_never_carry_signatures_or_query_strings() -> None:
    exc = ccxt.RequestTimeout(f"binance POST {SIGNED_URL} apiKey=abc123 timed out")
    text = str(translate(exc, "binance", "submit", creating_order=True))
    assert "deadbeef" not in text and "signature" not in text and "abc123" not in text
    assert "https://api.binance.com/api/v3/order" in text
    assert scrub("x" * 1000).endswith("…") and len(scrub("x" * 1000)) == 400


def test_cancellation_and_our_own_errors_pass_through() -> None:
    with pytest.raises(OrderRefused) as err, map_errors("v", "op"):
        raise OrderRefused("mine")
    assert str(err.value) == "mine"


def test_retry_after_parsing() -> None:
    assert retry_after_s({"Retry-After": "3"}, 9) == 3
    assert retry_after_s({"Retry-After": "soon"}, 9) == 9
    assert retry_after_s(None, 9) == 9
