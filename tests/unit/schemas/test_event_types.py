"""Every event type: the typed model parse_event returns, and the rules it enforces."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from schemas import EVENT_TYPES, Envelope, EventInvalid, parse_event
from schemas.codelists import deletion_grounds, destination_kinds, non_compulsory_age_grounds
from schemas.events import (
    EVENT_MODELS,
    ApEndedData,
    ApReferredData,
    DeletedData,
    EnrolledData,
    EventRetracted,
    PermanentlyExcludedData,
    PupilApEnded,
    PupilApReferred,
    PupilDeleted,
    PupilEnrolled,
    PupilPermanentlyExcluded,
    PupilSuspended,
    RetractedData,
    SuspendedData,
)
from schemas.events.ground_destinations import GROUND_DESTINATIONS

Example = Callable[[str], dict[str, Any]]


def problems(raw: Any, now: dt.datetime) -> set[tuple[str, str]]:
    with pytest.raises(EventInvalid) as caught:
        parse_event(raw, now=now)
    return {(p.field, p.rule) for p in caught.value.problems}


@pytest.mark.parametrize(
    ("name", "model", "data_model"),
    [
        ("pupil.enrolled.single", PupilEnrolled, EnrolledData),
        ("pupil.deleted.other-school", PupilDeleted, DeletedData),
        ("pupil.suspended", PupilSuspended, SuspendedData),
        ("pupil.permanently_excluded", PupilPermanentlyExcluded, PermanentlyExcludedData),
        ("pupil.ap_referred", PupilApReferred, ApReferredData),
        ("pupil.ap_ended", PupilApEnded, ApEndedData),
        ("event.retracted", EventRetracted, RetractedData),
    ],
)
def test_each_type_parses_to_its_typed_model(
    example: Example, now: dt.datetime, name: str, model: type[Envelope], data_model: type[Any]
) -> None:
    raw = example(name)
    event = parse_event(raw, now=now)
    assert type(event) is model
    assert isinstance(event, Envelope)
    assert isinstance(event.data, data_model)
    # The names other code relies on.
    assert str(event.event_id) == raw["event_id"]
    assert event.type == raw["type"]
    assert event.upn == raw["upn"]
    assert event.former_upn == raw.get("former_upn")
    assert event.school_urn == raw["school_urn"]
    assert event.occurred_on == dt.date.fromisoformat(raw["occurred_on"])
    assert event.recorded_at.tzinfo is not None
    assert event.pupil.date_of_birth == dt.date.fromisoformat(raw["pupil"]["date_of_birth"])


def test_every_type_has_a_model() -> None:
    assert tuple(EVENT_MODELS) == EVENT_TYPES


def test_events_are_frozen(example: Example, now: dt.datetime) -> None:
    event = parse_event(example("pupil.deleted.other-school"), now=now)
    assert isinstance(event, PupilDeleted)
    with pytest.raises(ValidationError):
        event.upn = "H801200001001"
    with pytest.raises(ValidationError):
        event.data.ground = "died"


def test_parse_from_bytes_and_str(example: Example, now: dt.datetime) -> None:
    raw = example("pupil.suspended")
    from_dict = parse_event(raw, now=now)
    assert parse_event(orjson.dumps(raw), now=now) == from_dict
    assert parse_event(orjson.dumps(raw).decode(), now=now) == from_dict


def test_not_json_and_not_an_object(now: dt.datetime) -> None:
    assert problems(b"{not json", now) == {("(event)", "json_invalid")}
    assert problems(b"[1, 2]", now) == {("(event)", "object_type")}


def test_missing_and_unknown_type(example: Example, now: dt.datetime) -> None:
    raw = example("pupil.suspended")
    del raw["type"]
    assert problems(raw, now) == {("type", "missing")}
    raw["type"] = 7
    assert problems(raw, now) == {("type", "event_type_unknown")}


def test_data_of_another_type_is_refused(example: Example, now: dt.datetime) -> None:
    raw = example("pupil.suspended")
    raw["type"] = "pupil.permanently_excluded"
    assert problems(raw, now) == {
        ("data.review", "missing"),
        ("data.start_on", "extra_forbidden"),
        ("data.sessions", "extra_forbidden"),
    }


def test_schema_version_must_be_1(example: Example, now: dt.datetime) -> None:
    raw = example("pupil.suspended")
    raw["schema_version"] = 2
    assert problems(raw, now) == {("schema_version", "literal_error")}


def test_strict_scalars(example: Example, now: dt.datetime) -> None:
    raw = example("pupil.suspended")
    raw["data"]["sessions"] = "6"
    raw["pupil"]["year_group"] = 10.0
    raw["pupil"]["fsm_eligible"] = "yes"
    assert problems(raw, now) == {
        ("data.sessions", "int_type"),
        ("pupil.year_group", "int_type"),
        ("pupil.fsm_eligible", "bool_type"),
    }


def test_pupil_snapshot_ranges(example: Example, now: dt.datetime) -> None:
    raw = example("pupil.suspended")
    raw["pupil"]["year_group"] = 15
    raw["pupil"]["sen_provision"] = "S"
    assert problems(raw, now) == {
        ("pupil.year_group", "less_than_equal"),
        ("pupil.sen_provision", "literal_error"),
    }


def test_missing_fields_are_named(example: Example, now: dt.datetime) -> None:
    raw = example("pupil.enrolled.single")
    del raw["school_urn"]
    del raw["data"]["enrolment_status"]
    assert problems(raw, now) == {("school_urn", "missing"), ("data.enrolment_status", "missing")}


def test_optional_fields_may_be_left_out(example: Example, now: dt.datetime) -> None:
    raw = example("pupil.enrolled.single")
    for key in ("previous_school", "la_notified_on", "managed_move"):
        del raw["data"][key]
    for key in ("fsm_eligible", "looked_after", "child_in_need"):
        del raw["pupil"][key]
    event = parse_event(raw, now=now)
    assert isinstance(event, PupilEnrolled)
    assert event.data.managed_move is False
    assert event.data.previous_school is None


class TestDates:
    def test_one_day_ahead_is_allowed_two_are_not(self, example: Example) -> None:
        raw = example("pupil.ap_ended")  # occurred_on 2025-12-19
        raw["recorded_at"] = "2025-12-18T09:00:00Z"
        day_before = dt.datetime(2025, 12, 18, 12, tzinfo=dt.UTC)
        assert parse_event(raw, now=day_before)
        two_days_before = dt.datetime(2025, 12, 17, 12, tzinfo=dt.UTC)
        assert problems(raw, two_days_before) == {
            ("occurred_on", "date_in_future"),
            ("data.ended_on", "date_in_future"),
        }

    def test_today_is_the_date_in_england(self, example: Example) -> None:
        raw = example("pupil.ap_ended")
        raw["occurred_on"] = raw["data"]["ended_on"] = "2025-07-02"
        raw["recorded_at"] = "2025-06-30T23:30:00+01:00"
        # 23:30 UTC on 30 June is already 1 July in England, so 2 July is one day ahead.
        assert parse_event(raw, now=dt.datetime(2025, 6, 30, 23, 30, tzinfo=dt.UTC))
        with pytest.raises(EventInvalid):
            parse_event(raw, now=dt.datetime(2025, 6, 30, 22, 30, tzinfo=dt.UTC))

    def test_recorded_at_in_the_future(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.suspended")
        raw["recorded_at"] = (now + dt.timedelta(days=2)).isoformat()
        assert problems(raw, now) == {("recorded_at", "date_in_future")}

    def test_planned_dates_may_be_in_the_future(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.ap_referred")
        raw["data"]["review_by"] = "2027-01-10"
        raw["data"]["planned_end_on"] = "2027-03-31"
        assert parse_event(raw, now=now)

    def test_nothing_before_birth(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.ap_referred")
        raw["pupil"]["date_of_birth"] = "2025-11-01"
        raw["data"]["review_by"] = raw["data"]["planned_end_on"] = "2025-10-31"
        assert problems(raw, now) == {
            ("occurred_on", "date_before_birth"),
            ("recorded_at", "date_before_birth"),
            ("data.start_on", "date_before_birth"),
            ("data.review_by", "date_before_birth"),
            ("data.planned_end_on", "date_before_birth"),
        }

    def test_date_of_birth_in_the_future(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.suspended")
        raw["pupil"]["date_of_birth"] = "2030-01-01"
        found = problems(raw, now)
        assert ("pupil.date_of_birth", "date_in_future") in found
        assert ("occurred_on", "date_before_birth") in found

    @pytest.mark.parametrize(
        "value", ["2025-1-20", "20250120", "2025-01-20T00:00:00", 20250120, "2025-02-30"]
    )
    def test_dates_are_iso_strings(self, example: Example, now: dt.datetime, value: Any) -> None:
        raw = example("pupil.suspended")
        raw["data"]["start_on"] = value
        assert problems(raw, now) == {("data.start_on", "date_format")}

    @pytest.mark.parametrize("value", ["yesterday", 1767225600, "2026-01-19"])
    def test_recorded_at_is_an_iso_datetime(self, example: Example, now: dt.datetime, value: Any) -> None:
        raw = example("pupil.suspended")
        raw["recorded_at"] = value
        assert problems(raw, now) == {("recorded_at", "datetime_format")}

    def test_real_clock_by_default(self, example: Example) -> None:
        raw = example("pupil.suspended")
        raw["occurred_on"] = raw["data"]["start_on"] = "2999-01-01"
        with pytest.raises(EventInvalid):
            parse_event(raw)


class TestEnrolment:
    @pytest.mark.parametrize("previous", ["MMMMMMM", "XXXXXXX", "8012345", None])
    def test_previous_school(self, example: Example, now: dt.datetime, previous: str | None) -> None:
        raw = example("pupil.enrolled.single")
        raw["data"]["previous_school"] = previous
        event = parse_event(raw, now=now)
        assert isinstance(event, PupilEnrolled)
        assert event.data.previous_school == previous

    def test_status_is_one_of_four(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.enrolled.single")
        raw["data"]["enrolment_status"] = "dual"
        assert problems(raw, now) == {("data.enrolment_status", "literal_error")}

    def test_former_upn_is_checked(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.enrolled.permanent-upn-replaces-temporary")
        raw["former_upn"] = "A00180001701A"
        assert problems(raw, now) == {("former_upn", "upn_check_letter")}


class TestDeletion:
    @pytest.mark.parametrize("ground", sorted(GROUND_DESTINATIONS))
    @pytest.mark.parametrize("kind", sorted(destination_kinds()))
    def test_ground_and_destination_follow_the_table(
        self, example: Example, now: dt.datetime, ground: str, kind: str
    ) -> None:
        sixth_former = ground in non_compulsory_age_grounds()
        raw = example("pupil.deleted.sixth-former-left" if sixth_former else "pupil.deleted.other-school")
        raw["data"]["ground"] = ground
        raw["data"]["destination"] = {"kind": kind}
        raw["data"]["ctf_destination"] = None
        if kind in GROUND_DESTINATIONS[ground]:
            event = parse_event(raw, now=now)
            assert isinstance(event, PupilDeleted)
            assert event.data.destination.kind == kind
        else:
            assert problems(raw, now) == {("data.destination.kind", "ground_destination_mismatch")}

    @pytest.mark.parametrize(
        ("year_group", "allowed"), [(-1, True), (0, True), (1, False), (11, False), (12, True)]
    )
    def test_a_9_3_ground_only_for_pupils_not_of_compulsory_school_age(
        self, example: Example, now: dt.datetime, year_group: int, allowed: bool
    ) -> None:
        raw = example("pupil.deleted.sixth-former-left")
        raw["pupil"]["year_group"] = year_group
        if allowed:
            assert parse_event(raw, now=now)
        else:
            assert problems(raw, now) == {("data.ground", "ground_needs_non_compulsory_age")}

    def test_sensible_pairs(self) -> None:
        assert "school" not in GROUND_DESTINATIONS["died"]
        assert "unknown" not in GROUND_DESTINATIONS["other_school"]
        assert "unknown" in GROUND_DESTINATIONS["absent_20_days"]
        assert GROUND_DESTINATIONS["custody"] == {"custody"}

    def test_regulation_follows_the_date(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.deleted.regulation-2006")
        raw["occurred_on"] = "2024-08-18"
        assert parse_event(raw, now=now)
        raw["occurred_on"] = "2024-08-19"
        assert problems(raw, now) == {("data.regulation", "regulation_date_mismatch")}
        raw["data"]["regulation"] = "2024"
        assert parse_event(raw, now=now)
        raw["occurred_on"] = "2024-08-18"
        assert problems(raw, now) == {("data.regulation", "regulation_date_mismatch")}

    def test_regulation_is_a_string(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.deleted.other-school")
        raw["data"]["regulation"] = 2024
        assert problems(raw, now) == {("data.regulation", "literal_error")}

    def test_every_9_1_ground_can_be_sent_under_2006(self, example: Example, now: dt.datetime) -> None:
        for ground, about in deletion_grounds().items():
            raw = example("pupil.deleted.regulation-2006")
            raw["data"]["ground"] = ground
            raw["data"]["destination"] = {"kind": sorted(GROUND_DESTINATIONS[ground])[0]}
            if about.paragraph == "9(1)":
                assert parse_event(raw, now=now)
            else:  # the 2006 regulations have no such ground (nor does a Year 10 pupil)
                assert ("data.ground", "regulation_2006_ground_unmapped") in problems(raw, now)

    @pytest.mark.parametrize("kind", ["school", "independent", "post16"])
    def test_destination_laestab_for_school_kinds(
        self, example: Example, now: dt.datetime, kind: str
    ) -> None:
        raw = example("pupil.deleted.other-school")
        raw["data"]["ground"] = "end_of_compulsory_age"
        raw["data"]["destination"] = {"kind": kind, "laestab": "8014001"}
        assert parse_event(raw, now=now)

    def test_destination_kind_unknown_code(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.deleted.other-school")
        raw["data"]["destination"] = {"kind": "prison"}
        assert problems(raw, now) == {("data.destination.kind", "destination_kind_unknown")}

    def test_ctf_destination(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.deleted.other-school")
        raw["data"]["ctf_destination"] = "1111234"
        assert problems(raw, now) == {("data.ctf_destination", "la_code_unknown")}


class TestExclusions:
    def test_sessions_bounds(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.suspended")
        raw["data"]["sessions"] = 1
        assert parse_event(raw, now=now)
        raw["data"]["sessions"] = 381
        assert problems(raw, now) == {("data.sessions", "less_than_equal")}

    def test_reasons_are_checked_in_the_year_of_occurred_on(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.permanently_excluded")
        raw["data"]["reasons"] = ["OW", "DB", "XX"]
        assert problems(raw, now) == {("data.reasons.2", "exclusion_reason_unknown")}
        raw["data"]["reasons"] = ["OW", "DB", "OT"]
        assert problems(raw, now) == {
            ("data.reasons.1", "exclusion_reason_not_in_year"),
            ("data.reasons.2", "exclusion_reason_not_in_year"),
        }
        raw["occurred_on"] = "2020-08-31"  # 2019/20: the old list
        raw["recorded_at"] = "2020-08-31T10:00:00Z"
        assert problems(raw, now) == {("data.reasons.0", "exclusion_reason_not_in_year")}
        raw["occurred_on"] = "2020-09-01"  # 2020/21: the new list
        raw["data"]["reasons"] = ["OW", "PD", "MT"]
        assert parse_event(raw, now=now)

    def test_review_values(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.permanently_excluded")
        for review in ("pending", "upheld", "reinstated"):
            raw["data"]["review"] = review
            assert parse_event(raw, now=now)
        raw["data"]["review"] = "appealed"
        assert problems(raw, now) == {("data.review", "literal_error")}

    def test_reasons_must_be_a_list(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.permanently_excluded")
        raw["data"]["reasons"] = "OW"
        assert problems(raw, now) == {("data.reasons", "tuple_type")}


class TestAlternativeProvision:
    @pytest.mark.parametrize(
        "provider",
        [{"urn": "131976"}, {"ukprn": "10012345"}, {"name": "Tuition Ltd"}, {"urn": "131976", "name": "x"}],
    )
    def test_provider_needs_one_identifier(
        self, example: Example, now: dt.datetime, provider: dict[str, str]
    ) -> None:
        raw = example("pupil.ap_referred")
        raw["data"]["provider"] = provider
        assert parse_event(raw, now=now)

    def test_provider_fields_are_checked(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.ap_referred")
        raw["data"]["provider"] = {"urn": "12345", "name": "   "}
        assert problems(raw, now) == {
            ("data.provider.urn", "urn_format"),
            ("data.provider.name", "text_blank"),
        }

    def test_planned_end_before_start(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.ap_referred")
        raw["data"]["planned_end_on"] = "2025-10-05"
        raw["data"]["review_by"] = "2025-10-05"
        assert problems(raw, now) == {
            ("data.planned_end_on", "planned_end_before_start"),
            ("data.review_by", "review_before_start"),
        }

    def test_tier_and_objective(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.ap_referred")
        raw["data"]["tier"] = "permanent"
        raw["data"]["objective"] = ""
        assert problems(raw, now) == {("data.tier", "ap_tier_unknown"), ("data.objective", "text_blank")}

    def test_outcomes(self, example: Example, now: dt.datetime) -> None:
        raw = example("pupil.ap_ended")
        for outcome in ("returned", "new_school", "post16", "removed_from_roll", "other"):
            raw["data"]["outcome"] = outcome
            assert parse_event(raw, now=now)
        raw["data"]["referral_event_id"] = "not-a-uuid"
        assert problems(raw, now) == {("data.referral_event_id", "uuid_parsing")}


class TestRetraction:
    def test_reason_required(self, example: Example, now: dt.datetime) -> None:
        raw = example("event.retracted")
        del raw["data"]["reason"]
        assert problems(raw, now) == {("data.reason", "missing")}

    def test_reason_length(self, example: Example, now: dt.datetime) -> None:
        raw = example("event.retracted")
        raw["data"]["reason"] = "x" * 2001
        assert problems(raw, now) == {("data.reason", "string_too_long")}


def test_every_problem_has_a_message(example: Example, now: dt.datetime) -> None:
    raw = example("pupil.deleted.other-school")
    raw["upn"] = "A801400024003"
    raw["school_urn"] = "1"
    raw["data"]["ground"] = "died"
    with pytest.raises(EventInvalid) as caught:
        parse_event(raw, now=now)
    assert len(caught.value.problems) == 3
    for problem in caught.value.problems:
        assert problem.message and problem.rule and problem.field
        assert raw["upn"] not in problem.message
