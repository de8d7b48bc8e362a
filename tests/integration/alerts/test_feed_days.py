"""Feeds judged from the real ledger while one partition runs ahead of another: the days after
the judgement's day are left for a later judgement (the other partition's records of the days
between may not be in yet), so no silence is made of a gap the stream has not filled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.settings import Settings
from schemas import parse_event
from schemas.parse import canonical_bytes
from services.alerts.la_rules import load_la_rules
from services.alerts.school_feeds import SchoolFeeds
from services.schools.register import SchoolsRegister
from services.tracker.ledger_writer import LedgerWriter, Received
from services.tracker.roll_checks import RollCheckWriter
from tests.support.allinone import GIAS_FILE
from tests.support.events import upn_for
from tests.support.scenarios import Pupil, born_for_year_group, roll_check

pytestmark = pytest.mark.clickhouse

SCHOOL = "100046"  # an open LA 886 school
MONDAY = dt.date(2026, 3, 2)  # in term: feed_silent counts 3 school days
AHEAD = MONDAY + dt.timedelta(days=21)


@pytest.fixture
def clients(migrated_ledger_settings: Settings) -> Iterator[ClientPerThread]:
    pool = ClientPerThread(migrated_ledger_settings)
    yield pool
    pool.close()


def _enrolments(days: list[dt.date]) -> list[Received]:
    events = [
        Pupil(upn_for(886, 2100, 19, n), born_for_year_group(5)).enrolled(SCHOOL, day)
        for n, day in enumerate(days)
    ]
    return [Received(e, canonical_bytes(e), 0, n) for n, e in enumerate(map(parse_event, events))]


def test_a_gap_only_the_partition_running_ahead_shows_is_no_silence(clients: ClientPerThread) -> None:
    check = parse_event(roll_check(SCHOOL, MONDAY, 10))
    RollCheckWriter(clients).write([Received(check, canonical_bytes(check), 0, 0)])
    school_days = [
        MONDAY + dt.timedelta(days=n) for n in range(1, 21) if (MONDAY + dt.timedelta(days=n)).weekday() < 5
    ]
    ledger = LedgerWriter(clients)
    feeds = SchoolFeeds(clients, SchoolsRegister.from_gias_files(GIAS_FILE), load_la_rules)
    # One partition is three weeks ahead; the other's records of the days between are not in yet.
    ledger.write(_enrolments([MONDAY, AHEAD]))
    assert feeds.judge_feeds(MONDAY + dt.timedelta(days=1)).candidates == []
    ledger.write(_enrolments(school_days)[: len(school_days) // 2])
    assert feeds.judge_feeds(MONDAY + dt.timedelta(days=8)).candidates == []
    # The other partition catches up: the school was heard from every school day.
    ledger.write(_enrolments(school_days))
    assert feeds.judge_feeds(AHEAD + dt.timedelta(days=1)).candidates == []


def test_a_real_silence_is_raised_all_the_same(clients: ClientPerThread) -> None:
    check = parse_event(roll_check(SCHOOL, MONDAY, 10))
    RollCheckWriter(clients).write([Received(check, canonical_bytes(check), 0, 0)])
    LedgerWriter(clients).write(_enrolments([MONDAY, AHEAD]))
    feeds = SchoolFeeds(clients, SchoolsRegister.from_gias_files(GIAS_FILE), load_la_rules)
    (silence,) = feeds.judge_feeds(MONDAY + dt.timedelta(days=8)).candidates
    assert silence.rule == "feed_silent" and silence.school_urn == SCHOOL
