"""Brackets on Binance as one-cancels-the-other order lists, end to end: the real ccxt client,
our adapter and engine, the loopback emulator at the wire.

A bracket's stop-loss and take-profit rest at the venue as one list (the coins reserved
once); the venue ends the other leg when one executes; a new price replaces the list; a
trader's cancel of one leg keeps the other; a partly filled take-profit leaves the rest
protected by an engine-side stop; a lost reply settles both legs by their client ids."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from app.bootstrap import open_accounts, open_session
from app.engine.domain.errors import ValidationError
from app.engine.domain.orders import (
    BracketSpec,
    Order,
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
)
from app.engine.engine import TradingEngine
from app.engine.oms_ports import is_emulated
from app.settings import Settings
from app.venue_session import VenueSession
from tests.emulators.binance import BinanceEmulator
from tests.support.keychain import MemoryKeychain
from tests.support.waiting import eventually
from tests.venues.fixtures import add_emulator_account, emulator_settings

D = Decimal
QTY = D("0.01")


@pytest.fixture
def settings(data_dir: Path, emu: BinanceEmulator, keychain: MemoryKeychain) -> Settings:
    """Settings with a Binance testnet account on the emulator (its key in the keychain)."""
    settings = emulator_settings(data_dir, emu)
    accounts, _ = add_emulator_account(settings)
    accounts.store.close()
    return settings


@contextlib.asynccontextmanager
async def live_session(settings: Settings, emu: BinanceEmulator) -> AsyncIterator[VenueSession]:
    """The app's session on the account, once prices and the user stream flow; closed after."""
    accounts = open_accounts(settings)
    session = await open_session(settings, accounts)
    try:
        assert isinstance(session, VenueSession)
        await market_is_live(session, emu)
        yield session
    finally:
        await session.close()
        accounts.store.close()


@pytest.fixture
async def venue(settings: Settings, emu: BinanceEmulator) -> AsyncIterator[VenueSession]:
    async with live_session(settings, emu) as session:
        yield session


async def market_is_live(session: VenueSession, emu: BinanceEmulator) -> None:
    await emu.wait_for_user_stream()
    await emu.wait_for_stream("btcusdt@trade")
    emu.set_price("BTC/USDT", "30000")
    await eventually(lambda: session.engine.portfolio.last_prices.get("BTC/USDT") == D(30000))


async def bought_with_bracket(
    engine: TradingEngine, stop: str = "29000", target: str = "31000"
) -> tuple[Order, Order, Order]:
    """A market buy with a bracket; returns (entry, stop-loss, take-profit) once both rest."""
    entry = await engine.place_order(
        OrderRequest(
            "BTC/USDT",
            OrderSide.BUY,
            OrderType.MARKET,
            QTY,
            bracket=BracketSpec(stop_loss=D(stop), take_profit=D(target)),
        )
    )
    await eventually(lambda: entry.status is OrderStatus.FILLED)
    return (entry, *await legs(engine))


async def legs(engine: TradingEngine) -> tuple[Order, Order]:
    def working(role: str) -> Order | None:
        return next((o for o in engine.oms.working("BTC/USDT") if o.role == role), None)

    await eventually(
        lambda: all(
            (o := working(role)) is not None and o.status is OrderStatus.ACCEPTED
            for role in ("stop_loss", "take_profit")
        )
    )
    stop, target = working("stop_loss"), working("take_profit")
    assert stop is not None and target is not None
    return stop, target


def open_lists(emu: BinanceEmulator) -> set[int]:
    return {o.order_list_id for o in emu.orders.values() if o.is_open and o.order_list_id >= 0}


async def test_a_bracket_rests_as_one_list_and_the_venue_ends_the_other_leg(
    venue: VenueSession, emu: BinanceEmulator
) -> None:
    session = venue
    engine = session.engine
    _, stop, target = await bought_with_bracket(engine)

    at_venue_stop, at_venue_target = emu.orders[stop.client_id], emu.orders[target.client_id]
    assert at_venue_stop.order_list_id == at_venue_target.order_list_id >= 0
    assert (at_venue_stop.type, at_venue_stop.stop_price) == ("STOP_LOSS", D("29000"))
    assert (at_venue_target.type, at_venue_target.price) == ("LIMIT_MAKER", D("31000"))
    assert not is_emulated(stop)  # the venue holds it: it works while the app is closed
    assert engine.where_held(stop.client_id) == engine.where_held(target.client_id) == "oco"
    # the coins are reserved once, at the venue and in the engine's balance check
    assert emu.balances["BTC"].locked == QTY
    assert engine.oms.reservations is not None
    assert engine.oms.reservations.reserved(engine.instruments["BTC/USDT"])[1] == QTY

    emu.set_price("BTC/USDT", "31100")  # the take-profit fills; the venue expires the stop
    await eventually(lambda: target.status is OrderStatus.FILLED)
    await eventually(lambda: stop.status is OrderStatus.EXPIRED)
    assert emu.orders[stop.client_id].status == "EXPIRED"
    await eventually(lambda: not engine.brackets.brackets)
    assert engine.portfolio.position_qty("BTC/USDT") == 0
    assert not open_lists(emu)
    venue_balances = await session.execution.balances()
    for asset in ("USDT", "BTC"):
        assert engine.portfolio.balances.get(asset, D(0)) == venue_balances.get(asset, D(0))


