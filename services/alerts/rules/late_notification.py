"""`late_notification` (docs/domain.md, "Alert rules", "Notification duties"): reg 13 SI 2024/208.

- a deletion notified to the LA after the date it took effect, or not notified at all
  (`la_notified_on` missing): a deletion return is due for every ground, no later than the
  deletion (13(4)-(6)). Not for a pupil of the school's most senior class removed at or after the
  end of the last term (13(5)), nor, before 1 September 2016, for grounds that needed no return
  (`services.alerts.school_years`).
- an admission notified after the end of the 5th day after entry (13(1)): late when
  (notified - entry) > 5 days, in calendar days by default (the LA may count school days). With no
  `la_notified_on`, the day the school recorded the admission here stands in for the
  notification, since this record reaches the LA. Not for a first-day entry to the most junior
  class unless the LA asked for those (13(2)-(3)); never for a guest, who is not registered.
"""

from __future__ import annotations

import datetime as dt

from schemas.codelists import enrolment_statuses
from services.alerts import wording
from services.alerts.calendar import SchoolCalendar
from services.alerts.candidates import AlertCandidate, candidate_for
from services.alerts.facts import Deletion, Enrolment, PupilFact, PupilState
from services.alerts.parameters import LateNotificationParams, RuleParameters
from services.alerts.school_years import admission_return_due, deletion_return_due, is_first_day_entry

RULE = "late_notification"
STATUTE = "School Attendance (Pupil Registration) (England) Regulations 2024, reg 13"


def _candidate(
    state: PupilState, fact: PupilFact, text: str, params: RuleParameters, estimated: bool = False
) -> AlertCandidate:
    return candidate_for(
        RULE, params, fact, state.upn, reason=text, statutory_reference=STATUTE, calendar_estimated=estimated
    )


def _deletion(
    state: PupilState, fact: Deletion, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    p = params.rules.late_notification
    if not deletion_return_due(
        fact, calendar, params.school_years, exempt_leavers=p.exempt_end_of_year_leavers
    ):
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


def admission_days(
    entry: dt.date, notified: dt.date, calendar: SchoolCalendar, p: LateNotificationParams
) -> int:
    """Days from entry to notification in the LA's unit (entry day not counted)."""
    if p.admission_day_unit == "school":
        return calendar.school_days_between(entry, notified)
    return (notified - entry).days


def _admission(
    state: PupilState, fact: Enrolment, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    p = params.rules.late_notification
    status = enrolment_statuses().get(fact.enrolment_status)
    if status is not None and not status.registered:
        return []  # a guest is not entered on the admission register
    if not admission_return_due(fact):
        return []
    if p.exempt_first_day_entries and is_first_day_entry(fact, calendar, params.school_years):
        return []
    notified = fact.la_notified_on or fact.recorded_on
    days = admission_days(fact.occurred_on, notified, calendar, p)
    if days <= p.admission_days:
        return []
    how = (
        f"the LA was told on {wording.day(notified)}"
        if fact.la_notified_on is not None
        else f"no notification to the LA recorded; the admission was recorded here on {wording.day(notified)}"
    )
    school_days = p.admission_day_unit == "school"
    estimated = school_days and calendar.estimated_between(fact.occurred_on, notified)
    unit = "school day" if school_days else "day"
    text = wording.reason(
        f"admitted to {wording.school(fact.school_urn)} on {wording.day(fact.occurred_on)}",
        f"{how}, {wording.count(days, unit)} after entry "
        f"(due by the end of the {wording.ordinal(p.admission_days)} {unit} after it)",
        estimated=estimated,
    )
    return [_candidate(state, fact, text, params, estimated)]


def evaluate(
    state: PupilState, fact: PupilFact, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    if state.death is not None:
        return []
    if isinstance(fact, Deletion):
        return _deletion(state, fact, calendar, params)
    if isinstance(fact, Enrolment):
        return _admission(state, fact, calendar, params)
    return []
