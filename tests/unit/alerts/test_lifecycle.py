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
