"""The one error hierarchy every venue adapter raises; the engine catches only these.

    VenueError                      a venue refused or failed a request
    ├── OrderRefused                the venue said no to an order: it does not exist there
    │   └── InsufficientFunds       ... because the balance does not cover it
    ├── OutcomeUnknown              the request may have reached the venue (timeout, 5xx,
    │                               connection lost mid-request): never resend, settle later
    ├── OrderNotFound               the venue does not know this order (yet, or any more)
    ├── VenueUnavailable            network down, 5xx or maintenance on a read: retryable
    ├── RateLimited                 429: this key must pause ``retry_after_s`` seconds
    │   └── VenueBanned             418: the venue banned this key/IP; halt and alert
    ├── AuthenticationFailed        bad key, secret, signature, expired token, clock skew
    ├── PermissionDenied            the key lacks a permission (trading, this symbol)
    └── BadRequest                  the venue rejected a read's parameters (our bug or input)

Adapters raise them with context: ``venue`` and ``operation`` say where, the message says
what the venue said (never a key, secret or signature). ``retryable`` marks reads that may
be tried again after a backoff; order creation is never retried, whatever it says.
"""

from __future__ import annotations


class VenueError(Exception):
    """A venue refused or failed a request. ``retryable`` reads may be tried again."""

    retryable = False

    def __init__(self, message: str = "", *, venue: str = "", operation: str = "") -> None:
        self.venue = venue
        self.operation = operation
        where = " ".join(p for p in (venue, operation) if p)
        super().__init__(f"{where}: {message}" if where and message else message or where)

    def __reduce__(self) -> tuple[object, ...]:  # picklable across the process pool
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(
    cls: type[VenueError], args: tuple[object, ...], state: dict[str, object]
) -> Exception:
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


class OrderRefused(VenueError):
    """The venue said no to an order (filters, balance): it definitely does not exist there."""


class InsufficientFunds(OrderRefused):
    """The order was refused because the account's free balance does not cover it."""


class OutcomeUnknown(VenueError):
    """The request may have reached the venue (timeout, 5xx, connection lost mid-request)."""


class OrderNotFound(VenueError):
    """The venue does not know this order (yet, or any more)."""


class VenueUnavailable(VenueError):
    """The venue could not be reached or failed a read (network, 5xx, maintenance)."""

    retryable = True


class RateLimited(VenueError):
    """HTTP 429 (or the venue's equivalent): this key pauses for ``retry_after_s`` seconds."""

    retryable = True

    def __init__(
        self, message: str = "", *, venue: str = "", operation: str = "", retry_after_s: float = 0
    ) -> None:
        super().__init__(message, venue=venue, operation=operation)
        self.retry_after_s = retry_after_s


class VenueBanned(RateLimited):
    """HTTP 418: the venue banned this key or IP after ignoring 429s. Trading on the account
    halts and the trader is alerted; nothing is retried before ``retry_after_s``."""

    retryable = False


class AuthenticationFailed(VenueError):
    """The venue refused our credentials: bad or revoked key, bad signature, expired access
    token, or our clock too far from the venue's."""


class PermissionDenied(VenueError):
    """The key is valid but may not do this (trading disabled, symbol not allowed)."""


class BadRequest(VenueError):
    """The venue rejected the parameters of a read; retrying the same request cannot help."""
