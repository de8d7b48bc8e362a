"""validate_event: warnings for facts that are odd but possible. They never refuse an event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from schemas import parse_event, validate_event
from schemas.plausibility import expected_year_group

Example = Callable[[str], dict[str, Any]]


def warnings(raw: dict[str, Any], now: dt.datetime) -> set[tuple[str, str]]:
    return {(w.field, w.rule) for w in validate_event(raw, now=now).warnings}


@pytest.mark.parametrize(
    ("born", "on", "year_group"),
    [
        ("2020-09-01", "2025-09-03", 0),  # 4 on 31 Aug 2025: reception
        ("2021-08-31", "2025-09-03", 0),  # youngest of the reception year
        ("2014-02-11", "2025-09-03", 7),
        ("2010-10-02", "2026-03-06", 10),
        ("2022-01-15", "2025-09-10", -1),  # nursery
        ("2010-10-02", "2026-08-31", 10),  # last day of the academic year
    ],
)
def test_expected_year_group(born: str, on: str, year_group: int) -> None:
    assert expected_year_group(dt.date.fromisoformat(born), dt.date.fromisoformat(on)) == year_group


@pytest.mark.parametrize(
    ("year_group", "warned"), [(8, True), (9, False), (10, False), (11, False), (12, True)]
)
def test_year_group_one_either_side_is_normal(
    example: Example, now: dt.datetime, year_group: int, warned: bool
) -> None:
    raw = example("pupil.permanently_excluded")  # expected Year 10
    raw["pupil"]["year_group"] = year_group
    found = warnings(raw, now)
    assert (("pupil.year_group", "year_group_implausible") in found) is warned
    assert parse_event(raw, now=now)  # never an error


def test_long_suspension(example: Example, now: dt.datetime) -> None:
    raw = example("pupil.suspended")
    raw["data"]["sessions"] = 90
    assert warnings(raw, now) == set()
    raw["data"]["sessions"] = 91
    assert warnings(raw, now) == {("data.sessions", "suspension_over_45_days")}


def test_off_site_direction_review_interval_is_the_governors_choice(
    example: Example, now: dt.datetime
) -> None:
    """SI 2012/2532 replaced the fixed 30-day review: no review date is too late by law."""
    raw = example("pupil.ap_referred")  # directed_off_site, starts 2025-10-06
    raw["data"]["review_by"] = "2025-11-06"
    assert warnings(raw, now) == set()
    raw["data"]["review_by"] = "2026-03-06"
    assert warnings(raw, now) == set()


@pytest.mark.parametrize(("requested_by", "sen", "warned"), [("local_authority", "K", True),
                         ("local_authority", "E", False), ("parent", "N", False)])  # fmt: skip
def test_review_request_by_the_la_needs_an_ehc_plan(
    example: Example, now: dt.datetime, requested_by: str, sen: str, warned: bool
) -> None:
    raw = example("pupil.ap_review_requested")
    raw["data"]["requested_by"] = requested_by
    raw["pupil"]["sen_provision"] = sen
    found = warnings(raw, now)
    assert (("data.requested_by", "review_request_by_la_without_ehc_plan") in found) is warned


@pytest.mark.parametrize(
    ("destination", "ctf", "warned"),
    [
        ({"kind": "unknown"}, "XXXXXXX", False),
        ({"kind": "unknown"}, "8014001", True),
        ({"kind": "school", "laestab": "8014001"}, "8014001", False),
        ({"kind": "school", "laestab": "8014001"}, "8014002", True),
        ({"kind": "school", "laestab": "8014001"}, "XXXXXXX", True),
        ({"kind": "school"}, "XXXXXXX", False),
        ({"kind": "moved_away"}, None, False),
    ],
)
def test_ctf_destination_consistency(
    example: Example, now: dt.datetime, destination: dict[str, str], ctf: str | None, warned: bool
) -> None:
    raw = example("pupil.deleted.other-school")
    raw["data"]["ground"] = "moved_away"
    raw["data"]["destination"] = destination
    raw["data"]["ctf_destination"] = ctf
    assert (("data.ctf_destination", "ctf_destination_mismatch") in warnings(raw, now)) is warned


def test_warnings_do_not_reveal_the_date_of_birth(example: Example, now: dt.datetime) -> None:
    raw = example("pupil.permanently_excluded")
    raw["pupil"]["year_group"] = 3
    [warning] = validate_event(raw, now=now).warnings
    assert raw["pupil"]["date_of_birth"] not in warning.message
    assert "2010" not in warning.message
