"""feed_silent: a watched school with no event and no roll check for N whole school days (default
3) before today; weekends, half terms and holidays do not count; one alert per silence, ended by
the next word from the school."""

from __future__ import annotations

import datetime as dt

import pytest

from services.alerts.calendar import SchoolCalendar
from services.alerts.facts import FeedHeard
from services.alerts.judge import judge_feed
from services.alerts.parameters import RuleParameters
from services.alerts.rules import feed_silent

from .. import factories as f

d = dt.date.fromisoformat


def heard(last: str, today: str) -> FeedHeard:
    return FeedHeard(f.SCHOOL, f.LA, d(today), d(last), "ev-last")


@pytest.mark.parametrize(
    ("last", "today", "raised"),
    [
        ("2026-03-02", "2026-03-05", False),  # Mon heard; Tue, Wed silent: 2 days by Thursday
        ("2026-03-02", "2026-03-06", True),  # Tue, Wed, Thu silent: 3 days by Friday
        ("2026-03-05", "2026-03-10", False),  # Thu heard; Fri, Mon silent (the weekend is no school)
        ("2026-03-05", "2026-03-11", True),  # Fri, Mon, Tue
        ("2026-02-12", "2026-02-24", False),  # Thu before half term; Fri, Mon 23 silent
        ("2026-02-12", "2026-02-25", True),  # Fri 13, Mon 23, Tue 24
        ("2026-07-21", "2026-09-03", False),  # the summer holiday is not silence: 22 Jul and 2 Sep
    ],
)
def test_n_whole_school_days_of_silence(
    cal: SchoolCalendar, params: RuleParameters, last: str, today: str, raised: bool
) -> None:
    found = judge_feed(heard(last, today), cal, params)
    assert bool(found) == raised
    if found:
        (alert,) = found
        assert alert.upn is None and alert.evidence == ("ev-last",) and alert.as_of == d(today)
        assert alert.fingerprint == feed_silent.fingerprint_of(f.SCHOOL, d(last))
        assert "no event and no roll check for 3 school days" in alert.reason


def test_an_la_sets_its_threshold(cal: SchoolCalendar) -> None:
    one_day = f.params(feed_silent={"school_days": 1})
    assert judge_feed(heard("2026-03-02", "2026-03-04"), cal, one_day)
    assert not judge_feed(heard("2026-03-02", "2026-03-03"), cal, one_day)


def test_the_next_word_from_the_school_ends_the_silence() -> None:
    opened = feed_silent.fingerprint_of(f.SCHOOL, d("2026-03-02"))
    assert feed_silent.resolution(opened, f.SCHOOL, d("2026-03-02"), "ev") is None  # the same day
    ended = feed_silent.resolution(opened, f.SCHOOL, d("2026-03-09"), "ev-next")
    assert ended is not None and ended.fingerprint == opened and ended.by_event_id == "ev-next"


@pytest.mark.parametrize(("next_heard", "raised"), [("2026-03-05", False), ("2026-03-06", True)])
def test_a_silence_already_over_is_judged_up_to_the_day_before_it_ended(
    cal: SchoolCalendar, params: RuleParameters, next_heard: str, raised: bool
) -> None:
    gap = FeedHeard(f.SCHOOL, f.LA, d("2026-07-22"), d("2026-03-02"), "ev-last", d(next_heard), "ev-next")
    found = judge_feed(gap, cal, params)
    assert bool(found) == raised
    if found:
        assert found[0].as_of == d(next_heard)