async def test_the_stop_leg_triggers_at_the_venue(
    venue: VenueSession, emu: BinanceEmulator
) -> None:
    engine = venue.engine
    _, stop, target = await bought_with_bracket(engine)
    emu.set_price("BTC/USDT", "28900")
    await eventually(lambda: stop.status is OrderStatus.FILLED)
    await eventually(lambda: target.status is OrderStatus.EXPIRED)
    await eventually(lambda: not engine.brackets.brackets)
    assert engine.portfolio.position_qty("BTC/USDT") == 0


async def test_a_new_price_replaces_the_list_and_a_cancel_keeps_the_other_leg(
    venue: VenueSession, emu: BinanceEmulator
) -> None:
    engine = venue.engine
    _, stop, target = await bought_with_bracket(engine)
    first_list = emu.orders[stop.client_id].order_list_id

    # a list cannot be amended: moving the take-profit sends a new list with both legs
    await engine.modify(target.client_id, price="31500")
    assert (stop.status, target.status) == (OrderStatus.CANCELED, OrderStatus.CANCELED)
    new_stop, new_target = await legs(engine)
    assert (new_stop.trigger_price, new_target.price) == (D("29000"), D("31500"))
    assert open_lists(emu) == {emu.orders[new_stop.client_id].order_list_id} != {first_list}

    # dragging the stop on the chart does the same
    await engine.protect_position("BTC/USDT", stop_loss="29200")
    moved_stop, moved_target = await legs(engine)
    assert (moved_stop.trigger_price, moved_target.price) == (D("29200"), D("31500"))
    assert len(open_lists(emu)) == 1 and emu.balances["BTC"].locked == QTY

    # the trader cancels the stop only: the venue cancels the list, the take-profit comes back
    await engine.cancel(moved_stop.client_id)
    assert moved_stop.status is OrderStatus.CANCELED
    await eventually(lambda: any(o.role == "take_profit" for o in engine.oms.working("BTC/USDT")))
    (alone,) = engine.oms.working("BTC/USDT")
    assert (alone.role, alone.price, alone.quantity) == ("take_profit", D("31500"), QTY)
    await eventually(lambda: emu.orders[alone.client_id].status == "NEW")
    assert emu.orders[alone.client_id].order_list_id == -1
    emu.set_price("BTC/USDT", "31600")
    await eventually(lambda: alone.status is OrderStatus.FILLED)
    assert engine.portfolio.position_qty("BTC/USDT") == 0


async def test_a_partly_filled_take_profit_leaves_the_rest_under_an_engine_side_stop(
    venue: VenueSession, emu: BinanceEmulator
) -> None:
    engine = venue.engine
    _, stop, target = await bought_with_bracket(engine)
    emu.fill_order(target.client_id, "0.004")  # the venue expires the listed stop
    await eventually(lambda: stop.status is OrderStatus.EXPIRED)
    await eventually(
        lambda: any(is_emulated(o) and o.role == "stop_loss" for o in engine.oms.working())
    )
    guard = next(o for o in engine.oms.working() if o.role == "stop_loss")
    assert (guard.trigger_price, guard.quantity) == (D("29000"), D("0.006"))
    assert engine.where_held(guard.client_id) == "app"
    assert engine.where_held(target.client_id) == ""  # its list is over: a lone limit now
    assert engine.portfolio.position_qty("BTC/USDT") == D("0.006")

    # the market falls through the stop: the take-profit's rest is canceled to free the
    # coins, and the stop sells them at the venue
    emu.set_price("BTC/USDT", "28900")
    await eventually(lambda: guard.status is OrderStatus.FILLED)
    assert target.status is OrderStatus.CANCELED
    assert engine.portfolio.position_qty("BTC/USDT") == 0


