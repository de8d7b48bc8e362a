"""Dates and times in events, and the calendar facts the checks need.

Dates are ISO strings (`YYYY-MM-DD`); `recorded_at` is an ISO date-time with a zone. "Today" is
the date in England. The clock is injectable: validation reads `now` from the pydantic
validation context (`{"now": aware datetime}`), falling back to the real time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

from schemas.problems import rule_error

ENGLAND: Final = ZoneInfo("Europe/London")
# How far ahead of today a date may be (a school a little ahead of the sender's clock).
FUTURE_ALLOWANCE: Final = dt.timedelta(days=1)
# Every date and time in an event lies in these years: far wider than any real school record, and
# far enough from the ends of Python's and ClickHouse's calendars (years 1 and 9999; Date32 runs
# 1900-2299) that adding a year or computing an age can never overflow downstream.
EARLIEST_DATE: Final = dt.date(1900, 1, 1)
LATEST_DATE: Final = dt.date(2299, 12, 31)
# A date of birth is tighter. The oldest events the contract takes are deletions under the 2006
# regulations (in force 1 September 2006); a pupil in the oldest year group (Year 14) was then
# born in 1987 at the earliest. 1985 leaves room for a pupil kept back a year or two.
EARLIEST_BIRTH: Final = dt.date(1985, 1, 1)


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


def _in_range(value: dt.date) -> dt.date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise rule_error(
            "date_out_of_range",
            f"give a date from {EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}",
        )
    return value


_EARLIEST_TIME: Final = dt.datetime.combine(EARLIEST_DATE, dt.time(), dt.UTC)
_LATEST_TIME: Final = dt.datetime.combine(LATEST_DATE, dt.time.max, dt.UTC)


def _timestamp_in_range(value: dt.datetime) -> dt.datetime:
    """The instant, in UTC, within the date bounds (ClickHouse's DateTime64 range)."""
    try:
        in_range = _EARLIEST_TIME <= value.astimezone(dt.UTC) <= _LATEST_TIME
    except OverflowError:  # year 1 or 9999 shifted across the end of the calendar
        in_range = False
    if not in_range:
        raise rule_error(
            "date_out_of_range",
            f"give a time from {EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()} (UTC)",
        )
    return value


def _birth_in_range(value: dt.date) -> dt.date:
    # No input value in the message: a date of birth must not reach error reports or logs.
    if value < EARLIEST_BIRTH:
        raise rule_error(
            "date_of_birth_too_early",
            f"a pupil's date_of_birth cannot be before {EARLIEST_BIRTH.isoformat()}",
        )
    return value


def _date_schema(earliest: dt.date) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "formatMinimum": earliest.isoformat(),
            "formatMaximum": LATEST_DATE.isoformat(),
        }
    )


IsoDate = Annotated[
    dt.date, BeforeValidator(_iso_date), AfterValidator(_in_range), _date_schema(EARLIEST_DATE)
]
BirthDate = Annotated[IsoDate, AfterValidator(_birth_in_range), _date_schema(EARLIEST_BIRTH)]
Timestamp = Annotated[
    dt.datetime,
    BeforeValidator(_iso_timestamp),
    AfterValidator(_zone_required),
    AfterValidator(_timestamp_in_range),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "formatMinimum": f"{EARLIEST_DATE.isoformat()}T00:00:00Z",
            "formatMaximum": f"{LATEST_DATE.isoformat()}T23:59:59Z",
        }
    ),
]


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
