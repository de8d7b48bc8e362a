"""The ingest's memory of the events it published lately, as the authority rules read it: what
the ledger may not hold yet joins the record, and the oldest go first."""

from __future__ import annotations

import datetime as dt

from schemas import parse_event
from schemas.authority import Records, refusals
from services.ingest.authority import RecentEvents
from tests.support.events import deletion, enrolment, upn_for

NOW = dt.datetime(2026, 9, 30, tzinfo=dt.UTC)
UPN = upn_for(886, 4000, 24, 1)


def test_a_death_rests_on_an_enrolment_only_this_process_has_seen_until_it_is_forgotten() -> None:
    recent = RecentEvents(capacity=2)
    joined = parse_event(enrolment(UPN, school_urn="100050"), now=NOW)
    died = parse_event(deletion(UPN, school_urn="100050", ground="died", destination_kind="died"), now=NOW)
    recent.remember([joined])
    records = Records.build([], [], [UPN])
    recent.add_to(records)
    assert refusals([died], records) == {}
    others = [parse_event(enrolment(upn_for(886, 4000, 24, n)), now=NOW) for n in (2, 3)]
    recent.remember(others)  # the enrolment is the oldest of three: forgotten
    records = Records.build([], [], [UPN])
    recent.add_to(records)
    assert refusals([died], records)[0].rule == "died_not_on_roll"
