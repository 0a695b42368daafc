"""Fyers answers -> the one venue error hierarchy (``app.engine.venue_errors``).

Fyers wraps every answer in ``{"s": "ok"|"error", "code": N, "message": ...}`` (codes from
FYERS_API_error_codes.csv, the official table, plus the token codes -8/-15/-16/-17 its REST
API returns). The SDK never raises: a transport failure (refused connection, dropped reply,
an HTML 5xx page) comes back as its own ``error_resp`` dict with the HTTP status or -99 as
the code, which ``sdk_bridge`` recognises and hands here as ``transport=True``.

Writes (place, modify, cancel) and reads differ on doubt: a write whose reply was lost may
have reached the venue, so it is ``OutcomeUnknown`` (never retried); a read is
``VenueUnavailable`` (retryable).
"""

from __future__ import annotations

from collections.abc import Mapping

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

VENUE = "fyers"
LOG_IN_AGAIN = "the Fyers session has ended or is invalid: log in to Fyers again"

AUTH_CODES = frozenset({-8, -15, -16, -17, -371, -374, 401})
RATE_LIMIT_CODES = frozenset({-353, -429, 429})
PERMISSION_CODES = frozenset({-373, 403})
NOT_FOUND_CODES = frozenset({-159, -209})
# the order exists but is finished: it cannot be canceled or modified any more
FINISHED_CODES = frozenset({-161, -162, -164})
TRANSPORT_CODES = frozenset({-201, -202, -204, -205, -96})
ORDER_RULE_CODES = frozenset(
    {-50, -101, -163, -305, -308, -309, -310, -311, -313, -314, -315, -316, -323, -325}
    | {-326, -327, -328, -372, -390, -392, -397, -398, -399}
)
_FUNDS_WORDS = ("insufficient", "margin exceed", "margin shortfall")


def code_of(body: Mapping[str, object]) -> int:
    code = body.get("code")
    try:
        return int(str(code))
    except ValueError:
        return 0


def message_of(body: Mapping[str, object]) -> str:
    message = str(body.get("message") or "").strip()
    return message or f"error code {code_of(body)}"


def is_ok(body: Mapping[str, object]) -> bool:
    return body.get("s") == "ok"


def error_for(
    body: Mapping[str, object], *, operation: str, write: bool = False, transport: bool = False
) -> VenueError:
    """The error an error envelope means. ``write``: place/modify/cancel; ``transport``: the
    SDK's own failure dict (no answer from Fyers)."""
    code = code_of(body)
    message = message_of(body)
    where = {"venue": VENUE, "operation": operation}
    if transport or code in TRANSPORT_CODES or 500 <= code <= 599:
        text = f"no clear answer from Fyers ({message}, code {code})"
        return OutcomeUnknown(text, **where) if write else VenueUnavailable(text, **where)
    if code in AUTH_CODES:
        return AuthenticationFailed(f"{message} (code {code}): {LOG_IN_AGAIN}", **where)
    if code in RATE_LIMIT_CODES:
        # Fyers limits per second, minute and day and does not say which one tripped
        return RateLimited(f"{message} (code {code})", retry_after_s=1.0, **where)
    if code in PERMISSION_CODES:
        return PermissionDenied(f"{message} (code {code})", **where)
    if code in NOT_FOUND_CODES:
        return OrderNotFound(f"{message} (code {code})", **where)
    if code in FINISHED_CODES:
        return OrderNotFound(f"{message} (code {code}): the order is no longer open", **where)
    lowered = message.lower()
    if write and any(w in lowered for w in _FUNDS_WORDS):
        return InsufficientFunds(f"{message} (code {code})", **where)
    if write and lowered.startswith("rms"):  # the broker's risk checks said no
        return OrderRefused(f"{message} (code {code})", **where)
    if code in ORDER_RULE_CODES or 400 <= code <= 499:
        if write:
            return OrderRefused(f"{message} (code {code})", **where)
        return BadRequest(f"{message} (code {code})", **where)
    # A code nobody documented: on a write, whether the order exists is not certain, so the
    # engine settles it through query_order instead of calling it refused.
    if write:
        return OutcomeUnknown(f"unrecognised answer: {message} (code {code})", **where)
    return VenueError(f"{message} (code {code})", **where)


def for_timeout(operation: str, timeout_s: float, *, write: bool) -> VenueError:
    text = f"no reply from Fyers within {timeout_s:g} s"
    where = {"venue": VENUE, "operation": operation}
    return OutcomeUnknown(text, **where) if write else VenueUnavailable(text, **where)
