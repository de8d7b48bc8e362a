"""A school's roll on each roll check's day, counted in one sweep, equals the count made check by
check: per pupil the latest (occurred_on, recorded_at) enrolment or deletion that took effect by
the day and was recorded by the check's time."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from services.tracker.roll_checks import _count, roll_counts

START = dt.date(2026, 3, 2)
_day = st.integers(0, 20).map(lambda n: START + dt.timedelta(days=n))
_move = st.tuples(
    st.sampled_from(["A", "B", "C", "D"]),
    st.sampled_from(["pupil.enrolled", "pupil.deleted"]),
    _day,
    st.tuples(_day, st.integers(8, 20)).map(lambda d: dt.datetime.combine(d[0], dt.time(d[1]), dt.UTC)),
)


@settings(max_examples=200)
@given(st.lists(_move, max_size=25), st.lists(_day, min_size=1, max_size=8, unique=True))
def test_one_sweep_counts_as_each_check_alone(moves: list, days: list[dt.date]) -> None:  # type: ignore[type-arg]
    checks = [(day, dt.datetime.combine(day, dt.time(17), dt.UTC)) for day in days]
    assert roll_counts(moves, checks) == [_count(moves, day, until) for day, until in checks]


def test_a_move_recorded_after_the_check_counts_from_the_next() -> None:
    late = dt.datetime.combine(START, dt.time(19), dt.UTC)
    moves = [
        ("A", "pupil.enrolled", START, late),
        ("B", "pupil.enrolled", START, late - dt.timedelta(hours=8)),
    ]
    checks = [(START, dt.datetime.combine(START, dt.time(17), dt.UTC)), (START + dt.timedelta(days=1),
              dt.datetime.combine(START + dt.timedelta(days=1), dt.time(17), dt.UTC))]  # fmt: skip
    assert roll_counts(moves, checks) == [1, 2]
