"""Runs a simulation: the register, then each LA over every simulated year, then one stream of
events sorted by `recorded_at`.

Memory stays bounded by one LA: each LA's events are sorted and written to a run file in a
temporary folder as soon as the LA is done (with its ground truth), and the output is a k-way
merge of the runs. Deterministic: the same configuration and seed give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from services.alerts.calendar import AcademicYear, load_calendar
from services.alerts.parameters import default_parameters
from tools.simulate.behaviours import InjectedCase, InjectionRates, Injector
from tools.simulate.exit_pattern import school_exit_pattern
from tools.simulate.ground_truth import GroundTruth
from tools.simulate.outside import Outside
from tools.simulate.population import (
    DEFAULT_LA_SCHOOLS,
    ENGLAND_SCHOOLS,
    LocalAuthority,
    School,
    UrnAllocator,
    build_schools,
    english_las,
    la_by_code,
    la_school_counts,
)
from tools.simulate.pupils import UpnAllocator
from tools.simulate.rates import BackgroundRates
from tools.simulate.records import DELETED, ENGLAND, EXCLUDED, SUSPENDED, SimEvent
from tools.simulate.roll_checks import ROLL_CHECKED, SimRollCheck, plan_cases, postpone_silenced, roll_checks
from tools.simulate.roll_checks import ground_truth as feed_truth
from tools.simulate.timeline import LASimulation
from tools.simulate.truth_entry import GroundTruthEntry

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class SimulationConfig:
    """What to simulate. `la_codes` None means all of England at `scale`."""

    la_codes: tuple[str, ...] | None = ("886",)
    schools: int | None = None  # per LA, when LAs are named
    scale: float = 1.0  # England: the share of its ~21,600 state-funded schools
    start: dt.date = dt.date(2025, 9, 1)
    years: int = 1
    seed: int = 0
    injection: InjectionRates = field(default_factory=InjectionRates)
    background: BackgroundRates = field(default_factory=BackgroundRates)
    baseline: bool = True
    quiet_background: bool = False
    roll_checks: bool = True  # every school's daily school.roll_checked (tools/simulate/roll_checks.py)

    @property
    def first_year(self) -> AcademicYear:
        return AcademicYear(self.start.year if self.start.month >= 9 else self.start.year - 1)

    @property
    def window_end(self) -> dt.date:
        return AcademicYear(self.first_year.start_year + self.years - 1).last_day

    @property
    def simulated_now(self) -> dt.datetime:
        """The simulated clock at the end: every event is recorded at or before it. Validate the
        events with `schemas.parse_event(raw, now=config.simulated_now)`."""
        return dt.datetime.combine(self.window_end, dt.time(23, 59, 59), tzinfo=ENGLAND)


@dataclass
class Summary:
    """What a run produced, and the rates the tests compare with docs/domain.md ("Scale of England")."""

    config: SimulationConfig
    schools: int = 0
    pupils_at_start: int = 0
    events: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    deletion_grounds: Counter[str] = field(default_factory=Counter)
    suspensions: int = 0
    suspension_sessions: int = 0
    suspended_pupils: int = 0
    exclusions: int = 0
    sen: Counter[str] = field(default_factory=Counter)
    looked_after: int = 0
    child_in_need: int = 0
    fsm: int = 0
    ground_truth: Counter[tuple[str, bool]] = field(default_factory=Counter)
    cases: Counter[str] = field(default_factory=Counter)
    generate_seconds: float = 0.0
    write_seconds: float = 0.0

    def per_100_pupils_a_year(self, count: int) -> float:
        return 100 * count / max(1, self.pupils_at_start * self.config.years)

    def as_json(self) -> dict[str, Any]:
        return {
            "schools": self.schools,
            "pupils_at_start": self.pupils_at_start,
            "years": self.config.years,
            "window": [self.config.first_year.first_day.isoformat(), self.config.window_end.isoformat()],
            "simulated_now": self.config.simulated_now.isoformat(),
            "events": self.events,
            "events_by_type": dict(sorted(self.by_type.items())),
            "deletion_grounds": dict(sorted(self.deletion_grounds.items())),
            "suspensions_per_100": round(self.per_100_pupils_a_year(self.suspensions), 2),
            "permanent_exclusions_per_100": round(self.per_100_pupils_a_year(self.exclusions), 3),
            "home_education_per_100": round(
                self.per_100_pupils_a_year(self.deletion_grounds["home_education"]), 2
            ),
            "sen_share": {k: round(v / max(1, self.pupils_at_start), 4) for k, v in sorted(self.sen.items())},
            "looked_after_share": round(self.looked_after / max(1, self.pupils_at_start), 4),
            "child_in_need_share": round(self.child_in_need / max(1, self.pupils_at_start), 4),
            "injected_cases": dict(sorted(self.cases.items())),
            "ground_truth": {
                f"{rule} ({'injected' if injected else 'background'})": n
                for (rule, injected), n in sorted(self.ground_truth.items())
            },
            "generate_seconds": round(self.generate_seconds, 2),
            "write_seconds": round(self.write_seconds, 2),
        }


def _sort_prefix(event: SimEvent | SimRollCheck) -> bytes:
    micros = int(event.recorded_at.timestamp() * 1_000_000)
    return b"%020d%s%010d\t" % (micros, event.la_code.encode(), event.seq)


_PREFIX = 20 + 3 + 10 + 1


class Simulation:
    """Build with a config; `run(folder)` generates every LA into sorted run files there;
    `lines()` then yields the events (JSON bytes, no newline) in `recorded_at` order."""

    def __init__(self, config: SimulationConfig, progress: Progress | None = None) -> None:
        self.config = config
        self.progress = progress or (lambda stage, done: None)
        rng = random.Random(f"{config.seed}:register")
        ids = UrnAllocator(rng)
        self.las: list[LocalAuthority]
        if config.la_codes is None:
            self.las = english_las()
            total = max(1, round(ENGLAND_SCHOOLS * config.scale))
            counts = la_school_counts(total, self.las, rng)
        else:
            self.las = [la_by_code(code) for code in config.la_codes]
            per_la = config.schools if config.schools is not None else DEFAULT_LA_SCHOOLS
            counts = {la.code: per_la for la in self.las}
        self.schools_by_la: dict[str, list[School]] = {
            la.code: build_schools(
                la, counts[la.code], rng, ids, at_least_one_secondary=config.la_codes is not None
            )
            for la in self.las
        }
        self.schools: list[School] = [s for la in self.las for s in self.schools_by_la[la.code]]
        self.ground_truth: list[GroundTruthEntry] = []
        self.cases: list[InjectedCase] = []
        self.summary = Summary(config, schools=len(self.schools))
        self._runs: list[Path] = []

    def run(self, folder: Path) -> Summary:
        config = self.config
        started = time.perf_counter()
        all_codes = sorted(la.code for la in english_las())
        outside = Outside(
            other_la_codes=[c for c in all_codes if c not in self.schools_by_la] or all_codes,
            schools_by_la=self.schools_by_la,
            pending={la.code for la in self.las},
            england=config.la_codes is None,
        )
        weights = [len(self.schools_by_la[la.code]) for la in self.las]
        total_weight = max(1, sum(weights))
        done = 0
        upns = UpnAllocator()
        truth = GroundTruth(config.first_year.first_day, config.window_end)
        for la, weight in zip(self.las, weights, strict=True):
            outside.pending.discard(la.code)
            if len(self.las) == 1:
                outside.other_la_codes = [c for c in all_codes if c != la.code]
            sim = LASimulation(
                la,
                self.schools_by_la[la.code],
                load_calendar(la.code),
                random.Random(f"{config.seed}:{la.code}"),
                upns,
                outside,
                rates=config.background,
                emit_baseline=config.baseline,
                quiet_background=config.quiet_background,
            )
            sim.window_end = config.window_end
            truth.add_schools(sim.schools)
            injector = Injector(sim, config.injection)
            if config.injection.enabled:
                injector.choose_offrolling_schools(at_least_one=config.la_codes is not None)
            for offset in range(config.years):
                year = AcademicYear(config.first_year.start_year + offset)
                if offset == 0:
                    sim.populate(year)
                    self._count_population(sim)
                else:
                    sim.rollover(year)
                sim.plan_background()
                if config.injection.enabled:
                    injector.plan_year()
                sim.run_year_agenda()
                sim.leavers()
            checks = self._roll_checks(sim, la, injector) if config.roll_checks else []
            for pupil in sim.pupils:
                if pupil.handed_to is None:
                    self.ground_truth.extend(truth.pupil_entries(pupil))
            self.ground_truth.extend(school_exit_pattern(truth, sim.schools, sim.events))
            self.cases.extend(injector.cases)
            self._count_events(sim)
            self._write_run(folder, la.code, [*sim.events, *checks])
            for pupil in sim.pupils:
                if pupil.handed_to is None:
                    pupil.history.clear()
            for school in sim.schools:
                school.roll.clear()
                school.duals.clear()
            done += weight
            self.progress("generate", done / total_weight)
        self.ground_truth.sort(key=lambda e: (e.as_of, e.rule, e.fingerprint))
        for entry in self.ground_truth:
            self.summary.ground_truth[(entry.rule, entry.injected)] += 1
        self.summary.cases.update(case.behaviour for case in self.cases)
        self.summary.generate_seconds = time.perf_counter() - started
        return self.summary

    def _roll_checks(self, sim: LASimulation, la: LocalAuthority, injector: Injector) -> list[SimRollCheck]:
        """The LA's daily roll checks, its injected drift and silent feeds (their events postponed
        before any pupil's ground truth is read), and the ground truth of the two feed rules."""
        config = self.config
        calendar = load_calendar(la.code)
        day, days = config.first_year.first_day, []
        while day <= config.window_end:
            if calendar.is_school_day(day):
                days.append(day)
            day += dt.timedelta(days=1)
        rng = random.Random(f"{config.seed}:{la.code}:feeds")
        cases = plan_cases(sim.schools, days, calendar, rng, config.injection.enabled)
        postpone_silenced(sim.events, cases)
        checks = roll_checks(
            sim.schools, sim.events, days, cases, rng, sim.next_seq(len(sim.schools) * len(days))
        )
        truth = feed_truth(checks, sim.events, calendar, default_parameters(), config.window_end, cases)
        self.ground_truth.extend(truth)
        injector.cases.extend(cases.all)
        self.summary.events += len(checks)
        self.summary.by_type[ROLL_CHECKED] += len(checks)
        return checks

    def _count_population(self, sim: LASimulation) -> None:
        s = self.summary
        for school in sim.schools:
            for pupil in school.roll:
                s.pupils_at_start += 1
                s.sen[pupil.sen] += 1
                s.looked_after += pupil.looked_after
                s.child_in_need += pupil.child_in_need
                s.fsm += pupil.fsm

    def _count_events(self, sim: LASimulation) -> None:
        s = self.summary
        suspended: set[str] = set()
        for event in sim.events:
            s.events += 1
            s.by_type[event.type] += 1
            if event.type == DELETED:
                s.deletion_grounds[event.data["ground"]] += 1
            elif event.type == SUSPENDED:
                s.suspensions += 1
                s.suspension_sessions += event.data["sessions"]
                suspended.add(event.upn)
            elif event.type == EXCLUDED and event.data["review"] == "pending":
                s.exclusions += 1
        s.suspended_pupils += len(suspended)

    def _write_run(self, folder: Path, la_code: str, events: list[SimEvent | SimRollCheck]) -> None:
        events.sort(key=lambda e: e.sort_key)
        path = folder / f"run-{la_code}.txt"
        with path.open("wb") as handle:
            handle.writelines(_sort_prefix(e) + e.as_bytes() + b"\n" for e in events)
        self._runs.append(path)
        events.clear()

    def lines(self) -> Iterator[bytes]:
        """Every event as compact JSON bytes, in recorded_at order (ties: LA, then generation)."""
        with ExitStack() as stack:
            files: list[IO[bytes]] = [stack.enter_context(path.open("rb")) for path in self._runs]
            for line in heapq.merge(*files):
                yield line[_PREFIX:-1]


