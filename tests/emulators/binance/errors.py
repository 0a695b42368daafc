"""Binance API error bodies, as the documented `{"code": -N, "msg": "..."}` replies."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A refusal the emulator answers with Binance's error body and HTTP status."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg}


def mandatory(name: str) -> ApiError:
    return ApiError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def illegal_number(name: str) -> ApiError:
    return ApiError(
        -1100,
        f"Illegal characters found in parameter '{name}'; "
        "legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
    )


def invalid_symbol() -> ApiError:
    return ApiError(-1121, "Invalid symbol.")


def filter_failure(filter_name: str) -> ApiError:
    return ApiError(-1013, f"Filter failure: {filter_name}")


def insufficient_balance() -> ApiError:
    return ApiError(-2010, "Account has insufficient balance for requested action.")


def duplicate_order() -> ApiError:
    return ApiError(-2010, "Duplicate order sent.")


def order_does_not_exist() -> ApiError:
    return ApiError(-2013, "Order does not exist.")


def unknown_order() -> ApiError:
    return ApiError(-2011, "Unknown order sent.")


def would_match() -> ApiError:
    return ApiError(-2010, "Order would immediately match and take.")


def stop_would_trigger() -> ApiError:
    return ApiError(-2010, "Stop price would trigger immediately.")


def bad_timestamp() -> ApiError:
    return ApiError(-1021, "Timestamp for this request is outside of the recvWindow.")


def bad_signature() -> ApiError:
    return ApiError(-1022, "Signature for this request is not valid.")


def bad_api_key() -> ApiError:
    return ApiError(-2015, "Invalid API-key, IP, or permissions for action.", status=401)


def api_key_format() -> ApiError:
    return ApiError(-2014, "API-key format invalid.", status=401)
