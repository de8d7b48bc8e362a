"""The children-not-in-school export (pure parts): part-time timetables in the placement,
compulsory school age at each threshold, one row per AP placement or timetable at the LA's
schools, and CSV cells neutralised against spreadsheet formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest

from schemas import parse_event
from schemas.examples import valid_examples
from services.schools.register import SchoolsRegister
from services.tracker import placement
from services.tracker.children_not_in_school import COLUMNS, as_csv, compulsory_school_age, rows_for

d = dt.date.fromisoformat
ROOT = Path(__file__).resolve().parents[3]
REGISTER = SchoolsRegister.from_gias_files(ROOT / "tests/fixtures/gias/edubasealldata20250106.csv")
EXAMPLES = valid_examples()


@pytest.mark.parametrize(
    ("born", "on", "of_age"),
    [
        ("2020-12-31", "2025-12-30", False),  # 5 on 31 Dec (a prescribed day): from that day
        ("2020-12-31", "2025-12-31", True),
        ("2021-01-01", "2026-03-30", False),  # 5 on 1 Jan: from the next prescribed day, 31 Mar
        ("2021-01-01", "2026-03-31", True),
        ("2010-05-01", "2026-06-26", True),  # 16 in May 2026: to the last Friday in June 2026
        ("2010-05-01", "2026-06-27", False),
        ("2010-08-31", "2026-06-26", True),  # 16 on 31 Aug, after the leaving date: the same day ends it
        ("2010-08-31", "2026-06-27", False),
        ("2010-09-01", "2026-06-27", True),  # 16 in the next school year: to June 2027
    ],
)
def test_compulsory_school_age_at_each_threshold(born: str, on: str, of_age: bool) -> None:
    assert compulsory_school_age(d(born), d(on)) is of_age


def _apply(state: dict[str, Any] | None, name: str, offset: int, **data: Any) -> dict[str, Any]:
    raw = EXAMPLES[name]
    raw = raw | {"data": raw["data"] | data}
    after, _ = placement.apply(state, parse_event(raw), offset)
    return after


def test_a_part_time_timetable_is_in_the_placement_until_it_ends_or_the_pupil_leaves() -> None:
    part = _apply(None, "pupil.part_time_timetable.json", 2)
    timetable = placement.summary(part)["part_time"]["107521"]
    assert timetable["sessions_per_week"] == 6 and timetable["provider"]["ukprn"] == "10012345"
    ended = _apply(part, "pupil.part_time_timetable.ended.json", 3)
    assert "part_time" not in placement.summary(ended)  # a placement without one reads as before
    again = _apply(None, "pupil.part_time_timetable.json", 2)
    deleted = EXAMPLES["pupil.deleted.home-education.json"] | {"upn": "Y380410022005", "school_urn": "107521"}
    left, _ = placement.apply(again, parse_event(deleted), 3)
    assert "part_time" not in placement.summary(left)  # taken off roll: no timetable there


def test_rows_one_per_arrangement_of_pupils_of_age_at_the_las_schools() -> None:
    urn = "100050"  # an LA 886 school of the fixture register
    on_roll = {
        "schools_on_roll": [urn],
        "open_ap": {"ref-1": {"school_urn": urn, "arrangement": "directed_off_site", "start_on": "2026-01-05",
                              "review_by": "2026-02-02", "planned_end_on": "2026-03-27"}},
        "part_time": {urn: {"event_id": "pt-1", "school_urn": urn, "start_on": "2026-01-12",
                            "sessions_per_week": 6, "planned_end_on": "2026-02-13", "review_by": None,
                            "provider": None}},
    }  # fmt: skip
    placements = [("H801200001001", on_roll), ("H801200001002", on_roll), ("H801200001003", on_roll)]
    pupils = {"H801200001001": ("2012-12-01", 8), "H801200001002": ("2008-12-01", 12)}  # 3rd: unknown
    providers = {"ref-1": {"urn": "100035", "name": '=HYPERLINK("x")'}}
    rows = rows_for(placements, pupils, providers, {urn}, REGISTER, d("2026-02-02"))
    assert [(r["upn"], r["arrangement"]) for r in rows] == [
        ("H801200001001", "alternative_provision"),
        ("H801200001001", "part_time_timetable"),
    ]  # the sixth-former is past compulsory school age
    assert rows[1]["sessions_per_week_at_school"] == 6 and rows[0]["ap_arrangement"] == "directed_off_site"
    assert rows[0]["school_laestab"] == "8864000" and rows[0]["condition"] == "s436B(5)(b)"
    assert rows_for(placements, pupils, providers, {"100046"}, REGISTER, d("2026-02-02")) == []
    table = list(csv.reader(io.StringIO(as_csv(rows))))
    assert table[0] == COLUMNS and "name" not in " ".join(table[0]).replace("school_name", "").replace(
        "provider_name", ""
    )
    assert table[1][COLUMNS.index("provider_name")] == '\'=HYPERLINK("x")'
