"""NSE's regular session: 09:15-15:30 IST, Monday to Friday, except exchange holidays.

India keeps no daylight saving time, so IST is a fixed UTC+05:30 offset (no tz database
needed, which matters on Windows where Python ships none). Holidays change every year and
are published by NSE; they come in as a parameter (settings), not from this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone

from app.engine.domain.errors import ValidationError

IST = timezone(timedelta(hours=5, minutes=30), "IST")
OPEN = time(9, 15)
CLOSE = time(15, 30)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class NseSession:
    """When NSE's cash market takes orders in its regular session."""

    def __init__(self, holidays: Iterable[date] = ()) -> None:
        self.holidays = frozenset(holidays)

    def is_trading_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def is_open(self, now: datetime) -> bool:
        local = _ist(now)
        return self.is_trading_day(local.date()) and OPEN <= local.time() < CLOSE

    def next_open(self, now: datetime) -> datetime:
        """The next session start strictly after ``now`` if closed (``now`` itself counts
        when it is exactly 09:15 of a trading day), as an IST datetime."""
        local = _ist(now)
        day = local.date()
        if local.time() > OPEN or not self.is_trading_day(day):
            day += timedelta(days=1)
        for _ in range(400):  # a year of holidays cannot hide every weekday
            if self.is_trading_day(day):
                return datetime.combine(day, OPEN, IST)
            day += timedelta(days=1)
        raise ValidationError("holidays", "leave no trading day in the coming year")

    def closed_message(self, now: datetime) -> str | None:
        """None while open; otherwise "NSE is closed: opens Mon 09:15 IST"."""
        if self.is_open(now):
            return None
        opens = self.next_open(now)
        when = f"{_DAYS[opens.weekday()]} {opens:%H:%M} IST"
        if opens.date() - _ist(now).date() >= timedelta(days=7):
            when = f"{_DAYS[opens.weekday()]} {opens:%d %b} {opens:%H:%M} IST"
        return f"NSE is closed: opens {when}"


def _ist(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValidationError("now", "must be a timezone-aware datetime", now)
    return now.astimezone(IST)


def from_ns(ts_ns: int) -> datetime:
    return datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=UTC)
