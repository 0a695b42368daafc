"""The paper venue's record log: one typed record per state change, and its dict encoding.

The venue is event-sourced: every change of its books is a record, applied by
``PaperState.apply`` both live and when replaying the log after a restart, so the rebuilt
state is the same by construction. Records are encoded as plain JSON-friendly dicts (Decimals
as strings, enums as their values) for the ``VenueStateStore``. A record is built for every
venue change, fills included, hence ``fast_frozen_init`` (see there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import Any

from app.engine.domain.fastinit import fast_frozen_init
from app.engine.domain.fills import Liquidity
from app.engine.domain.orders import OrderSide, OrderType, TimeInForce

SCHEMA_VERSION = 1


class PaperStateError(RuntimeError):
    """The record log cannot be read back. Raised rather than skipped: a venue that silently
    dropped a record would misstate balances and forget orders."""


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Deposited:
    asset: str
    amount: Decimal
    ts: int


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Accepted:
    client_id: str
    venue_order_id: str
    symbol: str
    side: OrderSide
    type: OrderType
    quantity: Decimal
    price: Decimal | None
    trigger_price: Decimal | None
    tif: TimeInForce
    reduce_only: bool
    hold_price: Decimal | None  # the price a buy's quote hold is computed at
    ts: int


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Rejected:
    client_id: str
    symbol: str
    reason: str
    ts: int


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Triggered:
    client_id: str
    ts: int


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Filled:
    client_id: str
    trade_id: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: Liquidity
    ts: int


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Modified:
    client_id: str
    price: Decimal | None
    trigger_price: Decimal | None
    quantity: Decimal | None
    ts: int


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Canceled:
    client_id: str
    reason: str
    ts: int


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Expired:
    client_id: str
    reason: str
    ts: int


Record = Deposited | Accepted | Rejected | Triggered | Filled | Modified | Canceled | Expired

_KINDS: dict[str, type[Record]] = {
    "deposit": Deposited,
    "accepted": Accepted,
    "rejected": Rejected,
    "triggered": Triggered,
    "fill": Filled,
    "modified": Modified,
    "canceled": Canceled,
    "expired": Expired,
}
_KIND_OF: dict[type[Record], str] = {cls: kind for kind, cls in _KINDS.items()}
_ENUMS: dict[str, Any] = {
    "side": OrderSide,
    "type": OrderType,
    "tif": TimeInForce,
    "liquidity": Liquidity,
}
_DECIMALS = frozenset({"amount", "quantity", "price", "trigger_price", "hold_price", "fee"})


# Per record class: its kind, field names, one getter for all of them, and which positions
# may hold a Decimal or an enum. Built once per class: ``encode`` runs for every fill on the
# live path, where ``dataclasses.fields()`` per call was a measurable share of a fill.
_Plan = tuple[
    str, tuple[str, ...], Callable[[Any], tuple[Any, ...]], tuple[int, ...], tuple[int, ...]
]
_PLANS: dict[type, _Plan] = {}


def _plan(cls: type[Record]) -> _Plan:
    names = tuple(f.name for f in fields(cls))
    plan = (
        _KIND_OF[cls],
        names,
        attrgetter(*names),  # every record has several fields, so this returns a tuple
        tuple(i for i, name in enumerate(names) if name in _DECIMALS),
        tuple(i for i, name in enumerate(names) if name in _ENUMS),
    )
    _PLANS[cls] = plan
    return plan


def _encode_fill(r: Filled) -> dict[str, object]:
    """``encode`` for the record every fill writes, spelled out (what the generic path gives,
    in the same key order; tests/engine/test_fast_paths.py compares the two)."""
    return {
        "kind": "fill",
        "v": SCHEMA_VERSION,
        "client_id": r.client_id,
        "trade_id": r.trade_id,
        "quantity": str(r.quantity),
        "price": str(r.price),
        "fee": str(r.fee),
        "fee_currency": r.fee_currency,
        "liquidity": r.liquidity._value_,
        "ts": r.ts,
    }


def encode(record: Record) -> dict[str, object]:
    if type(record) is Filled:
        return _encode_fill(record)
    kind, names, get_values, decimals, enums = _PLANS.get(type(record)) or _plan(type(record))
    values = list(get_values(record))
    for i in decimals:
        value = values[i]
        if isinstance(value, Decimal):
            values[i] = str(value)
    for i in enums:
        values[i] = values[i]._value_  # ``.value`` is a slower Python-level property on 3.11
    out: dict[str, object] = {"kind": kind, "v": SCHEMA_VERSION}
    out.update(zip(names, values, strict=True))
    return out


def decode(raw: dict[str, object]) -> Record:
    kind = raw.get("kind")
    cls = _KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None or not isinstance(kind, str):
        raise PaperStateError(f"unknown record kind {kind!r}")
    if raw.get("v") != SCHEMA_VERSION:
        raise PaperStateError(f"unsupported record version {raw.get('v')!r}")
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in raw:
            raise PaperStateError(f"{kind} record lacks {f.name!r}")
        value = raw[f.name]
        if value is None:
            # annotations are strings here (postponed evaluation): "Decimal | None"
            if "None" not in str(f.type):
                raise PaperStateError(f"{kind}.{f.name} must not be empty")
            values[f.name] = None
        else:
            values[f.name] = _field(kind, f.name, value)
    return cls(**values)


def _field(kind: str, name: str, value: object) -> object:
    if name in _DECIMALS:
        if not isinstance(value, str):
            raise PaperStateError(f"{kind}.{name}: expected a decimal string, got {value!r}")
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise PaperStateError(f"{kind}.{name}: not a number: {value!r}") from None
        if not number.is_finite():
            raise PaperStateError(f"{kind}.{name}: not finite: {value!r}")
        return number
    if name in _ENUMS:
        try:
            return _ENUMS[name](value)
        except ValueError:
            raise PaperStateError(f"{kind}.{name}: unknown value {value!r}") from None
    if name == "ts":
        if isinstance(value, bool) or not isinstance(value, int):
            raise PaperStateError(f"{kind}.ts: expected an integer, got {value!r}")
        return value
    if name == "reduce_only":
        if not isinstance(value, bool):
            raise PaperStateError(f"{kind}.reduce_only: expected a boolean, got {value!r}")
        return value
    if not isinstance(value, str):
        raise PaperStateError(f"{kind}.{name}: expected text, got {value!r}")
    return value
