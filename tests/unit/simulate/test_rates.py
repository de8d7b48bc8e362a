"""The population and the year's events match docs/domain.md ("Scale of England") within tolerance."""

from __future__ import annotations

from collections import Counter
from statistics import mean

from .conftest import Run


def test_pupil_characteristics(moderate_run: Run) -> None:
    summary = moderate_run.simulation.summary
    pupils = summary.pupils_at_start
    assert 50_000 < pupils < 75_000
    assert 0.040 <= summary.sen["E"] / pupils <= 0.065  # EHC plans ~5%
    assert 0.125 <= summary.sen["K"] / pupils <= 0.165  # SEN support ~14%
    assert 0.004 <= summary.looked_after / pupils <= 0.010  # ~0.7%
    assert 0.022 <= summary.child_in_need / pupils <= 0.040  # ~3%
    assert 0.20 <= summary.fsm / pupils <= 0.28


def test_schools_by_phase_and_roll(moderate_run: Run) -> None:
    schools = moderate_run.simulation.schools
    phases = Counter(s.phase for s in schools)
    assert len(schools) == 160
    assert phases["primary"] == 124 and phases["secondary"] == 26 and phases["special"] == 7
    capacity = {phase: mean(s.capacity for s in schools if s.phase == phase) for phase in phases}
    assert 240 <= capacity["primary"] <= 320
    assert 850 <= capacity["secondary"] <= 1150
    assert 80 <= capacity["special"] <= 160
    assert all(len(s.urn) == 6 and s.urn.isdigit() for s in schools)
    assert len({s.laestab for s in schools}) == len(schools)


def test_year_rates(moderate_run: Run) -> None:
    summary = moderate_run.simulation.summary
    per_100 = summary.per_100_pupils_a_year
    assert 9.0 <= per_100(summary.suspensions) <= 13.5  # 11.3 per 100
    assert 0.09 <= per_100(summary.exclusions) <= 0.18  # 0.13 per 100
    assert 1.1 <= per_100(summary.deletion_grounds["home_education"]) <= 1.9  # ~1.5% a year
    # Suspensions concentrate in few pupils: ~3% of pupils, several each.
    assert 0.015 <= summary.suspended_pupils / summary.pupils_at_start <= 0.045
    assert summary.suspensions / summary.suspended_pupils >= 2.5


def test_suspensions_and_exclusions_have_valid_shapes(moderate_run: Run) -> None:
    events = moderate_run.events
    suspensions = [e for e in events if e["type"] == "pupil.suspended"]
    assert all(1 <= len(e["data"]["reasons"]) <= 3 for e in suspensions)
    assert Counter(e["data"]["reasons"][0] for e in suspensions).most_common(1)[0][0] == "PD"
    reviews = Counter(e["data"]["review"] for e in events if e["type"] == "pupil.permanently_excluded")
    assert reviews["pending"] > 0
    excluded = {e["upn"] for e in events if e["type"] == "pupil.permanently_excluded"}
    deleted = {
        e["upn"]
        for e in events
        if e["type"] == "pupil.deleted" and e["data"]["ground"] == "permanently_excluded"
    }
    assert deleted and deleted <= excluded
