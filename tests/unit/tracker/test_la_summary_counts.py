"""The LA summary's counts from ClickHouse's buckets: pure, so every branch is checked here; the
query itself is checked against the real engine in tests/integration/tracker."""

from __future__ import annotations

import datetime as dt

from services.tracker.exit_classification import default_exit_rules
from services.tracker.la_summary import Bucket, months_of, summarise

RULES = default_exit_rules()


def _bucket(type_: str = "pupil.deleted", n: int = 1, **kw: object) -> Bucket:
    fields: dict[str, object] = {
        "school_urn": "100050", "type": type_, "month": dt.date(2026, 1, 1), "retracted": False,
        "ground": "", "destination_kind": "",
        "year_group": 0, "sen_provision": "", "in_end_of_year": False, "to_successor_school": False,
        "to_special_school": False, "events": n,
    }  # fmt: skip
    if type_ == "pupil.deleted":
        fields.update(ground="other_school", destination_kind="school", year_group=10, sen_provision="N")
    fields.update(kw)
    return Bucket(**fields)  # type: ignore[arg-type]


def test_counts_by_type_ground_destination_and_exits() -> None:
    report = summarise(
        [
            _bucket("pupil.enrolled", 7),
            _bucket("pupil.suspended", 2),
            _bucket(n=3),  # unexplained: another school, no address change on record
            _bucket(n=1, ground="home_education", destination_kind="home_education", sen_provision="K"),
            _bucket(n=2, ground="moved_away", destination_kind="moved_away", year_group=8),
            _bucket(n=1, ground="permanently_excluded", sen_provision="E", year_group=11),
            _bucket(n=4, to_successor_school=True),  # moved with the school: not an exit
            _bucket(n=5, school_urn="100054", year_group=6, in_end_of_year=True),
            _bucket(n=1, school_urn="100054", to_special_school=True),
        ],
        RULES,
        {"100050": 11, "100054": 6},
    )
    assert report["events_by_type"] == {"pupil.deleted": 17, "pupil.enrolled": 7, "pupil.suspended": 2}
    deletions = report["deletions"]
    assert deletions["total"] == 17
    assert deletions["by_ground"] == {
        "home_education": 1, "moved_away": 2, "other_school": 13, "permanently_excluded": 1,
    }  # fmt: skip
    assert deletions["by_destination_kind"] == {"home_education": 1, "moved_away": 2, "school": 14}
    assert deletions["to_successor_school"] == 4
    exits = report["exits"]
    assert exits["total"] == 13
    assert exits["by_year_group"] == {"6": 5, "8": 2, "10": 5, "11": 1}
    assert exits["by_sen_provision"] == {"E": 1, "K": 1, "N": 11}
    assert exits["explained"] == {
        "total": 9,
        "by_reason": {
            "explained_ground": 3, "phase_transition": 5, "special_school": 1,
        },
    }  # fmt: skip
    unexplained = exits["unexplained"]
    assert unexplained["total"] == 4
    assert unexplained["share_of_exits"] == round(4 / 13, 4)
    assert unexplained["by_year_group"] == {"10": 4}
    assert unexplained["by_sen_provision"] == {"K": 1, "N": 3}
    assert unexplained["by_destination_kind"] == {"home_education": 1, "school": 3}
    assert unexplained["by_ground"] == {"home_education": 1, "other_school": 3}
    assert exits["by_school"] == [
        {"urn": "100050", "exits": 7, "unexplained": 4},
        {"urn": "100054", "exits": 6, "unexplained": 0},
    ]


def test_retracted_events_count_only_as_retracted() -> None:
    report = summarise(
        [_bucket(n=2, retracted=True), _bucket("pupil.enrolled", 1, retracted=True), _bucket(n=1)],
        RULES,
        {},
    )
    assert report["retracted_events"] == 3
    assert report["events_by_type"] == {"pupil.deleted": 1}
    assert report["exits"]["total"] == 1


def test_the_registers_top_year_decides_a_phase_transition() -> None:
    year2 = _bucket(n=1, school_urn="100046", year_group=2, in_end_of_year=True)
    assert summarise([year2], RULES, {"100046": 2})["exits"]["unexplained"]["total"] == 0
    assert summarise([year2], RULES, {})["exits"]["unexplained"]["total"] == 1


def test_nothing_to_count() -> None:
    report = summarise([], RULES, {})
    assert report["events_by_type"] == {}
    assert report["exits"]["total"] == 0
    assert report["exits"]["unexplained"]["share_of_exits"] is None
    assert report["exits"]["by_school"] == []


def test_exits_by_month_ground_and_home_education_by_sen() -> None:
    report = summarise(
        [
            _bucket(n=3),  # January, unexplained
            _bucket(n=2, ground="moved_away", destination_kind="moved_away", month=dt.date(2026, 3, 1)),
            _bucket(n=1, ground="home_education", destination_kind="home_education", sen_provision="E"),
            _bucket(n=4, ground="home_education", destination_kind="home_education", retracted=True),
            _bucket(n=5, to_successor_school=True),  # not an exit: in no month
        ],
        RULES,
        {},
        (dt.date(2025, 12, 15), dt.date(2026, 3, 2)),
    )
    exits = report["exits"]
    assert exits["by_month"] == {
        "2025-12": {"exits": 0, "explained": 0, "unexplained": 0},
        "2026-01": {"exits": 4, "explained": 0, "unexplained": 4},
        "2026-02": {"exits": 0, "explained": 0, "unexplained": 0},
        "2026-03": {"exits": 2, "explained": 2, "unexplained": 0},
    }
    assert exits["by_ground"] == {"home_education": 1, "moved_away": 2, "other_school": 3}
    assert exits["to_home_education_by_sen_provision"] == {"E": 1}
    assert months_of(dt.date(2025, 11, 30), dt.date(2026, 1, 1)) == ["2025-11", "2025-12", "2026-01"]
