"""Request parameters as Binance reads them, and what every endpoint group shares."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from . import errors
from .errors import ApiError

if TYPE_CHECKING:
    from .emulator import BinanceEmulator

Params = dict[str, str]


class Endpoints:
    """Base of the endpoint groups: the emulator and the symbol/order parameters."""

    def __init__(self, emu: BinanceEmulator) -> None:
        self.emu = emu

    def _symbol(self, p: Params) -> str:
        raw = p.get("symbol")
        if not raw:
            raise errors.mandatory("symbol")
        if raw not in self.emu.specs:
            raise errors.invalid_symbol()
        return raw

    def _symbols_param(self, p: Params) -> list[str]:
        if "symbol" in p:
            return [self._symbol(p)]
        if "symbols" in p:
            try:
                wanted = json.loads(p["symbols"])
            except ValueError as exc:
                raise errors.mandatory("symbols") from exc
            if not all(s in self.emu.specs for s in wanted):
                raise errors.invalid_symbol()
            return list(wanted)
        return list(self.emu.specs)

    @staticmethod
    def _order_ref(p: Params, client_key: str) -> tuple[int | None, str | None]:
        order_id = opt_int(p, "orderId")
        client_id = p.get(client_key) or None
        if order_id is None and client_id is None:
            raise errors.mandatory("orderId")
        return order_id, client_id


class RawError(ApiError):
    """An error whose body is more than code and msg (cancelReplace's partial failure)."""

    def __init__(self, body: dict[str, Any], status: int) -> None:
        super().__init__(int(body["code"]), str(body["msg"]), status)
        self._body = body

    def body(self) -> dict[str, Any]:
        return self._body


def form(body: str) -> dict[str, str]:
    return dict(parse_qsl(body, keep_blank_values=True))


def opt_int(p: Params, name: str) -> int | None:
    raw = p.get(name)
    if raw is None or raw == "":
        return None
    if not raw.lstrip("-").isdigit():
        raise errors.illegal_number(name)
    return int(raw)


def int_param(p: Params, name: str, default: int, maximum: int) -> int:
    value = opt_int(p, name)
    if value is None:
        return default
    if value <= 0:
        raise ApiError(-1100, f"Illegal characters found in parameter '{name}'.")
    return min(value, maximum)
