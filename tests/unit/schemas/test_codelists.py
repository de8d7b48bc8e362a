"""The code list files: versioned, sourced, internally consistent, and loaded once."""

from __future__ import annotations

import datetime as dt
import json
import string
from importlib import resources
from typing import get_args

import pytest

from schemas import codelists
from schemas.events import EnrolledData
from schemas.events.ground_destinations import GROUND_DESTINATIONS

# docs/domain.md, "Deletion grounds": the 2024 reg 9(1) grounds by letter.
DESIGN_GROUNDS = {
    "a": "other_school",
    "b": "nursery_finished",
    "c": "dual_registration_ended",
    "d": "sao_amended",
    "e": "sao_revoked",
    "f": "home_education",
    "g": "moved_away",
    "h": "leave_not_returned",
    "i": "absent_20_days",
    "j": "custody",
    "k": "died",
    "l": "end_of_compulsory_age",
    "m": "boarding_fees_unpaid",
    "n": "left_independent_special",
    "o": "permanently_excluded",
}


@pytest.mark.parametrize("filename", codelists.FILES)
def test_every_file_is_versioned_and_sourced(filename: str) -> None:
    document = json.loads(resources.files("schemas.codelists").joinpath(filename).read_text("utf-8"))
    assert document["name"] == filename.removesuffix(".json")
    assert document["version"]
    assert len(document["source"]) > 40
    info = codelists.info(filename)
    assert info.version == document["version"]


def test_every_json_file_is_listed() -> None:
    shipped = {p.name for p in resources.files("schemas.codelists").iterdir() if p.name.endswith(".json")}
    assert shipped == set(codelists.FILES)


def test_grounds_are_design_md_letters_a_to_o() -> None:
    grounds = [g for g in codelists.deletion_grounds().values() if g.paragraph == "9(1)"]
    assert {g.letter: g.code for g in grounds} == DESIGN_GROUNDS
    assert all(g.reference == f"reg 9(1)({g.letter})" and g.text_verified for g in grounds)


def test_9_3_grounds_are_for_pupils_not_of_compulsory_school_age_and_say_they_are_unverified() -> None:
    grounds = [g for g in codelists.deletion_grounds().values() if g.paragraph != "9(1)"]
    assert {g.code for g in grounds} == codelists.non_compulsory_age_grounds() == {"not_compulsory_age_left"}
    assert all(g.paragraph == "9(3)" and g.reference == "reg 9(3)" for g in grounds)
    assert not any(g.text_verified for g in grounds), "flip only after checking the text of reg 9(3)"


def test_2006_grounds_map_onto_2024_codes() -> None:
    grounds_2006 = codelists.regulation_2006_grounds()
    assert [g.letter for g in grounds_2006] == list(string.ascii_lowercase[:15])
    for ground in grounds_2006:
        assert ground.maps_to <= set(DESIGN_GROUNDS.values())
        assert ground.letter_verified, "checked against SI 2006/1751 reg 8(1) and SI 2011/1625"
    # Every 2024 reg 9(1) ground had a 2006 counterpart; the 2006 medical ground has no 2024 one.
    assert codelists.grounds_expressible_under_2006() == set(DESIGN_GROUNDS.values())
    assert any(not g.maps_to for g in grounds_2006)


def test_2006_ground_o_boarding_fees_from_september_2011() -> None:
    (o,) = [g for g in codelists.regulation_2006_grounds() if g.letter == "o"]
    assert o.valid_from == dt.date(2011, 9, 1)
    assert not codelists.ground_in_force_under_2006("boarding_fees_unpaid", dt.date(2011, 8, 31))
    assert codelists.ground_in_force_under_2006("boarding_fees_unpaid", dt.date(2011, 9, 1))
    assert codelists.ground_in_force_under_2006("moved_away", dt.date(2006, 9, 1))


@pytest.mark.parametrize(
    ("ground", "on", "required"),
    [
        # 2006 reg 12(3) as made: only (d) home education, (e) moved, (i) custody, (m) PEX.
        ("home_education", "2016-08-31", True),
        ("moved_away", "2016-08-31", True),
        ("custody", "2016-08-31", True),
        ("permanently_excluded", "2016-08-31", True),
        ("other_school", "2016-08-31", False),
        ("absent_20_days", "2016-08-31", False),
        # From 1 September 2016 (SI 2016/792), and under the 2024 regulations: every ground.
        ("other_school", "2016-09-01", True),
        ("absent_20_days", "2025-01-06", True),
    ],
)
def test_deletion_returns_before_and_after_september_2016(ground: str, on: str, required: bool) -> None:
    assert codelists.deletion_return_required(ground, dt.date.fromisoformat(on)) is required


