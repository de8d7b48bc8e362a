from __future__ import annotations

import datetime as dt

import pytest

from services.alerts.facts import SchoolExit, SchoolStats
from services.alerts.rules import school_exit_pattern

from ..factories import LA, SCHOOL, calendar, d, params

CAL = calendar()
P = params()
AS_OF = d("2026-03-02")


def exits(n: int, send: int = 0, unexplained: bool = True, on: str = "2026-01-12") -> tuple[SchoolExit, ...]:
    return tuple(SchoolExit(f"x{i:02d}", d(on), unexplained, i < send) for i in range(n))


def run(
    roll: int, found: tuple[SchoolExit, ...], send_on_roll: int = 0, as_of: dt.date = AS_OF
) -> list[object]:
    stats = SchoolStats(SCHOOL, LA, as_of, roll, send_on_roll, found)
    return school_exit_pattern.evaluate(stats, CAL, P)


@pytest.mark.parametrize(
    ("roll", "count", "expected"),
    [
        (100, 5, True),  # 5 pupils and exactly 5%
        (102, 5, False),  # 4.9%
        (100, 4, False),  # 4 pupils
        (60, 4, False),  # 6.7%, but only 4 pupils
        (1000, 50, True),
        (1000, 49, False),
    ],
)
def test_at_least_five_pupils_and_five_percent(roll: int, count: int, expected: bool) -> None:
    assert bool(run(roll, exits(count))) is expected


def test_wording_and_evidence() -> None:
    (alert,) = run(100, exits(5))
    assert alert.reason.startswith(
        "5 unexplained exits from school 100000 in the 12 months to 2 Mar 2026, 5.0% of a roll of 100 "
        "(threshold: 5 pupils and 5%)."
    )
    assert alert.upn is None and alert.school_urn == SCHOOL and alert.la_code == LA
    assert alert.evidence == tuple(f"x{i:02d}" for i in range(5))


def test_explained_exits_do_not_count() -> None:
    assert run(100, exits(4) + exits(10, unexplained=False)) == []


def test_the_window_is_twelve_months_back_to_the_same_date() -> None:
    assert run(100, exits(4) + exits(1, on="2025-03-02"))
    assert run(100, exits(4) + exits(1, on="2025-03-01")) == []
    assert run(100, exits(4) + exits(1, on="2026-03-03")) == []  # after as_of


@pytest.mark.parametrize(
    ("send_exits", "send_on_roll", "expected"),
    [
        (2, 150, True),  # 40% of exits against 15% of the roll
        (1, 150, False),  # 20% against 15%
        (2, 200, False),  # 40% against 20%: exactly twice is not over twice
        (2, 199, True),
    ],
)
def test_send_share_of_exits_over_twice_the_roll(send_exits: int, send_on_roll: int, expected: bool) -> None:
    # 5 exits from a roll of 1,000 are 0.5%: only the SEND clause can raise
    assert bool(run(1000, exits(5, send=send_exits), send_on_roll=send_on_roll)) is expected


def test_send_clause_wording() -> None:
    (alert,) = run(1000, exits(5, send=2), send_on_roll=150)
    assert alert.reason.startswith(
        "At school 100000, in the 12 months to 2 Mar 2026, "
        "2 of 5 unexplained exits (40.0%) were of pupils with "
        "SEND, against 15.0% of the roll: more than 2 times the roll's share."
    )


def test_send_clause_needs_enough_exits() -> None:
    assert run(1000, exits(4, send=4), send_on_roll=100) == []


def test_one_alert_per_school_and_year() -> None:
    (a,) = run(100, exits(5))
    (b,) = run(100, exits(6), as_of=d("2026-06-01"))
    (c,) = run(100, exits(5, on="2026-09-10"), as_of=d("2026-10-01"))
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_an_empty_roll_does_not_divide_by_zero() -> None:
    assert run(0, exits(5))
    assert run(0, exits(4)) == []