async def test_a_lost_list_reply_is_settled_by_client_id_and_survives_a_restart(
    settings: Settings, emu: BinanceEmulator
) -> None:
    async with live_session(settings, emu) as session:
        emu.faults.drop_reply(paths=("POST /api/v3/orderList/oco",))
        # the list reaches the venue but its reply is lost: both legs UNKNOWN, then found
        _, stop, target = await bought_with_bracket(session.engine)
        assert emu.faults.fired.get("drop_reply") == 1
        assert len(open_lists(emu)) == 1
        assert session.engine.oms.partners[stop.client_id] == target.client_id

    # while the app is away the take-profit fills at the venue
    emu.set_price("BTC/USDT", "31100")
    assert emu.orders[target.client_id].status == "FILLED"
    async with live_session(settings, emu) as again:
        engine = again.engine
        assert engine.risk.state.value == "active", again.findings
        restored = {o.client_id: o for o in engine.oms.orders.values()}
        await eventually(lambda: restored[target.client_id].status is OrderStatus.FILLED)
        await eventually(lambda: restored[stop.client_id].status is OrderStatus.EXPIRED)
        assert engine.portfolio.position_qty("BTC/USDT") == 0
        assert not engine.oms.working()
        await eventually(lambda: not engine.brackets.brackets)


async def test_a_listed_bracket_is_still_one_list_after_a_restart(
    settings: Settings, emu: BinanceEmulator
) -> None:
    async with live_session(settings, emu) as session:
        _, stop, target = await bought_with_bracket(session.engine)

    async with live_session(settings, emu) as again:
        engine = again.engine
        assert not [f for f in again.findings if "adopted" in f or "differ" in f], again.findings
        # the journal and the saved bracket say the two are one list: reserved once, and a
        # new price still replaces the list rather than amending one leg
        assert engine.oms.partners[stop.client_id] == target.client_id
        assert engine.oms.reservations is not None
        assert engine.oms.reservations.reserved(engine.instruments["BTC/USDT"])[1] == QTY
        await engine.modify(stop.client_id, trigger_price="29100")
        new_stop, new_target = await legs(engine)
        assert (new_stop.trigger_price, new_target.price) == (D("29100"), D("31000"))
        assert len(open_lists(emu)) == 1
        emu.set_price("BTC/USDT", "29050")
        await eventually(lambda: new_stop.status is OrderStatus.FILLED)
        await eventually(lambda: new_target.status is OrderStatus.EXPIRED)
        assert engine.portfolio.position_qty("BTC/USDT") == 0


async def test_a_list_the_venue_refuses_is_placed_the_engine_side_way(
    venue: VenueSession, emu: BinanceEmulator
) -> None:
    """The entry fills while the market is already past the take-profit (a fill made while
    we looked away): a LIMIT_MAKER there would trade at once, so Binance refuses the list.
    The bracket falls back to a stop held in the app and a plain limit, which takes the
    profit at once; the position is never left bare."""
    engine = venue.engine
    entry = await engine.place_order(
        OrderRequest(
            "BTC/USDT",
            OrderSide.BUY,
            OrderType.LIMIT,
            QTY,
            price=D("29000"),
            bracket=BracketSpec(stop_loss=D("28000"), take_profit=D("29500")),
        )
    )
    await eventually(lambda: entry.status is OrderStatus.ACCEPTED)
    emu.fill_order(entry.client_id)  # at its price, with the market still at 30000
    await eventually(lambda: entry.status is OrderStatus.FILLED)
    await eventually(lambda: not engine.brackets.brackets)
    children = [o for o in engine.oms.orders.values() if o.parent_id == entry.client_id]
    refused = [o for o in children if o.status is OrderStatus.REJECTED]
    assert {o.role for o in refused} == {"stop_loss", "take_profit"}  # the list, refused whole
    (target,) = [o for o in children if o.role == "take_profit" and o.status is OrderStatus.FILLED]
    assert emu.orders[target.client_id].order_list_id == -1  # a plain limit
    (stop,) = [o for o in children if o.role == "stop_loss" and o not in refused]
    assert stop.status is OrderStatus.CANCELED  # the app's stop, canceled by its sibling
    assert stop.client_id not in emu.orders  # it never reached the venue
    assert engine.portfolio.position_qty("BTC/USDT") == 0


async def test_a_halted_account_keeps_its_list_rather_than_risk_replacing_it(
    venue: VenueSession, emu: BinanceEmulator
) -> None:
    """Trading halts (the venue's USDT balance differs from ours); new orders are refused, so
    moving a listed stop would cancel the list and leave the position bare: it is refused
    and the list stays at the venue."""
    engine = venue.engine
    _, stop, target = await bought_with_bracket(engine)
    emu.set_balance("USDT", "123")
    await engine.reconcile()
    assert engine.risk.state.value == "halted"
    with pytest.raises(ValidationError, match="HALTED"):
        await engine.modify(stop.client_id, trigger_price="29100")
    with pytest.raises(ValidationError, match="HALTED"):
        await engine.protect_position("BTC/USDT", take_profit="31500")
    assert (stop.status, target.status) == (OrderStatus.ACCEPTED, OrderStatus.ACCEPTED)
    assert len(open_lists(emu)) == 1
