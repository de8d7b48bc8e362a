"""The same configuration and seed give the same bytes; another seed gives other events."""

from __future__ import annotations

from tools.simulate.engine import SimulationConfig

from .conftest import simulate


def test_same_seed_same_events_and_ground_truth() -> None:
    first = simulate(SimulationConfig(schools=10, seed=42))
    second = simulate(SimulationConfig(schools=10, seed=42))
    assert first.lines == second.lines
    assert first.simulation.ground_truth == second.simulation.ground_truth
    assert [s.urn for s in first.simulation.schools] == [s.urn for s in second.simulation.schools]


def test_another_seed_other_events() -> None:
    first = simulate(SimulationConfig(schools=10, seed=1))
    second = simulate(SimulationConfig(schools=10, seed=2))
    assert first.lines[:100] != second.lines[:100]
    assert {line[:60] for line in first.lines}.isdisjoint({line[:60] for line in second.lines})
