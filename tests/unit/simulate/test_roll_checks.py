"""The simulator's roll checks: one per school per school day (none while a feed is silent), an
honest count equal to the register recomputed check by check from the events, and the injected
drift and silences in the ground truth of roll_mismatch and feed_silent."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from .conftest import Run


def _register_at(events: list[dict[str, Any]], urn: str, day: str, at: str) -> int:
    """Brute force: per pupil, the latest (occurred_on, recorded_at) enrolment (not a guest) or
    deletion at the school, of those recorded by `at` and taking effect by `day`."""
    latest: dict[str, tuple[tuple[str, dt.datetime], str]] = {}
    for e in events:
        if e["school_urn"] != urn or e["type"] not in ("pupil.enrolled", "pupil.deleted"):
            continue
        if e["type"] == "pupil.enrolled" and e["data"]["enrolment_status"] == "guest":
            continue
        recorded = dt.datetime.fromisoformat(e["recorded_at"])
        if e["occurred_on"] > day or recorded > dt.datetime.fromisoformat(at):
            continue
        key = (e["occurred_on"], recorded)
        if e["upn"] not in latest or key > latest[e["upn"]][0]:
            latest[e["upn"]] = (key, e["type"])
    return sum(kind == "pupil.enrolled" for _, kind in latest.values())


def test_checks_every_school_day_with_an_honest_count(small_run: Run) -> None:
    events = small_run.events
    checks = [e for e in events if e["type"] == "school.roll_checked"]
    per_school = Counter(c["school_urn"] for c in checks)
    silent = {c.school_urn for c in small_run.simulation.cases if c.behaviour == "silent_feed"}
    drifting = {c.school_urn for c in small_run.simulation.cases if c.behaviour == "roll_drift"}
    assert silent and drifting and len(per_school) == len(small_run.simulation.schools)
    full = max(per_school.values())
    assert all(n == full for urn, n in per_school.items() if urn not in silent)
    assert all(full - 7 <= per_school[urn] <= full - 4 for urn in silent)
    honest = sorted(urn for urn in per_school if urn not in drifting)[:2]
    pupil_events = [e for e in events if e["type"] != "school.roll_checked"]
    for check in (
        c for c in checks if c["school_urn"] in honest and c["occurred_on"].endswith(("-03", "-17"))
    ):
        expected = _register_at(pupil_events, check["school_urn"], check["occurred_on"], check["recorded_at"])
        assert check["data"]["on_roll"] == expected, check


def test_injected_drift_and_silence_are_in_the_ground_truth(small_run: Run) -> None:
    truth = small_run.simulation.ground_truth
    by_case = {e.case_id for e in truth if e.rule in ("roll_mismatch", "feed_silent")}
    for case in small_run.simulation.cases:
        if case.behaviour in ("roll_drift", "silent_feed"):
            assert case.case_id in by_case, case
    assert {e.rule for e in truth if e.behaviour in ("roll_drift", "silent_feed")} == {
        "roll_mismatch",
        "feed_silent",
    }
