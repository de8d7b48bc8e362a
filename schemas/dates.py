"""Dates and times in events, and the calendar facts the checks need.

Dates are ISO strings (`YYYY-MM-DD`); `recorded_at` is an ISO date-time with a zone. "Today" is
the date in England. The clock is injectable: validation reads `now` from the pydantic
validation context (`{"now": aware datetime}`), falling back to the real time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator

from schemas.problems import rule_error

ENGLAND: Final = ZoneInfo("Europe/London")
# How far ahead of today a date may be (a school a little ahead of the sender's clock).
FUTURE_ALLOWANCE: Final = dt.timedelta(days=1)


def _iso_date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise rule_error("date_format", "give a calendar date as YYYY-MM-DD")


def _iso_timestamp(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and len(value) >= 16 and value[10] in "Tt ":
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    raise rule_error("datetime_format", "give a date and time as ISO 8601, e.g. 2025-09-03T09:15:00+01:00")


def _zone_required(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise rule_error("timezone_missing", "give the time zone, e.g. 2025-09-03T09:15:00+01:00 or ...Z")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Timestamp = Annotated[dt.datetime, BeforeValidator(_iso_timestamp), AfterValidator(_zone_required)]


def now_from(context: Mapping[str, Any] | None) -> dt.datetime:
    """The validation clock: context["now"] when given (tests, replays), else the real time."""
    if context:
        now = context.get("now")
        if isinstance(now, dt.datetime):
            return now if now.tzinfo is not None else now.replace(tzinfo=dt.UTC)
    return dt.datetime.now(dt.UTC)


def today_in_england(now: dt.datetime) -> dt.date:
    return now.astimezone(ENGLAND).date()


def academic_year(day: dt.date) -> int:
    """The academic year (1 September to 31 August) holding `day`, by its starting year."""
    return day.year if day.month >= 9 else day.year - 1


def academic_year_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Age in whole years on `day`."""
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))
