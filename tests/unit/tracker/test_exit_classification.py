"""EPI's explained and unexplained exits (docs/domain.md), on the data of the alert rules' defaults."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import pytest

from schemas.events.ground_destinations import GROUND_DESTINATIONS
from services.alerts.exits import is_unexplained
from services.alerts.facts import Deletion
from services.alerts.parameters import default_parameters
from services.schools.model import top_year_group
from services.tracker.exit_classification import (
    Exit,
    ExitClass,
    classify_exit,
    default_exit_rules,
    in_end_of_year,
)

RULES = default_exit_rules()
RULE_DEFAULTS = Path(__file__).resolve().parents[3] / "services" / "tracker" / "exit_rules.json"


def _exit(
    ground: str = "other_school",
    kind: str = "school",
    year: int = 9,
    *,
    to_successor_school: bool = False,
    to_special_school: bool = False,
) -> Exit:
    return Exit(
        ground, kind, year, in_end_of_year=False,
        to_successor_school=to_successor_school, to_special_school=to_special_school,
    )  # fmt: skip


def test_the_rules_come_from_the_versioned_exit_rules_file() -> None:
    document = json.loads(RULE_DEFAULTS.read_text("utf-8"))
    assert RULES.version == document["version"]
    assert RULES.explained_grounds == frozenset(document["exits"]["explained_grounds"])
    assert RULES.explained_destination_kinds == frozenset(document["exits"]["explained_destination_kinds"])
    assert RULES.leaver_grounds == frozenset(document["school_years"]["leaver_grounds"])
    assert RULES.end_of_year_month_day == 701


@pytest.mark.parametrize(
    ("ground", "kind", "expected"),
    [
        ("other_school", "school", ExitClass("unexplained", "none")),  # no address change on record
        ("other_school", "independent", ExitClass("unexplained", "none")),
        ("home_education", "home_education", ExitClass("unexplained", "none")),
        ("absent_20_days", "unknown", ExitClass("unexplained", "none")),
        ("leave_not_returned", "unknown", ExitClass("unexplained", "none")),
        ("boarding_fees_unpaid", "school", ExitClass("unexplained", "none")),
        ("permanently_excluded", "school", ExitClass("explained", "explained_ground")),
        ("moved_away", "school", ExitClass("explained", "explained_ground")),
        ("died", "died", ExitClass("explained", "explained_ground")),
        ("custody", "custody", ExitClass("explained", "explained_ground")),
        ("other_school", "abroad", ExitClass("explained", "explained_destination")),
        ("absent_20_days", "moved_away", ExitClass("explained", "explained_destination")),
        ("end_of_compulsory_age", "post16", ExitClass("explained", "phase_transition")),
        ("nursery_finished", "unknown", ExitClass("explained", "phase_transition")),
    ],
)
def test_epi_classification(ground: str, kind: str, expected: ExitClass) -> None:
    assert classify_exit(_exit(ground, kind), RULES) == expected


def test_a_move_to_the_successor_school_is_not_an_exit_whatever_the_ground() -> None:
    for ground, kind in [("other_school", "school"), ("home_education", "home_education")]:
        verdict = classify_exit(_exit(ground, kind, to_successor_school=True), RULES)
        assert verdict == ExitClass("not_an_exit", "successor_school")


def test_a_move_into_a_special_school_is_explained() -> None:
    assert classify_exit(_exit(to_special_school=True), RULES) == ExitClass("explained", "special_school")
    assert classify_exit(_exit("other_school", "independent", to_special_school=True), RULES).outcome == (
        "explained"
    )


def test_the_top_year_at_the_end_of_the_year_is_a_phase_transition() -> None:
    year11 = Exit("other_school", "school", 11, in_end_of_year=True)
    assert classify_exit(year11, RULES) == ExitClass("explained", "phase_transition")
    assert classify_exit(Exit("other_school", "school", 11, in_end_of_year=False), RULES).outcome == (
        "unexplained"
    )
    assert classify_exit(Exit("other_school", "school", 10, in_end_of_year=True), RULES).outcome == (
        "unexplained"
    )


def test_the_registers_top_year_replaces_the_usual_ones() -> None:
    infant_leaver = Exit("other_school", "school", 2, in_end_of_year=True, school_top_year_group=2)
    assert classify_exit(infant_leaver, RULES).reason == "phase_transition"
    # Year 6 of an all-through school (top year 13) is no transition.
    all_through = Exit("other_school", "school", 6, in_end_of_year=True, school_top_year_group=13)
    assert classify_exit(all_through, RULES).outcome == "unexplained"
    # Unknown ages: the usual top years (6, 11, 13, 14).
    assert classify_exit(Exit("other_school", "school", 2, in_end_of_year=True), RULES).outcome == (
        "unexplained"
    )


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-06-30", False),
        ("2026-07-01", True),
        ("2026-08-31", True),
        ("2026-09-01", False),
        ("2026-12-20", False),
        ("2027-01-10", False),
    ],
)
def test_the_end_of_year_window(day: str, expected: bool) -> None:
    assert in_end_of_year(dt.date.fromisoformat(day), RULES) is expected


@pytest.mark.parametrize(
    ("age", "year"), [(11, 6), (16, 11), (18, 13), (7, 2), (12, 7), (19, 14), (5, None), (None, None)]
)
def test_top_year_group_from_the_statutory_upper_age(age: int | None, year: int | None) -> None:
    assert top_year_group(age) == year


@pytest.mark.parametrize(
    ("age", "sixth_form", "year"),
    [(18, False, 11), (18, True, 13), (18, None, 13), (16, False, 11), (11, False, 6)],
)
def test_no_sixth_form_ends_the_school_at_year_11(age: int, sixth_form: bool | None, year: int) -> None:
    assert top_year_group(age, sixth_form) == year


def test_agrees_with_the_alert_rules_on_every_ground_destination_year_and_date() -> None:
    """The LA summary and the `school_exit_pattern` alert must never disagree on the same deletion
    (the summary only adds what the register knows: successors and special schools)."""
    params = default_parameters()
    days = [dt.date(2026, 3, 2), dt.date(2026, 6, 30), dt.date(2026, 7, 1), dt.date(2026, 8, 31)]
    tops: list[int | None] = [None, 2, 6, 11]
    checked = 0
    for (ground, kinds), year, day, top in itertools.product(
        GROUND_DESTINATIONS.items(), range(-2, 15), days, tops
    ):
        for kind in kinds:
            fact = Deletion(
                event_id="e", upn="H801200001001", school_urn="100000", la_code="886",
                occurred_on=day, recorded_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), year_group=year,
                sen_provision="N", ground=ground, destination_kind=kind, school_top_year_group=top,
            )  # fmt: skip
            ours = classify_exit(
                Exit(ground, kind, year, in_end_of_year(day, RULES), school_top_year_group=top), RULES
            )
            assert (ours.outcome == "unexplained") is is_unexplained(fact, params), (ground, kind, year, day)
            checked += 1
    assert checked > 5_000


# -- an LA's overrides: the same file and merge as the alert rules' parameters -------------------


def test_an_las_override_file_changes_the_las_exit_rules_only(tmp_path: Path) -> None:
    import json

    from services.alerts.parameters import load_parameters
    from services.tracker.exit_classification import default_exit_rules, exit_rules_for

    defaults = default_exit_rules()
    (tmp_path / "886.json").write_text(
        json.dumps({
            "version": "2026-1",
            "exits": {"explained_grounds": [*sorted(defaults.explained_grounds), "home_education"]},
            "school_years": {"end_of_year_from": "06-15"},
        })
    )  # fmt: skip
    rules = exit_rules_for("886", (tmp_path,))
    assert "home_education" in rules.explained_grounds
    assert rules.end_of_year_from == (6, 15)
    assert rules.explained_destination_kinds == defaults.explained_destination_kinds
    assert rules.version.endswith("+886:2026-1")
    assert exit_rules_for("330", (tmp_path,)) == defaults
    assert exit_rules_for("886") == defaults
    # The alert rules read the same file to the same rules.
    params = load_parameters("886", (tmp_path,))
    assert set(params.exits.explained_grounds) == rules.explained_grounds
    assert params.school_years.end_of_year_from == "06-15"


def test_a_bad_override_is_refused_with_the_key_named(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from services.tracker.exit_classification import exit_rules_for

    (tmp_path / "886.json").write_text('{"exits": {"explained_grounds": "died"}}')
    with pytest.raises(ValidationError, match="explained_grounds"):
        exit_rules_for("886", (tmp_path,))
