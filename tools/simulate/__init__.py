"""`rollwatch simulate`: realistic synthetic pupil events for one LA or for England, with injected
off-rolling and other behaviour, and the ground truth of the alerts they should raise.

Modules: `population` (schools, pupils, UPNs), `timeline` (one LA's school years and the
background of a normal year), `behaviours` (injected cases), `ground_truth` (the alerts the rules
should raise), `records` (an event record and its JSON), `engine` (LAs x years, sorted runs,
merge), `register_file` (the GIAS-format schools register), `sinks` (file, Kafka, HTTP API),
`cli` (the arguments).

Use from Python:

    from tools.simulate import Simulation, SimulationConfig, generate_events, iter_events

    events = generate_events(100_000, seed=1)            # dicts, the first N in recorded_at order
    lines = generate_events(100_000, as_bytes=True)       # JSON bytes, ready for Kafka or the API
    for line in iter_events(SimulationConfig(schools=50)):  # streaming, any size
        ...
    sim = Simulation(SimulationConfig(la_codes=None, scale=0.01, years=2))
    summary = sim.run(folder)  # then sim.lines(), sim.ground_truth, sim.cases, sim.schools

Every event is recorded at or before `config.simulated_now` (23:59:59 on 31 August of the last
simulated year): validate with `schemas.parse_event(raw, now=config.simulated_now)`.
"""

from tools.simulate.behaviours import NO_INJECTION, InjectedCase, InjectionRates
from tools.simulate.engine import Simulation, SimulationConfig, Summary, generate_events, iter_events
from tools.simulate.rates import BackgroundRates
from tools.simulate.register_file import write_register
from tools.simulate.truth_entry import GroundTruthEntry

__all__ = [
    "NO_INJECTION",
    "BackgroundRates",
    "GroundTruthEntry",
    "InjectedCase",
    "InjectionRates",
    "Simulation",
    "SimulationConfig",
    "Summary",
    "generate_events",
    "iter_events",
    "write_register",
]
