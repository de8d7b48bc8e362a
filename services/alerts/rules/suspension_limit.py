"""`suspension_limit`: suspensions of one pupil adding up to more than 45 school days in one
academic year (docs/domain.md, "Alert rules" and "Exclusions and alternative provision").

The limit binds a head teacher: a pupil may be suspended from a school for at most 45 school days
in one school year (s51A(1) Education Act 2002). So a total over 45 days at one school is worded
as a breach of that limit; a total over 45 days only across several schools (each within it) is
worded as a check: lawful school by school, but a child who has missed more than 45 days. Sessions
are half-days: 2 sessions = 1 school day, so 90 sessions is the most allowed and 91 raises. A
suspension counts in the academic year its `start_on` falls in. One alert per pupil and academic
year; every further suspension folds into it.
"""

from __future__ import annotations

from services.alerts import wording
from services.alerts.calendar import AcademicYear, SchoolCalendar, academic_year_of
from services.alerts.candidates import AlertCandidate, candidate_for
from services.alerts.facts import PupilFact, PupilState, Suspension
from services.alerts.parameters import RuleParameters

RULE = "suspension_limit"
STATUTE = "s51A(1) Education Act 2002 (at most 45 school days of suspension from a school in one school year)"
STATUTE_CHECK = (
    "s51A(1) Education Act 2002 (45 school days a school year, school by school); s19 Education Act 1996"
)


def suspensions_in(state: PupilState, year: AcademicYear, school_urn: str | None = None) -> list[Suspension]:
    """The pupil's suspensions starting in `year` (at one school, or at every school)."""
    return [
        s
        for s in state.of(Suspension)
        if academic_year_of(s.start_on) == year and (school_urn is None or s.school_urn == school_urn)
    ]


def sessions_of(suspensions: list[Suspension]) -> int:
    return sum(s.sessions for s in suspensions)


def evaluate(
    state: PupilState, fact: PupilFact, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    p = params.rules.suspension_limit
    if not isinstance(fact, Suspension) or state.death is not None:
        return []
    year = academic_year_of(fact.start_on)
    same_year = suspensions_in(state, year)
    sessions = sessions_of(same_year)
    limit = 2 * p.max_school_days
    if sessions <= limit:
        return []
    by_school = {s.school_urn: sessions_of(suspensions_in(state, year, s.school_urn)) for s in same_year}
    over = sorted(urn for urn, count in by_school.items() if count > limit)
    total = (
        f"suspensions in {year.label} add up to {wording.school_days(sessions / 2)} "
        f"({wording.count(sessions, 'session')} over {wording.count(len(same_year), 'suspension')} "
        f"at {wording.schools(s.school_urn for s in same_year)})"
    )
    if over:
        finding = (
            f"more than the {wording.school_days(p.max_school_days)} a pupil may be suspended from "
            f"one school in a school year, at {wording.schools(over)}"
        )
        statute = STATUTE
    else:
        finding = (
            f"each school is within {wording.school_days(p.max_school_days)}, but together more than "
            f"{wording.school_days(p.max_school_days)} of school missed: check the pupil's education"
        )
        statute = STATUTE_CHECK
    reason = wording.reason(total, finding, *wording.needs(fact))
    ids, subject = [s.event_id for s in state.chronological(same_year)], (state.upn, year.label)
    return [candidate_for(RULE, params, fact, state.upn, reason, statute, subject=subject, evidence=ids)]
