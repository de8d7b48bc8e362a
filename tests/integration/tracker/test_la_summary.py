"""`GET /v1/las/{la}/summary`: the figures of the fixture ledger (conftest.py), counted by
ClickHouse and classified as EPI does."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from rollwatch.core.settings import Settings
from services.schools.model import SchoolLink
from services.schools.register import SchoolsRegister
from services.tracker.exit_classification import default_exit_rules
from services.tracker.la_summary import EXAM_YEAR_GROUPS, RegisterFacts, period_exit_counts, read_buckets
from tests.integration.tracker.conftest import Ledger
from tests.support.events import deletion, enrolment

pytestmark = pytest.mark.clickhouse

YEAR = {"from": "2025-08-01", "to": "2026-08-31", "purpose": "annual report"}


def _summary(ledger: Ledger, la: str, **params: Any) -> dict[str, Any]:
    response = ledger.world.get(f"/v1/las/{la}/summary", ledger.world.key("auditor"), **{**YEAR, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_it_says_these_are_statistics_not_findings(ledger: Ledger) -> None:
    for la in ("886", "201"):
        body = _summary(ledger, la)
        assert body["statistics_not_findings"] is True
        assert "not findings" in body["notice"] and "prompt for an enquiry" in body["notice"]
        assert body["classification"]["version"] == "2025-12-01.1"


def test_the_las_events_deletions_and_exits(ledger: Ledger) -> None:
    body = _summary(ledger, "886")
    assert body["la"] == {"code": "886", "name": "Kent"}
    assert (body["from"], body["to"]) == ("2025-08-01", "2026-08-31")
    assert body["schools"] == ledger.world.register.count("886")
    assert body["events_by_type"] == {
        "event.retracted": 1, "pupil.deleted": 9, "pupil.enrolled": 5, "pupil.suspended": 1,
    }  # fmt: skip
    assert body["retracted_events"] == 1  # the deletion sent in error counts nowhere else
    assert body["deletions"] == {
        "total": 9,
        "by_ground": {"home_education": 1, "moved_away": 1, "other_school": 7},
        "by_destination_kind": {"home_education": 1, "independent": 1, "moved_away": 1, "school": 6},
        "to_successor_school": 2,  # the conversion (by LAESTAB) and the merger (by the next enrolment)
    }
    exits = body["exits"]
    assert exits["total"] == 7
    assert exits["by_year_group"] == {"2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "10": 1, "11": 1}
    assert exits["by_sen_provision"] == {"E": 2, "K": 1, "N": 4}
    assert exits["explained"] == {
        "total": 4,
        "by_reason": {"explained_ground": 1, "phase_transition": 2, "special_school": 1},
    }
    assert exits["unexplained"] == {
        "total": 3,
        "share_of_exits": round(3 / 7, 4),
        "by_year_group": {"5": 1, "10": 1, "11": 1},
        "by_sen_provision": {"E": 1, "K": 1, "N": 1},
        "by_destination_kind": {"home_education": 1, "school": 2},
        "by_ground": {"home_education": 1, "other_school": 2},
    }
    assert exits["by_school"] == [
        {"urn": "100050", "exits": 2, "unexplained": 2, "school_name": "Millhurst Community College"},
        {"urn": "100054", "exits": 4, "unexplained": 1, "school_name": "Christ Church Primary School"},
        {"urn": "100046", "exits": 1, "unexplained": 0, "school_name": "St Joseph's Catholic Primary School"},
    ]


def test_other_las_count_only_their_own_schools(ledger: Ledger) -> None:
    academy_la = _summary(ledger, "201")
    assert academy_la["events_by_type"] == {"pupil.enrolled": 2}
    assert academy_la["exits"]["total"] == 0
    far = _summary(ledger, "330")
    assert far["events_by_type"] == {"pupil.deleted": 1, "pupil.enrolled": 1}
    assert far["exits"]["unexplained"]["by_destination_kind"] == {"unknown": 1}


def test_the_period_bounds_what_is_counted(ledger: Ledger) -> None:
    summer = _summary(ledger, "886", **{"from": "2026-07-01", "to": "2026-08-31"})
    assert summer["events_by_type"] == {"pupil.deleted": 3}
    assert summer["exits"]["explained"]["by_reason"] == {"phase_transition": 2}
    assert summer["exits"]["unexplained"]["by_year_group"] == {"5": 1}
    # The conversion's deletion is on 29 August 2025: outside a period starting in September.
    autumn = _summary(ledger, "886", **{"from": "2025-09-01", "to": "2025-12-31"})
    assert autumn["deletions"] == {
        "total": 1, "by_ground": {"other_school": 1}, "by_destination_kind": {"school": 1},
        "to_successor_school": 1,
    }  # fmt: skip
    refused = ledger.world.get(
        "/v1/las/886/summary",
        ledger.world.key("auditor"),
        purpose="x" * 5,
        **{"from": "2026-02-01", "to": "2026-01-01"},
    )
    assert refused.status_code == 422


def test_joining_the_successor_long_after_leaving_is_still_an_exit(ledger: Ledger) -> None:
    late = ledger.upn("late")
    ledger.world.record(
        [
            deletion(late, school_urn="100024", occurred_on=dt.date(2025, 10, 1), year_group=4,
                     ground="home_education", destination_kind="home_education"),
            enrolment(late, school_urn="100025", occurred_on=dt.date(2026, 2, 2), year_group=4),
        ]
    )  # fmt: skip
    body = _summary(ledger, "886")
    assert body["deletions"]["to_successor_school"] == 2
    assert body["exits"]["unexplained"]["total"] == 4
    assert body["exits"]["unexplained"]["by_ground"]["home_education"] == 2


def test_an_la_the_register_does_not_know(ledger: Ledger) -> None:
    response = ledger.world.get("/v1/las/999/summary", ledger.world.key("auditor"), **YEAR)
    assert (response.status_code, response.json()["error"]) == (404, "unknown_la")


def test_a_successor_in_another_la_joined_after_the_period_still_counts(ledger: Ledger) -> None:
    """The successor's enrolments are looked for outside the LA and the period (a join whose
    filters ClickHouse must not push into the successor side)."""
    register = SchoolsRegister.from_records(
        ledger.world.register.schools(), [SchoolLink("100050", "100003", "Successor")]
    )
    pupil = ledger.upn("crossing")
    ledger.world.record(
        [
            deletion(pupil, school_urn="100050", occurred_on=dt.date(2026, 8, 31), year_group=8),
            enrolment(pupil, school_urn="100003", occurred_on=dt.date(2026, 9, 2), year_group=9),
        ]
    )
    facts = RegisterFacts.of(register, "886")
    assert facts.succession == ("100003:100050",)
    buckets = read_buckets(
        ledger.world.clients, facts, dt.date(2026, 8, 1), dt.date(2026, 8, 31), default_exit_rules()
    )
    assert [(b.school_urn, b.to_successor_school, b.events) for b in buckets] == [("100050", True, 1)]


def test_the_las_own_exit_overrides_are_applied(ledger: Ledger, tmp_path: Path) -> None:
    """The same override file the LA's alert rules merge (`<alerts dir>/rules/<la>.json`)."""
    settings = Settings(data_dir=tmp_path)
    rules_dir = settings.alerts_config_dir / "rules"
    rules_dir.mkdir(parents=True)
    grounds = [*sorted(default_exit_rules().explained_grounds), "home_education"]
    (rules_dir / "886.json").write_text(json.dumps({"version": "t", "exits": {"explained_grounds": grounds}}))
    before = _summary(ledger, "886")["exits"]
    ledger.world.client.app.state.settings = settings  # type: ignore[attr-defined]
    after = _summary(ledger, "886")
    assert after["classification"]["version"].endswith("+886:t")
    assert "home_education" in after["classification"]["explained_grounds"]
    assert after["exits"]["unexplained"]["total"] == before["unexplained"]["total"] - 1
    assert after["exits"]["unexplained"]["by_ground"].get("home_education") is None
    assert _summary(ledger, "201")["classification"]["version"] == "2025-12-01.1"  # other LAs: defaults


