"""`late_notification` (docs/domain.md, "Alert rules", "Notification duties", "Known gaps"):

- a deletion notified to the LA after the date it took effect, or not notified at all
  (`la_notified_on` missing). Top-year leavers at the end of the year are exempt.
- an admission notified after the 5th school day after entry: late when
  school_days_between(entry, notified) > 5. With no `la_notified_on`, the day the school recorded
  the admission here stands in for the notification, since this record reaches the LA. Not needed
  for the school's youngest year on the first day of the school year.
"""

from __future__ import annotations

from services.alerts import wording
from services.alerts.calendar import SchoolCalendar
from services.alerts.candidates import AlertCandidate, candidate_for
from services.alerts.facts import Deletion, Enrolment, PupilFact, PupilState
from services.alerts.parameters import RuleParameters
from services.alerts.school_years import is_end_of_year_leaver, is_first_day_entry

RULE = "late_notification"
STATUTE = "School Attendance (Pupil Registration) (England) Regulations 2024, reg 13"


def _candidate(
    state: PupilState, fact: PupilFact, text: str, params: RuleParameters, estimated: bool = False
) -> AlertCandidate:
    return candidate_for(
        RULE, params, fact, state.upn, reason=text, statutory_reference=STATUTE, calendar_estimated=estimated
    )


def _deletion(state: PupilState, fact: Deletion, params: RuleParameters) -> list[AlertCandidate]:
    p = params.rules.late_notification
    if p.exempt_end_of_year_leavers and is_end_of_year_leaver(fact, params.school_years):
        return []
    taken_off = (
        f"taken off roll at {wording.school(fact.school_urn)} on {wording.day(fact.occurred_on)} "
        f"{wording.ground(fact.ground)}"
    )
    if fact.la_notified_on is None:
        return [
            _candidate(state, fact, wording.reason(taken_off, "no notification to the LA recorded"), params)
        ]
    if fact.la_notified_on > fact.occurred_on:
        late = (fact.la_notified_on - fact.occurred_on).days
        text = wording.reason(
            taken_off,
            f"the LA was told on {wording.day(fact.la_notified_on)}, "
            f"{wording.count(late, 'day')} after the deletion (due no later than the deletion)",
        )
        return [_candidate(state, fact, text, params)]
    return []


def _admission(
    state: PupilState, fact: Enrolment, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    p = params.rules.late_notification
    if is_first_day_entry(fact, calendar, params.school_years):
        return []
    notified = fact.la_notified_on or fact.recorded_on
    days = calendar.school_days_between(fact.occurred_on, notified)
    if days <= p.admission_school_days:
        return []
    how = (
        f"the LA was told on {wording.day(notified)}"
        if fact.la_notified_on is not None
        else f"no notification to the LA recorded; the admission was recorded here on {wording.day(notified)}"
    )
    estimated = calendar.estimated_between(fact.occurred_on, notified)
    text = wording.reason(
        f"admitted to {wording.school(fact.school_urn)} on {wording.day(fact.occurred_on)}",
        f"{how}, {wording.school_days(days)} after entry "
        f"(due by the end of the {wording.ordinal(p.admission_school_days)} school day)",
        estimated=estimated,
    )
    return [_candidate(state, fact, text, params, estimated)]


def evaluate(
    state: PupilState, fact: PupilFact, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    if state.death is not None:
        return []
    if isinstance(fact, Deletion):
        return _deletion(state, fact, params)
    if isinstance(fact, Enrolment):
        return _admission(state, fact, calendar, params)
    return []
