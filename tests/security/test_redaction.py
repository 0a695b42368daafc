"""Secrets are masked in every log record, traceback and stored order reason."""

from __future__ import annotations

import logging

import pytest

from app import redaction
from app.redaction import MASK, redact, register_secret

KEY = "PLANTEDkey0123456789abcdefABCDEF"
SECRET = "PLANTEDsecret9876543210zyxwvZYXWV"


@pytest.fixture(autouse=True)
def _installed() -> None:
    redaction.install()
    register_secret(KEY)
    register_secret(SECRET)


def test_registered_secrets_and_wire_credentials_are_masked() -> None:
    text = (
        f"GET https://api.binance.com/api/v3/account?timestamp=1&signature=abcdef0123 "
        f"headers {{'X-MBX-APIKEY': '{KEY}'}} body secret={SECRET}&x=1 "
        "Authorization: Bearer some-app:token123 access_token=tok456"
    )
    out = redact(text)
    for leaked in (KEY, SECRET, "abcdef0123", "token123", "tok456"):
        assert leaked not in out
    assert out.count(MASK) >= 5
    assert "https://api.binance.com/api/v3/account" in out  # the useful part stays


def test_short_values_are_not_registered() -> None:
    register_secret("abc")
    assert redact("abc def") == "abc def"


def test_every_log_record_is_redacted_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("app.test.redaction")
    with caplog.at_level(logging.DEBUG):
        log.debug("request headers %s", {"X-MBX-APIKEY": KEY})
        try:
            raise RuntimeError(f"binance said no to key {KEY} and secret {SECRET}")
        except RuntimeError:
            log.exception("order failed")
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert KEY not in text and SECRET not in text
    assert MASK in text


def test_uncaught_exception_report_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.CRITICAL, logger="app.crash"):
        try:
            raise ValueError(f"crash with {SECRET}")
        except ValueError as exc:
            redaction.report_uncaught(ValueError, exc, exc.__traceback__)
    assert "uncaught exception" in caplog.text
    assert SECRET not in caplog.text and MASK in caplog.text
