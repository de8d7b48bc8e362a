"""The authority rules over a pupil, on records built by hand (the pipeline tests are in
tests/e2e/test_security_edge.py)."""

from __future__ import annotations

import datetime as dt

from schemas import parse_event
from schemas.authority import Records, Sent, refusals, visible_to_la, withdrawn
from tests.support.events import deletion, enrolment, retraction, suspension, upn_for

NOW = dt.datetime(2026, 9, 30, tzinfo=dt.UTC)
UPN, OTHER = upn_for(886, 4000, 24, 1), upn_for(886, 4000, 24, 2)
HERE, THERE = "100050", "100054"


def _rules(events: list[dict], records: Records | None = None) -> dict[int, str]:  # type: ignore[type-arg]
    parsed = [parse_event(e, now=NOW) for e in events]
    return {i: p.rule for i, p in refusals(parsed, records or Records()).items()}


def _recorded(*events: dict) -> Records:  # type: ignore[type-arg]
    records = Records()
    for event in events:
        parsed = parse_event(event, now=NOW)
        records.add(Sent(str(parsed.event_id), parsed.type, parsed.upn, parsed.school_urn,
                         event.get("data", {}).get("retracts")), parsed.former_upn)  # fmt: skip
    return records


def test_a_school_retracts_only_its_own_recorded_events() -> None:
    theirs = suspension(UPN, school_urn=THERE)
    mine = suspension(UPN, school_urn=HERE)
    records = _recorded(theirs, mine)
    stolen = retraction(theirs) | {"school_urn": HERE}
    assert _rules([stolen, retraction(mine)], records) == {0: "retraction_not_sender"}
    assert _rules([retraction(suspension(UPN))]) == {0: "retracted_event_unknown"}
    # The event retracted may come earlier in the same request.
    assert _rules([mine, retraction(mine)]) == {}


def test_a_death_only_from_a_school_where_the_pupil_is_or_was_on_roll() -> None:
    died = deletion(UPN, school_urn=HERE, ground="died", destination_kind="died")
    assert _rules([died]) == {0: "died_not_on_roll"}
    assert _rules([died], _recorded(enrolment(UPN, school_urn=THERE))) == {0: "died_not_on_roll"}
    assert _rules([enrolment(UPN, school_urn=HERE), died]) == {}
    guest = enrolment(UPN, school_urn=HERE)
    guest["data"]["enrolment_status"] = "guest"  # not registered there: not on its roll
    assert _rules([guest, died]) == {1: "died_not_on_roll"}
    joined = enrolment(UPN, school_urn=HERE)
    assert _rules([died], _recorded(joined, retraction(joined))) == {0: "died_not_on_roll"}
    # A resend of a death already recorded is not judged again.
    assert _rules([died], _recorded(died)) == {}


def test_a_former_upn_links_only_from_an_admission_or_the_school_of_that_record() -> None:
    records = _recorded(enrolment(OTHER, school_urn=THERE), enrolment(UPN, school_urn=HERE))
    link = suspension(UPN, school_urn=HERE) | {"former_upn": OTHER}
    assert _rules([link], records) == {0: "former_upn_not_on_roll"}
    assert _rules([enrolment(UPN, school_urn=HERE, former_upn=OTHER)], records) == {}
    assert _rules([link | {"school_urn": THERE}], records) == {}
    assert _rules([link]) == {}  # nothing recorded under former_upn: no history to join


def test_retracting_a_retraction_reinstates_and_visibility_follows_the_roll() -> None:
    joined = Sent("a", "pupil.enrolled", UPN, HERE)
    suspended = Sent("s", "pupil.suspended", UPN, THERE)
    undo = Sent("r1", "event.retracted", UPN, HERE, "a")
    redo = Sent("r2", "event.retracted", UPN, HERE, "r1")
    assert withdrawn([joined, undo]) == {"a"}
    assert withdrawn([joined, undo, redo]) == {"r1"}
    la_of = {HERE: "886", THERE: "201"}
    assert visible_to_la([joined, suspended], la_of) == {"886"}  # a suspension alone opens nothing
    assert visible_to_la([joined, suspended, undo], la_of) == set()


def test_events_of_pupils_no_rule_reads_are_passed_over_but_a_link_in_the_batch_brings_them_in() -> None:
    died = deletion(UPN, school_urn=HERE, ground="died", destination_kind="died")
    # OTHER's enrolment here matters only once a later event joins OTHER to UPN.
    there_first = enrolment(OTHER, school_urn=HERE)
    joined = enrolment(UPN, school_urn=THERE, former_upn=OTHER)  # an admission: not itself judged
    assert _rules([there_first, joined, died]) == {}
    assert _rules([there_first, died]) == {0 + 1: "died_not_on_roll"}
    # A chain of links in the batch: THIRD -> OTHER -> UPN.
    third = upn_for(886, 4000, 24, 3)
    assert _rules([enrolment(third, school_urn=HERE), enrolment(OTHER, school_urn=THERE, former_upn=third),
                   joined, died]) == {}  # fmt: skip
