"""The hot-path shortcuts behave exactly like the plain code they replace."""

from __future__ import annotations

import dataclasses
import inspect
import json
import subprocess
import sys
from dataclasses import dataclass, fields
from decimal import Decimal
from pathlib import Path

import pytest

from app.brokers.paper import records
from app.engine.bus import Bus
from app.engine.domain.events import FillRecorded, OrderUpdated, PositionChanged
from app.engine.domain.fastinit import fast_frozen_init
from app.engine.domain.fills import Fill, Liquidity
from app.engine.domain.orders import Order, OrderEventKind, OrderSide, OrderType, TimeInForce
from app.engine.domain.positions import Position
from app.engine.store.repository import ORDER_COLUMNS, order_row, order_snapshot

D = Decimal


def _fill(**changes: object) -> Fill:
    values: dict[str, object] = dict(
        venue="paper",
        trade_id="t1",
        client_id="c1",
        venue_order_id="v1",
        symbol="BTC/USD",
        side=OrderSide.BUY,
        quantity=D("0.01"),
        price=D("50000.5"),
        fee=D("0.05"),
        fee_currency="USD",
        liquidity=Liquidity.MAKER,
        ts=7,
    )
    values.update(changes)
    return Fill(**values)  # type: ignore[arg-type]


def test_fast_init_matches_the_generated_one() -> None:
    @dataclass(frozen=True, slots=True)
    class Plain:
        a: str
        b: Decimal
        c: int = 3
        d: str | None = None

    @fast_frozen_init
    @dataclass(frozen=True, slots=True)
    class Fast:
        a: str
        b: Decimal
        c: int = 3
        d: str | None = None

    assert inspect.signature(Fast) == inspect.signature(Plain)
    for args, kwargs in (
        (("x", D(1)), {}),
        (("x", D(1), 4), {"d": "y"}),
        ((), {"a": "z", "b": D(2)}),
    ):
        fast, plain = Fast(*args, **kwargs), Plain(*args, **kwargs)
        assert [getattr(fast, f.name) for f in fields(Fast)] == [
            getattr(plain, f.name) for f in fields(Plain)
        ]
        again = Fast(*args, **kwargs)
        assert fast == again and hash(fast) == hash(again)
    with pytest.raises(dataclasses.FrozenInstanceError):
        Fast("x", D(1)).a = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Fast("x")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Fast("x", D(1), 3, None, "one too many")  # type: ignore[call-arg]


def test_fast_init_refuses_shapes_it_cannot_reproduce() -> None:
    @dataclass(frozen=True, slots=True)
    class WithFactory:
        items: list[int] = dataclasses.field(default_factory=list)

    @dataclass(frozen=True, slots=True)
    class WithPostInit:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclass(slots=True)
    class NotFrozen:
        a: int

    for cls in (WithFactory, WithPostInit, NotFrozen):
        with pytest.raises(TypeError, match="cannot reproduce"):
            fast_frozen_init(cls)


def test_hot_domain_objects_keep_their_constructors() -> None:
    fill = _fill()
    assert fill.source == "" and fill.realized_pnl is None
    assert fill.attributed("bot:x", D("1.5")) == _fill(source="bot:x", realized_pnl=D("1.5"))
    assert dataclasses.replace(fill, trade_id="t2").trade_id == "t2"
    assert FillRecorded(fill).fill is fill
    position = Position("BTC/USD")
    assert PositionChanged(position, 5) == PositionChanged(position=position, ts=5)


def _old_encode(record: records.Record) -> dict[str, object]:
    """The encoder as it was before its per-class plan (the reference)."""
    out: dict[str, object] = {"kind": records._KIND_OF[type(record)], "v": records.SCHEMA_VERSION}
    for f in fields(record):
        value = getattr(record, f.name)
        if isinstance(value, Decimal):
            value = str(value)
        elif f.name in records._ENUMS:
            value = value.value
        out[f.name] = value
    return out


@pytest.mark.parametrize(
    "record",
    [
        records.Deposited("USD", D("10.50"), 1),
        records.Accepted(
            "c", "v", "BTC/USD", OrderSide.BUY, OrderType.LIMIT, D("1"), D("2.50"), None,
            TimeInForce.GTC, False, None, 5,
        ),
        records.Accepted(
            "c", "v", "BTC/USD", OrderSide.SELL, OrderType.STOP_LIMIT, D("1"), D("2.5"), D("3"),
            TimeInForce.IOC, True, D("3"), 5,
        ),
        records.Rejected("c", "BTC/USD", "why", 3),
        records.Triggered("c", 4),
        records.Filled("c", "P-1", D("0.01"), D("5E+3"), D("0.0500"), "USD", Liquidity.TAKER, 9),
        records.Modified("c", None, D("1"), None, 7),
        records.Canceled("c", "r", 1),
        records.Expired("c", "r", 2),
    ],
)  # fmt: skip
def test_encode_is_unchanged(record: records.Record) -> None:
    encoded = records.encode(record)
    assert json.dumps(encoded) == json.dumps(_old_encode(record))  # same keys, order, values
    assert records.decode(encoded) == record


def test_order_snapshot_follows_the_columns() -> None:
    order = Order(
        "cid", "paper", "BTC/USD", OrderSide.BUY, OrderType.LIMIT, D("0.01"), D("50000"), None,
        TimeInForce.GTC, False, "bot:x", 1,
    )  # fmt: skip
    order.apply(OrderEventKind.SUBMITTED, 2)
    snapshot = order_snapshot(order)
    assert [getattr(order, c) for c in ORDER_COLUMNS] == list(snapshot)
    row = order_row(order)
    assert row[ORDER_COLUMNS.index("status")] == "submitted"
    assert row[ORDER_COLUMNS.index("quantity")] == "0.01"
    order.quantity = 0.5  # type: ignore[assignment]
    with pytest.raises(TypeError, match="Decimal"):
        order_snapshot(order)
    order.quantity = D("NaN")
    with pytest.raises(ValueError, match="finite"):
        order_snapshot(order)


def test_bus_still_routes_by_symbol_and_skips_only_symbol_free_types() -> None:
    bus = Bus()
    seen: list[object] = []

    class Loose:  # instances may carry a symbol: must still be routed by it
        def __init__(self, symbol: str) -> None:
            self.symbol = symbol

    bus.subscribe(Loose, seen.append, symbol="ETH/USD")
    bus.subscribe(FillRecorded, seen.append)
    bus.subscribe(OrderUpdated, seen.append, symbol="BTC/USD")  # no symbol attribute: unused
    eth, btc = Loose("ETH/USD"), Loose("BTC/USD")
    bus.publish(eth)
    bus.publish(btc)
    recorded = FillRecorded(_fill())
    bus.publish(recorded)
    assert seen == [eth, recorded]


def test_gc_tuning_is_applied_once(tmp_path: Path) -> None:
    # in a child process: it changes process-wide collector settings
    script = (
        "import gc\n"
        "from app.engine.gc_tuning import YOUNG_THRESHOLD, tune_gc\n"
        "tune_gc(); first = gc.get_freeze_count()\n"
        "assert gc.get_threshold()[0] == YOUNG_THRESHOLD and first > 0\n"
        "junk = [[] for _ in range(1000)]\n"
        "tune_gc()\n"
        "assert gc.get_freeze_count() == first, 'a second call must freeze nothing more'\n"
        "print('ok')\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
