from __future__ import annotations

import pytest

from services.alerts.rules import retrospective_deletion

from ..factories import at_noon, calendar, d, deletion, params, state

CAL = calendar()
P = params()


def run(occurred_on: str, recorded_on: str, p: object = P, **kw: object) -> list[object]:
    fact = deletion(event_id="del", occurred_on=occurred_on, recorded_at=at_noon(d(recorded_on)), **kw)
    return retrospective_deletion.evaluate(state(fact), fact, CAL, p)


@pytest.mark.parametrize(
    ("occurred_on", "recorded_on", "expected"),
    [
        ("2025-11-03", "2025-11-03", False),
        ("2025-11-03", "2025-11-10", False),  # 5 school days later
        ("2025-11-03", "2025-11-11", True),  # 6
        ("2025-10-17", "2025-10-31", False),  # 5 school days, then half term
        ("2025-10-17", "2025-11-03", True),  # 6
        ("2025-11-10", "2025-11-03", False),  # recorded ahead of time
    ],
)
def test_more_than_five_school_days(occurred_on: str, recorded_on: str, expected: bool) -> None:
    assert bool(run(occurred_on, recorded_on)) is expected


def test_wording() -> None:
    (alert,) = run("2025-11-03", "2025-11-11")
    assert alert.reason.startswith(
        "Taken off roll at school 100000 as registered at another school with effect from 3 Nov 2025; "
        "recorded on 11 Nov 2025, 6 school days later (more than 5 school days)."
    )
    assert alert.as_of == d("2025-11-11") and alert.key_event_id == "del"


def test_summer_leavers_recorded_in_september_are_exempt() -> None:
    """As from deletion returns (reg 13(5)): the most senior class at or after the end of the last
    term (Wed 22 Jul 2026 on the LA's calendar)."""
    assert run("2026-07-22", "2026-09-21", year_group=6) == []
    assert run(
        "2026-07-22", "2026-09-21", p=params(retrospective_deletion={"exempt_end_of_year_leavers": False})
    )
    assert run("2026-07-22", "2026-09-21", year_group=4)  # not a top year
    assert run("2026-07-15", "2026-09-21", year_group=6)  # still term
