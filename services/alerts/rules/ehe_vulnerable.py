"""`ehe_vulnerable`: taken off roll for home education while vulnerable (docs/domain.md,
"Alert rules"): an EHC plan or SEN support, looked after or a child in need at the deletion, or a
suspension, permanent exclusion or alternative provision placement in the 12 months before it
(at any school). The 12 months run from the same date a year earlier, inclusive, to the deletion.
"""

from __future__ import annotations

import datetime as dt

from services.alerts import wording
from services.alerts.calendar import SchoolCalendar, months_before
from services.alerts.candidates import AlertCandidate, candidate_for
from services.alerts.facts import (
    SEN_EHC_PLAN,
    SEN_SUPPORT,
    APEnded,
    APReferral,
    Deletion,
    PermanentExclusion,
    PupilFact,
    PupilState,
    Suspension,
)
from services.alerts.parameters import EheVulnerableParams, RuleParameters

RULE = "ehe_vulnerable"
STATUTE_2024 = "School Attendance (Pupil Registration) (England) Regulations 2024, reg 9(1)(f)"
STATUTE_2006 = "Education (Pupil Registration) (England) Regulations 2006, reg 8(1)(d)"
HOME_EDUCATION = "home_education"


def is_home_education(deletion: Deletion) -> bool:
    return deletion.ground == HOME_EDUCATION or deletion.destination_kind == HOME_EDUCATION


def _needs(deletion: Deletion, p: EheVulnerableParams) -> list[str]:
    found = []
    if deletion.sen_provision in p.sen_provisions:
        found.append(
            {SEN_EHC_PLAN: "EHC plan", SEN_SUPPORT: "SEN support"}.get(deletion.sen_provision, "SEN")
        )
    if p.looked_after and deletion.looked_after:
        found.append("looked after")
    if p.child_in_need and deletion.child_in_need:
        found.append("child in need")
    return found


def _placement_overlaps(referral: APReferral, state: PupilState, start: dt.date, end: dt.date) -> bool:
    """The placement began in the window, or began before it and had not ended by its start."""
    if referral.start_on > end:
        return False
    if referral.start_on >= start:
        return True
    endings = [ended.ended_on for ended in state.of(APEnded) if ended.referral_event_id == referral.event_id]
    return not endings or min(endings) >= start


def evaluate(
    state: PupilState, fact: PupilFact, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    p = params.rules.ehe_vulnerable
    if not isinstance(fact, Deletion) or not is_home_education(fact) or state.death is not None:
        return []
    end = fact.occurred_on
    start = months_before(end, p.lookback_months)
    suspensions = [s for s in state.of(Suspension) if start <= s.start_on <= end]
    exclusions = [x for x in state.of(PermanentExclusion) if start <= x.occurred_on <= end]
    placements = [r for r in state.of(APReferral) if _placement_overlaps(r, state, start, end)]
    needs = _needs(fact, p)
    if not (needs or suspensions or exclusions or placements):
        return []
    period = f"in the {wording.count(p.lookback_months, 'month')} before"
    history = [
        f"{wording.count(len(suspensions), 'suspension')} {period}" if suspensions else "",
        f"{wording.count(len(exclusions), 'permanent exclusion')} {period}" if exclusions else "",
        f"{wording.count(len(placements), 'alternative provision placement')} {period}" if placements else "",
    ]
    evidence = state.chronological([*suspensions, *exclusions, *placements])
    reason = wording.reason(
        f"taken off roll at {wording.school(fact.school_urn)} on {wording.day(fact.occurred_on)} "
        "for home education",
        *needs,
        *history,
    )
    statute = STATUTE_2006 if fact.regulation == "2006" else STATUTE_2024
    ids = (*(f.event_id for f in evidence), fact.event_id)
    return [candidate_for(RULE, params, fact, state.upn, reason, statute, evidence=ids)]
