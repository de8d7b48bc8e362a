from __future__ import annotations

import pytest

from services.alerts.rules import ap_review_overdue

from ..factories import ap_ended as ended
from ..factories import calendar, d, deletion, params, referral, review_request, state

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
    assert alert.severity == "medium"
    assert alert.statutory_reference == (
        "DfE 'Arranging alternative provision: a guide for local authorities and schools' (February 2025)"
    )
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


THIRTY_DAYS = params(ap_review_overdue={"directed_off_site_school_days": 30})


def test_no_fixed_interval_for_directed_off_site_by_default() -> None:
    """SI 2012/2532 ended the 30-day review: only the placement's own review date counts."""
    fact = directed()
    assert P.rules.ap_review_overdue.directed_off_site_school_days is None
    assert ap_review_overdue.wake_ups(state(fact), fact, CAL, P) == []
    assert ap_review_overdue.evaluate_at(state(fact), d("2026-06-01"), CAL, P) == []


def test_directed_off_site_past_the_las_thirty_school_days() -> None:
    s = state(directed())
    # from Mon 3 Nov 2025 the 30th school day is Mon 15 Dec
    assert ap_review_overdue.evaluate_at(s, d("2025-12-15"), CAL, THIRTY_DAYS) == []
    (alert,) = ap_review_overdue.evaluate_at(s, d("2025-12-16"), CAL, THIRTY_DAYS)
    assert alert.due_on == d("2025-12-15")
    assert "no review recorded within 30 school days (by 15 Dec 2025; the LA's own review interval)" in (
        alert.reason
    )
    assert alert.statutory_reference.startswith("s29A Education Act 2002")


def test_directed_off_site_the_earlier_deadline_wins() -> None:
    early = directed(review_by="2025-11-10")
    assert ap_review_overdue.wake_ups(state(early), early, CAL, THIRTY_DAYS)[0].fires_on == d("2025-11-11")
    late = directed(review_by="2026-02-02")
    assert ap_review_overdue.wake_ups(state(late), late, CAL, THIRTY_DAYS)[0].fires_on == d("2025-12-16")


def test_the_school_day_limit_is_a_parameter() -> None:
    fact = directed()
    p = params(ap_review_overdue={"directed_off_site_school_days": 20})
    assert ap_review_overdue.wake_ups(state(fact), fact, CAL, p)[0].due_on == d("2025-12-01")


# A requested review (reg 4A of the 2010 regulations): held within 10 school days (the LA's
# reading of "as soon as reasonably practicable") unless one was held in the 10 weeks before.
def far_off(**kw: object) -> object:
    kw.setdefault("review_by", "2026-07-20")
    return directed(**kw)


def test_a_requested_review_is_due_within_10_school_days() -> None:
    asked = review_request("ap1", event_id="rq1", occurred_on="2026-01-05")
    s = state(far_off(), asked)
    (wake,) = ap_review_overdue.wake_ups(s, asked, CAL, P)
    # from Mon 5 Jan 2026 the 10th school day is Mon 19 Jan
    assert (wake.due_on, wake.fires_on) == (d("2026-01-19"), d("2026-01-20"))
    assert ap_review_overdue.evaluate_at(s, d("2026-01-19"), CAL, P) == []
    (alert,) = ap_review_overdue.evaluate_at(s, d("2026-01-20"), CAL, P)
    assert alert.key_event_id == "rq1" and alert.evidence == ("ap1", "rq1")
    assert "the parent asked for a review meeting on 5 Jan 2026" in alert.reason
    assert "reg 4A" in alert.statutory_reference


def test_a_review_on_or_after_the_request_meets_it() -> None:
    asked = review_request("ap1", event_id="rq1", occurred_on="2026-01-05")
    held = far_off(event_id="ap2", occurred_on="2026-01-05", start_on="2025-11-03")
    assert ap_review_overdue.evaluate_at(state(far_off(), asked, held), d("2026-02-02"), CAL, P) == []


@pytest.mark.parametrize(("last_review", "duty"), [("2025-10-27", False), ("2025-10-26", True)])
def test_no_duty_after_a_review_in_the_10_weeks_before(last_review: str, duty: bool) -> None:
    """10 weeks before Mon 5 Jan 2026 is Mon 27 Oct 2025."""
    first = far_off(occurred_on="2025-09-08", start_on="2025-09-08")
    reviewed = far_off(event_id="ap2", occurred_on=last_review, start_on="2025-09-08")
    asked = review_request("ap2", event_id="rq1", occurred_on="2026-01-05", requested_by="local_authority")
    alerts = ap_review_overdue.evaluate_at(state(first, reviewed, asked), d("2026-01-20"), CAL, P)
    assert [a.key_event_id for a in alerts] == (["rq1"] if duty else [])
    if duty:
        assert "the LA asked for a review meeting" in alerts[0].reason


def test_the_requested_review_clock_is_a_parameter() -> None:
    asked = review_request("ap1", event_id="rq1", occurred_on="2026-01-05")
    p = params(ap_review_overdue={"requested_review_school_days": 5})
    assert ap_review_overdue.wake_ups(state(far_off(), asked), asked, CAL, p)[0].due_on == d("2026-01-12")


def test_a_request_about_an_ended_placement_waits_for_nothing() -> None:
    asked = review_request("ap1", occurred_on="2026-01-05")
    s = state(far_off(), ended("ap1", ended_on="2025-12-19"), asked)
    assert ap_review_overdue.wake_ups(s, asked, CAL, P) == []


def test_without_a_review_date_an_ordinary_placement_never_fires() -> None:
    fact = placement(review_by=None)
    assert ap_review_overdue.wake_ups(state(fact), fact, CAL, P) == []
    assert ap_review_overdue.evaluate_at(state(fact), d("2027-01-01"), CAL, P) == []


def test_not_after_death() -> None:
    s = state(placement(), deletion(ground="died", destination_kind="died", occurred_on="2025-11-10"))
    assert ap_review_overdue.evaluate_at(s, d("2026-01-05"), CAL, P) == []
