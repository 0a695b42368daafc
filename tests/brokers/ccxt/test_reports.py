"""ReportBook: each fact reported once, accepted before fills, stale halves of a replace
ignored, reports kept until a sink is set."""

from __future__ import annotations

from decimal import Decimal

from app.brokers.ccxt.reports import ReportBook
from app.engine.domain.events import (
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderModified,
    OrderRejected,
)
from app.engine.domain.fills import Fill, Liquidity
from app.engine.domain.orders import OrderSide, OrderStatus


def fill(trade_id: str, client_id: str = "c1", venue_id: str | None = "11") -> Fill:
    return Fill(
        "binance",
        trade_id,
        client_id,
        venue_id,
        "BTC/USDT",
        OrderSide.BUY,
        Decimal("0.01"),
        Decimal("30000"),
        Decimal("0.3"),
        "USDT",
        Liquidity.TAKER,
        5,
    )


def test_reports_wait_for_a_sink_and_keep_their_order() -> None:
    book = ReportBook("binance")
    book.track("c1", "BTC/USDT")
    book.accepted("c1", "11", 1)
    book.fill(fill("t1"))
    got: list[object] = []
    book.set_sink(got.append)
    assert [type(r) for r in got] == [OrderAccepted, OrderFilled]


def test_a_fill_is_reported_once_and_implies_acceptance() -> None:
    book = ReportBook("binance")
    got: list[object] = []
    book.set_sink(got.append)
    book.track("c1", "BTC/USDT")
    assert book.fill(fill("t1"))
    assert not book.fill(fill("t1"))
    book.accepted("c1", "11", 2)
    assert [type(r) for r in got] == [OrderAccepted, OrderFilled]
    assert book.get("c1") is not None and book.get("c1").filled == Decimal("0.01")  # type: ignore[union-attr]


def test_fills_of_orders_we_did_not_place_still_go_out() -> None:
    book = ReportBook("binance")
    got: list[object] = []
    book.set_sink(got.append)
    book.fill(fill("t9", client_id="web_1", venue_id="99"))
    assert [type(r) for r in got] == [OrderFilled]


def test_terminal_state_once_and_not_for_the_old_half_of_a_replace() -> None:
    book = ReportBook("binance")
    got: list[object] = []
    book.set_sink(got.append)
    book.track("c1", "BTC/USDT")
    book.accepted("c1", "11", 1)
    book.replaced("c1", "12")
    book.finished("c1", "11", OrderStatus.CANCELED, "", 2)  # the replaced order's cancel
    assert [type(r) for r in got] == [OrderAccepted]
    book.finished("c1", "12", OrderStatus.CANCELED, "", 3)
    book.finished("c1", "12", OrderStatus.CANCELED, "", 4)
    assert [type(r) for r in got] == [OrderAccepted, OrderCanceled]
    book.modified(OrderModified("c1", 5, price=Decimal(1)))  # too late: it is dead
    assert len(got) == 2
    assert book.client_for("11") == "c1" and book.client_for("12") == "c1"


def test_a_cancel_during_a_modify_in_flight_is_held_back() -> None:
    book = ReportBook("binance")
    got: list[object] = []
    book.set_sink(got.append)
    tracked = book.track("c1", "BTC/USDT")
    book.accepted("c1", "11", 1)
    tracked.modifying = True
    book.finished("c1", "11", OrderStatus.CANCELED, "", 2)
    assert [type(r) for r in got] == [OrderAccepted]


def test_rejection_is_reported_with_its_reason() -> None:
    book = ReportBook("binance")
    got: list[object] = []
    book.set_sink(got.append)
    book.track("c1", "BTC/USDT")
    book.finished("c1", None, OrderStatus.REJECTED, "filter", 1)
    (report,) = got
    assert isinstance(report, OrderRejected) and report.reason == "filter"


def test_a_failing_sink_does_not_lose_the_next_report() -> None:
    book = ReportBook("binance")
    got: list[object] = []

    def sink(report: object) -> None:
        got.append(report)
        if len(got) == 1:
            raise RuntimeError("boom")

    book.set_sink(sink)  # type: ignore[arg-type]
    book.track("c1", "BTC/USDT")
    book.accepted("c1", "11", 1)
    book.fill(fill("t1"))
    assert [type(r) for r in got] == [OrderAccepted, OrderFilled]
