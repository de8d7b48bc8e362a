"""The ground truth: it names events that exist, holds what every injected case was built for,
and agrees exactly with the real alert rules (services.alerts) run over the same events."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from services.schools.register import SchoolsRegister
from tools.simulate.behaviours import NO_INJECTION, InjectionRates
from tools.simulate.engine import SimulationConfig
from tools.simulate.register_file import write_register

from .conftest import Run, simulate
from .oracle import judge_all

SCHOOL_RULES = ("school_exit_pattern", "roll_mismatch", "feed_silent")
# Judged by the oracle on pupils' events only; the roll checks' own test is test_roll_checks.py.
FEED_RULES = ("roll_mismatch", "feed_silent")
PUPIL_RULES_THE_BACKGROUND_AVOIDS = {
    "no_destination",
    "late_notification",
    "retrospective_deletion",
    "exclusion_then_exit",
    "suspension_limit",
    "high_mobility",
    "ap_review_overdue",
}


def _judged(run: Run) -> set[tuple[str, str]]:
    config = run.config
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "schools.csv"
        write_register(path, run.simulation.schools)
        register = SchoolsRegister.from_gias_files(path)
    pupils, schools = judge_all(
        run.lines, register, config.simulated_now, (config.first_year.first_day, config.window_end)
    )
    return pupils | schools


def test_entries_reference_events_that_exist(small_run: Run) -> None:
    events = {e["event_id"]: e for e in small_run.events}
    truth = small_run.simulation.ground_truth
    assert truth
    for entry in truth:
        assert entry.evidence
        assert all(event_id in events for event_id in entry.evidence)
        if entry.key_event_id is not None:
            key = events[entry.key_event_id]
            assert key["upn"] == entry.upn and key["school_urn"] == entry.school_urn
            assert entry.key_event_id in entry.evidence
        else:
            assert entry.rule in SCHOOL_RULES and entry.upn is None
    assert len({(e.rule, e.fingerprint) for e in truth}) == len(truth)


def test_every_injected_case_gets_the_rules_it_was_built_for(small_run: Run) -> None:
    by_case: dict[str, set[str]] = {}
    for entry in small_run.simulation.ground_truth:
        if entry.case_id:
            by_case.setdefault(entry.case_id, set()).add(entry.rule)
    cases = small_run.simulation.cases
    assert {c.behaviour for c in cases} == {
        "offrolling",
        "late_deletion_notice",
        "late_admission_notice",
        "retrospective_deletion",
        "ap_drift",
        "vanished",
        "suspension_limit",
        "high_mobility",
        "roll_drift",
        "silent_feed",
    }
    for case in cases:
        assert case.intended <= by_case.get(case.case_id, set()), case


def test_the_background_leaves_the_avoidable_rules_alone(small_run: Run) -> None:
    background = Counter(e.rule for e in small_run.simulation.ground_truth if not e.injected)
    assert not set(background) & (PUPIL_RULES_THE_BACKGROUND_AVOIDS | set(FEED_RULES))
    # What it legitimately raises: home education of vulnerable pupils, Year 10-11 exits.
    assert background["ehe_vulnerable"] > 0 and background["exam_cohort_exit"] > 0


def test_ground_truth_equals_the_real_rules(small_run: Run) -> None:
    truth = {(e.rule, e.fingerprint) for e in small_run.simulation.ground_truth if e.rule not in FEED_RULES}
    assert _judged(small_run) == truth


@pytest.mark.parametrize(
    "config",
    [
        SimulationConfig(schools=15, seed=8, years=2, start=dt.date(2024, 9, 1)),
        SimulationConfig(la_codes=None, scale=0.004, seed=9),
        SimulationConfig(schools=15, seed=10, injection=InjectionRates(per_10k=20), quiet_background=True),
    ],
    ids=["two-years", "england", "dense-injection-quiet-background"],
)
def test_ground_truth_equals_the_real_rules_in_other_shapes(config: SimulationConfig) -> None:
    run = simulate(config)
    truth = {(e.rule, e.fingerprint) for e in run.simulation.ground_truth if e.rule not in FEED_RULES}
    assert _judged(run) == truth
    if config.quiet_background:
        background = {e.rule for e in run.simulation.ground_truth if not e.injected}
        # Quiet exits; the background's suspensions still reach the governors' review and the early
        # warning now and then, as real suspensions do.
        assert background <= {"school_exit_pattern", "governors_review", "suspension_early_warning"}


def test_no_injection_no_injected_entries() -> None:
    run = simulate(SimulationConfig(schools=10, seed=4, injection=NO_INJECTION))
    assert not run.simulation.cases
    assert not [e for e in run.simulation.ground_truth if e.injected]
    assert not any(school.offrolling for school in run.simulation.schools)


def test_offrolling_exits_are_year_10_11_before_the_census_and_over_represent_sen(moderate_run: Run) -> None:
    events = {e["event_id"]: e for e in moderate_run.events}
    exits = [
        events[eid]
        for case in moderate_run.simulation.cases
        if case.behaviour == "offrolling"
        for eid in case.event_ids
        if events[eid]["type"] == "pupil.deleted"
    ]
    assert len(exits) >= 5
    assert all(e["pupil"]["year_group"] in (10, 11) for e in exits)
    assert all(e["occurred_on"] < "2026-01-15" for e in exits)
    assert {e["data"]["destination"]["kind"] for e in exits} == {"home_education", "unknown"}
    sen_share = sum(e["pupil"]["sen_provision"] != "N" for e in exits) / len(exits)
    assert sen_share > 0.35  # against about 18% of the roll
