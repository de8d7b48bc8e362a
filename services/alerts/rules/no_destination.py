"""`no_destination`: taken off roll with no known destination, and no enrolment anywhere within
10 school days (docs/domain.md, "Alert rules"). A waiting rule: a qualifying deletion schedules a
wake-up; at the wake-up the rule fires unless an enrolment of the pupil that follows the deletion
is known by then. An enrolment anywhere auto-resolves an open alert (`follows`).

No destination means: the CTF went to `XXXXXXX`, the destination is missing or `unknown`, or it is
a move away or to a school with no school named. Deletions on exempt grounds (by default death,
end of dual registration, end of nursery, end of compulsory school age) never qualify.
"""

from __future__ import annotations

import datetime as dt

from schemas.codelists import enrolment_statuses
from services.alerts import wording
from services.alerts.calendar import SchoolCalendar
from services.alerts.candidates import AlertCandidate, WakeUp, candidate_for
from services.alerts.facts import Deletion, Enrolment, PupilFact, PupilState
from services.alerts.parameters import NoDestinationParams, RuleParameters

RULE = "no_destination"
STATUTE = (
    "s436A Education Act 1996 (children missing education); "
    "School Attendance (Pupil Registration) (England) Regulations 2024, reg 13"
)
UNKNOWN_DESTINATION = "XXXXXXX"
_NEEDS_A_SCHOOL_NAMED = ("moved_away", "school")


def lacks_destination(deletion: Deletion, params: NoDestinationParams) -> bool:
    if deletion.ground in params.exempt_grounds:
        return False
    if deletion.ctf_destination == UNKNOWN_DESTINATION:
        return True
    kind = deletion.destination_kind
    if kind is None or kind == "unknown":
        return True
    return kind in _NEEDS_A_SCHOOL_NAMED and not deletion.destination_laestab


def follows(enrolment: Enrolment, deletion: Deletion, state: PupilState, params: NoDestinationParams) -> bool:
    """The enrolment answers the deletion: it counts (a registration: never a guest, who is not
    on the admission register), and it took effect on or after the deletion, or reached the
    ledger after it from another school."""
    status = enrolment_statuses().get(enrolment.enrolment_status)
    if status is None or not status.registered:
        return False
    if enrolment.enrolment_status not in params.resolving_enrolment_statuses:
        return False
    if enrolment.occurred_on >= deletion.occurred_on:
        return True
    return enrolment.school_urn != deletion.school_urn and state.arrived_after(enrolment, deletion)


def _clock(
    deletion: Deletion, calendar: SchoolCalendar, params: NoDestinationParams
) -> tuple[dt.date, dt.date]:
    due_on = calendar.add_school_days(deletion.occurred_on, params.school_days)
    fires_on = calendar.add_school_days(deletion.occurred_on, params.school_days + 1)
    return due_on, fires_on


def _answered(deletion: Deletion, state: PupilState, params: NoDestinationParams) -> bool:
    return any(follows(enrolment, deletion, state, params) for enrolment in state.of(Enrolment))


def wake_ups(
    state: PupilState, fact: PupilFact, calendar: SchoolCalendar, params: RuleParameters
) -> list[WakeUp]:
    p = params.rules.no_destination
    if not isinstance(fact, Deletion) or state.death is not None or not state.is_active(fact):
        return []
    if not lacks_destination(fact, p) or _answered(fact, state, p):
        return []
    due_on, fires_on = _clock(fact, calendar, p)
    return [
        WakeUp.for_fact(RULE, fact, due_on, fires_on, calendar.estimated_between(fact.occurred_on, fires_on))
    ]


def evaluate_at(
    state: PupilState, at: dt.date, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    """Every qualifying deletion of the pupil whose wait is over at `at` and still unanswered."""
    p = params.rules.no_destination
    if state.death is not None:
        return []
    found = []
    for deletion in state.chronological(state.of(Deletion)):
        if not lacks_destination(deletion, p) or _answered(deletion, state, p):
            continue
        due_on, fires_on = _clock(deletion, calendar, p)
        if at < fires_on:
            continue
        estimated = calendar.estimated_between(deletion.occurred_on, fires_on)
        ctf = " (CTF sent to XXXXXXX)" if deletion.ctf_destination == UNKNOWN_DESTINATION else ""
        reason = wording.reason(
            f"taken off roll at {wording.school(deletion.school_urn)} on "
            f"{wording.day(deletion.occurred_on)} {wording.ground(deletion.ground)}, "
            f"{wording.destination(deletion.destination_kind, deletion.destination_laestab)}{ctf}",
            *wording.needs(deletion),
            f"no enrolment at any school known within {wording.school_days(p.school_days)} "
            f"(by {wording.day(due_on)})",
            estimated=estimated,
        )
        found.append(
            candidate_for(
                RULE,
                params,
                deletion,
                state.upn,
                reason=reason,
                statutory_reference=STATUTE,
                as_of=fires_on,
                due_on=due_on,
                calendar_estimated=estimated,
            )
        )
    return found
