"""Going live: the key's warnings from the live venue, each acknowledged, the label typed."""

from __future__ import annotations

import pytest

from app.accounts.model import AccountMode
from app.accounts.service import AccountService
from app.engine.clock import SimClock
from app.engine.domain.errors import ValidationError
from app.engine.ports import AuthenticationFailed, KeyPermissions
from tests.accounts.conftest import T0
from tests.accounts.helpers import RecordingOps

RISKY = KeyPermissions(can_trade=True, can_withdraw=True, ip_restricted=False, detail="binance")


@pytest.fixture
def account_id(service: AccountService) -> str:
    return service.add(
        "binance", "Real Money", "paper_live", None, {"api_key": "key-1", "secret": "sec-1"}
    ).id


async def test_warnings_come_from_the_live_venue_and_must_all_be_acknowledged(
    service: AccountService, ops: RecordingOps, clock: SimClock, account_id: str
) -> None:
    ops.permissions = RISKY
    warnings = await service.check_go_live(account_id)
    assert len(warnings) == 2
    assert "WITHDRAW" in warnings[0] and "no IP restriction" in warnings[1]
    # asked as LIVE, with the stored key
    assert ops.calls[-1] == ("key_permissions", "live", {"api_key": "key-1", "secret": "sec-1"})

    with pytest.raises(ValidationError) as caught:
        service.go_live(account_id, "Real Money", warnings[:1])
    assert caught.value.field == "warnings" and "no IP restriction" in caught.value.rule
    with pytest.raises(ValidationError) as caught:
        service.go_live(account_id, "real money", warnings)
    assert caught.value.field == "confirmation"
    assert service.get(account_id).mode is AccountMode.PAPER_LIVE

    clock.advance(1_000)
    live = service.go_live(account_id, "Real Money", warnings)
    assert live.mode is AccountMode.LIVE
    assert live.live_confirmed_ns == T0 + 1_000
    assert live.acknowledged_warnings == tuple(warnings)
    assert service.get(account_id) == live


async def test_going_live_needs_a_check_first_and_a_new_key_needs_a_new_check(
    service: AccountService, account_id: str
) -> None:
    with pytest.raises(ValidationError, match="check the key's permissions first"):
        service.go_live(account_id, "Real Money", [])
    assert await service.check_go_live(account_id) != []
    service.update(account_id, credentials={"secret": "sec-2"})
    with pytest.raises(ValidationError, match="check the key's permissions first"):
        service.go_live(account_id, "Real Money", [])


async def test_a_live_account_keeps_its_key_until_it_leaves_live_mode(
    service: AccountService, account_id: str
) -> None:
    warnings = await service.check_go_live(account_id)
    service.go_live(account_id, "Real Money", warnings)
    with pytest.raises(ValidationError) as caught:
        service.update(account_id, credentials={"secret": "other"})
    assert caught.value.field == "credentials"
    with pytest.raises(ValidationError, match="already live"):
        service.go_live(account_id, "Real Money", warnings)
    back = service.update(account_id, mode="testnet")
    assert back.mode is AccountMode.TESTNET
    assert back.live_confirmed_ns is None and back.acknowledged_warnings == ()


async def test_a_key_the_venue_refuses_stops_the_check(
    service: AccountService, ops: RecordingOps, account_id: str
) -> None:
    ops.refuse_key = True
    with pytest.raises(AuthenticationFailed, match="Invalid API-key"):
        await service.check_go_live(account_id)
    with pytest.raises(ValidationError, match="check the key's permissions first"):
        service.go_live(account_id, "Real Money", [])


async def test_an_account_without_a_key_cannot_go_live(service: AccountService) -> None:
    paper = service.add("binance", "Keyless", "paper_live", None, {})
    with pytest.raises(ValidationError) as caught:
        await service.check_go_live(paper.id)
    assert caught.value.field == "credentials.api_key"
    with pytest.raises(ValidationError):
        await service.check_go_live("demo")


async def test_a_testnet_key_cannot_go_live(service: AccountService, ops: RecordingOps) -> None:
    sandbox = service.add("binance", "Sandbox", "testnet", None, {"api_key": "k", "secret": "s"})
    with pytest.raises(ValidationError) as caught:
        await service.check_go_live(sandbox.id)
    assert caught.value.field == "mode" and "testnet key" in caught.value.rule
    assert ops.calls == []  # refused before asking the venue


async def test_a_venue_that_does_not_report_permissions_needs_that_acknowledged(
    service: AccountService, account_id: str
) -> None:
    warnings = await service.check_go_live(account_id)  # RecordingOps: all unknown
    assert warnings == [
        "Binance does not report what this API key may do: check on its website that it "
        "cannot withdraw and is limited to your IP address"
    ]
    with pytest.raises(ValidationError, match="acknowledge every warning"):
        service.go_live(account_id, "Real Money", [])
    assert service.go_live(account_id, "Real Money", warnings).mode is AccountMode.LIVE
