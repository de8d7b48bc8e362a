"""Runs simulated events through the real alert rules (services.alerts.judge), in file order, as
a pure-logic stand-in for the alert service: the ground truth must agree with it.

Event time is the day (in England) of the latest event's `recorded_at`; a wake-up fires once that
day reaches its `fires_on`, before the event that got there is applied. School rules run at the
end of every day of the window on the roll and exits by `occurred_on` (ground_truth.py's
documented convention).
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable, Mapping
from typing import Any

from schemas import parse_event
from schemas.events import (
    PupilApEnded,
    PupilApReferred,
    PupilDeleted,
    PupilEnrolled,
    PupilPermanentlyExcluded,
    PupilSuspended,
)
from services.alerts.calendar import SchoolCalendar, load_calendar, months_before
from services.alerts.exits import school_exit
from services.alerts.facts import (
    APEnded,
    APReferral,
    Deletion,
    Enrolment,
    PermanentExclusion,
    PupilFact,
    PupilState,
    SchoolExit,
    SchoolStats,
    Suspension,
)
from services.alerts.judge import judge_fact, judge_school, judge_tick
from services.alerts.parameters import default_parameters

Alert = tuple[str, str]  # (rule, fingerprint)


def to_fact(raw: bytes, la_of: Mapping[str, str], now: dt.datetime) -> PupilFact:
    event = parse_event(raw, now=now)
    common: dict[str, Any] = {
        "event_id": str(event.event_id),
        "upn": event.upn,
        "school_urn": event.school_urn,
        "la_code": la_of[event.school_urn],
        "occurred_on": event.occurred_on,
        "recorded_at": event.recorded_at,
        "year_group": event.pupil.year_group,
        "sen_provision": event.pupil.sen_provision,
        "looked_after": event.pupil.looked_after,
        "child_in_need": event.pupil.child_in_need,
    }
    if isinstance(event, PupilEnrolled):
        d = event.data
        return Enrolment(
            **common,
            enrolment_status=d.enrolment_status,
            previous_school=d.previous_school,
            la_notified_on=d.la_notified_on,
            managed_move=d.managed_move,
        )
    if isinstance(event, PupilDeleted):
        d2 = event.data
        return Deletion(
            **common,
            ground=d2.ground,
            regulation=d2.regulation,
            destination_kind=d2.destination.kind,
            destination_laestab=d2.destination.laestab,
            la_notified_on=d2.la_notified_on,
            ctf_destination=d2.ctf_destination,
        )
    if isinstance(event, PupilSuspended):
        return Suspension(
            **common, start_on=event.data.start_on, sessions=event.data.sessions, reasons=event.data.reasons
        )
    if isinstance(event, PupilPermanentlyExcluded):
        return PermanentExclusion(**common, reasons=event.data.reasons, review=event.data.review)
    if isinstance(event, PupilApReferred):
        d3 = event.data
        provider = d3.provider.urn or d3.provider.ukprn or d3.provider.name or ""
        return APReferral(
            **common,
            provider=provider,
            arrangement=d3.arrangement,
            tier=d3.tier,
            start_on=d3.start_on,
            review_by=d3.review_by,
            planned_end_on=d3.planned_end_on,
            objective=d3.objective,
        )
    assert isinstance(event, PupilApEnded)
    d4 = event.data
    return APEnded(
        **common, referral_event_id=str(d4.referral_event_id), ended_on=d4.ended_on, outcome=d4.outcome
    )


def judge_all(
    lines: Iterable[bytes],
    la_of: Mapping[str, str],
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
        fact = to_fact(raw, la_of, now)
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
    return pupil_alerts, _school_alerts(facts, window, calendar)


def _school_alerts(facts: list[PupilFact], window: tuple[dt.date, dt.date], calendar: Any) -> set[Alert]:
    params = default_parameters()
    by_school: dict[str, list[PupilFact]] = {}
    for fact in facts:
        if isinstance(fact, Enrolment | Deletion):
            by_school.setdefault(fact.school_urn, []).append(fact)
    found: set[Alert] = set()
    for urn, moves in by_school.items():
        moves.sort(key=lambda f: f.occurred_on)
        exits: list[SchoolExit] = [school_exit(f, params) for f in moves if isinstance(f, Deletion)]
        la = moves[0].la_code
        roll = send = index = 0
        day = window[0]
        while day <= window[1]:
            while index < len(moves) and moves[index].occurred_on <= day:
                step = 1 if isinstance(moves[index], Enrolment) else -1
                roll += step
                send += step if moves[index].sen_provision != "N" else 0
                index += 1
            start = months_before(day, 12)
            window_exits = tuple(e for e in exits if start <= e.occurred_on <= day)
            if sum(e.unexplained for e in window_exits) >= 5:
                stats = SchoolStats(urn, la, day, roll, send, window_exits)
                for candidate in judge_school(stats, calendar(la), params):
                    found.add((candidate.rule, candidate.fingerprint))
            day += dt.timedelta(days=1)
    return found
