"""Runs the figures: the one list of them, selection by name, a broker and a temporary folder for
the run, a table on stdout and the JSON report.

To add a figure (alert latency and alert precision/recall will be): write a module with a class
that has `name`, `title` and `run(session) -> list[Result]` (see `tools.bench.figure`),
measuring its own baseline in the same run, and put an instance in FIGURES in place of its
`NotYetAvailable` entry. `Session` gives it the broker, the workload, fresh products
(`session.product(...)`) and the shared filled ledger (`session.ledger_under_load()`)."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import traceback
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tools.bench.alert_latency import AlertLatency
from tools.bench.alert_quality import AlertQuality
from tools.bench.console_dashboard import ConsoleDashboard
from tools.bench.console_inbox import ConsoleInbox
from tools.bench.console_timeline import ConsoleTimeline
from tools.bench.figure import Figure
from tools.bench.harness import Progress, kafka_for_bench
from tools.bench.ingest_throughput import IngestThroughput
from tools.bench.ledger_queries import CompactedHistory, LedgerQueries
from tools.bench.memory import PeakMemory
from tools.bench.national_replay import NationalReplay
from tools.bench.pending import NotYetAvailable
from tools.bench.report import Result, format_table, machine_info, report_dict, write_json
from tools.bench.session import Scale, Session
from tools.bench.tracker_throughput import TrackerThroughput
from tools.bench.verify_time import VerifyTime

FIGURES: list[Figure] = [
    TrackerThroughput(),
    IngestThroughput(),
    LedgerQueries(),
    PeakMemory(),
    AlertLatency(),
    AlertQuality(),
    VerifyTime(),
    NationalReplay(),
    ConsoleInbox(),
    ConsoleTimeline(),
    ConsoleDashboard(),  # it restarts the shared ledger's process with alerts added
    CompactedHistory(),  # last: it merges the shared ledger's history tables
]


def select(names: Sequence[str] | None) -> list[Figure]:
    """The figures named (all when none), in the order of FIGURES."""
    if not names:
        return list(FIGURES)
    known = {figure.name for figure in FIGURES}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"no figure named {', '.join(unknown)}; the figures are: {', '.join(sorted(known))}")
    return [figure for figure in FIGURES if figure.name in names]


def run(
    figures: Sequence[Figure],
    scale: Scale,
    out: Path,
    progress: Progress,
    workdir: Path | None = None,
) -> tuple[list[Result], dict[str, Any]]:
    started = dt.datetime.now(dt.UTC)
    machine = machine_info()
    temporary = workdir is None
    folder = Path(tempfile.mkdtemp(prefix="rollwatch-bench-")) if workdir is None else workdir
    folder.mkdir(parents=True, exist_ok=True)
    results: list[Result] = []
    try:
        with ExitStack() as stack:
            session: Session | None = None
            for figure in figures:
                if isinstance(figure, NotYetAvailable):
                    results.append(figure.result())
                    continue
                if session is None:  # the broker starts only when a figure measures something
                    bootstrap = stack.enter_context(kafka_for_bench(folder / "kafka", progress))
                    session = stack.enter_context(Session(scale, folder, bootstrap, progress))
                results.extend(_run_one(figure, session, progress))
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)
    finished = dt.datetime.now(dt.UTC)
    report = report_dict(
        results,
        machine=machine,
        mode=scale.mode,
        started=started,
        finished=finished,
        parameters=asdict(scale),
    )
    write_json(report, out)
    return results, report


def _run_one(figure: Figure, session: Session, progress: Progress) -> list[Result]:
    progress(f"--- {figure.name}")
    try:
        results = figure.run(session)
    except Exception as exc:
        progress(f"{figure.name} failed:\n{traceback.format_exc()}")
        return [Result.error(figure.name, figure.title, f"{type(exc).__name__}: {str(exc)[:500]}")]
    for result in results:
        progress(format_table([result]).splitlines()[2])
    return results


__all__ = ["FIGURES", "format_table", "run", "select"]
