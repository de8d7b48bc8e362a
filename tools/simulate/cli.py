"""`rollwatch simulate`: the arguments and what they do. rollwatch/app/cli.py adds the subcommand
with `add_arguments` and calls `run`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rollwatch.core.settings import Settings
    from tools.simulate.engine import SimulationConfig

DESCRIPTION = """\
Realistic synthetic pupil events for one LA (or several) or for all of England, with injected
off-rolling and other behaviour the alert rules should find, and a ground truth file saying
which alerts should fire for whom. Deterministic: the same arguments and --seed give the same
bytes.

Every school also sends a school.roll_checked each school day (--no-roll-checks: none), with
injected roll drift and silent feeds in the ground truth of roll_mismatch and feed_silent.

Outputs:
  --out FILE.jsonl      every event, one per line, sorted by recorded_at
  --kafka [BOOTSTRAP]   produce to the namespaced pupil-events topic (acks=all, key = UPN,
                        a roll check's the school's URN);
                        BOOTSTRAP defaults to ROLLWATCH_KAFKA_BOOTSTRAP
  --api URL --key-file F
                        POST /v1/events in batches of 500; F holds one key that writes for
                        every school, or a JSON object {"<urn>": "<key>", ...} ("*" = default)
Beside them, always: the schools register (--register, GIAS CSV format, Windows-1252) and the
ground truth (--ground-truth, JSONL: rule, fingerprint, la_code, school_urn, upn, key_event_id,
evidence, as_of, fires_on, injected, behaviour, case_id); by default both next to --out (or in
the current folder). A summary (JSON: rates, counts, timings) goes to stderr and to --summary.

Time: events are dated from --start over --years school years. Every event is recorded no later
than 23:59:59 on 31 August of the last year (the simulated clock, in the summary as
simulated_now): validate with schemas.parse_event(raw, now=simulated_now). Kafka and the API
check dates against the real clock, so they are refused when the last year has not ended yet.

Examples:
  rollwatch simulate --la 886 --out sim/events.jsonl
  rollwatch simulate --la 886 --schools 40 --seed 7 --out small.jsonl
  rollwatch simulate --england --scale 0.01 --years 2 --start 2024-09-01 --out england.jsonl
  rollwatch simulate --la 886 --schools 60 --api http://127.0.0.1:8000 --key-file keys.json
