import datetime as dt
import uuid

from schemas import parse_event
from services.tracker.placement import apply, summary
from tests.support.events import enrolment, upn_for

UPN = upn_for(801, 2000, 20, 5)


def _deletion(school: str, on: dt.date) -> dict:  # type: ignore[type-arg]
    return {
        "event_id": str(uuid.uuid4()),
        "type": "pupil.deleted",
        "schema_version": 1,
        "upn": UPN,
        "school_urn": school,
        "occurred_on": on.isoformat(),
        "recorded_at": f"{on.isoformat()}T10:00:00+00:00",
        "pupil": {"date_of_birth": "2015-05-01", "year_group": 6, "sen_provision": "N"},
        "data": {
            "ground": "moved_away",
            "regulation": "2024",
            "destination": {"kind": "moved_away"},
            "la_notified_on": on.isoformat(),
            "ctf_destination": None,
        },
    }


def test_a_deletion_then_an_enrolment_elsewhere_is_one_move() -> None:
    joined = parse_event(enrolment(UPN, school_urn="100000", occurred_on=dt.date(2026, 1, 5)))
    left = parse_event(_deletion("100000", dt.date(2026, 2, 2)))
    arrived = parse_event(enrolment(UPN, school_urn="100001", occurred_on=dt.date(2026, 2, 9)))
    state, move = apply(None, joined, 1)
    assert move is None and summary(state)["schools_on_roll"] == ["100000"]
    state, move = apply(state, left, 2)
    assert move is None and summary(state)["schools_on_roll"] == []
    state, move = apply(state, arrived, 3)
    assert move is not None
    assert (move["from_school"], move["to_school"]) == ("100000", "100001")
    assert move["left_event_id"] == str(left.event_id)
    assert summary(state)["last_exit"] is None


def test_applying_an_event_again_changes_nothing() -> None:
    left = parse_event(_deletion("100000", dt.date(2026, 2, 2)))
    arrived = parse_event(enrolment(UPN, school_urn="100001", occurred_on=dt.date(2026, 2, 9)))
    state, _ = apply(None, left, 10)
    state, move = apply(state, arrived, 11)
    again, replayed_move = apply(state, arrived, 11)
    assert move is not None and replayed_move is None
    assert again == state
