"""ccxt's exceptions turned into the one venue error hierarchy (app.engine.venue_errors).

    ccxt                                   ours
    DDoSProtection/RateLimitExceeded 429   RateLimited(retry_after_s from Retry-After)
    ... with HTTP 418                      VenueBanned(retry_after_s)
    AuthenticationError, InvalidNonce,     AuthenticationFailed
      the venue's clock/signature codes
    PermissionDenied, AccountSuspended     PermissionDenied
    InsufficientFunds                      InsufficientFunds
    OrderNotFound                          OrderNotFound
    DuplicateOrderId, "Duplicate order"    OutcomeUnknown when creating (an order with our
                                           client id is live: it may be this one)
    InvalidOrder, BadSymbol, BadRequest,   OrderRefused when creating an order, else BadRequest
      OperationRejected, NotSupported
    NetworkError, RequestTimeout,          OutcomeUnknown when creating or canceling an order
      ExchangeNotAvailable, any 5xx        (it may have reached the venue), else
                                           VenueUnavailable
    other ExchangeError                    4xx: OrderRefused (create) / BadRequest (read);
                                           no HTTP answer: OutcomeUnknown / VenueUnavailable

The HTTP status and headers of the failed request come from ``record_response`` (called by
the client for every REST reply) through a context variable, so concurrent requests on one
ccxt client never read each other's headers. Messages keep what the venue said but lose
URL query strings (ccxt puts signed URLs, ``signature=...``, into some messages).
"""

from __future__ import annotations

import asyncio
import contextvars
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import ccxt

from app.engine.venue_errors import (
    AuthenticationFailed,
    BadRequest,
    InsufficientFunds,
    OrderNotFound,
    OrderRefused,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    VenueBanned,
    VenueError,
    VenueUnavailable,
)

DEFAULT_RETRY_AFTER_429_S = 10.0
DEFAULT_RETRY_AFTER_418_S = 120.0
_MAX_MESSAGE = 400


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    headers: Mapping[str, str]


_last_reply: contextvars.ContextVar[HttpReply | None] = contextvars.ContextVar(
    "ccxt_last_reply", default=None
)


def record_response(status: int, headers: Mapping[str, str]) -> None:
    """Remember the status and headers of the reply the current task just received."""
    _last_reply.set(HttpReply(int(status), dict(headers)))


def last_reply() -> HttpReply | None:
    return _last_reply.get()


_URL_QUERY = re.compile(r"(https?://[^\s?\"']+)\?[^\s\"']*")
_SECRET_PARAM = re.compile(
    r"(signature|apiKey|api_key|secret|passphrase|password|token|listenKey|timestamp)"
    r"=[^&\s\"']+",
    re.IGNORECASE,
)
_STATUS_IN_MESSAGE = re.compile(r"\b(418|429)\b")
_DUPLICATE = re.compile(r"duplicate (order|client)", re.IGNORECASE)


def scrub(message: str) -> str:
    """A venue message fit for logs: no query strings, no signatures or keys, not too long."""
    text = _URL_QUERY.sub(r"\1", message)
    text = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}=***", text)
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def retry_after_s(headers: Mapping[str, str] | None, default: float) -> float:
    """Seconds from a Retry-After header (seconds form); ``default`` when absent or odd."""
    if headers:
        for key, value in headers.items():
            if key.lower() == "retry-after":
                try:
                    seconds = float(str(value).strip())
                except ValueError:
                    return default
                return seconds if seconds >= 0 else default
    return default


