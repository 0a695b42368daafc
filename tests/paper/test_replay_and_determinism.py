"""Same inputs give the same fills; the record log rebuilds the venue after a restart."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.brokers.paper import PaperConfig, PaperExchange, PaperStateError, messages
from app.engine.domain.events import ExecutionReport, OrderAccepted
from app.engine.domain.orders import Order, OrderStatus
from app.engine.ports import ExecutionClient, OrderNotFound
from tests.paper.helpers import (
    BTC,
    BUY,
    IOC,
    LIMIT,
    MARKET,
    SELL,
    STOP_LIMIT,
    STOP_MARKET,
    VENUE,
    D,
    StepClock,
    Venue,
    open_venue,
    order,
    quote,
    trade,
)
from tests.paper.memory_store import MemoryVenueStore


async def _session(venue: Venue, tag: str) -> list[Order]:
    """A busy morning: every kind of order, fills of every kind, a cancel and a modify."""
    ex = venue.exchange
    ex.on_quote(quote("100.00", "100.10", bid_size="2", ask_size="0.5"))
    ex.on_trade(trade("100.05", "1"))
    orders = [
        order(BUY, MARKET, "1", client_id=f"{tag}-mkt"),
        order(BUY, LIMIT, "2", "99.00", client_id=f"{tag}-bid"),
        order(BUY, LIMIT, "1", "98.00", client_id=f"{tag}-bid2"),
        order(SELL, LIMIT, "1", "103.00", client_id=f"{tag}-ask"),
        order(SELL, STOP_MARKET, "0.5", trigger="97.00", client_id=f"{tag}-stop"),
        order(BUY, STOP_LIMIT, "0.5", "106.00", "105.00", client_id=f"{tag}-stoplim"),
        order(BUY, LIMIT, "0.0001", "99.00", client_id=f"{tag}-bad"),
        order(BUY, LIMIT, "1", "100.10", tif=IOC, client_id=f"{tag}-ioc"),
    ]
    for o in orders[:4]:
        await ex.submit(o)
    ex.on_quote(quote("100.00", "100.10", bid_size="2", ask_size="5"))  # market completes
    for o in orders[4:]:
        await ex.submit(o)
    ex.on_trade(trade("98.99", "0.7"))  # bid partly filled
    ex.on_trade(trade("103.01", "0.4"))  # ask partly filled
    await ex.modify(orders[3], price=D("104.00"))
    await ex.cancel(orders[2])
    ex.on_trade(trade("99.00", "3"))  # at the bid's price: probabilistic when configured
    return orders


async def _state(venue: Venue, client_ids: list[str]) -> object:
    ex = venue.exchange
    balances = await ex.balances()
    return (
        balances,
        {asset: (ex.available(asset), ex.reserved(asset)) for asset in balances},
        list(await ex.open_orders()),
        [await ex.query_order(cid) for cid in client_ids],
    )


async def test_same_seed_and_inputs_give_identical_reports() -> None:
    runs: list[list[ExecutionReport]] = []
    for _ in range(2):
        venue = open_venue(
            {"USDT": "10000", "BTC": "2"}, seed=42, fill_at_limit_probability=D("0.5")
        )
        await _session(venue, "x")
        runs.append(venue.reports)
    assert runs[0] == runs[1]
    assert len(runs[0]) > 15


async def test_seed_drives_the_at_price_fills() -> None:
    def fills_for(seed: int) -> list[Decimal]:
        venue = open_venue(seed=seed, fill_at_limit_probability=D("0.5"))
        venue.exchange.on_quote(quote("99.50", "100.00"))
        result = []
        for i in range(40):
            o = order(BUY, LIMIT, "0.2", "99.00", client_id=f"s{seed}-{i}")
            _run(venue.exchange.submit(o))
            venue.exchange.on_trade(trade("99.00", "0.2"))
            result.append(sum((f.quantity for f in venue.fills(o.client_id)), D(0)))
        return result

    assert fills_for(1) == fills_for(1)
    assert fills_for(1) != fills_for(2)


def _run(coro: object) -> None:
    """Drive a coroutine that completes without suspending (the paper venue never awaits)."""
    try:
        coro.send(None)  # type: ignore[attr-defined]
    except StopIteration:
        return
    raise AssertionError("the paper venue suspended")


async def test_replay_rebuilds_balances_orders_and_fills_exactly() -> None:
    store = MemoryVenueStore()
    first = open_venue({"USDT": "10000", "BTC": "2"}, store=store, slippage_bps=D("5"))
    orders = await _session(first, "r")
    ids = [o.client_id for o in orders]
    before = await _state(first, ids)

    # a new process: other initial balances must not be deposited again
    second = open_venue({"USDT": "1"}, store=store, slippage_bps=D("5"))
    assert await _state(second, ids) == before
    assert second.reports == []  # replay rebuilds state; it does not re-report
    assert store.kinds(VENUE).count("deposit") == 2


async def test_after_restart_cancel_fill_and_new_ids_continue() -> None:
    store = MemoryVenueStore()
    clock = StepClock()
    first = open_venue({"USDT": "10000", "BTC": "2"}, store=store, clock=clock)
    orders = await _session(first, "c")
    trade_ids = [f.trade_id for f in first.fills()]
    venue_ids = [r.venue_order_id for r in first.reports if isinstance(r, OrderAccepted)]

    second = open_venue({}, store=store, clock=clock)
    bid, ask, stop = orders[1], orders[3], orders[4]
    await second.exchange.cancel(ask)
    assert await second.status(ask.client_id) is OrderStatus.CANCELED
    assert second.exchange.reserved("BTC") == D("0.5")  # only the stop still holds base

    second.exchange.on_quote(quote("96.00", "96.10"))  # crosses the resting bid: maker fill
    second.exchange.on_trade(trade("96.50", "10"))  # triggers the sell stop
    assert [f.trade_id for f in second.fills()] == [
        f"P-{len(trade_ids) + 1}",
        f"P-{len(trade_ids) + 2}",
    ]
    assert {f.client_id for f in second.fills()} == {bid.client_id, stop.client_id}
    assert await second.status(bid.client_id) is OrderStatus.FILLED

    fresh = order(BUY, LIMIT, "1", "90.00")
    await second.exchange.submit(fresh)
    accepted = second.of(fresh.client_id)[0]
    assert isinstance(accepted, OrderAccepted)
    assert accepted.venue_order_id == f"PO-{len(venue_ids) + 1}"

    third = open_venue({}, store=store, clock=clock)
    assert await _state(third, [o.client_id for o in orders]) == await _state(
        second, [o.client_id for o in orders]
    )


async def test_a_crash_between_records_leaves_a_consistent_prefix() -> None:
    store = MemoryVenueStore()
    first = open_venue({"USDT": "10000"}, store=store)
    first.exchange.on_quote(quote("100.00", "100.10", ask_size="0.5"))
    o = order(BUY, MARKET, "1")
    await first.exchange.submit(o)
    assert store.kinds(VENUE) == ["deposit", "accepted", "fill"]
    store.truncate(VENUE, 2)  # the process died before the fill reached the log

    second = open_venue({"USDT": "10000"}, store=store)
    state = await second.exchange.query_order(o.client_id)
    assert (state.status, state.filled_qty) == (OrderStatus.ACCEPTED, D(0))
    assert second.exchange.reserved("USDT") == D("1") * D("100.10") * D("1.002")


async def test_a_corrupt_log_fails_loudly() -> None:
    store = MemoryVenueStore()
    first = open_venue({"USDT": "10000"}, store=store)
    await first.exchange.submit(order(BUY, LIMIT, "1", "90.00"))
    store.replace(VENUE, 1, {"kind": "fill", "v": 1, "client_id": "nobody"})
    with pytest.raises(PaperStateError, match="record #1"):
        open_venue({}, store=store)


async def test_reports_wait_for_a_sink_and_a_failing_sink_does_not_lose_any() -> None:
    store = MemoryVenueStore()
    venue = open_venue(store=store)
    venue.exchange.on_quote(quote("99.50", "100.00"))
    o = order(BUY, LIMIT, "1", "99.00")
    await venue.exchange.submit(o)

    # restarted, and used before bootstrap has wired the sink
    restarted = PaperExchange(VENUE, [BTC], PaperConfig(), store, StepClock())
    fresh = order(BUY, LIMIT, "1", "98.00")
    await restarted.submit(fresh)
    early: list[ExecutionReport] = []
    restarted.set_report_sink(early.append)
    assert [type(r).__name__ for r in early] == ["OrderAccepted"]

    seen: list[ExecutionReport] = []

    def flaky(report: ExecutionReport) -> None:
        seen.append(report)
        if len(seen) == 1:
            raise RuntimeError("consumer bug")

    restarted.set_report_sink(flaky)
    restarted.on_quote(quote("97.00", "97.10"))  # crosses both bids
    assert len(seen) == 2
    assert (await restarted.query_order(o.client_id)).status is OrderStatus.FILLED
    assert (await restarted.query_order(fresh.client_id)).status is OrderStatus.FILLED


async def test_a_known_client_id_sent_again_creates_nothing_and_repeats_its_reports() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("99.50", "100.00"))
    o = order(BUY, LIMIT, "1", "99.00")
    await venue.exchange.submit(o)
    venue.exchange.on_trade(trade("98.00", "0.3"))
    first = list(venue.reports)
    await venue.exchange.submit(o)
    assert venue.reports[len(first) :] == first  # same accepted + same fill, same ids
    assert len(await venue.exchange.open_orders()) == 1

    bad = order(BUY, LIMIT, "0.0001", "99.00")
    await venue.exchange.submit(bad)
    await venue.exchange.submit(bad)
    assert venue.kinds(bad.client_id) == ["OrderRejected", "OrderRejected"]
    assert {r.reason for r in venue.of(bad.client_id)} == {messages.LOT_SIZE}  # type: ignore[union-attr]
    with pytest.raises(OrderNotFound):
        await venue.exchange.cancel(bad)


def test_the_paper_exchange_is_an_execution_client() -> None:
    venue = open_venue()
    assert isinstance(venue.exchange, ExecutionClient)
    caps = venue.exchange.capabilities
    assert (caps.stop_orders, caps.stop_limit_orders, caps.modify, caps.native_oco) == (
        True,
        True,
        True,
        False,
    )
