"""`ap_planned_end_passed`: an alternative provision placement still open after its planned end
(`planned_end_on` of the referral in force), with no end recorded (docs/domain.md, "Alert rules").
A waiting rule: due on the planned end (plus `grace_school_days` school days, default 0), overdue
from the day after. A review that sets a later planned end, or the placement's end, answers it.

Every placement should have a planned end and an outcome; a placement that drifts on past its
end is how pupils stay in unsuitable provision (DfE "Arranging alternative provision: a guide for
local authorities and schools", February 2025).
"""

from __future__ import annotations

import datetime as dt

from services.alerts import wording
from services.alerts.calendar import SchoolCalendar
from services.alerts.candidates import AlertCandidate, WakeUp, candidate_for
from services.alerts.facts import APReferral, PupilFact, PupilState
from services.alerts.parameters import APPlannedEndPassedParams, RuleParameters
from services.alerts.rules.ap_review_overdue import led_by, open_placements

RULE = "ap_planned_end_passed"
STATUTE = "DfE 'Arranging alternative provision: a guide for local authorities and schools' (February 2025)"
_ONE_DAY = dt.timedelta(days=1)


def _clock(
    referral: APReferral, calendar: SchoolCalendar, p: APPlannedEndPassedParams
) -> tuple[dt.date, dt.date] | None:
    """(due_on, fires_on) for the referral in force, or None without a planned end."""
    if referral.planned_end_on is None:
        return None
    due_on = calendar.add_school_days(referral.planned_end_on, p.grace_school_days)
    return due_on, due_on + _ONE_DAY


def wake_ups(
    state: PupilState, fact: PupilFact, calendar: SchoolCalendar, params: RuleParameters
) -> list[WakeUp]:
    if not isinstance(fact, APReferral) or state.death is not None or led_by(state, fact) is None:
        return []
    clock = _clock(fact, calendar, params.rules.ap_planned_end_passed)
    if clock is None:
        return []
    due_on, fires_on = clock
    return [
        WakeUp.for_fact(RULE, fact, due_on, fires_on, calendar.estimated_between(fact.occurred_on, fires_on))
    ]


def evaluate_at(
    state: PupilState, at: dt.date, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    p = params.rules.ap_planned_end_passed
    if state.death is not None:
        return []
    found = []
    for placement in open_placements(state):
        referral = placement.in_force
        clock = _clock(referral, calendar, p)
        if clock is None or at < clock[1]:
            continue
        due_on, fires_on = clock
        assert referral.planned_end_on is not None
        estimated = p.grace_school_days > 0 and calendar.estimated_between(referral.planned_end_on, due_on)
        kind = referral.arrangement.replace("_", " ")
        reason = wording.reason(
            f"alternative provision placement ({kind}) arranged by {wording.school(referral.school_urn)}, "
            f"running since {wording.day(referral.start_on)}",
            f"its planned end was {wording.day(referral.planned_end_on)} and no end or new planned end "
            "is recorded",
            *wording.needs(referral),
            estimated=estimated,
        )
        found.append(
            candidate_for(
                RULE,
                params,
                referral,
                state.upn,
                evidence=(r.event_id for r in state.chronological(placement.referrals)),
                reason=reason,
                statutory_reference=STATUTE,
                as_of=fires_on,
                due_on=due_on,
                calendar_estimated=estimated,
            )
        )
    return found