def iter_events(config: SimulationConfig, progress: Progress | None = None) -> Iterator[bytes]:
    """Generate and yield every event (JSON bytes), in recorded_at order, using a temporary
    folder for the runs. The ground truth is not kept: use `Simulation` for it."""
    with tempfile.TemporaryDirectory(prefix="rollwatch-simulate-") as folder:
        simulation = Simulation(config, progress)
        simulation.run(Path(folder))
        yield from simulation.lines()


# Events per school in one year with the default background: with the baseline enrolments of the
# pupils on roll at the start, and without them (measured: 163,011 and about 45,000 for 301 schools).
EVENTS_PER_SCHOOL_YEAR = 540
EVENTS_PER_SCHOOL_YEAR_NO_BASELINE = 150


def generate_events(
    count: int,
    *,
    seed: int = 0,
    la_code: str = "886",
    start: dt.date = dt.date(2025, 9, 1),
    baseline: bool = True,
    as_bytes: bool = False,
) -> list[Any]:
    """Exactly `count` events of one LA, for benchmarks: the first `count` in recorded_at order of
    a population sized to produce at least that many in one year. As dicts, or as compact JSON
    bytes with `as_bytes=True`. With `baseline` (the default) the stream opens with the
    enrolments of the pupils already on roll (about three in four events of a year); pass
    `baseline=False` for the year's moves, suspensions, exclusions and AP only. All are valid at
    `SimulationConfig(start=start).simulated_now` (and at the real clock once that day is past).
    """
    per_school = EVENTS_PER_SCHOOL_YEAR if baseline else EVENTS_PER_SCHOOL_YEAR_NO_BASELINE
    schools = max(2, round(1.15 * count / per_school) + 1)
    while True:
        config = SimulationConfig(
            la_codes=(la_code,), schools=schools, seed=seed, start=start, baseline=baseline, roll_checks=False
        )
        out: list[Any] = []
        for line in iter_events(config):
            out.append(line if as_bytes else orjson.loads(line))
            if len(out) == count:
                return out
        schools *= 2
