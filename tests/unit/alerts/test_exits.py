from __future__ import annotations

import pytest

from services.alerts.exits import is_unexplained, school_exit
from services.alerts.parameters import default_parameters

from .factories import deletion

PARAMS = default_parameters()


@pytest.mark.parametrize(
    ("ground", "kind", "expected"),
    [
        ("other_school", "school", True),  # a move with no change of address on record
        ("home_education", "home_education", True),
        ("other_school", "independent", True),
        ("leave_not_returned", "unknown", True),
        ("absent_20_days", None, True),
        ("moved_away", "school", False),  # a family move
        ("other_school", "moved_away", False),
        ("other_school", "abroad", False),
        ("permanently_excluded", "school", False),
        ("died", "died", False),
        ("custody", "custody", False),
        ("dual_registration_ended", None, False),
    ],
)
def test_epi_classification(ground: str, kind: str | None, expected: bool) -> None:
    fact = deletion(ground=ground, destination_kind=kind, occurred_on="2026-02-02", year_group=9)
    assert is_unexplained(fact, PARAMS) is expected


def test_a_phase_transition_is_explained() -> None:
    leaver = deletion(ground="other_school", year_group=11, occurred_on="2026-07-22")
    assert is_unexplained(leaver, PARAMS) is False
    assert is_unexplained(deletion(ground="other_school", year_group=11, occurred_on="2026-03-02"), PARAMS)


def test_school_exit_carries_send() -> None:
    e = school_exit(deletion(event_id="x", sen_provision="K", ground="home_education"), PARAMS)
    assert (e.event_id, e.unexplained, e.send) == ("x", True, True)
    assert school_exit(deletion(sen_provision="N"), PARAMS).send is False


# -- one definition: the tracker's classification, with the LA's overrides ----------------------


@pytest.mark.parametrize("ground", ["other_school", "home_education", "moved_away", "absent_20_days",
                                    "permanently_excluded", "end_of_compulsory_age", "died"])  # fmt: skip
@pytest.mark.parametrize("kind", ["school", "home_education", "moved_away", "abroad", "unknown", None])
@pytest.mark.parametrize(("year_group", "day"), [(9, "2026-02-02"), (11, "2026-07-22"), (6, "2026-08-31")])
@pytest.mark.parametrize("special", [False, True])
def test_the_alerts_and_the_tracker_classify_every_exit_alike(
    ground: str, kind: str | None, year_group: int, day: str, special: bool
) -> None:
    from services.tracker.exit_classification import Exit, classify_exit, default_exit_rules, in_end_of_year

    fact = deletion(ground=ground, destination_kind=kind, occurred_on=day, year_group=year_group)
    rules = default_exit_rules()
    tracker = classify_exit(
        Exit(
            ground, kind or "", year_group, in_end_of_year(fact.occurred_on, rules), to_special_school=special
        ),
        rules,
    )
    assert is_unexplained(fact, PARAMS, to_special_school=special) is (tracker.outcome == "unexplained")


def test_a_move_into_a_special_school_is_explained_for_the_alerts_too() -> None:
    # The review's example: the alerts counted it unexplained, the LA summary explained.
    fact = deletion(ground="other_school", destination_kind="school", occurred_on="2026-02-02", year_group=9)
    assert is_unexplained(fact, PARAMS) is True
    assert is_unexplained(fact, PARAMS, to_special_school=True) is False
    assert school_exit(fact, PARAMS, to_special_school=True).unexplained is False


def test_an_las_override_of_the_explained_grounds_reaches_the_alerts() -> None:
    from services.alerts.parameters import parameters_with

    fact = deletion(ground="home_education", destination_kind="home_education", occurred_on="2026-02-02")
    assert is_unexplained(fact, PARAMS) is True
    grounds = [*PARAMS.exits.explained_grounds, "home_education"]
    overridden = parameters_with("886", {"version": "t", "exits": {"explained_grounds": grounds}})
    assert is_unexplained(fact, overridden) is False
