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

from app.backtest.journal import MemoryJournal
from app.brokers.paper import PaperExchange, records
from app.engine.bus import Bus
from app.engine.domain.errors import ValidationError
from app.engine.domain.events import FillRecorded, OrderUpdated, PositionChanged
from app.engine.domain.fastinit import fast_frozen_init
from app.engine.domain.fills import Fill, Liquidity
from app.engine.domain.ids import _base36, new_client_order_id, validate_source
from app.engine.domain.orders import (
    Order,
    OrderEventKind,
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from app.engine.domain.positions import Position
from app.engine.risk import RiskDenied, _enum_field
from app.engine.store import Journal
from app.engine.store.repository import ORDER_COLUMNS, order_row, order_snapshot
from tests.engine.harness import Harness

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


def test_bus_type_only_cache_follows_subscriptions() -> None:
    bus = Bus()
    first: list[object] = []
    second: list[object] = []
    bus.subscribe(FillRecorded, first.append)
    event = FillRecorded(_fill())
    bus.publish(event)  # caches FillRecorded's handlers by type alone
    unsubscribe = bus.subscribe(FillRecorded, second.append, priority=0)
    bus.publish(event)
    assert first == [event, event] and second == [event]
    unsubscribe()
    bus.publish(event)
    assert len(first) == 3 and second == [event]


def test_enum_fields_take_members_and_their_values_alike() -> None:
    assert _enum_field("side", OrderSide, OrderSide.SELL) is OrderSide.SELL
    assert _enum_field("side", OrderSide, "sell") is OrderSide.SELL
    assert _enum_field("type", OrderType, "limit") is OrderType.LIMIT
    with pytest.raises(RiskDenied) as denied:
        _enum_field("tif", TimeInForce, OrderSide.BUY)
    assert denied.value.field == "tif" and "gtc" in denied.value.rule


def test_validated_sources_are_remembered_but_bad_ones_still_fail() -> None:
    assert validate_source("bot:fast1") == "bot:fast1"
    assert validate_source("bot:fast1") == "bot:fast1"  # from the cache
    assert new_client_order_id("bot:fast1", 0).startswith("tdbfast1-0-")
    for bad in ("bot:", "bot:way_too_long_id", "robot", ""):
        with pytest.raises(ValidationError) as err:
            validate_source(bad)
        assert err.value.field == "source"


def _order(client_id: str) -> Order:
    order = Order(
        client_id, "paper", "BTC/USD", OrderSide.BUY, OrderType.LIMIT, D("0.01"), D("50000"),
        None, TimeInForce.GTC, False, "bot:x", 1,
    )  # fmt: skip
    order.apply(OrderEventKind.SUBMITTED, 2)
    return order


async def test_noted_writes_land_like_recorded_ones(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    try:
        recorded, noted = _order("rec"), _order("note")
        waiter = journal.record_order(recorded, "submitted")
        assert journal.note_order(noted, "submitted") is None  # nothing to await, or drop
        await waiter
        journal.note_fill(_fill(client_id="note", trade_id="n1"))
        await journal.record_fill(_fill(client_id="rec", trade_id="r1"))
        await journal.flush()
        orders = {o.client_id: o for o in journal.load_orders()}
        assert orders["note"].status is orders["rec"].status is OrderStatus.SUBMITTED
        assert journal.load_order_history("note") == journal.load_order_history("rec")
        assert {f.trade_id for f in journal.load_fills()} == {"n1", "r1"}
    finally:
        journal.close()


def test_backtest_journal_counts_noted_writes() -> None:
    journal = MemoryJournal()
    journal.note_order(_order("a"), "submitted")
    journal.note_fill(_fill())
    assert journal.order_events == 1 and journal.fills == [_fill()]


async def test_paper_orders_are_sent_without_a_deadline_unless_submit_is_overridden(
    tmp_path: Path,
) -> None:
    calls: list[str] = []

    class Watched(PaperExchange):
        async def submit(self, order: Order) -> None:
            calls.append(order.client_id)
            await super().submit(order)

    outcomes = []
    for index, venue_cls in enumerate((PaperExchange, Watched)):
        h = Harness(tmp_path / str(index), venue_cls=venue_cls)
        await h.start()
        at_once = h.engine.oms._submit_now is not None
        h.market("BTC/USD", "100.00")
        order = await h.engine.place_order(
            OrderRequest("BTC/USD", OrderSide.BUY, OrderType.MARKET, "1", source="bot:x")
        )
        resting = await h.engine.place_order(
            OrderRequest("BTC/USD", OrderSide.BUY, OrderType.LIMIT, "1", D("99"), source="bot:x")
        )
        outcomes.append((at_once, order.status, order.filled_qty, resting.status))
        await h.settle()
        await h.close()
    assert outcomes[0][0] and not outcomes[1][0]  # an override keeps the awaited call
    assert outcomes[0][1:] == outcomes[1][1:] == (OrderStatus.FILLED, D(1), OrderStatus.ACCEPTED)
    assert len(calls) == 2


def test_base36_by_digit_pairs_matches_digit_by_digit() -> None:
    def one_digit_at_a_time(n: int) -> str:  # the encoder as it was (the reference)
        digits, out = "0123456789abcdefghijklmnopqrstuvwxyz", ""
        while True:
            n, r = divmod(n, 36)
            out = digits[r] + out
            if n == 0:
                return out

    edges = [36**k + d for k in range(1, 12) for d in (-1, 0, 1)]
    for n in [*range(3000), *edges, 1_763_800_000_000, 2**63 - 1]:
        assert _base36(n) == one_digit_at_a_time(n), n
    with pytest.raises(ValidationError):
        new_client_order_id("robot", 0)  # an unknown source is refused, cached tags or not
