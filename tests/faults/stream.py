"""The stream every fault mode sends: FAULTS_PUPILS pupils (default 2,000: 2,020 events, so that
the suite fits in `make test`; 99,010 gives the issue's 100,001 events) at nine open primary
schools of three LAs in the test register. Each pupil is enrolled; every 100th then leaves for home
education with an EHC plan, which the `ehe_vulnerable` rule flags at once (no clock, no school
statistics: the alerts do not depend on when a tick runs). Built in about a second.

The alerts a clean run raises come from the pure rules (`services.alerts.judge.judge_fact`) over
the same events, pupil by pupil in stream order, as the alert service folds them: the product
must raise exactly those, however often it is killed."""

from __future__ import annotations

import datetime as dt
import os
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson

from services.alerts.adapter import to_fact
from services.alerts.facts import PupilState
from services.alerts.judge import judge_fact
from services.alerts.la_rules import load_la_rules
from services.schools.register import SchoolsRegister
from tests.support.allinone import GIAS_FILE, GIAS_LINKS
from tests.support.events import deletion, enrolment, upn_for

# The stream's size: small by default, to keep `make test` under its budget; FAULTS_PUPILS=99010
# for the 100,001 events (docs/testing.md gives the figures of both).
PUPILS = int(os.environ.get("FAULTS_PUPILS", "2000"))
LEAVE_EVERY = 100
# Some 40 batches whatever the size, so that kills land at as many points of a small stream;
# 1,000 is the largest batch POST /v1/events takes.
BATCH = max(50, min(1_000, PUPILS // 40))
# Open schools taking Year 6, in LAs 886, 330 and 201 of tests/fixtures/gias.
SCHOOLS = ("100001", "100007", "100025", "100054", "100058", "100012", "100021", "100051", "100061")
SEED = 13
UPN = upn_for(886, 3000, 20, 0)  # the templates' (every event gets its own)
JOINED = dt.date(2025, 9, 3)
LEFT = dt.date(2026, 3, 3)

Alert = tuple[str, str]  # (rule, fingerprint)


def _events(seed: int) -> Iterator[dict[str, Any]]:
    """The same events for the same seed (ids drawn from it), so that another process can judge
    them without being sent them. Every event of a kind at a school is one template with its own
    event id and UPN: building 100,000 takes well under a second."""
    rng = random.Random(seed)
    joining = {urn: enrolment(UPN, school_urn=urn, occurred_on=JOINED, sen_provision="E") for urn in SCHOOLS}
    leaving = {urn: _home_education(urn) for urn in SCHOOLS}
    for n in range(PUPILS):
        upn = upn_for(886, 3000 + n // 1000, 20, n % 1000)
        school = SCHOOLS[n % len(SCHOOLS)]
        yield {**joining[school], "event_id": _event_id(rng), "upn": upn}
        if n % LEAVE_EVERY == 0:
            yield {**leaving[school], "event_id": _event_id(rng), "upn": upn}


def _home_education(urn: str) -> dict[str, Any]:
    return deletion(
        UPN, school_urn=urn, occurred_on=LEFT, ground="home_education",
        destination_kind="home_education", sen_provision="E", year_group=6,
    )  # fmt: skip


def _event_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass(frozen=True)
class Stream:
    events: tuple[dict[str, Any], ...]

    seed: int

    @classmethod
    def build(cls, seed: int = SEED) -> Stream:
        return cls(tuple(_events(seed)), seed)

    @property
    def leavers(self) -> int:
        """Pupils who leave for home education: one alert each in a clean run."""
        return len(range(0, PUPILS, LEAVE_EVERY))

    @cached_property
    def ids(self) -> frozenset[str]:
        return frozenset(event["event_id"] for event in self.events)

    def batches(self) -> list[tuple[list[str], bytes]]:
        """The stream as POST bodies of `BATCH` events, each with its event ids."""
        out = []
        for start in range(0, len(self.events), BATCH):
            part = self.events[start : start + BATCH]
            out.append(([e["event_id"] for e in part], orjson.dumps({"events": part})))
        return out

    @cached_property
    def clean_alerts(self) -> frozenset[Alert]:
        """(rule, fingerprint) of every alert the rules raise over the stream, judged pupil by
        pupil in stream order with the defaults of each school's LA."""
        register = SchoolsRegister.from_gias_files(GIAS_FILE, GIAS_LINKS)
        states: dict[str, PupilState] = {}
        raised: set[Alert] = set()
        for event in self.events:
            fact = to_fact(event, register)
            assert fact is not None, "every school of the stream is in the register"
            state = states.get(fact.upn, PupilState(fact.upn))
            rules = load_la_rules(fact.la_code)
            judgement = judge_fact(state, fact, rules.calendar, rules.parameters)
            raised.update((c.rule, c.fingerprint) for c in judgement.candidates)
            states[fact.upn] = state.with_fact(fact)
        return frozenset(raised)


def clean_alerts_of(seed: int) -> frozenset[Alert]:
    """`Stream.build(seed).clean_alerts`, for a process of its own (the same stream from the seed)."""
    return Stream.build(seed).clean_alerts