def test_the_dashboards_coarse_grain_counts_what_it_shows_as_the_full_grain(ledger: Ledger) -> None:
    """The dashboard reads fewer, coarser buckets (deletions only; year groups and SEN provision
    only where it looks at them): what it shows must equal the full grain's counts."""
    facts = RegisterFacts.of(ledger.world.register, "886")
    periods = [(dt.date(2025, 8, 1), dt.date(2026, 8, 31)), (dt.date(2024, 8, 1), dt.date(2025, 8, 31))]
    rules = default_exit_rules()
    full = period_exit_counts(ledger.world.clients, facts, periods, rules)
    coarse = period_exit_counts(ledger.world.clients, facts, periods, rules, coarse=True)
    assert full[0]["exits"]["total"] > 0 and full[0]["exits"]["explained"]["total"] > 0

    def shown(counts: dict[str, Any]) -> dict[str, Any]:
        exits = counts["exits"]
        return {
            "total": exits["total"],
            "unexplained": exits["unexplained"]["total"],
            "by_school": exits["by_school"],
            "by_month": exits["by_month"],
            "years": [
                (exits["by_year_group"].get(str(y)), exits["unexplained"]["by_year_group"].get(str(y)))
                for y in EXAM_YEAR_GROUPS
            ],
            "home_education": exits["to_home_education_by_sen_provision"],
        }

    assert [shown(c) for c in coarse] == [shown(c) for c in full]