"""


def add_parser(sub: Any) -> None:
    """The `rollwatch simulate` command (an entry point of `rollwatch.commands`)."""
    parser = sub.add_parser(
        "simulate", help="synthetic events for an LA or England, with injected off-rolling and ground truth"
    )
    add_arguments(parser)
    parser.set_defaults(handler=lambda settings, args: run(args, settings))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    where = parser.add_argument_group("what to simulate")
    scope = where.add_mutually_exclusive_group()
    scope.add_argument(
        "--la",
        action="append",
        metavar="CODE",
        help="a 3-digit LA code (repeatable; default 886, Kent); its calendar from services/alerts",
    )
    scope.add_argument("--england", action="store_true", help="every live English LA (153)")
    where.add_argument(
        "--schools",
        type=int,
        metavar="N",
        help="schools per LA with --la (default 300, about 115,000 pupils; a big county has 600)",
    )
    where.add_argument(
        "--scale",
        type=float,
        default=1.0,
        metavar="F",
        help="with --england: the share of England's ~21,600 state schools (1.0 = ~8.3M pupils)",
    )
    where.add_argument(
        "--start",
        type=dt.date.fromisoformat,
        default=dt.date(2025, 9, 1),
        help="YYYY-MM-DD (default 2025-09-01)",
    )
    where.add_argument(
        "--years", type=int, default=1, metavar="N", help="school years to simulate (default 1)"
    )
    where.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    inject = parser.add_argument_group("injected behaviour and background")
    inject.add_argument(
        "--offrolling-share",
        type=float,
        default=0.05,
        metavar="F",
        help="share of secondary schools that off-roll (default 0.05; at least one per LA named by --la)",
    )
    inject.add_argument(
        "--inject-per-10k",
        type=float,
        default=5.0,
        metavar="F",
        help="injected cases of each other behaviour per 10,000 pupils a year, times its weight "
        "(default 5: late notices, retrospective deletions, AP drift, vanished children, "
        "suspensions over 45 days, high mobility)",
    )
    inject.add_argument("--no-inject", action="store_true", help="background only")
    inject.add_argument(
        "--quiet-background",
        action="store_true",
        help="background exits only for pupils no rule would flag (no SEN, not Years 10-11, ...)",
    )
    inject.add_argument(
        "--no-roll-checks",
        action="store_true",
        help="no daily school.roll_checked per school (nor its injected drift and silent feeds)",
    )
    inject.add_argument(
        "--no-baseline",
        action="store_true",
        help="do not emit the enrolments of pupils already on roll at the start (dated years back)",
    )
    out = parser.add_argument_group("outputs")
    out.add_argument("--out", type=Path, metavar="FILE.jsonl", help="write the events here")
    out.add_argument(
        "--kafka",
        nargs="?",
        const="",
        metavar="BOOTSTRAP",
        help="produce to Kafka (default bootstrap: settings)",
    )
    out.add_argument("--api", metavar="URL", help="send to the ingest API, e.g. http://127.0.0.1:8000")
    out.add_argument("--key-file", type=Path, metavar="F", help="API key(s) for --api")
    out.add_argument("--ground-truth", type=Path, metavar="FILE", help="default: ground-truth.jsonl by --out")
    out.add_argument("--register", type=Path, metavar="FILE", help="default: schools.csv by --out")
    out.add_argument("--summary", type=Path, metavar="FILE", help="also write the summary JSON here")
    out.add_argument("--quiet", action="store_true", help="no progress on stderr")


def config_from(args: argparse.Namespace) -> SimulationConfig:
    from tools.simulate.behaviours import NO_INJECTION, InjectionRates
    from tools.simulate.engine import SimulationConfig

    injection = (
        NO_INJECTION
        if args.no_inject
        else InjectionRates(offrolling_share=args.offrolling_share, per_10k=args.inject_per_10k)
    )
    return SimulationConfig(
        la_codes=None if args.england else tuple(args.la or ["886"]),
        schools=args.schools,
        scale=args.scale,
        start=args.start,
        years=args.years,
        seed=args.seed,
        injection=injection,
        baseline=not args.no_baseline,
        roll_checks=not args.no_roll_checks,
        quiet_background=args.quiet_background,
    )


class ProgressPrinter:
    """Progress on stderr, at most twice a second."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self._last = 0.0
        self._started = time.perf_counter()

    def __call__(self, stage: str, fraction: float, detail: str = "") -> None:
        now = time.perf_counter()
        if not self.enabled or (now - self._last < 0.5 and fraction < 1.0):
            return
        self._last = now
        print(f"\r{stage}: {100 * fraction:5.1f}% {detail}".ljust(78), end="", file=self.stream, flush=True)
        if fraction >= 1.0:
            print(file=self.stream, flush=True)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from tools.simulate.engine import Simulation
    from tools.simulate.register_file import write_register
    from tools.simulate.sinks import ApiSink, FileSink, KafkaSink, Sink, SinkError, read_keys

    err = sys.stderr
    if args.out is None and args.kafka is None and args.api is None:
        print("rollwatch simulate: give at least one output: --out, --kafka or --api", file=err)
        return 2
    if (args.api is None) != (args.key_file is None):
        print("rollwatch simulate: --api and --key-file go together", file=err)
        return 2
    try:
        config = config_from(args)
        if config.years < 1 or (config.schools is not None and config.schools < 1) or config.scale <= 0:
            raise ValueError("--years, --schools and --scale must be positive")
        keys = read_keys(args.key_file) if args.key_file else {}
    except (ValueError, OSError) as exc:
        print(f"rollwatch simulate: {exc}", file=err)
        return 2
    live = args.kafka is not None or args.api is not None
    if live and config.simulated_now > dt.datetime.now(dt.UTC):
        print(
            f"rollwatch simulate: the simulated years end on {config.window_end}, after today; Kafka and the "
            "API refuse events dated in the future. Use an earlier --start or fewer --years, or --out only.",
            file=err,
        )
        return 2
    folder = args.out.parent if args.out else Path(".")
    truth_path = args.ground_truth or folder / "ground-truth.jsonl"
    register_path = args.register or folder / "schools.csv"
    for path in (args.out, truth_path, register_path, args.summary):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    progress = ProgressPrinter(err, not args.quiet)
    sinks: list[Sink] = []
    try:  # open the sinks first: a missing broker should not wait for the generation
        if args.out:
            sinks.append(FileSink(args.out))
        if args.kafka is not None:
            kafka = settings.kafka.with_bootstrap(args.kafka) if args.kafka else settings.kafka
            sinks.append(KafkaSink(kafka, settings.topics.pupil_events))
        if args.api:
            sinks.append(ApiSink(args.api, keys))
    except (SinkError, OSError, ValueError) as exc:
        print(f"rollwatch simulate: {exc}", file=err)
        return 1
    simulation = Simulation(config, progress)
    write_register(register_path, simulation.schools)
    with tempfile.TemporaryDirectory(prefix="rollwatch-simulate-") as runs:
        summary = simulation.run(Path(runs))
        with truth_path.open("wb") as handle:
            for entry in simulation.ground_truth:
                handle.write(json.dumps(entry.as_json()).encode() + b"\n")
        try:
            started = time.perf_counter()
            total = max(1, summary.events)
            for count, line in enumerate(simulation.lines(), 1):
                for sink in sinks:
                    sink.send(line)
                if count % 5000 == 0:
                    elapsed = time.perf_counter() - started
                    progress("write", count / total, f"{count:,} events, {count / elapsed:,.0f}/s")
            for sink in sinks:
                sink.close()
            summary.write_seconds = time.perf_counter() - started
            progress("write", 1.0, f"{summary.events:,} events")
        except (SinkError, OSError, ValueError) as exc:
            print(f"\nrollwatch simulate: {exc}", file=err)
            return 1
    report = summary.as_json() | {
        "events_file": str(args.out) if args.out else None,
        "ground_truth_file": str(truth_path),
        "register_file": str(register_path),
        "generated_events_per_second": round(summary.events / max(summary.generate_seconds, 1e-9)),
    }
    text = json.dumps(report, indent=2)
    if args.summary:
        args.summary.write_text(text + "\n", encoding="utf-8")
    print(text, file=err)
    return 0
