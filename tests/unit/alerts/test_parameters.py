from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.alerts.parameters import default_parameters, load_parameters, merge, parameters_with

RULES = (
    "no_destination",
    "ehe_vulnerable",
    "ehe_without_consent",
    "exam_cohort_exit",
    "late_notification",
    "ap_review_overdue",
    "ap_planned_end_passed",
    "exclusion_then_exit",
    "suspension_limit",
    "suspension_early_warning",
    "governors_review",
    "retrospective_deletion",
    "school_exit_pattern",
    "high_mobility",
    "roll_mismatch",
    "feed_silent",
)


def test_defaults_carry_every_rule_and_threshold() -> None:
    p = default_parameters()
    assert p.version and p.la_code is None
    assert set(RULES) == set(type(p.rules).model_fields)
    assert p.rules.no_destination.school_days == 10
    assert (p.rules.roll_mismatch.tolerance, p.rules.feed_silent.school_days) == (2, 3)
    assert p.rules.suspension_limit.max_school_days == 45
    late = p.rules.late_notification
    assert (late.admission_days, late.admission_day_unit, late.exempt_first_day_entries) == (
        5,
        "calendar",
        True,
    )
    assert p.rules.retrospective_deletion.school_days == 5
    assert p.rules.exclusion_then_exit.school_days == 30
    ap = p.rules.ap_review_overdue
    assert ap.directed_off_site_school_days is None  # an LA policy since SI 2012/2532, off by default
    assert (ap.requested_review_school_days, ap.requested_review_lookback_weeks) == (10, 10)
    assert p.rules.ap_planned_end_passed.grace_school_days == 0
    assert p.rules.suspension_early_warning.warn_over_school_days == 40
    assert (p.rules.governors_review.term_school_days, p.rules.governors_review.decision_school_days) == (
        15,
        15,
    )
    assert p.rules.ehe_without_consent.in_force_from is None  # s434A not yet in force
    assert "guest" not in p.rules.no_destination.resolving_enrolment_statuses
    assert (p.rules.school_exit_pattern.min_pupils, p.rules.school_exit_pattern.min_percent_of_roll) == (5, 5)
    assert p.rules.school_exit_pattern.send_share_ratio == 2
    assert (p.rules.high_mobility.min_changes, p.rules.high_mobility.window_months) == (3, 12)
    assert all(p.rules.is_enabled(rule) for rule in RULES)


def test_merge_objects_merge_and_lists_replace() -> None:
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 2}
    assert merge(base, {"a": {"y": [3]}}) == {"a": {"x": 1, "y": [3]}, "b": 2}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 2}


def test_an_la_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    (tmp_path / "886.json").write_text(
        json.dumps(
            {
                "version": "2026-01",
                "la_code": "886",
                "rules": {"no_destination": {"school_days": 15}, "high_mobility": {"enabled": False}},
            }
        )
    )
    p = load_parameters("886", [tmp_path])
    assert p.la_code == "886"
    assert p.rules.no_destination.school_days == 15
    assert p.rules.no_destination.severity == "high"
    assert not p.rules.is_enabled("high_mobility")
    assert p.version.endswith("+886:2026-01")


def test_no_la_file_means_the_defaults(tmp_path: Path) -> None:
    p = load_parameters("201", [tmp_path])
    assert p.la_code == "201"
    assert p.rules == default_parameters().rules


@pytest.mark.parametrize(
    "override",
    [
        {"rules": {"no_destination": {"schooldays": 15}}},  # typo
        {"rules": {"no_destination": {"school_days": "ten"}}},
        {"rules": {"no_destination": {"school_days": 0}}},
        {"rules": {"no_such_rule": {}}},
        {"rules": {"suspension_limit": {"severity": "critical"}}},
        {"school_years": {"end_of_year_from": "02-30"}},
        {"school_years": {"end_of_year_from": "01-15"}},
    ],
)
def test_bad_overrides_are_refused(override: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        parameters_with("886", override)


def test_override_for_another_la_is_refused() -> None:
    with pytest.raises(ValueError, match="belong to LA 201"):
        parameters_with("886", {"la_code": "201"})
