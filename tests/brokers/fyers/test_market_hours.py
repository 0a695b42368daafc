"""NSE's session: open, closed, weekends, holidays, and the message shown to the trader."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.brokers.fyers.market_hours import IST, NseSession
from app.engine.domain.errors import ValidationError


def ist(y: int, m: int, d: int, hh: int, mm: int) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=IST)


@pytest.mark.parametrize(
    ("when", "open_"),
    [
        (ist(2026, 12, 2, 9, 14), False),
        (ist(2026, 12, 2, 9, 15), True),
        (ist(2026, 12, 2, 15, 29), True),
        (ist(2026, 12, 2, 15, 30), False),
        (ist(2026, 12, 5, 11, 0), False),  # Saturday
        (ist(2026, 12, 6, 11, 0), False),  # Sunday
    ],
)
def test_session_bounds(when: datetime, open_: bool) -> None:
    assert NseSession().is_open(when) is open_


def test_times_in_any_zone_count_in_ist() -> None:
    assert NseSession().is_open(datetime(2026, 12, 2, 4, 0, tzinfo=UTC))  # 09:30 IST
    assert not NseSession().is_open(datetime(2026, 12, 2, 10, 0, tzinfo=UTC))  # 15:30


def test_messages() -> None:
    session = NseSession()
    assert session.closed_message(ist(2026, 12, 2, 10, 0)) is None
    assert session.closed_message(ist(2026, 12, 5, 11, 0)) == "NSE is closed: opens Mon 09:15 IST"
    assert session.closed_message(ist(2026, 12, 2, 8, 0)) == "NSE is closed: opens Wed 09:15 IST"
    assert session.closed_message(ist(2026, 12, 2, 16, 0)) == "NSE is closed: opens Thu 09:15 IST"


def test_holidays() -> None:
    christmas = date(2026, 12, 25)  # a Friday
    session = NseSession([christmas])
    assert not session.is_open(ist(2026, 12, 25, 10, 0))
    assert session.next_open(ist(2026, 12, 24, 16, 0)) == ist(2026, 12, 28, 9, 15)
    assert session.closed_message(ist(2026, 12, 25, 10, 0)) == "NSE is closed: opens Mon 09:15 IST"


def test_a_long_closure_names_the_date() -> None:
    days = [date(2026, 12, d) for d in range(7, 19)]
    message = NseSession(days).closed_message(ist(2026, 12, 5, 10, 0))
    assert message == "NSE is closed: opens Mon 21 Dec 09:15 IST"


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError, match="now"):
        NseSession().is_open(datetime(2026, 12, 2, 10, 0))
