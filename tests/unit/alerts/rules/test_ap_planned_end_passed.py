from __future__ import annotations

from services.alerts.rules import ap_planned_end_passed as rule

from ..factories import ap_ended as ended
from ..factories import calendar, d, deletion, params, referral, state

CAL = calendar()
P = params()


def placement(**kw: object) -> object:
    kw.setdefault("event_id", "ap1")
    kw.setdefault("occurred_on", "2025-11-03")
    kw.setdefault("review_by", "2026-07-20")
    kw.setdefault("planned_end_on", "2025-12-19")
    return referral(**kw)


def test_fires_the_day_after_the_planned_end() -> None:
    fact = placement()
    s = state(fact)
    (wake,) = rule.wake_ups(s, fact, CAL, P)
    assert (wake.due_on, wake.fires_on) == (d("2025-12-19"), d("2025-12-20"))
    assert rule.evaluate_at(s, d("2025-12-19"), CAL, P) == []
    (alert,) = rule.evaluate_at(s, d("2025-12-20"), CAL, P)
    assert alert.key_event_id == "ap1" and alert.severity == "medium" and alert.due_on == d("2025-12-19")
    assert "its planned end was 19 Dec 2025 and no end or new planned end is recorded" in alert.reason
    assert "Arranging alternative provision" in alert.statutory_reference


def test_an_end_or_a_later_planned_end_answers_it() -> None:
    assert (
        rule.evaluate_at(state(placement(), ended("ap1", ended_on="2025-12-19")), d("2026-01-05"), CAL, P)
        == []
    )
    extended = placement(
        event_id="ap2", occurred_on="2025-12-15", start_on="2025-11-03", planned_end_on="2026-02-13"
    )
    s = state(placement(), extended)
    assert rule.evaluate_at(s, d("2026-01-05"), CAL, P) == []
    (alert,) = rule.evaluate_at(s, d("2026-02-14"), CAL, P)
    assert alert.key_event_id == "ap2" and alert.evidence == ("ap1", "ap2")


def test_a_grace_period_in_school_days_is_a_parameter() -> None:
    fact = placement()
    grace = params(ap_planned_end_passed={"grace_school_days": 5})
    (wake,) = rule.wake_ups(state(fact), fact, CAL, grace)
    # from Fri 19 Dec 2025 the 5th school day is Fri 9 Jan 2026 (the Christmas holiday between)
    assert (wake.due_on, wake.fires_on) == (d("2026-01-09"), d("2026-01-10"))


def test_not_after_death_nor_without_a_planned_end() -> None:
    died = deletion(ground="died", destination_kind="died", occurred_on="2025-12-01")
    assert rule.evaluate_at(state(placement(), died), d("2026-01-05"), CAL, P) == []
    open_ended = placement(planned_end_on=None)
    assert rule.wake_ups(state(open_ended), open_ended, CAL, P) == []
