"""The Fyers OAuth login, without Qt: auth URL -> browser -> auth code -> access token.

1. ``auth_url`` builds the login page address with the SDK's ``SessionModel`` (a random
   ``state`` guards against a forged redirect).
2. The browser is opened (``webbrowser.open``, injectable). When the app's redirect URL is
   on this computer (http://127.0.0.1:PORT/... or localhost), a one-shot local listener
   receives the redirect and answers "you can close this tab"; otherwise the trader pastes
   the address the browser landed on and ``auth_code_from_url`` reads it.
3. ``exchange_code`` trades the code for an access token (the SDK's ``generate_token``,
   blocking ``requests``: run in a thread under a deadline).

Fyers access tokens end at the next 06:00 IST whatever their issue time (``token_expiry_ns``).
Storing the token (the OS keychain) is the caller's job.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import webbrowser
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from aiohttp import web
from fyers_apiv3.fyersModel import SessionModel

from app.brokers.fyers.config import FyersConfig
from app.brokers.fyers.errors import error_for, is_ok
from app.brokers.fyers.market_hours import IST
from app.brokers.fyers.sdk_bridge import point_sdk_at, run_blocking
from app.engine.domain.errors import ValidationError
from app.engine.venue_errors import AuthenticationFailed

_LOCAL_HOSTS = ("127.0.0.1", "localhost")
_TOKEN_ENDS = (6, 0)  # 06:00 IST
_DONE_PAGE = (
    "<!doctype html><meta charset='utf-8'><title>Tradedesk</title>"
    "<p>Fyers login received. You can close this tab and return to Tradedesk.</p>"
)


@dataclass(frozen=True, slots=True)
class FyersToken:
    access_token: str = field(repr=False)
    expires_ns: int


def auth_url(config: FyersConfig, state: str) -> str:
    point_sdk_at(config.api_base)
    session = SessionModel(
        client_id=config.app_id,
        redirect_uri=config.redirect_url,
        response_type="code",
        state=state,
    )
    return str(session.generate_authcode())


def is_local_redirect(redirect_url: str) -> bool:
    parts = urlsplit(redirect_url)
    return parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS and parts.port is not None


def auth_code_from_url(url: str, expected_state: str | None = None) -> str:
    """The ``auth_code`` in the address Fyers redirected the browser to."""
    text = (url or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError("redirect_url", "paste the whole address from the browser bar", url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if query.get("s") == "error" or "error" in query:
        reason = query.get("message") or query.get("error") or "login refused"
        raise ValidationError("redirect_url", f"Fyers refused the login: {reason}", url)
    code = query.get("auth_code")
    if not code:
        raise ValidationError("redirect_url", "has no auth_code: finish the Fyers login first")
    if expected_state is not None and query.get("state") != expected_state:
        raise ValidationError(
            "redirect_url", "is from a different login attempt (state does not match)"
        )
    return code


def token_expiry_ns(issued_ns: int) -> int:
    """The next 06:00 IST after ``issued_ns``: when Fyers ends every access token."""
    issued = datetime.fromtimestamp(issued_ns // 1_000_000_000, IST)
    end = issued.replace(hour=_TOKEN_ENDS[0], minute=_TOKEN_ENDS[1], second=0, microsecond=0)
    if end <= issued:
        end += timedelta(days=1)
    return int(end.timestamp()) * 1_000_000_000


def token_expired(expiry_ns: int, now_ns: int) -> bool:
    return now_ns >= expiry_ns


async def exchange_code(
    config: FyersConfig,
    code: str,
    *,
    timeout_s: float | None = None,
    now_ns: Callable[[], int] = time.time_ns,
) -> FyersToken:
    """Trade an auth code for an access token (POST validate-authcode, via the SDK)."""
    if not config.secret_key:
        raise ValidationError("secret_key", "is empty: enter the app's secret key")
    point_sdk_at(config.api_base)
    session = SessionModel(
        client_id=config.app_id,
        secret_key=config.secret_key,
        redirect_uri=config.redirect_url,
        response_type="code",
        grant_type="authorization_code",
    )
    session.set_token(code)
    deadline = timeout_s if timeout_s is not None else config.call_timeout_s
    try:
        body = await run_blocking(session.generate_token, timeout_s=deadline, name="login")
    except TimeoutError:
        raise AuthenticationFailed(
            f"no answer from Fyers within {deadline:g} s", venue="fyers", operation="login"
        ) from None
    except (OSError, ValueError) as exc:  # requests' connection errors; a non-JSON reply
        raise AuthenticationFailed(
            f"could not reach Fyers: {type(exc).__name__}", venue="fyers", operation="login"
        ) from None
    if not isinstance(body, dict) or not is_ok(body) or not body.get("access_token"):
        error = error_for(body if isinstance(body, dict) else {}, operation="login")
        raise AuthenticationFailed(str(error), venue="fyers", operation="login")
    issued = now_ns()
    return FyersToken(str(body["access_token"]), token_expiry_ns(issued))


class RedirectListener:
    """A one-shot HTTP listener on the redirect URL's host and port: the first request to
    its path with an ``auth_code`` (or an error) settles ``code()``; every request gets the
    short "you can close this tab" page."""

    def __init__(self, redirect_url: str, expected_state: str | None = None) -> None:
        if not is_local_redirect(redirect_url):
            raise ValidationError(
                "redirect_url",
                "must be http://127.0.0.1:PORT/... for the local listener",
                redirect_url,
            )
        parts = urlsplit(redirect_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 0
        self._path = parts.path or "/"
        self._redirect_url = redirect_url
        self._state = expected_state
        self._runner: web.AppRunner | None = None
        self._result: asyncio.Future[str] | None = None

    async def start(self) -> None:
        self._result = asyncio.get_running_loop().create_future()
        app = web.Application()
        app.router.add_get(self._path, self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()

    async def code(self, timeout_s: float) -> str:
        if self._result is None:
            raise RuntimeError("start() the listener first")
        return await asyncio.wait_for(asyncio.shield(self._result), timeout_s)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        url = f"{self._redirect_url.split('?', 1)[0]}?{request.query_string}"
        answered = "auth_code" in request.query or request.query.get("s") == "error"
        if answered and self._result is not None and not self._result.done():
            # a stray request (a browser's prefetch, a reload without the code) is not the
            # answer; the redirect with a code or an error is
            try:
                self._result.set_result(auth_code_from_url(url, self._state))
            except ValidationError as exc:
                self._result.set_exception(exc)
        return web.Response(text=_DONE_PAGE, content_type="text/html")


async def login(
    config: FyersConfig,
    *,
    open_browser: Callable[[str], object] = webbrowser.open,
    paste: Callable[[], Awaitable[str]] | None = None,
    timeout_s: float = 300.0,
    now_ns: Callable[[], int] = time.time_ns,
) -> FyersToken:
    """The whole flow. ``paste`` asks the trader for the redirected address; it is needed
    only when the redirect URL is not on this computer."""
    state = secrets.token_urlsafe(16)
    url = auth_url(config, state)
    if is_local_redirect(config.redirect_url):
        listener = RedirectListener(config.redirect_url, state)
        await listener.start()
        try:
            open_browser(url)
            code = await listener.code(timeout_s)
        finally:
            await listener.close()
    else:
        if paste is None:
            raise ValidationError(
                "redirect_url", "is not on this computer: a way to paste the address is needed"
            )
        open_browser(url)
        code = auth_code_from_url(await paste(), state)
    return await exchange_code(config, code, now_ns=now_ns)
