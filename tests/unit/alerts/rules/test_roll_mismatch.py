"""roll_mismatch: a roll check whose count differs from Rollwatch's roll by more than the LA's
tolerance (default 2) raises one alert per school and academic year; within it, the check
resolves that alert."""

from __future__ import annotations

import datetime as dt

import pytest

from services.alerts.calendar import SchoolCalendar
from services.alerts.facts import RollCheck
from services.alerts.judge import judge_roll_check
from services.alerts.parameters import RuleParameters
from services.alerts.rules import roll_mismatch

from .. import factories as f

DAY = dt.date(2026, 3, 2)


def check(on_roll: int, known: int = 400, day: dt.date = DAY) -> RollCheck:
    at = dt.datetime.combine(day, dt.time(17, 0), dt.UTC)
    return RollCheck("rc-1", f.SCHOOL, f.LA, day, at, on_roll, known)


@pytest.mark.parametrize(
    ("on_roll", "raised"),
    [(400, False), (402, False), (403, True), (398, False), (397, True), (0, True)],
    ids=["equal", "2-more-inside", "3-more-outside", "2-fewer-inside", "3-fewer-outside", "empty-register"],
)
def test_the_tolerance_on_both_sides(
    cal: SchoolCalendar, params: RuleParameters, on_roll: int, raised: bool
) -> None:
    judgement = judge_roll_check(check(on_roll), cal, params)
    assert bool(judgement.candidates) == raised
    assert bool(judgement.resolutions) == (not raised)


def test_the_alert_says_the_difference_and_which_way(cal: SchoolCalendar, params: RuleParameters) -> None:
    (fewer,) = judge_roll_check(check(395), cal, params).candidates
    assert "held 395 pupils" in fewer.reason and "Rollwatch has 400" in fewer.reason
    assert "difference -5" in fewer.reason and "deletions the school has not sent" in fewer.reason
    assert fewer.upn is None and fewer.evidence == ("rc-1",) and fewer.severity == "medium"
    assert fewer.reason.endswith("This is a prompt for enquiry, not a finding.")
    (more,) = judge_roll_check(check(405), cal, params).candidates
    assert "difference +5" in more.reason and "admissions the school has not sent" in more.reason


def test_one_alert_per_school_and_academic_year(cal: SchoolCalendar, params: RuleParameters) -> None:
    first = judge_roll_check(check(390), cal, params).candidates[0]
    later = judge_roll_check(check(380, day=dt.date(2026, 6, 1)), cal, params).candidates[0]
    next_year = judge_roll_check(check(380, day=dt.date(2026, 9, 7)), cal, params).candidates[0]
    assert first.fingerprint == later.fingerprint != next_year.fingerprint
    resolved = judge_roll_check(check(401, day=dt.date(2026, 6, 2)), cal, params).resolutions[0]
    assert resolved.fingerprint == first.fingerprint and resolved.by_event_id == "rc-1"


def test_an_la_sets_its_tolerance_or_turns_it_off(cal: SchoolCalendar) -> None:
    strict = f.params(roll_mismatch={"tolerance": 0})
    assert judge_roll_check(check(401), cal, strict).candidates
    off = f.params(roll_mismatch={"enabled": False})
    assert not judge_roll_check(check(300), cal, off).candidates
    assert roll_mismatch.RULE == "roll_mismatch"
