"""Everything written comes back exactly, Decimals included."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from app.engine.domain.fills import Fill
from app.engine.domain.orders import OrderEventKind, OrderStatus
from app.engine.store import Journal, LedgerEntry
from tests.store.factories import make_fill, make_order

EXACT = [
    Decimal("0.00000001"),
    Decimal("123456789.123456789"),
    Decimal("1E+30"),
    Decimal("-0.000000000000000000001"),
    Decimal("1.10"),  # the trailing zero survives: str() keeps the exponent
]


async def test_order_round_trip_with_history(journal: Journal) -> None:
    order = make_order()
    await journal.record_order(order, "created")
    order.apply(OrderEventKind.SUBMITTED, order.created_ns + 1)
    await journal.record_order(order, "sent to paper")
    order.apply(OrderEventKind.ACCEPTED, order.created_ns + 2, venue_order_id="v-77")
    order.apply(
        OrderEventKind.FILLED,
        order.created_ns + 3,
        fill_qty=Decimal("0.000000004"),
        fill_price=Decimal("123456789.1"),
        fee=Decimal("0.0000001"),
    )
    await journal.record_order(order, "partial fill")

    (loaded,) = journal.load_orders()
    history = loaded.history
    loaded.history = order.history = []
    assert loaded == order
    assert loaded.status is OrderStatus.PARTIALLY_FILLED
    assert loaded.filled_qty == Decimal("0.000000004")
    assert history == [
        (order.created_ns, OrderStatus.INITIALIZED, "created"),
        (order.created_ns + 1, OrderStatus.SUBMITTED, "sent to paper"),
        (order.created_ns + 3, OrderStatus.PARTIALLY_FILLED, "partial fill"),
    ]
    assert journal.load_order_history(order.client_id) == history
    assert journal.load_order_history("nobody") == []


@pytest.mark.parametrize("value", EXACT)
async def test_decimals_are_exact(journal: Journal, db_path: Path, value: Decimal) -> None:
    await journal.record_order(make_order(quantity=value, price=value), "x")
    await journal.record_fill(make_fill(quantity=value))
    await journal.append_ledger(1, "USDT", value, "deposit")
    (order,) = journal.load_orders()
    (fill,) = journal.load_fills()
    (entry,) = journal.load_ledger()
    for got in (order.quantity, order.price, fill.quantity, entry.amount):
        assert got == value
        assert str(got) == str(value)
    # Stored as TEXT, never REAL.
    with sqlite3.connect(db_path) as raw:
        kinds = raw.execute("SELECT typeof(quantity), typeof(price) FROM orders").fetchone()
        assert kinds == ("text", "text")
        assert raw.execute("SELECT typeof(created_ns) FROM orders").fetchone() == ("integer",)


async def test_order_is_snapshotted_when_recorded(journal: Journal) -> None:
    order = make_order()
    waiter = journal.record_order(order, "created")
    order.status = OrderStatus.SUBMITTED  # the OMS moves on before the write lands
    order.filled_qty = Decimal(5)
    await waiter
    (loaded,) = journal.load_orders()
    assert loaded.status is OrderStatus.INITIALIZED
    assert loaded.filled_qty == 0


async def test_open_only_orders(journal: Journal) -> None:
    for i, status in enumerate(OrderStatus):
        journal.record_order(make_order(f"o-{status.value}", status=status, created_ns=i), "s")
    await journal.flush()
    open_ids = {o.client_id for o in journal.load_orders(open_only=True)}
    assert open_ids == {f"o-{s.value}" for s in OrderStatus if not s.is_terminal}
    assert len(journal.load_orders()) == len(OrderStatus)
    for order in journal.load_orders(open_only=True):
        assert [h[2] for h in order.history] == ["s"]


async def test_fill_round_trip_and_dedup(journal: Journal) -> None:
    fill = make_fill()
    await journal.record_fill(fill)
    await journal.record_fill(fill)  # replayed by the venue after a reconnect
    await journal.record_fill(make_fill(quantity=Decimal(99)))  # same key, other data
    assert journal.load_fills() == [fill]
    # Same trade id at another venue is a different fill.
    other = make_fill(venue="binance")
    await journal.record_fill(other)
    assert journal.fill_keys() == {("paper", "t-1"), ("binance", "t-1")}


async def test_fill_filters_and_order(journal: Journal) -> None:
    fills = [
        make_fill("a", ts=30, symbol="BTC/USDT", source="manual"),
        make_fill("b", ts=10, symbol="ETH/USDT", source="bot:x"),
        make_fill("c", ts=20, symbol="BTC/USDT", source="bot:x"),
        make_fill("d", ts=20, symbol="ETH/USDT", source="manual"),
    ]
    for fill in fills:
        journal.record_fill(fill)
    await journal.flush()

    def ids(found: list[Fill]) -> list[str]:
        return [f.trade_id for f in found]

    assert ids(journal.load_fills()) == ["b", "c", "d", "a"]  # ts, then insertion order
    assert ids(journal.load_fills(since_ns=20)) == ["c", "d", "a"]
    assert ids(journal.load_fills(until_ns=20)) == ["b"]
    assert ids(journal.load_fills(source="manual")) == ["d", "a"]
    assert ids(journal.load_fills(symbol="BTC/USDT", source="bot:x")) == ["c"]


async def test_ledger_round_trip(journal: Journal) -> None:
    await journal.append_ledger(200, "USDT", Decimal("-250.5"), "withdrawal", "rent")
    await journal.append_ledger(100, "USDT", Decimal("10000"), "deposit", "paper start")
    entries = journal.load_ledger()
    assert [(e.ts_ns, e.asset, e.amount, e.kind, e.note) for e in entries] == [
        (100, "USDT", Decimal("10000"), "deposit", "paper start"),
        (200, "USDT", Decimal("-250.5"), "withdrawal", "rent"),
    ]
    assert all(isinstance(e, LedgerEntry) for e in entries)


async def test_kv_round_trip(journal: Journal) -> None:
    assert journal.get_kv("risk.limits") is None
    assert journal.get_kv("risk.limits", {"none": True}) == {"none": True}
    limits = {"max_notional": Decimal("1000.50"), "symbols": ["BTC/USDT"], "on": True}
    await journal.set_kv("risk.limits", limits)
    assert journal.get_kv("risk.limits") == {
        "max_notional": "1000.50",  # Decimals come back as exact strings
        "symbols": ["BTC/USDT"],
        "on": True,
    }
    await journal.set_kv("risk.limits", None)
    assert journal.get_kv("risk.limits", "default") is None  # stored null is not "missing"


def test_kv_refuses_what_json_cannot_hold(journal: Journal) -> None:
    with pytest.raises(TypeError):
        journal.set_kv("k", object())
    with pytest.raises(ValueError):
        journal.set_kv("k", float("nan"))
    with pytest.raises(ValueError):
        journal.set_kv("k", Decimal("NaN"))


async def test_venue_records_in_append_order(journal: Journal) -> None:
    for i in range(300):
        journal.append_venue_record("paper", {"seq": i, "price": Decimal("0.1")})
        if i % 3 == 0:
            journal.append_venue_record("paper2", {"seq": i})
    await journal.flush()
    records = journal.load_venue_records("paper")
    assert [r["seq"] for r in records] == list(range(300))
    assert records[0]["price"] == "0.1"
    assert [r["seq"] for r in journal.load_venue_records("paper2")] == list(range(0, 300, 3))
    assert journal.load_venue_records("nowhere") == []


def test_data_survives_reopen(data_dir: Path) -> None:
    with Journal.open(data_dir) as journal:
        journal.record_order(make_order(), "created")
        journal.record_fill(make_fill())
        journal.set_kv("day_start_equity", "10000")
        journal.append_venue_record("paper", {"seq": 1})
    with Journal.open(data_dir) as journal:
        assert [o.client_id for o in journal.load_orders()] == ["tdm-1"]
        assert journal.fill_keys() == {("paper", "t-1")}
        assert journal.get_kv("day_start_equity") == "10000"
        assert journal.load_venue_records("paper") == [{"seq": 1}]
