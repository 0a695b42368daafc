"""Property tests for the order state table: any sequence of events either applies
according to TRANSITIONS or is refused, and the order's invariants always hold."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.engine.domain.errors import InvalidTransition
from app.engine.domain.orders import (
    TRANSITIONS,
    Order,
    OrderEventKind,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)


def make_order(qty: str = "10") -> Order:
    return Order(
        client_id="c1",
        venue="paper",
        symbol="BTC/USD",
        side=OrderSide.BUY,
        type=OrderType.LIMIT,
        quantity=Decimal(qty),
        price=Decimal("100"),
        trigger_price=None,
        tif=TimeInForce.GTC,
        reduce_only=False,
        source="manual",
        created_ns=1,
    )


events = st.lists(
    st.tuples(st.sampled_from(list(OrderEventKind)), st.integers(min_value=1, max_value=6)),
    max_size=25,
)


@given(events)
def test_any_event_sequence_keeps_invariants(seq: list[tuple[OrderEventKind, int]]) -> None:
    order = make_order()
    applied = 0
    for ts, (kind, qty) in enumerate(seq, start=2):
        before = order.status
        try:
            order.apply(
                kind,
                ts,
                fill_qty=Decimal(qty),
                fill_price=Decimal("100"),
                new_price=Decimal("101"),
            )
        except InvalidTransition:
            # refused events change nothing, and a refusal is only allowed when the table has
            # no entry or the fill would overfill
            assert order.status is before
            assert (before, kind) not in TRANSITIONS or (
                kind is OrderEventKind.FILLED and Decimal(qty) > order.remaining
            )
            continue
        applied += 1
        assert (before, kind) in TRANSITIONS
        assert not before.is_terminal
    assert len(order.history) == applied
    assert Decimal(0) <= order.filled_qty <= order.quantity
    assert (order.status is OrderStatus.FILLED) == (order.filled_qty == order.quantity)
    if order.filled_qty:
        assert order.avg_fill_price == Decimal("100")


def test_terminal_states_accept_nothing() -> None:
    for status in OrderStatus:
        if status.is_terminal:
            assert not any(s is status for s, _ in TRANSITIONS)


def test_partial_then_full_fill_and_average_price() -> None:
    order = make_order("3")
    order.apply(OrderEventKind.SUBMITTED, 2)
    order.apply(OrderEventKind.ACCEPTED, 3, venue_order_id="v1")
    order.apply(OrderEventKind.FILLED, 4, fill_qty=Decimal(1), fill_price=Decimal("100"))
    assert order.status is OrderStatus.PARTIALLY_FILLED
    order.apply(OrderEventKind.FILLED, 5, fill_qty=Decimal(2), fill_price=Decimal("103"))
    assert order.status is OrderStatus.FILLED
    assert order.avg_fill_price == Decimal("102")
    with pytest.raises(InvalidTransition):
        order.apply(OrderEventKind.CANCELED, 6)


def test_unknown_is_settled_by_reconciliation_not_resent() -> None:
    order = make_order()
    order.apply(OrderEventKind.SUBMITTED, 2)
    order.apply(OrderEventKind.UNKNOWN, 3, reason="timeout")
    assert order.status is OrderStatus.UNKNOWN and order.is_working
    with pytest.raises(InvalidTransition):
        order.apply(OrderEventKind.SUBMITTED, 4)  # never resent
    order.apply(OrderEventKind.FILLED, 5, fill_qty=Decimal(10), fill_price=Decimal("99"))
    assert order.status is OrderStatus.FILLED
