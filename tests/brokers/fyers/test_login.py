"""The OAuth login flow against the emulator, with a real HTTP request to the listener."""

from __future__ import annotations

import asyncio
import socket
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from app.brokers.fyers import login
from app.brokers.fyers.market_hours import IST
from app.engine.domain.errors import ValidationError
from app.engine.venue_errors import AuthenticationFailed
from tests.emulators.fyers.fixtures import emu_config
from tests.emulators.fyers.server import APP_ID, TOKEN, FyersEmulator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ns(dt: datetime) -> int:
    return int(dt.timestamp()) * 1_000_000_000


def test_auth_url_names_the_app_redirect_and_state(
    fyers_emu: FyersEmulator, tmp_path: Path
) -> None:
    config = emu_config(fyers_emu, tmp_path)
    url = login.auth_url(config, "st4te")
    parts = urlsplit(url)
    assert url.startswith(f"{fyers_emu.base_url}/api/v3/generate-authcode?")
    query = parse_qs(parts.query)
    assert query["client_id"] == [APP_ID]
    assert query["redirect_uri"] == [config.redirect_url]
    assert query["response_type"] == ["code"] and query["state"] == ["st4te"]


def test_auth_code_from_a_pasted_url() -> None:
    url = "https://myapp.example/cb?s=ok&code=200&auth_code=abc.def&state=xyz"
    assert login.auth_code_from_url(url, "xyz") == "abc.def"
    assert login.auth_code_from_url(f"  {url}\n") == "abc.def"
    with pytest.raises(ValidationError, match="whole address"):
        login.auth_code_from_url("auth_code=abc")
    with pytest.raises(ValidationError, match="no auth_code"):
        login.auth_code_from_url("https://myapp.example/cb?s=ok")
    with pytest.raises(ValidationError, match="different login attempt"):
        login.auth_code_from_url(url, "other")
    with pytest.raises(ValidationError, match="Fyers refused the login: denied"):
        login.auth_code_from_url("https://myapp.example/cb?s=error&message=denied")


def test_token_expiry_is_the_next_0600_ist() -> None:
    issued = ns(datetime(2026, 12, 2, 10, 0, tzinfo=IST))
    assert login.token_expiry_ns(issued) == ns(datetime(2026, 12, 3, 6, 0, tzinfo=IST))
    early = ns(datetime(2026, 12, 2, 5, 0, tzinfo=IST))
    assert login.token_expiry_ns(early) == ns(datetime(2026, 12, 2, 6, 0, tzinfo=IST))
    expiry = login.token_expiry_ns(issued)
    assert not login.token_expired(expiry, expiry - 1)
    assert login.token_expired(expiry, expiry)


async def test_exchange_code_against_the_emulator(fyers_emu: FyersEmulator, tmp_path: Path) -> None:
    fyers_emu.auth_codes.add("code-1")
    config = emu_config(fyers_emu, tmp_path, access_token="")
    now = ns(datetime(2026, 12, 2, 10, 0, tzinfo=IST))
    token = await login.exchange_code(config, "code-1", now_ns=lambda: now)
    assert token.access_token == TOKEN
    assert token.expires_ns == ns(datetime(2026, 12, 3, 6, 0, tzinfo=IST))
    assert TOKEN not in repr(token)
    with pytest.raises(AuthenticationFailed, match="authorization code"):
        await login.exchange_code(config, "code-1")  # used once
    wrong = emu_config(fyers_emu, tmp_path, secret_key="not-the-secret")
    fyers_emu.auth_codes.add("code-2")
    with pytest.raises(AuthenticationFailed, match="sha256"):
        await login.exchange_code(wrong, "code-2")


async def test_exchange_code_when_fyers_is_unreachable(tmp_path: Path) -> None:
    from app.brokers.fyers.config import FyersConfig

    config = FyersConfig(
        app_id=APP_ID,
        log_dir=tmp_path,
        secret_key="s",
        api_base=f"http://127.0.0.1:{free_port()}",
    )
    try:
        with pytest.raises(AuthenticationFailed, match="could not reach Fyers"):
            await login.exchange_code(config, "code", timeout_s=2)
    finally:
        from app.brokers.fyers.sdk_bridge import point_sdk_at

        point_sdk_at(None)


async def test_the_whole_flow_through_the_local_listener(
    fyers_emu: FyersEmulator, tmp_path: Path
) -> None:
    redirect = f"http://127.0.0.1:{free_port()}/fyers/callback"
    config = emu_config(fyers_emu, tmp_path, redirect_url=redirect, access_token="")
    pages: list[str] = []

    async def browse(url: str) -> None:  # what the browser does: follow Fyers' redirect
        async with aiohttp.ClientSession() as http, http.get(url) as reply:
            pages.append(await reply.text())

    tasks: list[asyncio.Task[None]] = []
    token = await login.login(
        config,
        open_browser=lambda url: tasks.append(asyncio.create_task(browse(url))),
        timeout_s=5,
    )
    await asyncio.gather(*tasks)
    assert token.access_token == TOKEN
    assert "You can close this tab" in pages[0]


async def test_the_listener_reports_a_refused_login_and_times_out(tmp_path: Path) -> None:
    redirect = f"http://127.0.0.1:{free_port()}/cb"
    listener = login.RedirectListener(redirect, "st")
    await listener.start()
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{redirect}?s=error&message=user+cancelled") as reply,
        ):
            assert "close this tab" in await reply.text()
        with pytest.raises(ValidationError, match="user cancelled"):
            await listener.code(1)
    finally:
        await listener.close()
    quiet = login.RedirectListener(f"http://127.0.0.1:{free_port()}/cb")
    await quiet.start()
    try:
        with pytest.raises(TimeoutError):
            await quiet.code(0.05)
    finally:
        await quiet.close()


async def test_a_remote_redirect_needs_the_pasted_address(
    fyers_emu: FyersEmulator, tmp_path: Path
) -> None:
    config = emu_config(
        fyers_emu, tmp_path, redirect_url="https://myapp.example/cb", access_token=""
    )
    opened: list[str] = []
    with pytest.raises(ValidationError, match="paste"):
        await login.login(config, open_browser=opened.append)

    async def paste() -> str:
        state = parse_qs(urlsplit(opened[-1]).query)["state"][0]
        fyers_emu.auth_codes.add("pasted-code")
        return f"https://myapp.example/cb?s=ok&auth_code=pasted-code&state={state}"

    token = await login.login(config, open_browser=opened.append, paste=paste)
    assert token.access_token == TOKEN
