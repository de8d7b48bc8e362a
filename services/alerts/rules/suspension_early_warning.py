"""`suspension_early_warning`: a pupil's suspensions from one school in one academic year add up
to more than 40 school days (the LA's setting, default 40) and not yet more than the 45 that
s51A(1) Education Act 2002 allows: the school has at most 5 school days left (docs/domain.md,
"Alert rules"). 80 sessions is within the default, 81 raises; 91 and more is `suspension_limit`'s.
One alert per pupil, school and academic year; later suspensions fold into it.
"""

from __future__ import annotations

from services.alerts import wording
from services.alerts.calendar import SchoolCalendar, academic_year_of
from services.alerts.candidates import AlertCandidate, candidate_for
from services.alerts.facts import PupilFact, PupilState, Suspension
from services.alerts.parameters import RuleParameters
from services.alerts.rules.suspension_limit import sessions_of, suspensions_in

RULE = "suspension_early_warning"
STATUTE = "s51A(1) Education Act 2002 (at most 45 school days of suspension from a school in one school year)"


def evaluate(
    state: PupilState, fact: PupilFact, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    p = params.rules.suspension_early_warning
    limit = params.rules.suspension_limit.max_school_days
    if not isinstance(fact, Suspension) or state.death is not None:
        return []
    year = academic_year_of(fact.start_on)
    here = suspensions_in(state, year, fact.school_urn)
    sessions = sessions_of(here)
    if not 2 * p.warn_over_school_days < sessions <= 2 * limit:
        return []
    reason = wording.reason(
        f"suspensions from {wording.school(fact.school_urn)} in {year.label} add up to "
        f"{wording.school_days(sessions / 2)} ({wording.count(len(here), 'suspension')})",
        f"more than {wording.school_days(p.warn_over_school_days)}, with at most "
        f"{wording.school_days(limit - sessions / 2)} left before the {wording.school_days(limit)} limit",
        *wording.needs(fact),
    )
    subject = (state.upn, fact.school_urn, year.label)
    ids = [s.event_id for s in state.chronological(here)]
    return [candidate_for(RULE, params, fact, state.upn, reason, STATUTE, subject=subject, evidence=ids)]
