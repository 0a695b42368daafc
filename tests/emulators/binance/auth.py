"""Binance request authentication: X-MBX-APIKEY, HMAC-SHA256 signature, timestamp/recvWindow."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from urllib.parse import urlencode

from . import errors

_SIGNATURE = re.compile(r"(^|&)signature=([^&]*)")
DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000


def _hmac(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


class Authenticator:
    def __init__(self, api_key: str, secret: str) -> None:
        self.api_key = api_key
        self.secret = secret

    def check_key(self, header_key: str | None) -> None:
        if not header_key:
            raise errors.api_key_format()
        if not hmac.compare_digest(header_key, self.api_key):
            raise errors.bad_api_key()

    def check_signed(
        self, header_key: str | None, total_params: str, params: Mapping[str, str], server_ms: int
    ) -> None:
        """REST: the signature covers the query string followed by the body, as sent."""
        self.check_key(header_key)
        match = _SIGNATURE.search(total_params)
        if match is None:
            raise errors.mandatory("signature")
        unsigned = total_params[: match.start()] + total_params[match.end() :]
        if unsigned.startswith("&"):
            unsigned = unsigned[1:]
        self._check(match.group(2), unsigned, params, server_ms)

    def check_ws_params(self, params: Mapping[str, object], server_ms: int) -> None:
        """WebSocket API: the signature covers the other params sorted by name."""
        key = params.get("apiKey")
        self.check_key(key if isinstance(key, str) else None)
        signature = params.get("signature")
        if not isinstance(signature, str):
            raise errors.mandatory("signature")
        rest = {k: str(v) for k, v in sorted(params.items()) if k != "signature"}
        self._check(signature, urlencode(rest), rest, server_ms)

    def _check(
        self, signature: str, payload: str, params: Mapping[str, str], server_ms: int
    ) -> None:
        if not hmac.compare_digest(signature.lower(), _hmac(self.secret, payload)):
            raise errors.bad_signature()
        raw_ts = params.get("timestamp")
        if raw_ts is None or not str(raw_ts).isdigit():
            raise errors.mandatory("timestamp")
        raw_window = params.get("recvWindow")
        window = DEFAULT_RECV_WINDOW
        if raw_window is not None:
            if not str(raw_window).isdigit():
                raise errors.illegal_number("recvWindow")
            window = int(raw_window)
            if window > MAX_RECV_WINDOW:
                raise errors.ApiError(-1131, "recvWindow must be less than 60000")
        ts = int(raw_ts)
        if ts >= server_ms + 1000 or server_ms - ts > window:
            raise errors.bad_timestamp()
