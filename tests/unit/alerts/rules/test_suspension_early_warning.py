from __future__ import annotations

import pytest

from services.alerts.rules import suspension_early_warning as rule

from ..factories import OTHER_SCHOOL, calendar, params, state, suspension

CAL = calendar()
P = params()


def run(*facts: object, p: object = P) -> list[object]:
    s = state(*facts)
    return rule.evaluate(s, s.facts[-1], CAL, p)


@pytest.mark.parametrize(("second", "warned"), [(20, False), (21, True), (30, True), (31, False)])
def test_over_40_and_within_45_school_days_at_one_school(second: int, warned: bool) -> None:
    """60 + 20 sessions is 40 days (within); + 21 is 40.5 (warned); + 31 is over 45: the limit's."""
    found = run(
        suspension(sessions=60, occurred_on="2025-10-01"),
        suspension(sessions=second, occurred_on="2026-02-02"),
    )
    assert bool(found) is warned
    if warned:
        (alert,) = found
        assert alert.severity == "low" and "before the 45 school days limit" in alert.reason


def test_other_schools_do_not_count() -> None:
    assert run(suspension(sessions=60), suspension(sessions=21, school_urn=OTHER_SCHOOL)) == []


def test_one_warning_per_pupil_school_and_year() -> None:
    first, second = (
        suspension(sessions=81, occurred_on="2025-10-01"),
        suspension(sessions=2, occurred_on="2026-01-12"),
    )
    (a,) = run(first)
    (b,) = run(first, second)
    assert a.fingerprint == b.fingerprint and b.evidence == (first.event_id, second.event_id)


def test_the_threshold_is_a_parameter() -> None:
    assert run(suspension(sessions=61), p=params(suspension_early_warning={"warn_over_school_days": 30}))
