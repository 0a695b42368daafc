"""Secrets never reach a log line, a stored error message or a crash report.

Credentials are registered here the moment they are read from the keychain
(``register_secret``); from then on ``redact`` replaces them, and the things venues put next to
them on the wire (``signature=...``, ``X-MBX-APIKEY``, ``Authorization``, ``access_token``,
``apiKey``/``secret``/``password`` fields), with ``***``.

``install`` hooks the logging record factory, so every record is redacted once, when it is
made, whichever handler (console, file, the log panel) later prints it, including its
traceback. Uncaught exceptions go through logging too (``sys.excepthook``), so a crash report
is redacted like any other line. Secrets shorter than 6 characters are not registered: they
would blank out ordinary words.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from types import TracebackType

MASK = "***"
MIN_SECRET_LEN = 6
_secrets: set[str] = set()
_lock = threading.Lock()
_pattern: re.Pattern[str] | None = None
# values that sit next to a credential on the wire, whether or not it was registered
_WIRE = re.compile(
    r"(?i)(signature=|x-mbx-apikey['\"]?\s*[:=]\s*['\"]?|authorization['\"]?\s*[:=]\s*['\"]?"
    r"(?:bearer\s+)?|access_token['\"]?\s*[:=]\s*['\"]?|(?:api_?key|secret|password|passphrase"
    r"|secret_key|app_secret)['\"]?\s*[:=]\s*['\"]?)([^\s'\",&}]+)"
)


def register_secret(value: str | None) -> None:
    """Remember ``value`` so it is masked everywhere from now on."""
    global _pattern
    if not value or len(value) < MIN_SECRET_LEN:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        ordered = sorted(_secrets, key=len, reverse=True)  # longest first: no partial leaks
        _pattern = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: str) -> str:
    if _pattern is not None:
        text = _pattern.sub(MASK, text)
    if any(c in text for c in "=:"):
        text = _WIRE.sub(lambda m: m.group(1) + MASK, text)
    return text


_installed = False


def install() -> None:
    """Redact every log record at creation, and log uncaught exceptions (redacted)."""
    global _installed
    if _installed:
        return
    _installed = True
    make = logging.getLogRecordFactory()
    formatter = logging.Formatter()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make(*args, **kwargs)
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned is not message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(formatter.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    logging.setLogRecordFactory(factory)
    sys.excepthook = report_uncaught


def report_uncaught(
    kind: type[BaseException], value: BaseException, tb: TracebackType | None
) -> None:
    """The crash report: an uncaught exception logged (so redacted) instead of printed raw."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    logging.getLogger("app.crash").critical("uncaught exception", exc_info=(kind, value, tb))
