"""The one entry point the alert service calls: run every enabled rule.

- `judge_fact` on each new fact of a pupil: candidates of the immediate rules, wake-ups for the
  waiting rules (store them in a durable clock keyed by fingerprint) and the open alerts the
  fact closes;
- `judge_tick` when event time reaches a wake-up's `fires_on` (or any later day): the waiting
  rules' candidates for that pupil;
- `judge_school` on a school's stats (e.g. after each deletion there, or daily);
- `judge_roll_check` on a school's roll check, with Rollwatch's own count beside it: candidates,
  or the resolution of the school's open roll alert;
- `judge_feed` on a watched school's last-heard day at the alert clock's day.

Use the calendar and parameters of the LA of the school that reported the fact
(`services.alerts.la_rules.load_la_rules`). Nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from services.alerts.calendar import SchoolCalendar
from services.alerts.candidates import AlertCandidate, OpenAlert, Resolution, WakeUp
from services.alerts.facts import FeedHeard, PupilFact, PupilState, RollCheck, SchoolStats
from services.alerts.parameters import RuleParameters
from services.alerts.resolution import resolutions
from services.alerts.rules import ON_FACT, ON_FEED, ON_ROLL_CHECK, ON_SCHOOL, WAITING, roll_mismatch


@dataclass(frozen=True, slots=True)
class Judgement:
    candidates: tuple[AlertCandidate, ...] = ()
    wake_ups: tuple[WakeUp, ...] = ()
    resolutions: tuple[Resolution, ...] = ()


def judge_fact(
    state: PupilState,
    fact: PupilFact,
    calendar: SchoolCalendar,
    params: RuleParameters,
    open_alerts: Iterable[OpenAlert] = (),
) -> Judgement:
    """Everything one new fact causes. `state` may or may not already hold `fact`."""
    state = state.with_fact(fact)
    closed = tuple(resolutions(state, fact, open_alerts, calendar, params))
    if state.death is not None:
        return Judgement(resolutions=closed)
    candidates = [
        candidate
        for rule, evaluate in ON_FACT.items()
        if params.rules.is_enabled(rule)
        for candidate in evaluate(state, fact, calendar, params)
    ]
    wake_ups = [
        wake_up
        for rule, waiting in WAITING.items()
        if params.rules.is_enabled(rule)
        for wake_up in waiting.wake_ups(state, fact, calendar, params)
    ]
    return Judgement(tuple(candidates), tuple(wake_ups), closed)


def judge_tick(
    state: PupilState, at: dt.date, calendar: SchoolCalendar, params: RuleParameters
) -> tuple[AlertCandidate, ...]:
    """The waiting rules' candidates for the pupil at event-time day `at`."""
    return tuple(
        candidate
        for rule, waiting in WAITING.items()
        if params.rules.is_enabled(rule)
        for candidate in waiting.evaluate_at(state, at, calendar, params)
    )


def judge_school(
    stats: SchoolStats, calendar: SchoolCalendar, params: RuleParameters
) -> tuple[AlertCandidate, ...]:
    return tuple(
        candidate
        for rule, evaluate in ON_SCHOOL.items()
        if params.rules.is_enabled(rule)
        for candidate in evaluate(stats, calendar, params)
    )


def judge_roll_check(check: RollCheck, calendar: SchoolCalendar, params: RuleParameters) -> Judgement:
    candidates = [
        candidate
        for rule, evaluate in ON_ROLL_CHECK.items()
        if params.rules.is_enabled(rule)
        for candidate in evaluate(check, calendar, params)
    ]
    resolved = roll_mismatch.resolution(check, params)
    return Judgement(candidates=tuple(candidates), resolutions=(resolved,) if resolved else ())


def judge_feed(
    heard: FeedHeard, calendar: SchoolCalendar, params: RuleParameters
) -> tuple[AlertCandidate, ...]:
    return tuple(
        candidate
        for rule, evaluate in ON_FEED.items()
        if params.rules.is_enabled(rule)
        for candidate in evaluate(heard, calendar, params)
    )