def translate(
    exc: BaseException,
    venue: str,
    operation: str,
    *,
    creating_order: bool = False,
    canceling_order: bool = False,
    auth_pattern: str | None = None,
    reply: HttpReply | None = None,
) -> VenueError:
    """The venue error for ``exc`` (see the module table)."""
    message = scrub(str(exc) or type(exc).__name__)
    status = reply.status if reply is not None else None
    in_doubt = creating_order or canceling_order

    def make(cls: type[VenueError]) -> VenueError:
        return cls(message, venue=venue, operation=operation)

    if isinstance(exc, ccxt.DDoSProtection | ccxt.RateLimitExceeded) or status in (418, 429):
        banned = status == 418 or (status is None and _is_418(message))
        headers = reply.headers if reply is not None else None
        if banned:
            wait = retry_after_s(headers, DEFAULT_RETRY_AFTER_418_S)
            return VenueBanned(message, venue=venue, operation=operation, retry_after_s=wait)
        wait = retry_after_s(headers, DEFAULT_RETRY_AFTER_429_S)
        return RateLimited(message, venue=venue, operation=operation, retry_after_s=wait)
    if auth_pattern and re.search(auth_pattern, str(exc)):
        return make(AuthenticationFailed)
    if isinstance(exc, ccxt.PermissionDenied | ccxt.AccountSuspended):
        return make(PermissionDenied)
    if isinstance(exc, ccxt.AuthenticationError):
        return make(AuthenticationFailed)
    if isinstance(exc, ccxt.ChecksumError):  # an order-book gap: resubscribe
        return make(VenueUnavailable)
    if isinstance(exc, ccxt.InvalidNonce):  # our clock/nonce is behind the venue's
        return make(AuthenticationFailed)
    if status is not None and status >= 500:
        return make(OutcomeUnknown if in_doubt else VenueUnavailable)
    if isinstance(exc, ccxt.InsufficientFunds):
        return make(InsufficientFunds)
    if isinstance(exc, ccxt.OrderNotFound):
        return make(OrderNotFound)
    if creating_order and (
        isinstance(exc, ccxt.DuplicateOrderId) or _DUPLICATE.search(str(exc)) is not None
    ):
        # an order with our client id is already live: ours may have gone out after all
        return make(OutcomeUnknown)
    if isinstance(
        exc,
        ccxt.InvalidOrder
        | ccxt.BadRequest
        | ccxt.OperationRejected
        | ccxt.NotSupported
        | ccxt.ArgumentsRequired,
    ):
        return make(OrderRefused if creating_order else BadRequest)
    if isinstance(exc, ccxt.NetworkError | ccxt.BadResponse | ccxt.CancelPending):
        return make(OutcomeUnknown if in_doubt else VenueUnavailable)
    if isinstance(exc, ccxt.ExchangeError):
        answered = status is not None and 400 <= status < 500
        if creating_order:
            return make(OrderRefused if answered else OutcomeUnknown)
        if canceling_order and not answered:
            return make(OutcomeUnknown)
        return make(BadRequest if answered else VenueUnavailable)
    if isinstance(exc, TimeoutError | OSError):
        return make(OutcomeUnknown if in_doubt else VenueUnavailable)
    return make(OutcomeUnknown if in_doubt else VenueUnavailable)


def _is_418(message: str) -> bool:
    match = _STATUS_IN_MESSAGE.search(message)
    return match is not None and match.group(1) == "418"


@contextmanager
def map_errors(
    venue: str,
    operation: str,
    *,
    creating_order: bool = False,
    canceling_order: bool = False,
    auth_pattern: str | None = None,
) -> Iterator[None]:
    """Run a ccxt call; re-raise its failure as a VenueError with context.

    ``creating_order``/``canceling_order``: a failure that may have reached the venue is
    OutcomeUnknown (never retried). CancelledError and our own VenueErrors pass through."""
    _last_reply.set(None)
    try:
        yield
    except (asyncio.CancelledError, VenueError):
        raise
    except (ccxt.BaseError, TimeoutError, OSError) as exc:
        raise translate(
            exc,
            venue,
            operation,
            creating_order=creating_order,
            canceling_order=canceling_order,
            auth_pattern=auth_pattern,
            reply=_last_reply.get(),
        ) from None
