from __future__ import annotations

import pytest

from services.alerts.rules import no_destination

from ..factories import OTHER_SCHOOL, SCHOOL, UPN, calendar, d, deletion, enrolment, params, retraction, state

CAL = calendar()
P = params()


def missing(**kw: object) -> object:
    kw.setdefault("event_id", "del")
    kw.setdefault("occurred_on", "2025-11-03")  # a Monday with 7 clear school weeks after it
    kw.setdefault("ground", "other_school")
    kw.setdefault("destination_kind", "unknown")
    kw.setdefault("destination_laestab", None)
    return deletion(**kw)


@pytest.mark.parametrize(
    ("ground", "kind", "laestab", "ctf", "qualifies"),
    [
        ("other_school", "unknown", None, None, True),
        ("other_school", None, None, None, True),
        ("other_school", "school", None, None, True),  # a school, but which?
        ("moved_away", "moved_away", None, None, True),
        ("leave_not_returned", "unknown", None, "XXXXXXX", True),
        ("other_school", "school", "8864000", "XXXXXXX", True),  # the CTF says unknown
        ("other_school", "school", "8864000", None, False),
        ("moved_away", "moved_away", "9374001", None, False),
        ("home_education", "home_education", None, None, False),
        ("moved_away", "abroad", None, None, False),
        ("died", "died", None, None, False),
        ("dual_registration_ended", None, None, None, False),
        ("end_of_compulsory_age", None, None, None, False),
    ],
)
def test_which_deletions_wait(
    ground: str, kind: str | None, laestab: str | None, ctf: str | None, qualifies: bool
) -> None:
    fact = missing(ground=ground, destination_kind=kind, destination_laestab=laestab, ctf_destination=ctf)
    assert no_destination.lacks_destination(fact, P.rules.no_destination) is qualifies
    assert bool(no_destination.wake_ups(state(fact), fact, CAL, P)) is (qualifies and ground != "died")


def test_wakes_after_the_tenth_school_day() -> None:
    fact = missing()
    (wake,) = no_destination.wake_ups(state(fact), fact, CAL, P)
    assert wake.due_on == d("2025-11-17")  # the 10th school day after Mon 3 Nov
    assert wake.fires_on == d("2025-11-18")  # the 11th
    assert wake.key_event_id == "del" and wake.upn == UPN and not wake.calendar_estimated


def test_exactly_ten_school_days_is_not_yet_late() -> None:
    s = state(missing())
    assert no_destination.evaluate_at(s, d("2025-11-17"), CAL, P) == []
    (alert,) = no_destination.evaluate_at(s, d("2025-11-18"), CAL, P)
    assert alert.rule == "no_destination" and alert.severity == "high"
    assert alert.evidence == ("del",) and alert.key_event_id == "del"
    assert alert.due_on == d("2025-11-17") and alert.as_of == d("2025-11-18")
    assert alert.school_urn == SCHOOL and alert.upn == UPN
    assert alert.fingerprint == no_destination.wake_ups(s, s.facts[0], CAL, P)[0].fingerprint
    assert alert.reason == (
        "Taken off roll at school 100000 on 3 Nov 2025 as registered at another school, "
        "an unknown destination; "
        "no enrolment at any school known within 10 school days (by 17 Nov 2025). "
        "This is a prompt for enquiry, not a finding."
    )
    assert UPN not in alert.reason
    assert "s436A" in alert.statutory_reference


def test_an_enrolment_on_the_tenth_school_day_is_in_time() -> None:
    s = state(missing(), enrolment(school_urn=OTHER_SCHOOL, occurred_on="2025-11-17"))
    assert no_destination.evaluate_at(s, d("2025-11-18"), CAL, P) == []


def test_an_enrolment_known_in_advance_answers_it() -> None:
    # a place already arranged from the 11th school day: the alert would be born resolved
    s = state(missing(), enrolment(school_urn=OTHER_SCHOOL, occurred_on="2025-11-18"))
    assert no_destination.evaluate_at(s, d("2025-11-18"), CAL, P) == []


def test_the_wait_skips_half_term() -> None:
    fact = missing(occurred_on="2025-10-17")
    (wake,) = no_destination.wake_ups(state(fact), fact, CAL, P)
    assert (wake.due_on, wake.fires_on) == (d("2025-11-07"), d("2025-11-10"))


def test_the_pupils_own_earlier_admission_does_not_count() -> None:
    s = state(enrolment(occurred_on="2025-09-03"), missing())
    assert len(no_destination.evaluate_at(s, d("2025-11-18"), CAL, P)) == 1


def test_an_earlier_dated_enrolment_elsewhere_arriving_later_counts() -> None:
    s = state(missing(), enrolment(school_urn=OTHER_SCHOOL, occurred_on="2025-10-20"))
    assert no_destination.evaluate_at(s, d("2025-11-18"), CAL, P) == []


def test_which_enrolments_count_is_a_parameter() -> None:
    s = state(
        missing(),
        enrolment(school_urn=OTHER_SCHOOL, occurred_on="2025-11-05", enrolment_status="subsidiary_dual"),
    )
    assert no_destination.evaluate_at(s, d("2025-11-18"), CAL, P) == []
    strict = params(no_destination={"resolving_enrolment_statuses": ("single", "main_dual")})
    assert len(no_destination.evaluate_at(s, d("2025-11-18"), CAL, strict)) == 1


def test_a_guest_is_not_registered_and_answers_nothing() -> None:
    guest = enrolment(school_urn=OTHER_SCHOOL, occurred_on="2025-11-05", enrolment_status="guest")
    s = state(missing(), guest)
    assert len(no_destination.evaluate_at(s, d("2025-11-18"), CAL, P)) == 1
    lenient = params(no_destination={"resolving_enrolment_statuses": ("single", "guest")})
    assert len(no_destination.evaluate_at(s, d("2025-11-18"), CAL, lenient)) == 1  # not even when listed


def test_the_wait_is_a_parameter() -> None:
    longer = params(no_destination={"school_days": 15})
    s = state(missing())
    assert no_destination.evaluate_at(s, d("2025-11-24"), CAL, longer) == []
    assert len(no_destination.evaluate_at(s, d("2025-11-25"), CAL, longer)) == 1


def test_retracted_or_dead_pupils_never_fire() -> None:
    assert no_destination.evaluate_at(state(missing(), retraction("del")), d("2026-01-30"), CAL, P) == []
    died = deletion(ground="died", destination_kind="died", occurred_on="2025-11-10")
    assert no_destination.evaluate_at(state(missing(), died), d("2026-01-30"), CAL, P) == []


def test_outside_known_term_dates_the_count_is_flagged() -> None:
    fact = missing(occurred_on="2027-07-20")
    (wake,) = no_destination.wake_ups(state(fact), fact, CAL, P)
    assert wake.calendar_estimated
    (alert,) = no_destination.evaluate_at(state(fact), wake.fires_on, CAL, P)
    assert alert.calendar_estimated and "estimated" in alert.reason
