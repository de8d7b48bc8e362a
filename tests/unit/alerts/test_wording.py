from __future__ import annotations

import pytest

from services.alerts import wording

from .factories import d, deletion


def test_dates_in_words() -> None:
    assert wording.day(d("2026-03-03")) == "3 Mar 2026"
    assert wording.day(d("2025-12-25")) == "25 Dec 2025"


@pytest.mark.parametrize(
    ("n", "text"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (5, "5th"), (11, "11th"), (22, "22nd")]
)
def test_ordinals(n: int, text: str) -> None:
    assert wording.ordinal(n) == text


def test_counts_and_school_days() -> None:
    assert wording.count(1, "suspension") == "1 suspension"
    assert wording.count(2, "suspension") == "2 suspensions"
    assert wording.school_days(45.5) == "45.5 school days"
    assert wording.school_days(1) == "1 school day"
    assert wording.schools(["100001", "100000", "100001"]) == "schools 100000 and 100001"


def test_needs() -> None:
    fact = deletion(sen_provision="E", looked_after=True, child_in_need=False)
    assert wording.needs(fact) == ["EHC plan", "looked after"]
    assert wording.needs(deletion(sen_provision="K")) == ["SEN support"]


def test_reason_is_one_sentence_and_says_it_is_not_a_finding() -> None:
    text = wording.reason("taken off roll", "", "EHC plan")
    assert text == "Taken off roll; EHC plan. This is a prompt for enquiry, not a finding."
    assert "estimated" in wording.reason("x", estimated=True)


def test_unknown_codes_still_read() -> None:
    assert wording.ground("new_ground_2027") == "on ground 'new_ground_2027'"
    assert wording.destination(None) == "no destination given"
    assert wording.destination("school", "8864000") == "another school (8864000)"
