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
