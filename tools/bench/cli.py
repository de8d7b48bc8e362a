"""`rollwatch bench`: the command line of the benchmark suite (kept light: the figures are
imported only when the command runs)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

DESCRIPTION = (
    "Measure Rollwatch's performance figures, each beside a baseline measured in the same run and "
    "reported as a ratio (README, Benchmarks): tracker throughput (baseline: the I/O floor, the "
    "tracker's consumer inserting the same rows bare; beside it a bare Kafka consumer and a Faust "
    "agent doing nothing), ingest throughput (baseline: a bare Kafka producer), pupil history and school "
    "movements p99 on a 10M-row ledger (1M with --quick; baseline: GET /healthz), peak RSS of "
    "`rollwatch run` (baseline: its RSS when ready), alert latency (ingest -> alert on the "
    "API), alert precision/recall per rule against the simulator's ground truth, and the time "
    "`verify` takes (baseline: writing the same rows), a national replay (`rollwatch simulate "
    "--england`, a slice of a year, drained by the tracker and the alert service; projected for 25M "
    "events; baseline: a bare consumer reading the slice), and the console's inbox, pupil timeline "
    "and LA dashboard pages (baseline: GET /healthz), and pupil history p99 again after "
    "`rollwatch compact` (before it, the same pupils, beside it). The bench "
    "starts its own Kafka "
    "broker on free ports (or uses ROLLWATCH_KAFKA_BOOTSTRAP when set) and runs the product in "
    "processes of its own, on ledgers in a temporary folder. Progress goes to stderr, the table to "
    "stdout and the full report, with the machine's details, to a JSON file. Exits 1 if a figure "
    "could not be measured, else 0 (a missed target is a result, not an error)."
)
FIGURE_NAMES = (
    "tracker_throughput, ingest_throughput, ledger_queries, memory, alert_latency_p99, "
    "alert_precision_recall, verify, national_replay, console_inbox, console_timeline, console_dashboard, "
    "ledger_queries_compacted"
)


def add_parser(sub: Any) -> None:
    bench = sub.add_parser(
        "bench",
        help="the benchmark suite (figures beside same-run baselines; JSON report)",
        description=DESCRIPTION,
    )
    bench.add_argument(
        "--quick",
        action="store_true",
        help="smaller sizes (200k tracker events, 1M-row ledger): under 10 minutes on 2 cores; "
        "the full run takes under an hour",
    )
    bench.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="where to write the JSON report (default: bench-results/DATE.json)",
    )
    bench.add_argument(
        "--only", nargs="+", metavar="NAME", help=f"run only these figures, of: {FIGURE_NAMES}"
    )
    bench.add_argument(
        "--workdir",
        type=Path,
        metavar="DIR",
        help="keep the brokers' and ledgers' data here instead of a temporary folder (removed)",
    )
    bench.set_defaults(handler=run_command)


def run_command(settings: object, args: argparse.Namespace) -> int:
    from tools.bench.harness import Progress
    from tools.bench.report import default_path
    from tools.bench.runner import format_table, run, select
    from tools.bench.session import FULL, QUICK

    try:
        figures = select(args.only)
    except ValueError as exc:
        print(f"rollwatch bench: {exc}", file=sys.stderr)
        return 2
    scale = QUICK if args.quick else FULL
    out = args.out or default_path(dt.datetime.now())
    progress = Progress()
    progress(f"rollwatch bench ({scale.mode}): {', '.join(f.name for f in figures)}")
    results, report = run(figures, scale, out, progress, args.workdir)
    print(format_table(results))
    print(f"\n{report['mode']} run in {report['duration_s']:.0f} s; report: {out}")
    return 1 if any(r.status == "error" for r in results) else 0