def test_admission_returns_from_september_2016() -> None:
    assert not codelists.admission_return_required(dt.date(2016, 8, 31))
    assert codelists.admission_return_required(dt.date(2016, 9, 1))


def test_enrolment_statuses_match_the_contract_and_take_cbds_letters() -> None:
    statuses = codelists.enrolment_statuses()
    contract = EnrolledData.model_fields["enrolment_status"].annotation
    assert set(statuses) == set(get_args(contract))
    assert {s.code: s.cbds for s in statuses.values()} == {
        "single": "C", "main_dual": "M", "subsidiary_dual": "S", "guest": "G"
    }  # fmt: skip
    assert [code for code, s in statuses.items() if not s.registered] == ["guest"]
    assert codelists.enrolment_status_for("g") == codelists.enrolment_status_for("guest") == "guest"
    assert codelists.enrolment_status_for(" M ") == "main_dual"
    assert codelists.enrolment_status_for("X") is None


def test_ground_destination_table_covers_every_ground_with_known_kinds() -> None:
    assert set(GROUND_DESTINATIONS) == set(codelists.deletion_grounds())
    kinds = set(codelists.destination_kinds())
    for ground, allowed in GROUND_DESTINATIONS.items():
        assert allowed, ground
        assert allowed <= kinds, ground
    assert GROUND_DESTINATIONS["died"] == {"died"}
    assert "school" not in GROUND_DESTINATIONS["home_education"]
    assert GROUND_DESTINATIONS["other_school"] <= {"school", "independent"}


def test_destination_kinds_are_design_md_ones() -> None:
    assert set(codelists.destination_kinds()) == {
        "school",
        "home_education",
        "moved_away",
        "abroad",
        "independent",
        "post16",
        "custody",
        "died",
        "unknown",
    }


def test_exclusion_reasons_by_academic_year() -> None:
    domain_md = {
        "PP",
        "PA",
        "VP",
        "VA",
        "BU",
        "RA",
        "LG",
        "DS",
        "SM",
        "DA",
        "DM",
        "TH",
        "PD",
        "MT",
        "OW",
        "PH",
    }
    assert codelists.exclusion_reasons_in(2025) == domain_md
    assert "DB" in codelists.exclusion_reasons_in(2019)
    assert "PD" not in codelists.exclusion_reasons_in(2019)
    assert "DB" not in codelists.exclusion_reasons_in(2020)
    assert all(len(code) == 2 and code.isupper() for code in codelists.exclusion_reasons())


def test_academic_year_labels() -> None:
    assert codelists.parse_academic_year("2020/21") == 2020
    assert codelists.parse_academic_year("1999/00") == 1999
    assert codelists.parse_academic_year(None) is None
    with pytest.raises(ValueError):
        codelists.parse_academic_year("2020/22")


def test_ap_arrangements_and_tiers_are_design_md_ones() -> None:
    assert set(codelists.ap_arrangements()) == {
        "directed_off_site",
        "la_arranged",
        "dual_registration",
        "school_commissioned",
    }
    assert set(codelists.ap_tiers()) == {"targeted", "time_limited", "transitional"}


def test_la_codes() -> None:
    authorities = codelists.local_authorities()
    assert all(len(code) == 3 and set(code) <= set(string.digits) for code in authorities)
    england_now = codelists.english_la_codes()
    assert len(england_now) == 153
    assert {"201", "420", "942", "943", "940", "941"} <= england_now
    assert authorities["909"].name == "Cumbria" and not authorities["909"].live
    assert authorities["909"].closed_on is not None
    assert "909" not in england_now and "909" in codelists.la_codes()
    assert authorities["681"].country == "wales"
    assert len({la.name for la in authorities.values() if la.live and la.country == "england"}) == 153


def test_loaded_once() -> None:
    assert codelists.deletion_grounds() is codelists.deletion_grounds()
    assert codelists.exclusion_reasons_in(2024) is codelists.exclusion_reasons_in(2024)
    assert codelists.la_codes() is codelists.la_codes()
    assert isinstance(codelists.la_codes(), frozenset)
