"""`retrospective_deletion`: a deletion recorded more than 5 school days after the date it takes
effect (docs/domain.md, "Alert rules"): school_days_between(occurred_on, recorded_on) > 5, where
recorded_on is the day in England of `recorded_at`. Pupils of the school's most senior class
removed at or after the end of the last term are exempt by default, as from deletion returns
(reg 13(5)): schools routinely record the summer's leavers in September.
"""

from __future__ import annotations

from services.alerts import wording
from services.alerts.calendar import SchoolCalendar
from services.alerts.candidates import AlertCandidate, candidate_for
from services.alerts.facts import Deletion, PupilFact, PupilState
from services.alerts.parameters import RuleParameters
from services.alerts.school_years import is_end_of_year_leaver

RULE = "retrospective_deletion"
STATUTE = (
    "School Attendance (Pupil Registration) (England) Regulations 2024, reg 9 "
    "(a name is deleted when a ground is met, never retrospectively)"
)


def evaluate(
    state: PupilState, fact: PupilFact, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    p = params.rules.retrospective_deletion
    if not isinstance(fact, Deletion) or state.death is not None:
        return []
    if p.exempt_end_of_year_leavers and is_end_of_year_leaver(fact, calendar, params.school_years):
        return []
    recorded_on = fact.recorded_on
    days = calendar.school_days_between(fact.occurred_on, recorded_on)
    if days <= p.school_days:
        return []
    estimated = calendar.estimated_between(fact.occurred_on, recorded_on)
    reason = wording.reason(
        f"taken off roll at {wording.school(fact.school_urn)} {wording.ground(fact.ground)} "
        f"with effect from {wording.day(fact.occurred_on)}",
        f"recorded on {wording.day(recorded_on)}, {wording.school_days(days)} later "
        f"(more than {wording.school_days(p.school_days)})",
        estimated=estimated,
    )
    on = recorded_on
    return [
        candidate_for(RULE, params, fact, state.upn, reason, STATUTE, as_of=on, calendar_estimated=estimated)
    ]
