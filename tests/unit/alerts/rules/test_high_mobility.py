from __future__ import annotations

from services.alerts.rules import high_mobility

from ..factories import OTHER_SCHOOL, SCHOOL, THIRD_SCHOOL, calendar, enrolment, params, state

CAL = calendar()
P = params()


def run(*facts: object) -> list[object]:
    s = state(*facts)
    return high_mobility.evaluate(s, s.facts[-1], CAL, P)


def test_three_changes_in_twelve_months() -> None:
    first = enrolment(event_id="a", school_urn=SCHOOL, occurred_on="2025-09-03")
    b = enrolment(event_id="b", school_urn=OTHER_SCHOOL, occurred_on="2025-11-03")
    c = enrolment(event_id="c", school_urn=THIRD_SCHOOL, occurred_on="2026-01-05")
    assert run(first, b, c) == []  # two changes
    (alert,) = run(first, b, c, enrolment(event_id="d", school_urn=SCHOOL, occurred_on="2026-03-02"))
    assert alert.evidence == ("b", "c", "d")
    assert alert.reason.startswith(
        "3 changes of school in the 12 months to 2 Mar 2026 (threshold: 3); "
        "the latest to school 100000 on 2 Mar 2026."
    )


def test_a_first_enrolment_naming_a_previous_school_is_a_change() -> None:
    first = enrolment(school_urn=SCHOOL, occurred_on="2025-09-03", previous_school="8862001")
    assert run(
        first,
        enrolment(school_urn=OTHER_SCHOOL, occurred_on="2025-11-03"),
        enrolment(school_urn=THIRD_SCHOOL, occurred_on="2026-01-05"),
    )


def test_twelve_months_back_to_the_same_date() -> None:
    def chain(first_change: str) -> list[object]:
        return run(
            enrolment(school_urn=SCHOOL, occurred_on="2024-09-04"),
            enrolment(school_urn=OTHER_SCHOOL, occurred_on=first_change),
            enrolment(school_urn=SCHOOL, occurred_on="2025-11-03"),
            enrolment(school_urn=THIRD_SCHOOL, occurred_on="2026-03-02"),
        )

    assert chain("2025-03-02")
    assert chain("2025-03-01") == []


def test_returning_to_the_same_school_is_not_a_change() -> None:
    facts = [
        enrolment(school_urn=SCHOOL, occurred_on="2025-09-03"),
        enrolment(school_urn=OTHER_SCHOOL, occurred_on="2025-10-01"),
        enrolment(school_urn=THIRD_SCHOOL, occurred_on="2025-11-03"),
    ]
    assert run(*facts, enrolment(school_urn=THIRD_SCHOOL, occurred_on="2026-01-05")) == []


def test_subsidiary_registrations_are_not_changes() -> None:
    assert (
        run(
            enrolment(school_urn=SCHOOL, occurred_on="2025-09-03"),
            enrolment(school_urn=OTHER_SCHOOL, occurred_on="2025-10-01", enrolment_status="subsidiary_dual"),
            enrolment(school_urn=THIRD_SCHOOL, occurred_on="2025-11-03", enrolment_status="guest"),
            enrolment(school_urn=OTHER_SCHOOL, occurred_on="2026-01-05"),
        )
        == []
    )


def test_one_alert_per_pupil() -> None:
    facts = [
        enrolment(school_urn=SCHOOL, occurred_on="2025-09-03"),
        enrolment(school_urn=OTHER_SCHOOL, occurred_on="2025-10-01"),
        enrolment(school_urn=THIRD_SCHOOL, occurred_on="2025-11-03"),
        enrolment(school_urn=SCHOOL, occurred_on="2026-01-05"),
    ]
    (a,) = run(*facts)
    (b,) = run(*facts, enrolment(school_urn=OTHER_SCHOOL, occurred_on="2026-02-02"))
    assert a.fingerprint == b.fingerprint
    assert len(b.evidence) == 4
