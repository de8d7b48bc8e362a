"""The alert rules (docs/domain.md, "Alert rules"), one module each, and their registry.

Three shapes:
- on a fact (`evaluate(state, fact, calendar, params)`): the state already holds the fact;
- waiting (`wake_ups(state, fact, calendar, params)` says when to look again,
  `evaluate_at(state, at, calendar, params)` looks): driven by a durable clock on event time;
- on a school (`evaluate(stats, calendar, params)`);
- on a school's roll check (`ON_ROLL_CHECK`, `evaluate(check, calendar, params)`) and on a watched
  school's feed (`ON_FEED`, `evaluate(heard, calendar, params)`), each with its own resolution.
Rules ignore `enabled`; `services.alerts.judge` honours it.

A rule may have both an on-fact and a waiting part (`governors_review`): it is then in both.

Default severities (`rule_defaults.json`, per LA):
- high: `no_destination` (a child may be missing education: the s436A duty), `ehe_vulnerable`
  (the known off-rolling route for the pupils most at risk), `ehe_without_consent` (a relevant
  child withdrawn without the LA's consent, once s434A is in force), `suspension_limit` (over a
  legal limit);
- medium: `exam_cohort_exit`, `exclusion_then_exit`, `retrospective_deletion`, `ap_review_overdue`,
  `ap_planned_end_passed`, `governors_review`, `school_exit_pattern`, `roll_mismatch`,
  `feed_silent` (patterns or duties that need a look, often with an innocent answer);
- low: `late_notification` (a paperwork breach), `suspension_early_warning` (nearing a limit),
  `high_mobility` (a welfare signal, not a breach).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from services.alerts.calendar import SchoolCalendar
from services.alerts.candidates import AlertCandidate, WakeUp
from services.alerts.facts import FeedHeard, PupilFact, PupilState, RollCheck, SchoolStats
from services.alerts.parameters import RuleParameters
from services.alerts.rules import (
    ap_planned_end_passed,
    ap_review_overdue,
    ehe_vulnerable,
    ehe_without_consent,
    exam_cohort_exit,
    exclusion_then_exit,
    feed_silent,
    governors_review,
    high_mobility,
    late_notification,
    no_destination,
    retrospective_deletion,
    roll_mismatch,
    school_exit_pattern,
    suspension_early_warning,
    suspension_limit,
)

OnFact = Callable[[PupilState, PupilFact, SchoolCalendar, RuleParameters], list[AlertCandidate]]
OnSchool = Callable[[SchoolStats, SchoolCalendar, RuleParameters], list[AlertCandidate]]


@dataclass(frozen=True, slots=True)
class WaitingRule:
    wake_ups: Callable[[PupilState, PupilFact, SchoolCalendar, RuleParameters], list[WakeUp]]
    evaluate_at: Callable[[PupilState, dt.date, SchoolCalendar, RuleParameters], list[AlertCandidate]]


ON_FACT: Mapping[str, OnFact] = {
    ehe_vulnerable.RULE: ehe_vulnerable.evaluate,
    ehe_without_consent.RULE: ehe_without_consent.evaluate,
    exam_cohort_exit.RULE: exam_cohort_exit.evaluate,
    late_notification.RULE: late_notification.evaluate,
    exclusion_then_exit.RULE: exclusion_then_exit.evaluate,
    suspension_limit.RULE: suspension_limit.evaluate,
    suspension_early_warning.RULE: suspension_early_warning.evaluate,
    governors_review.RULE: governors_review.evaluate,
    retrospective_deletion.RULE: retrospective_deletion.evaluate,
    high_mobility.RULE: high_mobility.evaluate,
}
WAITING: Mapping[str, WaitingRule] = {
    no_destination.RULE: WaitingRule(no_destination.wake_ups, no_destination.evaluate_at),
    ap_review_overdue.RULE: WaitingRule(ap_review_overdue.wake_ups, ap_review_overdue.evaluate_at),
    ap_planned_end_passed.RULE: WaitingRule(
        ap_planned_end_passed.wake_ups, ap_planned_end_passed.evaluate_at
    ),
    governors_review.RULE: WaitingRule(governors_review.wake_ups, governors_review.evaluate_at),
}
ON_SCHOOL: Mapping[str, OnSchool] = {
    school_exit_pattern.RULE: school_exit_pattern.evaluate,
}
ON_ROLL_CHECK: Mapping[str, Callable[[RollCheck, SchoolCalendar, RuleParameters], list[AlertCandidate]]] = {
    roll_mismatch.RULE: roll_mismatch.evaluate,
}
ON_FEED: Mapping[str, Callable[[FeedHeard, SchoolCalendar, RuleParameters], list[AlertCandidate]]] = {
    feed_silent.RULE: feed_silent.evaluate,
}
ALL_RULES = tuple(dict.fromkeys((*ON_FACT, *WAITING, *ON_SCHOOL, *ON_ROLL_CHECK, *ON_FEED)))

__all__ = [
    "ALL_RULES",
    "ON_FACT",
    "ON_FEED",
    "ON_ROLL_CHECK",
    "ON_SCHOOL",
    "WAITING",
    "OnFact",
    "OnSchool",
    "WaitingRule",
]
