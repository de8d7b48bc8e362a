from __future__ import annotations

import pytest

from services.alerts.rules import exam_cohort_exit

from ..factories import calendar, deletion, params, state

CAL = calendar()
P = params()


def run(**kw: object) -> list[object]:
    kw.setdefault("ground", "home_education")
    kw.setdefault("destination_kind", "home_education")
    kw.setdefault("destination_laestab", None)
    fact = deletion(event_id="del", **kw)
    return exam_cohort_exit.evaluate(state(fact), fact, CAL, P)


@pytest.mark.parametrize(
    ("year_group", "occurred_on", "expected"),
    [
        (10, "2025-09-01", True),  # 1 September of Year 10
        (10, "2026-07-22", True),
        (11, "2025-09-03", True),
        (11, "2026-01-15", True),  # the Year 11 spring census day itself
        (11, "2026-01-16", False),  # the day after
        (11, "2026-05-11", False),
        (9, "2026-07-22", False),
        (12, "2025-10-01", False),
    ],
)
def test_the_window(year_group: int, occurred_on: str, expected: bool) -> None:
    assert bool(run(year_group=year_group, occurred_on=occurred_on)) is expected


def test_year_10_names_next_years_census() -> None:
    (alert,) = run(year_group=10, occurred_on="2025-11-03")
    assert "before the Year 11 spring census on 21 Jan 2027" in alert.reason
    assert alert.reason.startswith(
        "Year 10 pupil taken off roll at school 100000 on 3 Nov 2025 for home education"
    )
    assert alert.severity == "medium" and alert.evidence == ("del",)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("school", False),
        ("independent", True),
        ("unknown", True),
        (None, True),
        ("abroad", True),
        ("post16", True),
    ],
)
def test_anything_but_another_state_school(kind: str | None, expected: bool) -> None:
    assert (
        bool(run(year_group=11, occurred_on="2025-11-03", ground="other_school", destination_kind=kind))
        is expected
    )


def test_permanent_exclusion_is_exempt_by_default() -> None:
    pex = {
        "year_group": 11,
        "occurred_on": "2025-11-03",
        "ground": "permanently_excluded",
        "destination_kind": "unknown",
    }
    assert run(**pex) == []
    fact = deletion(**pex)
    assert exam_cohort_exit.evaluate(state(fact), fact, CAL, params(exam_cohort_exit={"exempt_grounds": ()}))
