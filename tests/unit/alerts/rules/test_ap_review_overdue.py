from __future__ import annotations

from services.alerts.rules import ap_review_overdue

from ..factories import ap_ended as ended
from ..factories import calendar, d, deletion, params, referral, state

CAL = calendar()
P = params()


def placement(**kw: object) -> object:
    kw.setdefault("event_id", "ap1")
    kw.setdefault("occurred_on", "2025-11-03")
    kw.setdefault("review_by", "2025-11-17")
    return referral(**kw)


def test_fires_the_day_after_review_by() -> None:
    fact = placement()
    s = state(fact)
    (wake,) = ap_review_overdue.wake_ups(s, fact, CAL, P)
    assert (wake.due_on, wake.fires_on) == (d("2025-11-17"), d("2025-11-18"))
    assert ap_review_overdue.evaluate_at(s, d("2025-11-17"), CAL, P) == []
    (alert,) = ap_review_overdue.evaluate_at(s, d("2025-11-18"), CAL, P)
    assert alert.key_event_id == "ap1" and alert.evidence == ("ap1",) and alert.due_on == d("2025-11-17")
    assert alert.severity == "medium" and "Alternative provision" in alert.statutory_reference
    assert alert.reason.startswith(
        "Alternative provision placement (school commissioned) arranged by school 100000, "
        "running since 3 Nov 2025; "
        "its review was due by 17 Nov 2025"
    )
    assert "urn:140000" not in alert.reason  # a provider may be a person: never named


def test_an_ended_placement_never_fires() -> None:
    s = state(placement(), ended("ap1", ended_on="2025-11-14"))
    assert ap_review_overdue.evaluate_at(s, d("2026-01-05"), CAL, P) == []


def test_a_new_review_date_replaces_the_old_one() -> None:
    review = placement(
        event_id="ap2", occurred_on="2025-11-14", start_on="2025-11-03", review_by="2025-12-01"
    )
    s = state(placement(), review)
    assert ap_review_overdue.superseded_by(s, review) == ("ap1",)
    assert ap_review_overdue.evaluate_at(s, d("2025-11-18"), CAL, P) == []
    (alert,) = ap_review_overdue.evaluate_at(s, d("2025-12-02"), CAL, P)
    assert alert.key_event_id == "ap2" and alert.evidence == ("ap1", "ap2")
    assert ap_review_overdue.wake_ups(s, s.facts[0], CAL, P) == []  # the old one no longer leads
    assert ap_review_overdue.wake_ups(s, review, CAL, P)[0].fires_on == d("2025-12-02")


def test_an_ended_chain_lets_a_new_placement_start() -> None:
    again = placement(event_id="ap3", occurred_on="2026-01-05", review_by="2026-01-19")
    s = state(placement(), ended("ap1", ended_on="2025-11-14"), again)
    (alert,) = ap_review_overdue.evaluate_at(s, d("2026-01-20"), CAL, P)
    assert alert.evidence == ("ap3",)


def test_another_provider_is_another_placement() -> None:
    s = state(placement(), placement(event_id="ap9", provider="ukprn:10000001", review_by="2025-12-01"))
    assert [a.key_event_id for a in ap_review_overdue.evaluate_at(s, d("2025-12-02"), CAL, P)] == [
        "ap1",
        "ap9",
    ]


def directed(**kw: object) -> object:
    kw.setdefault("arrangement", "directed_off_site")
    kw.setdefault("review_by", None)
    return placement(**kw)


def test_directed_off_site_past_thirty_school_days() -> None:
    s = state(directed())
    # from Mon 3 Nov 2025 the 30th school day is Mon 15 Dec
    assert ap_review_overdue.evaluate_at(s, d("2025-12-15"), CAL, P) == []
    (alert,) = ap_review_overdue.evaluate_at(s, d("2025-12-16"), CAL, P)
    assert alert.due_on == d("2025-12-15")
    assert "no review recorded within 30 school days (by 15 Dec 2025)" in alert.reason
    assert alert.statutory_reference.startswith("s29A Education Act 2002")


def test_directed_off_site_the_earlier_deadline_wins() -> None:
    early = directed(review_by="2025-11-10")
    assert ap_review_overdue.wake_ups(state(early), early, CAL, P)[0].fires_on == d("2025-11-11")
    late = directed(review_by="2026-02-02")
    assert ap_review_overdue.wake_ups(state(late), late, CAL, P)[0].fires_on == d("2025-12-16")


def test_the_school_day_limit_is_a_parameter() -> None:
    fact = directed()
    p = params(ap_review_overdue={"directed_off_site_school_days": 20})
    assert ap_review_overdue.wake_ups(state(fact), fact, CAL, p)[0].due_on == d("2025-12-01")


def test_without_a_review_date_an_ordinary_placement_never_fires() -> None:
    fact = placement(review_by=None)
    assert ap_review_overdue.wake_ups(state(fact), fact, CAL, P) == []
    assert ap_review_overdue.evaluate_at(state(fact), d("2027-01-01"), CAL, P) == []


def test_not_after_death() -> None:
    s = state(placement(), deletion(ground="died", destination_kind="died", occurred_on="2025-11-10"))
    assert ap_review_overdue.evaluate_at(s, d("2026-01-05"), CAL, P) == []
