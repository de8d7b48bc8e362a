from __future__ import annotations

from services.alerts.rules import suspension_limit

from ..factories import OTHER_SCHOOL, calendar, params, state, suspension

CAL = calendar()
P = params()


def run(*facts: object) -> list[object]:
    s = state(*facts)
    return suspension_limit.evaluate(s, s.facts[-1], CAL, P)


def test_45_school_days_is_the_most_allowed() -> None:
    assert (
        run(
            suspension(sessions=60, occurred_on="2025-10-01"),
            suspension(sessions=30, occurred_on="2026-02-02"),
        )
        == []
    )


def test_45_and_a_half_at_one_school_is_a_breach() -> None:
    (alert,) = run(
        suspension(event_id="a", sessions=60, occurred_on="2025-10-01"),
        suspension(event_id="b", sessions=31, occurred_on="2026-02-02"),
    )
    assert alert.reason.startswith(
        "Suspensions in 2025/26 add up to 45.5 school days (91 sessions over 2 suspensions at school "
        "100000); more than the 45 school days a pupil may be suspended from one school in a school "
        "year, at school 100000."
    )
    assert alert.evidence == ("a", "b") and alert.severity == "high"
    assert alert.statutory_reference.startswith("s51A(1) Education Act 2002 (at most 45")


def test_45_and_a_half_across_schools_is_a_check() -> None:
    (alert,) = run(
        suspension(event_id="a", sessions=60, occurred_on="2025-10-01"),
        suspension(event_id="b", sessions=31, occurred_on="2026-02-02", school_urn=OTHER_SCHOOL),
    )
    assert alert.reason.startswith(
        "Suspensions in 2025/26 add up to 45.5 school days "
        "(91 sessions over 2 suspensions at schools 100000 and 100001); each school is within 45 school "
        "days, but together more than 45 school days of school missed: check the pupil's education."
    )
    assert "breach" not in alert.reason and alert.school_urn == OTHER_SCHOOL
    assert alert.statutory_reference.startswith(
        "s51A(1) Education Act 2002 (45 school days a school year, school"
    )


def test_each_academic_year_stands_alone() -> None:
    assert (
        run(
            suspension(sessions=80, occurred_on="2025-07-01"),
            suspension(sessions=20, occurred_on="2025-09-10"),
        )
        == []
    )


def test_one_alert_per_pupil_and_year() -> None:
    first = suspension(sessions=91, occurred_on="2025-10-01")
    (a,) = run(first)
    (b,) = run(first, suspension(sessions=2, occurred_on="2026-03-02"))
    (c,) = run(first, suspension(sessions=91, occurred_on="2026-10-01"))
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_the_limit_is_a_parameter() -> None:
    s = state(suspension(sessions=41))
    assert suspension_limit.evaluate(s, s.facts[0], CAL, params(suspension_limit={"max_school_days": 20}))
