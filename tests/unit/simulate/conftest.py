"""Simulations shared by the simulator's tests: run once per session, kept in memory."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from tools.simulate.engine import Simulation, SimulationConfig


@dataclass
class Run:
    config: SimulationConfig
    simulation: Simulation
    lines: list[bytes]

    @property
    def events(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for line in self.lines]


def simulate(config: SimulationConfig) -> Run:
    with tempfile.TemporaryDirectory() as folder:
        simulation = Simulation(config)
        simulation.run(Path(folder))
        return Run(config, simulation, list(simulation.lines()))


@pytest.fixture(scope="session")
def small_run() -> Run:
    """One LA, 40 schools (about 15,000 pupils), one year."""
    return simulate(SimulationConfig(schools=40, seed=11))


@pytest.fixture(scope="session")
def moderate_run() -> Run:
    """One LA, 160 schools (about 60,000 pupils), one year: for rates."""
    return simulate(SimulationConfig(schools=160, seed=5))
