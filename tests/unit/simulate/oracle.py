"""Runs simulated events through the real alert rules (services.alerts.judge), in file order, as
a pure-logic stand-in for the alert service: the ground truth must agree with it.

Events become facts through the service's own adapter, with the simulated schools register.
Event time is the day (in England) of the latest event's `recorded_at`; a wake-up fires once that
day reaches its `fires_on`, before the event that got there is applied. The school rule runs, as
the service runs it, on each day a deletion at the school took effect, with the roll of that day
(ground_truth.py's documented convention).
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable
from typing import Any

import orjson

from schemas import canonical_bytes, parse_event
from services.alerts.adapter import to_fact as adapt
from services.alerts.calendar import SchoolCalendar, load_calendar, months_before
from services.alerts.exits import school_exit
from services.alerts.facts import Deletion, Enrolment, PupilFact, PupilState, SchoolExit, SchoolStats
from services.alerts.judge import judge_fact, judge_school, judge_tick
from services.alerts.parameters import default_parameters
from services.schools.register import SchoolsRegister
from services.tracker.reads import is_special_school

Alert = tuple[str, str]  # (rule, fingerprint)


def to_fact(raw: bytes, schools: SchoolsRegister, now: dt.datetime) -> PupilFact:
    event = orjson.loads(canonical_bytes(parse_event(raw, now=now)))
    fact = adapt(event, schools)
    assert fact is not None
    return fact


def judge_all(
    lines: Iterable[bytes],
    schools: SchoolsRegister,
    now: dt.datetime,
    window: tuple[dt.date, dt.date],
) -> tuple[set[Alert], set[Alert]]:
    """(pupil alerts, school alerts) the real rules raise on these events."""
    params = default_parameters()
    calendars: dict[str, SchoolCalendar] = {}
    states: dict[str, PupilState] = {}
    wakes: list[tuple[dt.date, str, str]] = []  # (fires_on, upn, la)
    pupil_alerts: set[Alert] = set()
    facts: list[PupilFact] = []

    def calendar(la: str) -> SchoolCalendar:
        if la not in calendars:
            calendars[la] = load_calendar(la)
        return calendars[la]

    def tick(until: dt.date) -> None:
        while wakes and wakes[0][0] <= until:
            fires_on, upn, la = heapq.heappop(wakes)
            for candidate in judge_tick(states[upn], fires_on, calendar(la), params):
                pupil_alerts.add((candidate.rule, candidate.fingerprint))

    for raw in lines:
        if b'"type":"school.roll_checked"' in raw:
            continue  # a school's roll check: judged by its own rules (test_roll_checks.py)
        fact = to_fact(raw, schools, now)
        facts.append(fact)
        tick(fact.recorded_on)
        state = states.get(fact.upn, PupilState(fact.upn)).with_fact(fact)
        states[fact.upn] = state
        judgement = judge_fact(state, fact, calendar(fact.la_code), params)
        for candidate in judgement.candidates:
            pupil_alerts.add((candidate.rule, candidate.fingerprint))
        for wake in judgement.wake_ups:
            heapq.heappush(wakes, (wake.fires_on, wake.upn, wake.la_code))
    tick(window[1])
    return pupil_alerts, _school_alerts(facts, schools, window, calendar)


def _school_alerts(
    facts: list[PupilFact], schools: SchoolsRegister, window: tuple[dt.date, dt.date], calendar: Any
) -> set[Alert]:
    params = default_parameters()
    by_school: dict[str, list[PupilFact]] = {}
    for fact in facts:
        if isinstance(fact, Deletion) or (isinstance(fact, Enrolment) and fact.enrolment_status != "guest"):
            by_school.setdefault(fact.school_urn, []).append(fact)
    found: set[Alert] = set()
    for urn, moves in by_school.items():
        moves.sort(key=lambda f: (f.occurred_on, f.recorded_at))
        exits: list[SchoolExit] = [_exit(f, schools) for f in moves if isinstance(f, Deletion)]
        la = moves[0].la_code
        latest: dict[str, PupilFact] = {}
        index = 0
        for day in sorted(
            {f.occurred_on for f in moves if isinstance(f, Deletion) and f.occurred_on <= window[1]}
        ):
            while index < len(moves) and moves[index].occurred_on <= day:
                latest[moves[index].upn] = moves[index]
                index += 1
            on_roll = [f for f in latest.values() if isinstance(f, Enrolment)]
            send = sum(f.sen_provision != "N" for f in on_roll)
            start = months_before(day, 12)
            window_exits = tuple(e for e in exits if start <= e.occurred_on <= day)
            stats = SchoolStats(urn, la, day, len(on_roll), send, window_exits)
            for candidate in judge_school(stats, calendar(la), params):
                found.add((candidate.rule, candidate.fingerprint))
    return found


def _exit(deletion: Deletion, schools: SchoolsRegister) -> SchoolExit:
    """As services.alerts.school_stats classifies it: a move into a special school is explained."""
    destination = schools.by_laestab(deletion.destination_laestab) if deletion.destination_laestab else None
    special = destination is not None and is_special_school(destination)
    return school_exit(deletion, default_parameters(), to_special_school=special)
