"""`governors_review`: the governing board's duty to consider reinstating an excluded pupil
(School Discipline (Pupil Exclusions and Reviews) (England) Regulations 2012, SI 2012/1033, regs
6, 15 and 24 for maintained schools, pupil referral units and academies; docs/domain.md,
"Exclusions and alternative provision"). The duty arises for:

- suspensions from one school adding up to more than 15 school days in one term (30 sessions
  is within, 31 raises); a suspension counts in the term its `start_on` falls in, on the LA's
  calendar (estimated terms where none are loaded). One alert per pupil, school and term;
- a suspension that makes the pupil miss a public examination or national curriculum test
  (`misses_public_examination`): one alert per such suspension;
- a permanent exclusion: the board must decide within 15 school days. A waiting rule: due on the
  15th school day after the exclusion, raised from the 16th unless a decision is on record by
  then: the same exclusion sent again with `review` upheld or reinstated, or the deletion that
  follows it (ground `permanently_excluded`, made only once the review route has ended).

The suspension cases are raised at once: Rollwatch cannot see the board's meeting, so the alert
is the prompt to check it took place.
"""

from __future__ import annotations

import datetime as dt

from services.alerts import wording
from services.alerts.calendar import SchoolCalendar, TermSpan
from services.alerts.candidates import AlertCandidate, WakeUp, candidate_for
from services.alerts.facts import Deletion, PermanentExclusion, PupilFact, PupilState, Suspension
from services.alerts.parameters import RuleParameters

RULE = "governors_review"
STATUTE = (
    "School Discipline (Pupil Exclusions and Reviews) (England) Regulations 2012, regs 6, 15 and 24 "
    "(the governing board considers reinstatement)"
)
_DECIDED = ("upheld", "reinstated")


def _term_suspensions(state: PupilState, school_urn: str, term: TermSpan) -> list[Suspension]:
    return [s for s in state.of(Suspension) if s.school_urn == school_urn and term.contains(s.start_on)]


def _on_suspension(
    state: PupilState, fact: Suspension, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    p = params.rules.governors_review
    found = []
    term = calendar.term_of(fact.start_on)
    if term is not None:
        here = _term_suspensions(state, fact.school_urn, term)
        sessions = sum(s.sessions for s in here)
        if sessions > 2 * p.term_school_days:
            estimated = calendar.is_estimated(fact.start_on)
            reason = wording.reason(
                f"suspensions from {wording.school(fact.school_urn)} in the {term.name} term add up to "
                f"{wording.school_days(sessions / 2)} ({wording.count(len(here), 'suspension')})",
                f"more than {wording.school_days(p.term_school_days)} in a term: the governing board must "
                f"consider reinstatement within {wording.school_days(p.decision_school_days)}",
                *wording.needs(fact),
                estimated=estimated,
            )
            subject = (state.upn, fact.school_urn, term.start.isoformat())
            ids = [s.event_id for s in state.chronological(here)]
            found.append(
                candidate_for(
                    RULE,
                    params,
                    fact,
                    state.upn,
                    reason,
                    STATUTE,
                    subject=subject,
                    evidence=ids,
                    calendar_estimated=estimated,
                )
            )
    if fact.misses_public_examination:
        reason = wording.reason(
            f"suspended from {wording.school(fact.school_urn)} from {wording.day(fact.start_on)} "
            f"for {wording.count(fact.sessions, 'session')}, missing a public examination or national "
            "curriculum test",
            "the governing board must consider reinstatement, before the examination where it can",
            *wording.needs(fact),
        )
        found.append(candidate_for(RULE, params, fact, state.upn, reason, STATUTE))
    return found


def evaluate(
    state: PupilState, fact: PupilFact, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    if not isinstance(fact, Suspension) or state.death is not None:
        return []
    return _on_suspension(state, fact, calendar, params)


# --- a permanent exclusion: waiting for the board's decision ---------------------------------------


def decided(state: PupilState, exclusion: PermanentExclusion) -> bool:
    """The board's decision on `exclusion` is on record (see the module docstring)."""
    return any(
        other.school_urn == exclusion.school_urn
        and other.occurred_on == exclusion.occurred_on
        and other.review in _DECIDED
        for other in state.of(PermanentExclusion)
    ) or any(
        d.school_urn == exclusion.school_urn
        and d.ground == "permanently_excluded"
        and d.occurred_on >= exclusion.occurred_on
        for d in state.of(Deletion)
    )


def _awaiting(state: PupilState) -> list[PermanentExclusion]:
    """The pending exclusions, one per school and date (a resend is the same exclusion)."""
    seen: set[tuple[str, dt.date]] = set()
    found = []
    for exclusion in state.of(PermanentExclusion):
        key = (exclusion.school_urn, exclusion.occurred_on)
        if exclusion.review != "pending" or key in seen or decided(state, exclusion):
            continue
        seen.add(key)
        found.append(exclusion)
    return found


def _clock(exclusion: PermanentExclusion, calendar: SchoolCalendar, n: int) -> tuple[dt.date, dt.date]:
    return calendar.add_school_days(exclusion.occurred_on, n), calendar.add_school_days(
        exclusion.occurred_on, n + 1
    )


def wake_ups(
    state: PupilState, fact: PupilFact, calendar: SchoolCalendar, params: RuleParameters
) -> list[WakeUp]:
    if not isinstance(fact, PermanentExclusion) or state.death is not None:
        return []
    n = params.rules.governors_review.decision_school_days
    found = []
    for exclusion in _awaiting(state):
        if exclusion.event_id == fact.event_id:
            due_on, fires_on = _clock(exclusion, calendar, n)
            estimated = calendar.estimated_between(exclusion.occurred_on, fires_on)
            found.append(WakeUp.for_fact(RULE, exclusion, due_on, fires_on, estimated))
    return found


def evaluate_at(
    state: PupilState, at: dt.date, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    n = params.rules.governors_review.decision_school_days
    if state.death is not None:
        return []
    found = []
    for exclusion in _awaiting(state):
        due_on, fires_on = _clock(exclusion, calendar, n)
        if at < fires_on:
            continue
        estimated = calendar.estimated_between(exclusion.occurred_on, fires_on)
        reason = wording.reason(
            f"permanently excluded from {wording.school(exclusion.school_urn)} on "
            f"{wording.day(exclusion.occurred_on)}",
            f"no decision of the governing board on reinstatement recorded within "
            f"{wording.school_days(n)} (by {wording.day(due_on)})",
            *wording.needs(exclusion),
            estimated=estimated,
        )
        found.append(
            candidate_for(
                RULE,
                params,
                exclusion,
                state.upn,
                reason,
                STATUTE,
                as_of=fires_on,
                due_on=due_on,
                calendar_estimated=estimated,
            )
        )
    return found
