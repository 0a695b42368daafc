"""Opening a venue on the emulator: markets -> instruments, clients built, probe, permissions."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from app.brokers.ccxt import CcxtVenue, read_key_permissions, venue_reachable
from app.engine.ports import (
    AuthenticationFailed,
    DataClient,
    ExecutionClient,
    ReportsStatus,
    SubmitsOco,
    VenueUnavailable,
)
from tests.emulators.binance import BinanceEmulator

from .conftest import API_KEY, SECRET, config_for


async def test_markets_become_instruments_and_both_clients_exist(venue: CcxtVenue) -> None:
    assert isinstance(venue.data, DataClient) and isinstance(venue.data, ReportsStatus)
    assert isinstance(venue.execution, ExecutionClient)
    btc = {i.symbol: i for i in venue.data.instruments()}["BTC/USDT"]
    assert (btc.base, btc.quote, btc.venue) == ("BTC", "USDT", "binance")
    assert btc.tick_size == Decimal("0.01") and btc.lot_size == Decimal("0.00001")
    assert btc.min_notional == Decimal(5)
    caps = venue.execution.capabilities
    assert caps.modify and caps.stop_orders and caps.stop_limit_orders
    assert isinstance(venue.execution, SubmitsOco)
    assert caps.native_oco and not caps.shorting  # brackets go out as OCO lists; spot: no short


async def test_without_keys_there_is_no_execution_client(emu: BinanceEmulator) -> None:
    opened = await CcxtVenue.open(config_for(emu, keys=False, symbols=("BTC/USDT", "DOGE/USDT")))
    try:
        assert opened.execution is None
        assert [i.symbol for i in opened.data.instruments()] == ["BTC/USDT"]
    finally:
        await opened.close()


async def test_probe_says_whether_the_venue_answers(emu: BinanceEmulator) -> None:
    urls = emu.ccxt_config()["urls"]
    assert await venue_reachable("binance", 2.0, urls)
    dead = {"api": {"public": "http://127.0.0.1:9/api/v3", "private": "http://127.0.0.1:9/api/v3"}}
    assert not await venue_reachable("binance", 0.5, dead)


async def test_key_permissions_come_from_api_restrictions(emu: BinanceEmulator) -> None:
    emu.api_restrictions.update(enableWithdrawals=True, ipRestrict=False)
    perms = await read_key_permissions(config_for(emu))
    assert (perms.can_trade, perms.can_withdraw, perms.ip_restricted) == (True, True, False)
    assert len(perms.warnings()) == 2
    other = await read_key_permissions(config_for(emu, exchange_id="blofin", venue="blofin"))
    assert other.can_withdraw is None and "does not report" in other.detail


async def test_a_refused_key_fails_at_open_with_the_venues_words(emu: BinanceEmulator) -> None:
    with pytest.raises(AuthenticationFailed):
        await CcxtVenue.open(config_for(emu, secret="not-the-secret"))
    with pytest.raises(AuthenticationFailed):
        await CcxtVenue.open(config_for(emu, api_key="someone-elses-key"))


async def test_keys_never_reach_the_logs(
    emu: BinanceEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    logging.getLogger("ccxt").setLevel(logging.DEBUG)  # someone turned it up
    with caplog.at_level(logging.DEBUG):
        opened = await CcxtVenue.open(config_for(emu))
        try:
            assert opened.execution is not None
            emu.faults.server_error(503, times=5, paths=["GET /api/v3/account"])
            with pytest.raises(VenueUnavailable) as err:
                await opened.execution.balances()
            emu.faults.clear()
        finally:
            await opened.close()
        with pytest.raises(AuthenticationFailed) as refused:
            await CcxtVenue.open(config_for(emu, secret="wrong-secret-value"))
    assert logging.getLogger("ccxt").getEffectiveLevel() >= logging.INFO
    text = caplog.text + str(err.value) + str(refused.value)
    for secret in (API_KEY, SECRET, "wrong-secret-value", "signature="):
        assert secret not in text
