"""Random sessions: the books always add up, a spot account never goes below zero, and the
record log always rebuilds the same venue."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.brokers.paper import FeeCurrency
from app.engine.domain.orders import OrderSide, OrderStatus, OrderType, TimeInForce
from app.engine.ports import OrderNotFound, OrderRefused
from tests.paper.helpers import D, Venue, open_venue, order, quote, trade
from tests.paper.memory_store import MemoryVenueStore

TICKS = st.integers(min_value=9_950, max_value=10_050)  # prices 99.50 .. 100.50: they meet
SIZES = st.sampled_from(["0", "0.1", "0.25", "0.5", "1", "3"])
QTYS = st.sampled_from(["0.1", "0.2", "0.5", "1", "1.5", "4"])

actions = st.one_of(
    st.tuples(st.just("quote"), TICKS, st.integers(1, 20), SIZES, SIZES),
    st.tuples(st.just("trade"), TICKS, SIZES),
    st.tuples(
        st.just("submit"),
        st.sampled_from(list(OrderSide)),
        st.sampled_from(list(OrderType)),
        QTYS,
        TICKS,
        TICKS,
        st.sampled_from(list(TimeInForce)),
    ),
    st.tuples(st.just("cancel"), st.integers(0, 40)),
    st.tuples(st.just("modify"), st.integers(0, 40), TICKS, st.sampled_from([None, "0.3", "2"])),
)


def _price(ticks: int) -> str:
    return str(Decimal(ticks) / 100)


async def _play(venue: Venue, steps: list[tuple[Any, ...]]) -> list[str]:
    ex = venue.exchange
    ids: list[str] = []
    ex.on_quote(quote("99.95", "100.05"))
    ex.on_trade(trade("100.00", "1"))
    for step in steps:
        kind = step[0]
        if kind == "quote":
            _, bid, spread, bid_size, ask_size = step
            ex.on_quote(quote(_price(bid), _price(bid + spread), str(bid_size), str(ask_size)))
        elif kind == "trade":
            ex.on_trade(trade(_price(step[1]), str(step[2])))
        elif kind == "submit":
            _, side, type_, qty, p1, p2, tif = step
            o = order(
                side,
                type_,
                str(qty),
                _price(p1) if type_ in (OrderType.LIMIT, OrderType.STOP_LIMIT) else None,
                _price(p2) if type_ in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT) else None,
                tif=tif,
            )
            ids.append(o.client_id)
            await ex.submit(o)
        elif ids:
            target = order(
                OrderSide.BUY, OrderType.LIMIT, "1", client_id=ids[int(step[1]) % len(ids)]
            )
            try:
                if kind == "cancel":
                    await ex.cancel(target)
                else:
                    qty = None if step[3] is None else D(str(step[3]))
                    await ex.modify(target, price=D(_price(step[2])), quantity=qty)
            except (OrderNotFound, OrderRefused):
                pass
        _check(venue)
    return ids


def _check(venue: Venue) -> None:
    ex = venue.exchange
    # cash never goes below zero; base only on an account that may short
    for asset in ("USDT",) if ex.capabilities.shorting else ("USDT", "BTC"):
        assert ex.total(asset) >= 0, asset
        assert ex.available(asset) >= 0, asset
    # every balance is the initial deposit plus what the fills say, to the last digit
    usdt, btc = D("1000"), D("5")
    for fill in venue.fills():
        sign = 1 if fill.side is OrderSide.BUY else -1
        usdt -= sign * fill.quantity * fill.price
        btc += sign * fill.quantity
        if fill.fee_currency == "USDT":
            usdt -= fill.fee
        else:
            btc -= fill.fee
    assert (ex.total("USDT"), ex.total("BTC")) == (usdt, btc)


async def _snapshot(venue: Venue, ids: list[str]) -> object:
    ex = venue.exchange
    states = []
    for cid in ids:
        state = await ex.query_order(cid)
        assert state.filled_qty == sum((f.quantity for f in state.fills), D(0))
        if state.status is OrderStatus.FILLED:
            assert not any(cid == s.client_id for s in await ex.open_orders())
        states.append(state)
    balances = await ex.balances()
    return (
        balances,
        {a: (ex.available(a), ex.reserved(a)) for a in balances},
        list(await ex.open_orders()),
        states,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(actions, min_size=5, max_size=60),
    base_fee=st.booleans(),
    slippage=st.sampled_from(["0", "7"]),
)
def test_random_sessions_keep_the_books_exact_and_replayable(
    steps: list[tuple[Any, ...]], base_fee: bool, slippage: str
) -> None:
    async def scenario() -> None:
        store = MemoryVenueStore()
        config: dict[str, Any] = {
            "store": store,
            "slippage_bps": D(slippage),
            "fee_currency": FeeCurrency.BASE_ON_BUY if base_fee else FeeCurrency.QUOTE,
        }
        venue = open_venue({"USDT": "1000", "BTC": "5"}, **config)
        ids = await _play(venue, steps)
        restarted = open_venue({"USDT": "1000", "BTC": "5"}, **config)
        assert await _snapshot(restarted, ids) == await _snapshot(venue, ids)

    asyncio.run(scenario())


def _random_steps(rng: random.Random, count: int) -> list[tuple[Any, ...]]:
    """A long session drawn from a seeded generator: hypothesis prefers short examples, this
    exercises deep books, many partial fills and many maker fills."""
    sizes, qtys = ["0", "0.1", "0.25", "0.5", "1", "3"], ["0.2", "0.5", "1", "1.5", "4"]
    mid = 10_000
    steps: list[tuple[Any, ...]] = []
    for _ in range(count):
        mid = min(10_300, max(9_700, mid + rng.randint(-8, 8)))
        roll = rng.random()
        if roll < 0.3:
            steps.append(
                (
                    "quote",
                    mid - rng.randint(0, 5),
                    rng.randint(1, 10),
                    rng.choice(sizes),
                    rng.choice(sizes),
                )
            )
        elif roll < 0.6:
            steps.append(("trade", mid + rng.randint(-10, 10), rng.choice(sizes)))
        elif roll < 0.85:
            steps.append(
                (
                    "submit",
                    rng.choice(list(OrderSide)),
                    rng.choice(list(OrderType)),
                    rng.choice(qtys),
                    mid + rng.randint(-20, 20),
                    mid + rng.randint(-20, 20),
                    rng.choice([TimeInForce.GTC] * 4 + [TimeInForce.IOC, TimeInForce.FOK]),
                )
            )
        elif roll < 0.93:
            steps.append(("cancel", rng.randint(0, 10**6)))
        else:
            steps.append(
                (
                    "modify",
                    rng.randint(0, 10**6),
                    mid + rng.randint(-20, 20),
                    rng.choice([None, "0.3", "2"]),
                )
            )
    return steps


@pytest.mark.parametrize("seed", range(6))
async def test_long_random_sessions_keep_the_books_exact_and_replayable(seed: int) -> None:
    rng = random.Random(seed)
    store = MemoryVenueStore()
    config: dict[str, Any] = {
        "store": store,
        "shorting": seed % 2 == 1,
        "slippage_bps": D(seed),
        "fee_currency": FeeCurrency.BASE_ON_BUY if seed % 3 == 0 else FeeCurrency.QUOTE,
        "fill_at_limit_probability": D("0.3"),
        "seed": seed,
    }
    venue = open_venue({"USDT": "1000", "BTC": "5"}, **config)
    ids = await _play(venue, _random_steps(rng, 1_500))
    fills = venue.fills()
    assert len(fills) > 100
    assert {f.liquidity.value for f in fills} == {"maker", "taker"}
    restarted = open_venue({"USDT": "1000", "BTC": "5"}, **config)
    assert await _snapshot(restarted, ids) == await _snapshot(venue, ids)
