from __future__ import annotations

import datetime as dt

from services.alerts.candidates import AlertCandidate, Resolution
from services.alerts.lifecycle import AlertBook

from .factories import LA, SCHOOL, UPN, d

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def candidate(*evidence: str) -> AlertCandidate:
    return AlertCandidate(
        rule="suspension_limit", severity="high", la_code=LA, school_urn=SCHOOL, upn=UPN,
        evidence=evidence, fingerprint="f" * 32, reason="r", statutory_reference="s", as_of=d("2026-03-02"),
    )  # fmt: skip


def closed(book: AlertBook, at: dt.datetime) -> None:
    assert book.apply_resolution(Resolution("f" * 32, "suspension_limit", "auto_resolved", "x", "why"), at)


def test_duplicates_fold_and_new_evidence_is_added_while_open() -> None:
    book = AlertBook()
    first = book.raise_candidate(candidate("a", "b"), T0)
    assert first is not None and first.transition == "opened"
    assert book.raise_candidate(candidate("a", "b"), T0) is None
    added = book.raise_candidate(candidate("a", "b", "c"), T0)
    assert added is not None and added.alert_id == first.alert_id and added.evidence == ("a", "b", "c")


def test_once_closed_the_same_evidence_raises_nothing() -> None:
    book = AlertBook()
    book.raise_candidate(candidate("a", "b"), T0)
    closed(book, T0)
    assert book.raise_candidate(candidate("a", "b"), T0 + dt.timedelta(hours=1)) is None
    assert book.raise_candidate(candidate("a"), T0 + dt.timedelta(hours=1)) is None


def test_once_closed_new_evidence_opens_a_new_alert() -> None:
    book = AlertBook()
    first = book.raise_candidate(candidate("a", "b"), T0)
    assert first is not None
    closed(book, T0)
    again = book.raise_candidate(candidate("a", "c"), T0 + dt.timedelta(days=1))
    assert again is not None and again.alert_id != first.alert_id
    assert again.transition == "opened" and again.status == "open" and again.evidence == ("a", "c")
    assert book.alerts[first.alert_id].status == "auto_resolved"
    assert [a.alert_id for a in book.open_for(UPN)] == [again.alert_id]
    added = book.raise_candidate(candidate("a", "c", "e"), T0 + dt.timedelta(days=2))
    assert added is not None and added.alert_id == again.alert_id


def test_after_a_restart_the_fingerprint_leads_to_its_latest_alert() -> None:
    book = AlertBook()
    book.raise_candidate(candidate("a", "b"), T0)
    closed(book, T0)
    latest = book.raise_candidate(candidate("a", "c"), T0 + dt.timedelta(days=1))
    assert latest is not None
    for order in (list(book.alerts.values()), list(reversed(book.alerts.values()))):
        restored = AlertBook()
        restored.restore(order, [])
        assert restored.raise_candidate(candidate("a", "c"), T0 + dt.timedelta(days=2)) is None
        step = restored.raise_candidate(candidate("a", "c", "e"), T0 + dt.timedelta(days=2))
        assert step is not None and step.alert_id == latest.alert_id


def test_case_work_steps_are_attributed_touch_the_alert_and_keep_their_own_fields() -> None:
    from services.alerts.lifecycle import LifecycleError

    book = AlertBook()
    opened = book.raise_candidate(candidate("a"), T0)
    assert opened is not None and opened.last_touched == T0 and opened.assignee is None
    at = T0 + dt.timedelta(hours=1)
    assigned = book.assign(opened.alert_id, "key:aaa", "Sam Patel", "key:bbb", "Zoe Adams", at)
    assert (assigned.transition, assigned.assignee, assigned.assignee_name) == (
        "assigned",
        "key:bbb",
        "Zoe Adams",
    )
    assert assigned.actor_name == "Sam Patel" and assigned.touched_at == at and assigned.status == "open"
    try:
        book.assign(opened.alert_id, "key:aaa", "Sam Patel", "key:bbb", "Zoe Adams", at)
        raise AssertionError("a second identical assignment is refused")
    except LifecycleError as exc:
        assert exc.rule == "already_assigned"
    enquiry = book.record_enquiry(
        opened.alert_id, "key:bbb", "Zoe Adams", "home_visit", d("2026-03-01"), "no one in", at
    )
    assert (enquiry.enquiry_kind, enquiry.enquiry_on, enquiry.note) == (
        "home_visit",
        d("2026-03-01"),
        "no one in",
    )
    noted = book.add_note(opened.alert_id, "key:bbb", "Zoe Adams", "called school", at)
    assert noted.enquiry_kind is None and noted.note == "called school" and noted.assignee == "key:bbb"
    # A system step keeps the case's holder but clears the officer's name and the enquiry.
    added = book.raise_candidate(candidate("a", "b"), at)
    assert added is not None and added.actor_name == "" and added.assignee_name == "Zoe Adams"
    assert added.touched_at == at
    done = book.resolve(opened.alert_id, "key:bbb", "child_located", "found", at, "Zoe Adams")
    assert done.status == "resolved" and done.actor_name == "Zoe Adams"
    for refused in (
        lambda: book.assign(opened.alert_id, "key:aaa", "Sam", "key:ccc", "C", at),
        lambda: book.record_enquiry(
            opened.alert_id, "key:aaa", "Sam", "home_visit", d("2026-03-01"), None, at
        ),
    ):
        try:
            refused()
            raise AssertionError("closed alerts take no assignment or enquiry")
        except LifecycleError as exc:
            assert exc.rule == "alert_closed"
    assert book.add_note(opened.alert_id, "key:aaa", "Sam", "after the fact", at).status == "resolved"
    assert book.in_la(LA)[opened.alert_id].seq == book.alerts[opened.alert_id].seq


def test_an_unknown_enquiry_is_refused() -> None:
    from services.alerts.lifecycle import LifecycleError

    book = AlertBook()
    opened = book.raise_candidate(candidate("a"), T0)
    assert opened is not None
    try:
        book.record_enquiry(opened.alert_id, "key:a", "A", "seance", d("2026-03-01"), None, T0)
        raise AssertionError("unknown enquiry kinds are refused")
    except LifecycleError as exc:
        assert exc.rule == "unknown_enquiry"


def test_a_silence_ended_early_mutes_nothing_after_its_end() -> None:
    from dataclasses import replace

    from services.alerts.lifecycle import Silence

    silence = Silence("s" * 32, {"rule": "suspension_limit"}, "key:a", "why", T0, T0 + dt.timedelta(days=7))
    book = AlertBook()
    alert = book.raise_candidate(candidate("a"), T0)
    assert alert is not None
    later = T0 + dt.timedelta(days=1)
    assert silence.mutes(alert, later)
    ended = replace(silence, ended_at=later, ended_by="key:a")
    assert ended.until == later and not ended.active(later) and ended.active(T0)
    assert not ended.mutes(alert, later + dt.timedelta(hours=1))


def test_a_pupils_alerts_are_found_under_any_of_their_upns_oldest_first() -> None:
    book = AlertBook()
    first = book.raise_candidate(candidate("a"), T0)
    closed(book, T0)
    second = book.raise_candidate(candidate("b"), T0 + dt.timedelta(days=1))
    assert first is not None and second is not None
    assert [a.alert_id for a in book.of_pupil(["X000000000000", UPN])] == [first.alert_id, second.alert_id]
    assert [a.status for a in book.of_pupil([UPN])] == ["auto_resolved", "open"]  # each alert as it is now
    assert book.open_for(UPN) == [book.alerts[second.alert_id]]
    assert book.of_pupil(["X000000000000"]) == []
