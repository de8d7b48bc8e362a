from __future__ import annotations

import pytest

from services.alerts.calendar import load_calendar
from services.alerts.parameters import default_parameters
from services.alerts.school_years import is_end_of_year_leaver, is_first_day_entry

from .factories import deletion, enrolment

YEARS = default_parameters().school_years
CAL = load_calendar()


@pytest.mark.parametrize(
    ("year_group", "occurred_on", "ground", "top", "expected"),
    [
        (6, "2026-07-22", "other_school", None, True),
        (6, "2026-07-01", "other_school", None, True),  # the first day of the end-of-year window
        (6, "2026-06-30", "other_school", None, False),
        (6, "2026-08-31", "other_school", None, True),
        (5, "2026-07-22", "other_school", None, False),
        (11, "2026-07-22", "home_education", None, True),
        (10, "2026-06-10", "end_of_compulsory_age", None, True),  # a leaver ground, any date
        (8, "2026-07-22", "other_school", 8, True),  # a middle school: the register says so
        (6, "2026-07-22", "other_school", 8, False),
    ],
)
def test_end_of_year_leaver(
    year_group: int, occurred_on: str, ground: str, top: int | None, expected: bool
) -> None:
    fact = deletion(year_group=year_group, occurred_on=occurred_on, ground=ground, school_top_year_group=top)
    assert is_end_of_year_leaver(fact, YEARS) is expected


@pytest.mark.parametrize(
    ("year_group", "occurred_on", "entry", "expected"),
    [
        (7, "2025-09-03", None, True),  # the first school day
        (7, "2025-09-01", None, True),  # dated 1 September, before term began
        (7, "2025-09-04", None, False),
        (8, "2025-09-03", None, False),
        (0, "2025-09-03", None, True),
        (9, "2025-09-03", 9, True),  # an upper school
        (7, "2025-09-03", 9, False),
    ],
)
def test_first_day_entry(year_group: int, occurred_on: str, entry: int | None, expected: bool) -> None:
    fact = enrolment(year_group=year_group, occurred_on=occurred_on, school_entry_year_group=entry)
    assert is_first_day_entry(fact, CAL, YEARS) is expected
