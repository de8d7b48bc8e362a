"""`exclusion_then_exit`: a suspension or permanent exclusion followed within 30 school days by a
deletion on any ground other than permanent exclusion (docs/domain.md, "Alert rules").

An exclusion counts for a deletion when it took effect (a suspension's `start_on`, a permanent
exclusion's `occurred_on`) on or before the deletion and school_days_between(exclusion, deletion)
<= 30. By default only exclusions by the school that deletes count (`same_school_only`). The rule
runs on the deletion and also on an exclusion that reaches the ledger after the deletion; either
way there is one alert per deletion, and later evidence folds into it.
"""

from __future__ import annotations

import datetime as dt

from services.alerts import wording
from services.alerts.calendar import SchoolCalendar
from services.alerts.candidates import AlertCandidate, candidate_for
from services.alerts.facts import Deletion, PermanentExclusion, PupilFact, PupilState, Suspension
from services.alerts.parameters import ExclusionThenExitParams, RuleParameters

RULE = "exclusion_then_exit"
STATUTE = (
    "s51A Education Act 2002 (exclusion only by the formal route); "
    "School Attendance (Pupil Registration) (England) Regulations 2024, reg 9(1)"
)

Exclusion = Suspension | PermanentExclusion


def _began(exclusion: Exclusion) -> str:
    if isinstance(exclusion, Suspension):
        return f"a suspension from {wording.day(exclusion.start_on)}"
    return f"a permanent exclusion on {wording.day(exclusion.occurred_on)}"


def _start(exclusion: Exclusion) -> dt.date:
    return exclusion.start_on if isinstance(exclusion, Suspension) else exclusion.occurred_on


def _before(
    deletion: Deletion, state: PupilState, calendar: SchoolCalendar, p: ExclusionThenExitParams
) -> list[tuple[int, Exclusion]]:
    """(school days before the deletion, exclusion) for every exclusion that counts."""
    found: list[tuple[int, Exclusion]] = []
    exclusions: list[Exclusion] = [*state.of(Suspension), *state.of(PermanentExclusion)]
    for exclusion in exclusions:
        if p.same_school_only and exclusion.school_urn != deletion.school_urn:
            continue
        if _start(exclusion) > deletion.occurred_on:
            continue
        gap = calendar.school_days_between(_start(exclusion), deletion.occurred_on)
        if gap <= p.school_days:
            found.append((gap, exclusion))
    return found


def _candidates(
    state: PupilState,
    deletion: Deletion,
    calendar: SchoolCalendar,
    params: RuleParameters,
) -> list[AlertCandidate]:
    p = params.rules.exclusion_then_exit
    if deletion.ground in p.exempt_grounds:
        return []
    found = _before(deletion, state, calendar, p)
    if not found:
        return []
    gap, latest = min(found, key=lambda pair: pair[0])
    others = len(found) - 1
    earliest = min(_start(exclusion) for _, exclusion in found)
    estimated = calendar.estimated_between(earliest, deletion.occurred_on)
    evidence = state.chronological([exclusion for _, exclusion in found])
    reason = wording.reason(
        f"taken off roll at {wording.school(deletion.school_urn)} on "
        f"{wording.day(deletion.occurred_on)} {wording.ground(deletion.ground)}",
        f"{wording.school_days(gap)} after {_began(latest)}",
        f"{wording.count(others, 'other exclusion')} in the {p.school_days} school days before"
        if others
        else "",
        *wording.needs(deletion),
        estimated=estimated,
    )
    ids = (*(e.event_id for e in evidence), deletion.event_id)
    return [
        candidate_for(
            RULE, params, deletion, state.upn, reason, STATUTE, evidence=ids, calendar_estimated=estimated
        )
    ]


def evaluate(
    state: PupilState, fact: PupilFact, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    if state.death is not None:
        return []
    if isinstance(fact, Deletion):
        return _candidates(state, fact, calendar, params)
    if isinstance(fact, Suspension | PermanentExclusion):
        found = []
        for deletion in state.chronological(state.of(Deletion)):
            counted = _before(deletion, state, calendar, params.rules.exclusion_then_exit)
            if any(exclusion.event_id == fact.event_id for _, exclusion in counted):
                found.extend(_candidates(state, deletion, calendar, params))
        return found
    return []
