"""`roll_mismatch`: the count of a school's admission register in its daily roll check differs
from the pupils Rollwatch has on roll there that day by more than the LA's tolerance
(docs/domain.md, "Feed health and roll reconciliation").

The school counting fewer pupils than Rollwatch has on roll means names left the register with
no deletion sent: exactly the off-rolling nobody reports. Counting more means admissions never
sent. Both are prompts. One alert per school and academic year while the difference lasts; a
later check within the tolerance resolves it (services/alerts/service.py applies `resolution`)."""

from __future__ import annotations

from services.alerts import wording
from services.alerts.calendar import SchoolCalendar, academic_year_of
from services.alerts.candidates import AlertCandidate, Resolution, candidate_for, fingerprint
from services.alerts.facts import RollCheck
from services.alerts.parameters import RuleParameters

RULE = "roll_mismatch"
STATUTE = (
    "reg 9 and reg 13(4) SI 2024/208 (a name is removed only on a ground, and the LA is told of every "
    "deletion); s436A Education Act 1996"
)


def subject(check: RollCheck) -> tuple[str, str]:
    return (check.school_urn, academic_year_of(check.as_of).label)


def evaluate(check: RollCheck, calendar: SchoolCalendar, params: RuleParameters) -> list[AlertCandidate]:
    tolerance = params.rules.roll_mismatch.tolerance
    difference = check.difference
    if abs(difference) <= tolerance:
        return []
    if difference < 0:
        gap = (
            f"{wording.count(-difference, 'pupil')} on roll in Rollwatch are not on the register: "
            "deletions the school has not sent"
        )
    else:
        gap = (
            f"{wording.count(difference, 'pupil')} on the register are not on roll in Rollwatch: "
            "admissions the school has not sent"
        )
    reason = wording.reason(
        f"the admission register of {wording.school(check.school_urn)} held "
        f"{wording.count(check.on_roll, 'pupil')} at the end of {wording.day(check.as_of)} by its own "
        f"count, Rollwatch has {check.known} on roll there (difference {difference:+d}, tolerance "
        f"{tolerance})",
        gap,
    )
    return [
        candidate_for(
            RULE, params, check, None, reason, STATUTE, subject=subject(check), evidence=(check.event_id,)
        )
    ]


def resolution(check: RollCheck, params: RuleParameters) -> Resolution | None:
    """The check closes the school's open alert of this academic year when it is within tolerance."""
    if abs(check.difference) > params.rules.roll_mismatch.tolerance:
        return None
    return Resolution(
        fingerprint=fingerprint(RULE, *subject(check)),
        rule=RULE,
        kind="auto_resolved",
        by_event_id=check.event_id,
        reason=f"the roll check of {wording.day(check.as_of)} matches Rollwatch's roll "
        f"(difference {check.difference:+d})",
    )
