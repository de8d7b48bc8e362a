"""Ledger events in plain words: grounds and destinations from the alerts' wording, schools by name
where the history names them, codes from the contract's code lists."""

from __future__ import annotations

import datetime as dt

from rollwatch.app.console import event_words
from tests.support.events import deletion, enrolment, retraction, suspension, upn_for

UPN = upn_for(886, 4000, 24, 1)


def test_a_deletion_says_its_ground_regulation_destination_and_the_las_notice() -> None:
    event = deletion(
        UPN, occurred_on=dt.date(2026, 3, 2), ground="home_education", destination_kind="home_education",
        sen_provision="E", year_group=9,
    )  # fmt: skip
    assert event_words.title(event["type"]) == "Taken off the school's roll"
    assert event_words.details(event) == [
        "Taken off roll for home education (reg 9(1)(f))",
        "Destination: home education",
        "The LA was told on 2 Mar 2026",
        "Year 9, EHC plan",
    ]


def test_a_move_names_the_other_school_and_a_ctf_code_in_words() -> None:
    moved = deletion(UPN, destination_laestab="8864000")
    other = {"direction": "to", "laestab": "8864000", "urn": "100050", "name": "Millhurst Community College"}
    assert "Destination: another school, Millhurst Community College (URN 100050)" in event_words.details(
        moved, other
    )
    joined = enrolment(UPN, previous_school="MMMMMMM")
    assert "Came from an independent school or a school outside England and Wales" in event_words.details(
        joined
    )
    before_2024 = deletion(
        UPN, occurred_on=dt.date(2019, 3, 4), ground="moved_away", destination_kind="moved_away"
    )
    assert (
        event_words.details(before_2024)[0]
        == "Taken off roll as having moved away (under the 2006 regulations)"
    )


def test_a_suspension_and_a_retraction_in_words() -> None:
    suspended = suspension(UPN, occurred_on=dt.date(2026, 1, 12), sessions=4)
    assert event_words.details(suspended)[0] == (
        "4 sessions (half days) from 12 Jan 2026; Persistent disruptive behaviour"
    )
    withdrawn = retraction(suspended, reason="Sent for the wrong pupil.")
    assert event_words.title(withdrawn["type"]) == "Record withdrawn by the school"
    assert event_words.details(withdrawn)[0] == "Reason given: Sent for the wrong pupil."
    assert event_words.title("pupil.permanently_excluded") == "Permanently excluded"
