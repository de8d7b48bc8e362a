"""What a CTF means: the plan per file (ground, destination, checks of the header against the
options) and the event per pupil, validated against the event contract."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

import pytest

from schemas import parse_event
from services.ingest.ctf.mapping import map_pupil
from services.ingest.ctf.plan import ImportOptions, ImportPlan, PlanRefused, event_id_for, plan_import
from services.ingest.ctf.reader import CtfHeader, CtfPupil, CtfSchool, FsmSpell, SchoolSpell, SenRecord

NOW = dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC)
HARBOURSIDE = CtfSchool("801", "2000", "100000")
CASTLEGATE = CtfSchool("801", "3002", "100002")
UNKNOWN = CtfSchool("XXX", "XXXX")
INDEPENDENT_OR_ABROAD = CtfSchool("MMM", "MMMM")
UPN = "X801200016001"


def header(destination: CtfSchool | None, source: CtfSchool = HARBOURSIDE, when: str = "2025-05-09T10:05:00"):  # type: ignore[no-untyped-def]
    return CtfHeader("24.0", when, source, destination)


def sent(**options: Any) -> ImportOptions:
    return ImportOptions("sent", "100000", **options)


def received(**options: Any) -> ImportOptions:
    return ImportOptions("received", "100002", **options)


def pupil(**fields: Any) -> CtfPupil:
    base: dict[str, Any] = {
        "index": 0,
        "upn": UPN,
        "date_of_birth": "2014-06-30",
        "year_group": "6",
        "sen": (SenRecord("2022-09-05", None, "K"),),
        "schools": (SchoolSpell("801", "2000", "100000", "2018-09-05", "2025-05-09"),),
    }
    return CtfPupil(**(base | fields))


def event(plan: ImportPlan, ctf_pupil: CtfPupil) -> dict[str, Any]:
    mapped = map_pupil(plan, ctf_pupil, NOW)
    assert mapped.problems == []
    parse_event(mapped.event, now=NOW)  # the contract accepts it
    return mapped.event


# --- the plan: which deletion a sent CTF is ---------------------------------------------------


def test_to_a_laestab_is_a_move_to_that_school() -> None:
    plan = plan_import(header(CASTLEGATE), sent())
    data = event(plan, pupil())["data"]
    assert data == {
        "ground": "other_school",
        "regulation": "2024",
        "destination": {"kind": "school", "laestab": "8013002"},
        "la_notified_on": None,
        "ctf_destination": "8013002",
    }


def test_to_a_laestab_the_caller_may_say_independent_or_another_school_ground() -> None:
    plan = plan_import(header(CASTLEGATE), sent(destination="independent", ground="sao_amended"))
    data = event(plan, pupil())["data"]
    assert data["destination"] == {"kind": "independent", "laestab": "8013002"}
    assert data["ground"] == "sao_amended"


def test_to_a_laestab_as_post16_needs_a_ground() -> None:
    with pytest.raises(PlanRefused) as refused:
        plan_import(header(CASTLEGATE), sent(destination="post16"))
    assert refused.value.problem.rule == "ground_required"
    plan = plan_import(header(CASTLEGATE), sent(destination="post16", ground="end_of_compulsory_age"))
    assert plan.destination_kind == "post16"


def test_to_unknown_needs_the_callers_ground() -> None:
    with pytest.raises(PlanRefused) as refused:
        plan_import(header(UNKNOWN), sent())
    problem = refused.value.problem
    assert (problem.field, problem.rule) == ("ground", "ground_required")
    # The message lists the grounds that fit an unknown destination, and infers none of them.
    assert "moved_away" in problem.message
    assert "absent_20_days" in problem.message
    assert "other_school" not in problem.message


def test_to_unknown_with_a_ground() -> None:
    plan = plan_import(header(UNKNOWN), sent(ground="moved_away"))
    data = event(plan, pupil())["data"]
    assert data["destination"] == {"kind": "unknown"}
    assert data["ground"] == "moved_away"
    assert data["ctf_destination"] == "XXXXXXX"


@pytest.mark.parametrize(
    ("options", "rule"),
    [
        ({"ground": "other_school"}, "ground_destination_mismatch"),
        ({"ground": "home_education"}, "ground_destination_mismatch"),
        ({"ground": "vanished"}, "deletion_ground_unknown"),
        ({"ground": "moved_away", "destination": "abroad"}, "destination_not_allowed"),
        ({"ground": "moved_away", "destination": "elsewhere"}, "destination_kind_unknown"),
    ],
)
def test_to_unknown_refuses_what_does_not_fit(options: dict[str, str], rule: str) -> None:
    with pytest.raises(PlanRefused) as refused:
        plan_import(header(UNKNOWN), sent(**options))
    assert refused.value.problem.rule == rule


def test_to_independent_or_abroad_defaults_to_an_independent_school() -> None:
    plan = plan_import(header(INDEPENDENT_OR_ABROAD), sent())
    data = event(plan, pupil())["data"]
    assert data["destination"] == {"kind": "independent"}  # no LAESTAB is known
    assert data["ground"] == "other_school"
    assert data["ctf_destination"] == "MMMMMMM"


def test_to_independent_or_abroad_the_caller_may_say_abroad_with_a_ground() -> None:
    with pytest.raises(PlanRefused) as refused:
        plan_import(header(INDEPENDENT_OR_ABROAD), sent(destination="abroad"))
    assert refused.value.problem.rule == "ground_required"
    plan = plan_import(header(INDEPENDENT_OR_ABROAD), sent(destination="abroad", ground="moved_away"))
    assert event(plan, pupil())["data"]["destination"] == {"kind": "abroad"}
    with pytest.raises(PlanRefused) as refused:
        plan_import(header(INDEPENDENT_OR_ABROAD), sent(destination="school"))
    assert refused.value.problem.rule == "destination_not_allowed"


# --- the plan: header checks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ctf_header", "options", "field", "rule"),
    [
        (header(CASTLEGATE, when=None), sent(), "Header/DateTime", "ctf_header"),  # type: ignore[arg-type]
        (header(CASTLEGATE, source=CtfSchool("801", None)), sent(), "Header/SourceSchool", "ctf_header"),
        (header(CASTLEGATE, source=UNKNOWN), sent(), "Header/SourceSchool", "ctf_header"),
        (
            header(CASTLEGATE, source=CtfSchool("999", "2000")),
            sent(),
            "Header/SourceSchool",
            "la_code_unknown",
        ),
        (header(CASTLEGATE, source=CtfSchool("81", "2000")), sent(), "Header/SourceSchool", "laestab_format"),
        (header(None), sent(), "Header/DestSchool", "ctf_header"),
        (header(CtfSchool("999", "3002")), sent(), "Header/DestSchool", "la_code_unknown"),
        # the file says another school sent it, or was meant to receive it
        (
            header(CASTLEGATE),
            ImportOptions("sent", "100002"),
            "Header/SourceSchool/URN",
            "ctf_school_mismatch",
        ),
        (
            header(CASTLEGATE),
            ImportOptions("received", "100000"),
            "Header/DestSchool/URN",
            "ctf_school_mismatch",
        ),
        (header(CASTLEGATE, when="Quillfeather"), sent(), "Header/DateTime", "ctf_header"),
        (header(CtfSchool("ZZZ", "1234")), received(), "Header/DestSchool", "laestab_format"),
        (header(CtfSchool("999", "1234")), received(), "Header/DestSchool", "la_code_unknown"),
        (header(CASTLEGATE), received(ground="other_school"), "ground", "parameter_not_applicable"),
        (header(CASTLEGATE), received(destination="school"), "destination", "parameter_not_applicable"),
    ],
)
def test_header_and_option_problems(
    ctf_header: CtfHeader, options: ImportOptions, field: str, rule: str
) -> None:
    with pytest.raises(PlanRefused) as refused:
        plan_import(ctf_header, options)
    assert (refused.value.problem.field, refused.value.problem.rule) == (field, rule)


def test_messages_do_not_echo_what_is_not_a_code() -> None:
    source = CtfSchool("801", "2000", "Quillfeather")
    with pytest.raises(PlanRefused) as refused:
        plan_import(header(CASTLEGATE, source=source), sent())
    assert "Quillfeather" not in refused.value.problem.message


# --- received: an enrolment ---------------------------------------------------------------------


def test_received_is_an_enrolment_from_the_source_school() -> None:
    plan = plan_import(header(CASTLEGATE), received(occurred_on=dt.date(2025, 5, 12)))
    got = event(plan, pupil())
    assert got["type"] == "pupil.enrolled"
    assert got["school_urn"] == "100002"
    assert got["occurred_on"] == "2025-05-12"
    assert got["data"] == {
        "enrolment_status": "single",
        "previous_school": "8012000",
        "la_notified_on": None,
        "managed_move": False,
    }


@pytest.mark.parametrize(
    ("value", "status"),
    [("C", "single"), ("M", "main_dual"), ("s", "subsidiary_dual"), ("main_dual", "main_dual")],
)
def test_received_takes_basic_details_enrol_status(value: str, status: str) -> None:
    plan = plan_import(header(CASTLEGATE), received(occurred_on=dt.date(2025, 5, 12)))
    mapped = map_pupil(plan, pupil(enrol_status=value), NOW)
    assert mapped.problems == [] and mapped.event["data"]["enrolment_status"] == status
    assert "enrolment_status_assumed" not in [n.rule for n in mapped.notes]


def test_received_without_enrol_status_assumes_single_and_says_so() -> None:
    plan = plan_import(header(CASTLEGATE), received(occurred_on=dt.date(2025, 5, 12)))
    mapped = map_pupil(plan, pupil(), NOW)
    assert mapped.event["data"]["enrolment_status"] == "single"
    assert [(n.field, n.rule) for n in mapped.notes] == [
        ("data.enrolment_status", "enrolment_status_assumed")
    ]


@pytest.mark.parametrize(
    ("value", "rule"), [("G", "ctf_guest_not_registered"), ("Q", "ctf_enrol_status_unknown")]
)
def test_a_guest_or_an_unknown_status_is_no_admission(value: str, rule: str) -> None:
    plan = plan_import(header(CASTLEGATE), received(occurred_on=dt.date(2025, 5, 12)))
    mapped = map_pupil(plan, pupil(enrol_status=value), NOW)
    assert [(p.field, p.rule) for p in mapped.problems] == [("data.enrolment_status", rule)]


def test_received_from_the_lost_pupils_database_has_no_destination_to_check() -> None:
    plan = plan_import(header(UNKNOWN), received(occurred_on=dt.date(2025, 5, 12)))
    assert event(plan, pupil())["data"]["previous_school"] == "8012000"


# --- occurred_on --------------------------------------------------------------------------------


def test_sent_takes_the_leaving_date_of_the_latest_spell_at_the_school() -> None:
    plan = plan_import(header(CASTLEGATE), sent(occurred_on=dt.date(2025, 1, 1)))
    spells = (
        SchoolSpell("801", "2000", None, "2018-09-05", "2020-07-17"),
        SchoolSpell("801", "3002", "100002", "2020-09-02", "2021-07-16"),
        SchoolSpell(None, None, "100000", "2021-09-01", "2025-05-09"),  # matched by URN
    )
    assert event(plan, pupil(schools=spells))["occurred_on"] == "2025-05-09"


def test_sent_falls_back_to_the_callers_date_when_the_latest_spell_is_open() -> None:
    spells = (
        SchoolSpell("801", "2000", None, "2018-09-05", "2020-07-17"),
        SchoolSpell("801", "2000", None, "2021-09-01", None),  # back again, no leaving date yet
    )
    plan = plan_import(header(CASTLEGATE), sent(occurred_on=dt.date(2025, 5, 9)))
    assert event(plan, pupil(schools=spells))["occurred_on"] == "2025-05-09"
    mapped = map_pupil(plan_import(header(CASTLEGATE), sent()), pupil(schools=spells), NOW)
    assert [(p.field, p.rule) for p in mapped.problems] == [("occurred_on", "occurred_on_unknown")]


def test_received_takes_the_entry_date_of_an_open_spell_only() -> None:
    plan = plan_import(header(CASTLEGATE), received(occurred_on=dt.date(2025, 5, 12)))
    open_spell = SchoolSpell("801", "3002", None, "2025-05-13", None)
    closed_spell = SchoolSpell("801", "3002", None, "2022-09-01", "2023-07-21")
    assert event(plan, pupil(schools=(open_spell,)))["occurred_on"] == "2025-05-13"
    assert event(plan, pupil(schools=(closed_spell,)))["occurred_on"] == "2025-05-12"


def test_an_unreadable_history_date_is_a_problem() -> None:
    plan = plan_import(header(CASTLEGATE), sent(occurred_on=dt.date(2025, 5, 9)))
    spells = (SchoolSpell("801", "2000", None, "2018-09-05", "09/05/2025"),)
    mapped = map_pupil(plan, pupil(schools=spells), NOW)
    assert [(p.field, p.rule) for p in mapped.problems] == [("occurred_on", "date_format")]
    assert "09/05/2025" not in mapped.problems[0].message


@pytest.mark.parametrize(
    ("removal_grounds", "leaving_reason", "notes"),
    [
        ("9(1)(a)", None, []),  # registered at another school: the ground a CTF to a school implies
        ("reg 9(1)(g)", None, ["ctf_ground_mismatch"]),  # moved away
        ("A", None, []),  # a letter: the 2024 regulations on 9 May 2025
        ("8(1)(b)", None, []),  # the 2006 letter of the same ground
        ("other_school", "home_education", ["ctf_ground_mismatch"]),
        (None, "Moving house", ["ctf_leaving_reason_unread"]),
        (None, None, []),
    ],
)
def test_the_files_own_leaving_reasons_are_checked_against_the_ground(
    removal_grounds: str | None, leaving_reason: str | None, notes: list[str]
) -> None:
    plan = plan_import(header(CASTLEGATE), sent())
    spell = SchoolSpell("801", "2000", "100000", "2018-09-05", "2025-05-09", leaving_reason, removal_grounds)
    mapped = map_pupil(plan, pupil(schools=(spell,)), NOW)
    assert mapped.problems == []  # a warning, never a refusal
    found = [n for n in mapped.notes if n.field == "data.ground"]
    assert [n.rule for n in found] == notes
    assert all("Moving house" not in n.message for n in found)
    if notes == ["ctf_ground_mismatch"] and removal_grounds == "reg 9(1)(g)":
        assert found[0].message == (
            "SchoolHistory/School/RemovalGrounds means moved_away, but the ground the CTF's destination "
            "implies is 'other_school': check which is right"
        )


def test_a_2006_ground_the_2024_regulations_split_matches_either() -> None:
    plan = plan_import(header(CASTLEGATE), sent(ground="sao_amended"))
    spell = SchoolSpell("801", "2000", "100000", "2018-09-05", "2024-05-09", None, "8(1)(a)")
    mapped = map_pupil(plan, pupil(schools=(spell,)), NOW)
    assert [n.rule for n in mapped.notes if n.field == "data.ground"] == []


def test_the_regulations_follow_occurred_on() -> None:
    plan = plan_import(header(CASTLEGATE), sent())
    spells = (SchoolSpell("801", "2000", None, "2018-09-05", "2024-07-19"),)
    assert event(plan, pupil(schools=spells))["data"]["regulation"] == "2006"


# --- event ids ----------------------------------------------------------------------------------


def test_event_ids_are_deterministic_per_file_direction_school_and_pupil() -> None:
    plan = plan_import(header(CASTLEGATE), sent())
    same = plan_import(header(CASTLEGATE), sent(ground="other_school", occurred_on=dt.date(2025, 1, 2)))
    assert event_id_for(plan, UPN) == event_id_for(same, UPN)
    assert uuid.UUID(map_pupil(plan, pupil(), NOW).event_id or "").version == 5
    others = [
        event_id_for(plan, "L801200016002"),
        event_id_for(plan_import(header(CASTLEGATE, when="2025-05-10T08:00:00"), sent()), UPN),
        event_id_for(plan_import(header(CASTLEGATE), ImportOptions("received", "100002")), UPN),
        event_id_for(plan_import(header(UNKNOWN), sent(ground="moved_away")), UPN),
    ]
    assert len({event_id_for(plan, UPN), *others}) == 5


# --- the pupil snapshot -------------------------------------------------------------------------


def test_snapshot_from_the_file() -> None:
    plan = plan_import(header(CASTLEGATE), sent())
    got = event(
        plan,
        pupil(
            fsm=(FsmSpell("2020-01-01", "2021-01-01"), FsmSpell("2024-09-01", None)),
            in_care="true",
            former_upn="G80120002500A",
        ),
    )
    assert got["pupil"] == {
        "date_of_birth": "2014-06-30",
        "year_group": 6,
        "sen_provision": "K",
        "fsm_eligible": True,
        "looked_after": True,
    }
    assert got["former_upn"] == "G80120002500A"
    assert got["recorded_at"] == NOW.isoformat()


@pytest.mark.parametrize(
    ("value", "year_group"), [("N1", -2), ("N2", -1), ("R", 0), ("r", 0), ("1", 1), ("07", 7), ("14", 14)]
)
def test_year_groups(value: str, year_group: int) -> None:
    mapped = map_pupil(plan_import(header(CASTLEGATE), sent()), pupil(year_group=value), NOW)
    assert mapped.event["pupil"]["year_group"] == year_group


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("X", "ctf_year_group_unmapped"),
        ("E1", "ctf_year_group_unmapped"),
        ("15", "ctf_year_group_unmapped"),
        (None, "missing"),
    ],
)
def test_year_groups_the_contract_cannot_hold(value: str | None, rule: str) -> None:
    mapped = map_pupil(plan_import(header(CASTLEGATE), sent()), pupil(year_group=value), NOW)
    assert [(p.field, p.rule) for p in mapped.problems] == [("pupil.year_group", rule)]


def test_sen_provision_current_ended_legacy_and_absent() -> None:
    plan = plan_import(header(CASTLEGATE), sent())

    def sen(*records: SenRecord) -> tuple[str | None, list[str], list[str]]:
        mapped = map_pupil(plan, pupil(sen=records), NOW)
        return (
            mapped.event["pupil"].get("sen_provision"),
            [n.rule for n in mapped.notes],
            [p.rule for p in mapped.problems],
        )

    # The record current on occurred_on (2025-05-09) wins, not the latest in the file.
    assert sen(SenRecord("2019-01-01", "2023-01-01", "E"), SenRecord("2023-01-02", None, "K")) == (
        "K",
        [],
        [],
    )
    assert sen(SenRecord("2019-01-01", "2023-01-01", "E")) == ("N", ["sen_provision_ended"], [])
    assert sen(SenRecord("2012-01-01", None, "S")) == ("E", ["sen_provision_legacy_code"], [])
    assert sen(SenRecord("2012-01-01", None, "P")) == ("K", ["sen_provision_legacy_code"], [])
    assert sen() == ("N", ["sen_provision_assumed"], [])
    assert sen(SenRecord("2012-01-01", None, "Z")) == (None, [], ["ctf_sen_provision_unknown"])


def test_fsm_and_looked_after_only_when_the_file_says() -> None:
    plan = plan_import(header(CASTLEGATE), sent())

    def snapshot(**fields: Any) -> dict[str, Any]:
        snap: dict[str, Any] = map_pupil(plan, pupil(**fields), NOW).event["pupil"]
        return snap

    assert "fsm_eligible" not in snapshot()
    assert snapshot(fsm=())["fsm_eligible"] is False
    assert snapshot(fsm=(FsmSpell("2020-01-01", "2021-01-01"),))["fsm_eligible"] is False
    assert snapshot(fsm=(FsmSpell("2025-06-01", None),))["fsm_eligible"] is False  # after occurred_on
    assert "fsm_eligible" not in snapshot(fsm=(FsmSpell("01/01/2020", None),))
    assert snapshot(in_care="1")["looked_after"] is True
    assert snapshot(in_care="false")["looked_after"] is False
    assert "looked_after" not in snapshot(in_care="perhaps")


def test_missing_upn_and_dob_are_reported_and_the_former_upn_is_dropped_when_the_same() -> None:
    plan = plan_import(header(CASTLEGATE), sent())
    mapped = map_pupil(plan, pupil(upn=None, date_of_birth=None), NOW)
    assert [(p.field, p.rule) for p in mapped.problems] == [
        ("upn", "missing"),
        ("pupil.date_of_birth", "missing"),
    ]
    assert mapped.event_id is None
    same = map_pupil(plan, pupil(former_upn=UPN), NOW)
    assert "former_upn" not in same.event


def test_mapping_is_pure() -> None:
    plan = plan_import(header(CASTLEGATE), sent())
    one = pupil()
    assert map_pupil(plan, one, NOW).event == map_pupil(plan, dataclasses.replace(one), NOW).event
