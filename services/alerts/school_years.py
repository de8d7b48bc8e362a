"""Pupils at the edges of a school's age range, whom some duties do not cover.

- A top-year leaver at the end of the year (reg 13: no deletion return needed; EPI: a phase
  transition, so an explained exit).
- A pupil admitted to the youngest year on the first day of the school year (reg 13: no
  admission return needed).

The school's own youngest and oldest year come from the register when the adapter knows them
(`school_entry_year_group`, `school_top_year_group`); otherwise the usual ones from the parameters.
"""

from __future__ import annotations

from collections.abc import Collection

from services.alerts.calendar import SchoolCalendar, academic_year_of
from services.alerts.facts import Deletion, Enrolment
from services.alerts.parameters import SchoolYearParams
from services.tracker.reads import Exit, ExitParams, ExitRules, in_end_of_year, is_phase_transition

# A phase transition reads only the school-year section.
_NO_EXIT_SECTIONS = ExitParams(explained_grounds=(), explained_destination_kinds=())


def is_end_of_year_leaver(deletion: Deletion, years: SchoolYearParams) -> bool:
    """Deleted on a leaver ground (end of compulsory age, nursery finished), or from the school's
    top year on or after the end-of-year date (default 1 July) of that school year."""
    # The exit classification's phase transition (services/tracker/exit_classification.py).
    rules = ExitRules.from_sections("", _NO_EXIT_SECTIONS, years)
    return is_phase_transition(
        Exit(
            ground=deletion.ground,
            destination_kind=deletion.destination_kind or "",
            year_group=deletion.year_group,
            in_end_of_year=in_end_of_year(deletion.occurred_on, rules),
            school_top_year_group=deletion.school_top_year_group,
        ),
        rules,
    )


def is_first_day_entry(enrolment: Enrolment, calendar: SchoolCalendar, years: SchoolYearParams) -> bool:
    """Admitted to the school's youngest year between 1 September and the first school day."""
    if enrolment.year_group not in _own_or_usual(enrolment.school_entry_year_group, years.entry_year_groups):
        return False
    year = academic_year_of(enrolment.occurred_on)
    return enrolment.occurred_on <= calendar.first_school_day(year)


def _own_or_usual(own: int | None, usual: Collection[int]) -> Collection[int]:
    """The school's own year group where the register gives it, else the usual ones."""
    return (own,) if own is not None else usual
