"""What a new fact does to a pupil's open alerts (docs/domain.md, "What an alert is": a later
event can resolve or inhibit an alert).

- a deletion because the pupil died inhibits every open alert about that pupil;
- an enrolment anywhere that follows the deletion auto-resolves `no_destination`;
- an `ap_ended`, or a new referral that reviews the placement (a new review date), auto-resolves
  `ap_review_overdue` and `ap_planned_end_passed` for that placement (a requested review too);
- a decision of the governing board on a permanent exclusion (the exclusion sent again as upheld
  or reinstated, or the deletion on that ground) auto-resolves its `governors_review`;
- a retraction auto-resolves an alert whose key event it withdraws, and any pupil alert that the
  remaining evidence no longer supports (the rule is run again without the retracted event).
School-level alerts are left to the next school evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.alerts.calendar import SchoolCalendar
from services.alerts.candidates import OpenAlert, Resolution
from services.alerts.facts import (
    APEnded,
    APReferral,
    Deletion,
    Enrolment,
    PermanentExclusion,
    PupilFact,
    PupilState,
    Retraction,
)
from services.alerts.parameters import RuleParameters
from services.alerts.rules import (
    ON_FACT,
    WAITING,
    ap_planned_end_passed,
    ap_review_overdue,
    governors_review,
    no_destination,
)

_PLACEMENT_RULES = (ap_review_overdue.RULE, ap_planned_end_passed.RULE)


def resolutions(
    state: PupilState,
    fact: PupilFact,
    open_alerts: Iterable[OpenAlert],
    calendar: SchoolCalendar,
    params: RuleParameters,
) -> list[Resolution]:
    """The open alerts of `state`'s pupil that `fact` closes. `state` already holds `fact`."""
    mine = [alert for alert in open_alerts if alert.upn == state.upn]
    if isinstance(fact, Deletion) and fact.ground == "died" and state.is_active(fact):
        return [
            Resolution(alert.fingerprint, alert.rule, "inhibited", fact.event_id, "the pupil died")
            for alert in mine
        ]
    if isinstance(fact, Enrolment):
        return _enrolment(state, fact, mine, params)
    if isinstance(fact, APEnded):
        return [
            Resolution(alert.fingerprint, alert.rule, "auto_resolved", fact.event_id, "the placement ended")
            for alert in mine
            if alert.rule in _PLACEMENT_RULES and fact.referral_event_id in alert.evidence
        ]
    if isinstance(fact, APReferral):
        reviewed = set(ap_review_overdue.superseded_by(state, fact))
        return [
            Resolution(
                alert.fingerprint, alert.rule, "auto_resolved", fact.event_id, "the placement was reviewed"
            )
            for alert in mine
            if alert.rule in _PLACEMENT_RULES and reviewed & set(alert.evidence)
        ]
    found = []
    if isinstance(fact, PermanentExclusion | Deletion):
        found = _governors_decision(state, fact, mine)
    if isinstance(fact, Retraction):
        return _retraction(state, fact, mine, calendar, params)
    return found


def _governors_decision(state: PupilState, fact: PupilFact, mine: list[OpenAlert]) -> list[Resolution]:
    found = []
    for alert in mine:
        if alert.rule != governors_review.RULE or alert.key_event_id is None:
            continue
        exclusion = state.find(alert.key_event_id)
        if isinstance(exclusion, PermanentExclusion) and governors_review.decided(state, exclusion):
            found.append(
                Resolution(
                    alert.fingerprint, alert.rule, "auto_resolved", fact.event_id, "the governors decided"
                )
            )
    return found


def _enrolment(
    state: PupilState, fact: Enrolment, mine: list[OpenAlert], params: RuleParameters
) -> list[Resolution]:
    p = params.rules.no_destination
    found = []
    for alert in mine:
        if alert.rule != no_destination.RULE:
            continue
        deletion = state.find(alert.key_event_id) if alert.key_event_id else None
        if not isinstance(deletion, Deletion) or no_destination.follows(fact, deletion, state, p):
            found.append(
                Resolution(
                    alert.fingerprint, alert.rule, "auto_resolved", fact.event_id, "enrolled at a school"
                )
            )
    return found


def _retraction(
    state: PupilState,
    fact: Retraction,
    mine: list[OpenAlert],
    calendar: SchoolCalendar,
    params: RuleParameters,
) -> list[Resolution]:
    found = []
    for alert in mine:
        if fact.retracts not in alert.evidence:
            continue
        if alert.key_event_id != fact.retracts and _still_holds(state, alert, calendar, params):
            continue
        found.append(
            Resolution(
                alert.fingerprint, alert.rule, "auto_resolved", fact.event_id, "its evidence was retracted"
            )
        )
    return found


def _still_holds(
    state: PupilState, alert: OpenAlert, calendar: SchoolCalendar, params: RuleParameters
) -> bool:
    """Does the rule, run again on the state without the retracted event, still raise this alert?"""
    if alert.rule in WAITING and any(
        c.fingerprint == alert.fingerprint
        for c in WAITING[alert.rule].evaluate_at(state, alert.as_of, calendar, params)
    ):
        return True
    rule = ON_FACT.get(alert.rule)
    if rule is None:
        return alert.rule not in WAITING
    for event_id in alert.evidence:
        fact = state.find(event_id)
        if fact is not None and any(
            c.fingerprint == alert.fingerprint for c in rule(state, fact, calendar, params)
        ):
            return True
    return False
