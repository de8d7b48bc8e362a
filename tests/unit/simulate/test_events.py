"""Every simulated event is valid under the contract, in recorded_at order, and plausible."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from schemas import validate_event
from schemas.identifiers import is_valid_upn
from tools.simulate.engine import SimulationConfig

from .conftest import Run, simulate


def test_every_event_parses_at_the_simulated_clock_without_warnings(small_run: Run) -> None:
    warnings: Counter[str] = Counter()
    for line in small_run.lines:
        checked = validate_event(line, now=small_run.config.simulated_now)
        warnings.update(w.rule for w in checked.warnings)
    assert len(small_run.lines) > 10_000
    assert not warnings


def test_events_are_in_recorded_at_order_with_unique_ids(small_run: Run) -> None:
    events = small_run.events
    recorded = [dt.datetime.fromisoformat(e["recorded_at"]) for e in events]
    assert recorded == sorted(recorded)
    assert len({e["event_id"] for e in events}) == len(events)
    assert recorded[-1] <= small_run.config.simulated_now


def test_every_type_appears_and_upns_are_valid(small_run: Run) -> None:
    events = small_run.events
    assert {e["type"] for e in events} == {
        "pupil.enrolled",
        "pupil.deleted",
        "pupil.suspended",
        "pupil.permanently_excluded",
        "pupil.ap_referred",
        "pupil.ap_ended",
        "school.roll_checked",
    }
    assert all(is_valid_upn(e["upn"]) for e in events if e["type"] != "school.roll_checked")
    managed = [e for e in events if e["type"] == "pupil.enrolled" and e["data"]["managed_move"]]
    assert managed


def test_a_pupil_keeps_one_date_of_birth_and_year_groups_move_up_once() -> None:
    run = simulate(SimulationConfig(schools=12, seed=3, years=2, start=dt.date(2024, 9, 1)))
    births: dict[str, set[str]] = {}
    for event in run.events:
        validate_event(event, now=run.config.simulated_now)
        if event["type"] == "school.roll_checked":
            continue
        births.setdefault(event["upn"], set()).add(event["pupil"]["date_of_birth"])
    assert all(len(days) == 1 for days in births.values())
    years = {e["occurred_on"][:4] for e in run.events if e["occurred_on"] >= "2024-09-01"}
    assert {"2024", "2025", "2026"} <= years


def test_deletions_before_the_2024_regulations_say_2006() -> None:
    run = simulate(SimulationConfig(schools=8, seed=2, start=dt.date(2023, 9, 1), years=2))
    regulations = {
        (e["occurred_on"] >= "2024-08-19", e["data"]["regulation"])
        for e in run.events
        if e["type"] == "pupil.deleted"
    }
    assert regulations == {(False, "2006"), (True, "2024")}
    for line in run.lines:
        validate_event(line, now=run.config.simulated_now)
