"""Every extreme-but-valid event (tests/support/extreme_events.py: dates at the contract's bounds,
maximal text, every type) is judged without an error: as the first event of a pupil, after
another, and by every clock up to the last planned date the contract allows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.dates import LATEST_DATE
from services.alerts.adapter import to_fact
from services.alerts.facts import PupilState
from services.alerts.judge import judge_fact, judge_tick
from services.schools.register import SchoolsRegister
from tests.support.allinone import GIAS_FILE, GIAS_LINKS
from tests.support.extreme_events import extreme_events

from . import factories as f

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
SCHOOLS = SchoolsRegister.from_gias_files(GIAS_FILE, GIAS_LINKS)
URNS = ("100046", "100058")
# A roll check is judged as a school's (tests/unit/alerts/test_roll_checks.py); a part-time
# timetable feeds the children-not-in-school export, not a rule.
NOT_JUDGED_BY_PUPIL_RULES = ("school.roll_checked", "pupil.part_time_timetable")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.lists(extreme_events(NOW, URNS), min_size=1, max_size=3))
def test_extreme_events_are_judged_without_error(events: list[dict[str, Any]]) -> None:
    cal, params = f.calendar(), f.params()
    upn = "H801200001001"  # one pupil: every event is made his
    history: tuple[Any, ...] = ()
    for raw in events:
        if raw["type"] in NOT_JUDGED_BY_PUPIL_RULES:
            continue
        fact = to_fact(raw | {"upn": upn}, SCHOOLS)
        assert fact is not None
        judgement = judge_fact(PupilState(upn, history), fact, cal, params, ())
        history = (*history, fact)
        for wake_up in judgement.wake_ups:
            judge_tick(PupilState(upn, history), min(wake_up.fires_on, LATEST_DATE), cal, params)
    for day in (NOW.date(), LATEST_DATE):
        judge_tick(PupilState(upn, history), day, cal, params)
