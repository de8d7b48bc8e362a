"""`ehe_without_consent`: a relevant child taken off roll for home education without the LA's
consent on record (s434A Education Act 1996, inserted by s37 of the Children's Wellbeing and
Schools Act 2026; docs/domain.md, "EHE, CME and what is coming").

A parent of a relevant child must obtain the consent of the LA to withdraw the child from school
for education otherwise than at school. A relevant child is of compulsory school age (every reg
9(1)(f) deletion is), registered at a school, and either (A) became a registered pupil under
arrangements made by a local authority at a special school (`placed_by_la` on the pupil
snapshot, and a special school in the register), or (B) subject to enquiries or action under s47
Children Act 1989 (`s47_enquiries`). The consent is `la_consent_on` on the deletion; missing, or
dated after the deletion, raises.

s434A is not yet in force: the rule applies to deletions on or after `in_force_from`, the
commencement date the LA (or a release) sets; null, the default, means never.
"""

from __future__ import annotations

from services.alerts import wording
from services.alerts.calendar import SchoolCalendar
from services.alerts.candidates import AlertCandidate, candidate_for
from services.alerts.facts import Deletion, PupilFact, PupilState
from services.alerts.parameters import RuleParameters

RULE = "ehe_without_consent"
STATUTE = "s434A Education Act 1996 (inserted by s37 Children's Wellbeing and Schools Act 2026)"
HOME_EDUCATION = "home_education"  # reg 9(1)(f)


def relevant_because(deletion: Deletion) -> list[str]:
    """Why the child is a relevant child under s434A(3)-(4), in words (empty: not relevant)."""
    found = []
    if deletion.placed_by_la and deletion.school_is_special:
        found.append("placed by the LA at a special school")
    if deletion.s47_enquiries:
        found.append("subject to s47 Children Act 1989 enquiries")
    return found


def evaluate(
    state: PupilState, fact: PupilFact, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    p = params.rules.ehe_without_consent
    if not isinstance(fact, Deletion) or state.death is not None or fact.ground != HOME_EDUCATION:
        return []
    if p.in_force_from is None or fact.occurred_on < p.in_force_from:
        return []
    because = relevant_because(fact)
    if not because:
        return []
    consent = fact.la_consent_on
    if consent is not None and consent <= fact.occurred_on:
        return []
    missing = (
        "no consent of the LA recorded"
        if consent is None
        else f"the LA's consent is dated {wording.day(consent)}, after the withdrawal"
    )
    reason = wording.reason(
        f"taken off roll at {wording.school(fact.school_urn)} on {wording.day(fact.occurred_on)} for "
        "home education",
        *because,
        f"{missing}: a relevant child may be withdrawn for home education only with the LA's consent",
        *wording.needs(fact),
    )
    return [candidate_for(RULE, params, fact, state.upn, reason, STATUTE)]
