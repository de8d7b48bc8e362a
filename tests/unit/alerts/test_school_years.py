from __future__ import annotations

import pytest

from services.alerts.calendar import (
    SchoolCalendar,
    default_calendar_document,
    load_calendar,
    read_calendar_document,
)
from services.alerts.parameters import default_parameters
from services.alerts.school_years import is_end_of_year_leaver, is_first_day_entry

from .factories import deletion, enrolment

YEARS = default_parameters().school_years
CAL = load_calendar()


@pytest.mark.parametrize(
    ("year_group", "occurred_on", "ground", "top", "expected"),
    [
        # Reg 13(5): the most senior class, at or after the end of the last term (LA 886's default
        # calendar: the summer term of 2025/26 ends on Wed 22 Jul 2026).
        (6, "2026-07-22", "other_school", None, True),
        (6, "2026-07-21", "other_school", None, False),  # still term
        (6, "2026-07-01", "other_school", None, False),  # 1 July is not the end of term
        (6, "2026-08-31", "other_school", None, True),
        (5, "2026-07-22", "other_school", None, False),
        (11, "2026-07-22", "home_education", None, True),
        (10, "2026-06-10", "end_of_compulsory_age", None, False),  # no ground is exempt by itself
        (11, "2026-07-22", "end_of_compulsory_age", 13, False),  # an 11-18 school: not its top class
        (8, "2026-07-22", "other_school", 8, True),  # a middle school: the register says so
        (6, "2026-07-22", "other_school", 8, False),
        (6, "2031-07-22", "other_school", None, True),  # no term dates: the estimated end, 22 July
        (6, "2031-07-21", "other_school", None, False),
    ],
)
def test_end_of_year_leaver(
    year_group: int, occurred_on: str, ground: str, top: int | None, expected: bool
) -> None:
    fact = deletion(year_group=year_group, occurred_on=occurred_on, ground=ground, school_top_year_group=top)
    assert is_end_of_year_leaver(fact, CAL, YEARS) is expected


def test_the_end_of_term_comes_from_the_las_calendar() -> None:
    summer = {"name": "summer", "start": "2026-04-13", "end": "2026-07-17"}
    own = {
        "version": "1",
        "name": "LA 999",
        "source": "test",
        "years": [{"academic_year": "2025/26", "terms": [summer]}],
    }
    early = SchoolCalendar.from_documents(default_calendar_document(), read_calendar_document(own))
    fact = deletion(year_group=6, occurred_on="2026-07-17")
    assert is_end_of_year_leaver(fact, early, YEARS)
    assert not is_end_of_year_leaver(fact, CAL, YEARS)


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
