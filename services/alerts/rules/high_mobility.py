"""`high_mobility`: a pupil who changes school 3 or more times in 12 months (docs/domain.md,
"Alert rules").

A change of school is an enrolment (single or main dual registration by default; a subsidiary
registration at AP is not a change) at a school other than the one of the pupil's previous
counted enrolment, or, for the first enrolment the ledger knows, one that names a previous school
(a LAESTAB, `MMMMMMM` or `XXXXXXX`). The rule runs on an enrolment that is itself a change and
counts the changes that took effect from the same date 12 months before it, inclusive, to it.
One alert per pupil: later changes fold into it.
"""

from __future__ import annotations

from services.alerts import wording
from services.alerts.calendar import SchoolCalendar, months_before
from services.alerts.candidates import AlertCandidate, candidate_for
from services.alerts.facts import Enrolment, PupilFact, PupilState
from services.alerts.parameters import HighMobilityParams, RuleParameters

RULE = "high_mobility"
STATUTE = "s436A Education Act 1996; DfE statutory guidance 'Children missing education' (2016)"


def school_changes(state: PupilState, p: HighMobilityParams) -> list[Enrolment]:
    """The pupil's enrolments that changed their school, in the order they took effect."""
    counted = state.chronological(
        e for e in state.of(Enrolment) if e.enrolment_status in p.counted_enrolment_statuses
    )
    changes = []
    previous: Enrolment | None = None
    for enrolment in counted:
        if (previous is None and enrolment.previous_school is not None) or (
            previous is not None and enrolment.school_urn != previous.school_urn
        ):
            changes.append(enrolment)
        previous = enrolment
    return changes


def evaluate(
    state: PupilState, fact: PupilFact, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    p = params.rules.high_mobility
    if not isinstance(fact, Enrolment) or state.death is not None:
        return []
    changes = school_changes(state, p)
    if all(change.event_id != fact.event_id for change in changes):
        return []
    start = months_before(fact.occurred_on, p.window_months)
    in_window = [c for c in changes if start <= c.occurred_on <= fact.occurred_on]
    if len(in_window) < p.min_changes:
        return []
    reason = wording.reason(
        f"{wording.count(len(in_window), 'change')} of school in the "
        f"{wording.count(p.window_months, 'month')} to {wording.day(fact.occurred_on)} "
        f"(threshold: {p.min_changes})",
        f"the latest to {wording.school(fact.school_urn)} on {wording.day(fact.occurred_on)}",
        *wording.needs(fact),
    )
    ids = [c.event_id for c in in_window]
    return [candidate_for(RULE, params, fact, state.upn, reason, STATUTE, subject=(state.upn,), evidence=ids)]
