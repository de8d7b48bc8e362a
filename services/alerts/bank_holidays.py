"""England's bank holidays, as versioned data: `calendars/bank-holidays-england.json`, written
from the pinned `holidays` package by `python -m tools.bank_holidays` (never typed by hand).

The file covers calendar years `first_year` to `last_year`. A school calendar whose term dates
reach a year outside them is refused with `BeyondCalendarData` (see services/alerts/calendar.py):
counting school days there would silently treat bank holidays as school days."""

from __future__ import annotations

import datetime as dt
from functools import cached_property, lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

BANK_HOLIDAYS_FILE = Path(__file__).resolve().parent / "calendars" / "bank-holidays-england.json"


class BeyondCalendarData(ValueError):
    """A date the calendar's data does not cover; the message says which data and how to extend it."""


class BankHolidays(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    source: str
    first_year: int
    last_year: int
    days: tuple[tuple[dt.date, str], ...]

    @cached_property
    def dates(self) -> frozenset[dt.date]:
        return frozenset(day for day, _ in self.days)

    def covers(self, day: dt.date) -> bool:
        return self.first_year <= day.year <= self.last_year

    def require(self, day: dt.date, what: str) -> None:
        """Raise `BeyondCalendarData` when `day` (needed for `what`) lies outside the data."""
        if not self.covers(day):
            raise BeyondCalendarData(
                f"{what}: {day.isoformat()} is beyond the bank holidays data, which covers "
                f"{self.first_year} to {self.last_year} ({BANK_HOLIDAYS_FILE.name}, {self.version}); "
                "extend it with `python -m tools.bank_holidays` after raising LAST_YEAR there"
            )

    def is_bank_holiday(self, day: dt.date) -> bool:
        """True on a bank holiday; `BeyondCalendarData` for a day the data does not cover."""
        self.require(day, "bank holiday lookup")
        return day in self.dates


@lru_cache(maxsize=1)
def england_bank_holidays() -> BankHolidays:
    return BankHolidays.model_validate_json(BANK_HOLIDAYS_FILE.read_text(encoding="utf-8"))
