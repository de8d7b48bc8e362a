"""Pupils at the edges of a school's age range, whom the returns of reg 13 SI 2024/208 do not
cover, and which deletions and admissions needed a return at all.

- A deletion return is not needed for a pupil of the school's most senior class removed at or
  after the end of the last term of the school year (13(5)): the most senior class from the
  register (GIAS StatutoryHighAge and OfficialSixthForm, `school_top_year_group`), the usual top
  year groups where it does not say; the end of the last term from the LA's calendar. The ground
  does not matter.
- A new pupil return is not needed for a pupil placed in the school's most junior class whose
  starting day is the first day of the school year (13(2)), unless the LA has asked for them
  (13(3); the LA's `exempt_first_day_entries` setting).
- Before 1 September 2016 only deletions on the 2006 grounds (d), (e), (g), (i) and (m) needed a
  return, and admissions none (2006 reg 12(3) as made; SI 2016/792): `schemas.codelists`.
"""

from __future__ import annotations

from collections.abc import Collection

from schemas.codelists import admission_return_required, deletion_return_required
from services.alerts.calendar import SchoolCalendar, academic_year_of
from services.alerts.facts import Deletion, Enrolment
from services.alerts.parameters import SchoolYearParams


def is_end_of_year_leaver(deletion: Deletion, calendar: SchoolCalendar, years: SchoolYearParams) -> bool:
    """Removed from the school's most senior class on or after the last day of the last term."""
    if deletion.year_group not in _own_or_usual(deletion.school_top_year_group, years.top_year_groups):
        return False
    return deletion.occurred_on >= calendar.last_term_end(academic_year_of(deletion.occurred_on))


def deletion_return_due(
    deletion: Deletion, calendar: SchoolCalendar, years: SchoolYearParams, *, exempt_leavers: bool = True
) -> bool:
    """Did this deletion need a return to the LA (and so a notification on record)?"""
    if not deletion_return_required(deletion.ground, deletion.occurred_on):
        return False
    return not (exempt_leavers and is_end_of_year_leaver(deletion, calendar, years))


def admission_return_due(enrolment: Enrolment) -> bool:
    """New pupil returns exist from 1 September 2016, for pupils entered on the register."""
    return admission_return_required(enrolment.occurred_on)


def is_first_day_entry(enrolment: Enrolment, calendar: SchoolCalendar, years: SchoolYearParams) -> bool:
    """Admitted to the school's youngest year between 1 September and the first school day."""
    if enrolment.year_group not in _own_or_usual(enrolment.school_entry_year_group, years.entry_year_groups):
        return False
    year = academic_year_of(enrolment.occurred_on)
    return enrolment.occurred_on <= calendar.first_school_day(year)


def _own_or_usual(own: int | None, usual: Collection[int]) -> Collection[int]:
    """The school's own year group where the register gives it, else the usual ones."""
    return (own,) if own is not None else usual
