"""Fyers error envelopes -> the venue error hierarchy."""

from __future__ import annotations

import json

import pytest

from app.brokers.fyers.errors import error_for, for_timeout
from app.engine.venue_errors import (
    AuthenticationFailed,
    BadRequest,
    InsufficientFunds,
    OrderNotFound,
    OrderRefused,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    VenueError,
    VenueUnavailable,
)
from tests.emulators.fyers.server import SHAPES


def body(code: int, message: str = "m") -> dict[str, object]:
    return {"s": "error", "code": code, "message": message}


def test_the_real_invalid_token_body_says_log_in_again() -> None:
    real = json.loads((SHAPES / "errors/error_invalid_token.json").read_text())
    err = error_for(real, operation="funds")
    assert isinstance(err, AuthenticationFailed)
    assert "Could not authenticate the user" in str(err) and "log in to Fyers again" in str(err)
    assert (err.venue, err.operation) == ("fyers", "funds")


@pytest.mark.parametrize(
    ("code", "message", "write", "kind"),
    [
        (-8, "Your token has expired", False, AuthenticationFailed),
        (-17, "token invalid", True, AuthenticationFailed),
        (-353, "API Limit exceeded", False, RateLimited),
        (429, "request limit reached", True, RateLimited),
        (-373, "please provide valid permission", True, PermissionDenied),
        (-209, "Please provide a valid order number", True, OrderNotFound),
        (-161, "This order has already been cancelled", True, OrderNotFound),
        (-392, "Price should be in multiples of tick size.", True, OrderRefused),
        (-50, "Invalid input", False, BadRequest),
        (-99, "RMS:Margin Exceeds,Required:100, Available:5", True, InsufficientFunds),
        (-99, "RMS:Rule: Quantity greater than freeze limit", True, OrderRefused),
        (-201, "Connection error. Please try again", True, OutcomeUnknown),
        (-202, "Connection error. Please try again", False, VenueUnavailable),
        (502, "Bad request", True, OutcomeUnknown),
        (9999, "This is a random error", True, OutcomeUnknown),
        (9999, "This is a random error", False, VenueError),
    ],
)
def test_codes(code: int, message: str, write: bool, kind: type[VenueError]) -> None:
    err = error_for(body(code, message), operation="op", write=write)
    assert type(err) is kind
    assert message in str(err)


def test_rate_limit_pauses_a_second() -> None:
    err = error_for(body(-353), operation="quotes")
    assert isinstance(err, RateLimited) and err.retry_after_s == 1.0 and err.retryable


def test_insufficient_funds_is_an_order_refusal() -> None:
    err = error_for(body(-99, "RMS: insufficient funds"), operation="place_order", write=True)
    assert isinstance(err, OrderRefused) and isinstance(err, InsufficientFunds)


def test_the_sdks_own_failure_dict_is_transport() -> None:
    sdk = {"s": "error", "code": -99, "message": "Bad request"}
    assert isinstance(error_for(sdk, operation="p", write=True, transport=True), OutcomeUnknown)
    read = error_for(sdk, operation="p", transport=True)
    assert isinstance(read, VenueUnavailable) and read.retryable


def test_timeouts() -> None:
    assert isinstance(for_timeout("place_order", 2, write=True), OutcomeUnknown)
    err = for_timeout("funds", 2, write=False)
    assert isinstance(err, VenueUnavailable) and "2 s" in str(err)
