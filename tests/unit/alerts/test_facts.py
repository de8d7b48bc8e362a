from __future__ import annotations

import datetime as dt

from services.alerts.facts import Deletion, Enrolment, Suspension

from .factories import d, deletion, enrolment, retraction, state, suspension


def test_recorded_on_is_the_day_in_england() -> None:
    late_evening_utc = dt.datetime(2026, 6, 1, 23, 30, tzinfo=dt.UTC)  # 00:30 on 2 June in BST
    assert enrolment(recorded_at=late_evening_utc).recorded_on == d("2026-06-02")
    winter = dt.datetime(2026, 1, 1, 23, 30, tzinfo=dt.UTC)
    assert enrolment(recorded_at=winter).recorded_on == d("2026-01-01")


def test_suspension_school_days_are_half_the_sessions() -> None:
    assert suspension(sessions=3).school_days == 1.5


def test_a_duplicate_delivery_changes_nothing() -> None:
    first = enrolment(event_id="a")
    assert state(first, first).facts == (first,)


def test_retracted_facts_and_retractions_are_not_active() -> None:
    kept, withdrawn = enrolment(event_id="a"), deletion(event_id="b")
    s = state(kept, withdrawn, retraction("b", event_id="r"))
    assert s.active == (kept,)
    assert s.of(Deletion) == ()
    assert s.find("b") is None
    assert s.is_active(withdrawn) is False


def test_retracting_a_retraction_reinstates_the_event() -> None:
    withdrawn = deletion(event_id="b")
    s = state(withdrawn, retraction("b", event_id="r1"), retraction("r1", event_id="r2"))
    assert s.of(Deletion) == (withdrawn,)


def test_chronological_orders_by_effect_then_arrival() -> None:
    late = suspension(event_id="late", occurred_on="2025-11-10")
    early = suspension(event_id="early", occurred_on="2025-11-03")
    same_day = suspension(event_id="same", occurred_on="2025-11-10")
    s = state(late, early, same_day)
    assert [f.event_id for f in s.chronological(s.of(Suspension))] == ["early", "late", "same"]
    assert s.arrived_after(same_day, late) and s.arrived_after(early, late)
    assert not s.arrived_after(late, early)


def test_death_is_found_unless_retracted() -> None:
    died = deletion(event_id="x", ground="died", destination_kind="died")
    assert state(enrolment(), died).death == died
    assert state(enrolment(), died, retraction("x")).death is None
    assert state(enrolment()).of(Enrolment)
