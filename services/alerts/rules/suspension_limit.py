"""`suspension_limit`: suspensions of one pupil adding up to more than 45 school days in one
academic year, at this and any previous school (docs/domain.md, "Alert rules" and "Exclusions and
alternative provision"). Sessions are half-days: 2 sessions = 1 school day, so 90 sessions is the
most allowed and 91 raises. A suspension counts in the academic year its `start_on` falls in. One
alert per pupil and academic year; every further suspension folds into it.
"""

from __future__ import annotations

from services.alerts import wording
from services.alerts.calendar import SchoolCalendar, academic_year_of
from services.alerts.candidates import AlertCandidate, candidate_for
from services.alerts.facts import PupilFact, PupilState, Suspension
from services.alerts.parameters import RuleParameters

RULE = "suspension_limit"
STATUTE = "s51A Education Act 2002 (at most 45 school days of suspension in one school year)"


def evaluate(
    state: PupilState, fact: PupilFact, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    p = params.rules.suspension_limit
    if not isinstance(fact, Suspension) or state.death is not None:
        return []
    year = academic_year_of(fact.start_on)
    same_year = [s for s in state.of(Suspension) if academic_year_of(s.start_on) == year]
    sessions = sum(s.sessions for s in same_year)
    if sessions <= 2 * p.max_school_days:
        return []
    ordered = state.chronological(same_year)
    reason = wording.reason(
        f"suspensions in {year.label} add up to {wording.school_days(sessions / 2)} "
        f"({wording.count(sessions, 'session')} over {wording.count(len(same_year), 'suspension')} "
        f"at {wording.schools(s.school_urn for s in same_year)})",
        f"more than the {wording.school_days(p.max_school_days)} allowed in one school year",
        *wording.needs(fact),
    )
    ids, subject = [s.event_id for s in ordered], (state.upn, year.label)
    return [candidate_for(RULE, params, fact, state.upn, reason, STATUTE, subject=subject, evidence=ids)]
