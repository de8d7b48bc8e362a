"""Query parameter types shared by the read APIs: dates, and the purpose a reader states.
ClickHouse's Date32 and DateTime64 hold 1900-01-01 to 2299-12-31, so a date outside that is
refused here with a clear 422 rather than failing in the database."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator

from rollwatch.core.http_errors import ApiError
from schemas.text import plain_line

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2299, 12, 31)


def _in_range(value: dt.date) -> dt.date:
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return value


def _aware_in_range(value: dt.datetime) -> dt.datetime:
    _in_range(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


LedgerDate = Annotated[dt.date, AfterValidator(_in_range)]
LedgerDateTime = Annotated[dt.datetime, AfterValidator(_aware_in_range)]


def reporting_period(start: dt.date | None, end: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """A report's period: [start, end], by default the year (365 days) to `today`. Raises a 422
    `ApiError` when `start` is after `end`."""
    last = end or today
    first = start or last - dt.timedelta(days=365)
    if first > last:
        raise ApiError(422, "date_range", "'from' is after 'to'")
    return first, last


# Why an LA officer or auditor reads: required, kept in the access log with the read.
StatedPurpose = Annotated[
    str,
    Query(min_length=3, max_length=200, description="why you are reading (kept in the access log)"),
    AfterValidator(plain_line),
]
