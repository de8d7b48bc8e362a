"""Results, their targets, the printed table and the JSON report (with the machine they were
measured on). Pure, except `machine_info` (reads the machine) and `write_json`."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from tools.bench.stats import ratio

Status = Literal["measured", "not_available", "error"]


@dataclass(frozen=True)
class Target:
    """A bound on the measured value (`on="value"`) or on its ratio to the baseline."""

    bound: Literal["min", "max"]
    threshold: float
    on: Literal["value", "ratio"] = "value"

    def met(self, value: float | None, measured_ratio: float | None) -> bool | None:
        subject = value if self.on == "value" else measured_ratio
        if subject is None:
            return None
        return subject >= self.threshold if self.bound == "min" else subject <= self.threshold

    def describe(self, unit: str) -> str:
        sign = ">=" if self.bound == "min" else "<="
        if self.on == "ratio":
            return f"{sign} {_number(self.threshold)}x baseline"
        return f"{sign} {_number(self.threshold)} {unit}".rstrip()


@dataclass
class Result:
    """One figure as measured: its value, the baseline measured beside it in the same run, and
    whether it meets its targets."""

    name: str
    title: str
    unit: str = ""
    value: float | None = None
    baseline_name: str | None = None
    baseline: float | None = None
    targets: tuple[Target, ...] = ()
    status: Status = "measured"
    details: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return ratio(self.value, self.baseline)

    @property
    def checks(self) -> list[tuple[Target, bool | None]]:
        return [(target, target.met(self.value, self.ratio)) for target in self.targets]

    @property
    def passed(self) -> bool | None:
        """True when every target is met, False when one is missed, None when nothing was
        measured or there is no target."""
        if self.status != "measured" or not self.targets:
            return None
        outcomes = [met for _, met in self.checks]
        if any(met is False for met in outcomes):
            return False
        if any(met is None for met in outcomes):
            return None
        return True

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "status": self.status,
            "value": self.value,
            "unit": self.unit,
            "baseline": None
            if self.baseline_name is None
            else {"name": self.baseline_name, "value": self.baseline, "unit": self.unit},
            "ratio": self.ratio,
            "targets": [
                {**asdict(target), "text": target.describe(self.unit), "met": met}
                for target, met in self.checks
            ],
            "passed": self.passed,
            "details": self.details,
            "note": self.note,
        }

    @classmethod
    def not_available(cls, name: str, title: str, reason: str, targets: tuple[Target, ...] = ()) -> Result:
        return cls(name=name, title=title, status="not_available", targets=targets, note=reason)

    @classmethod
    def error(cls, name: str, title: str, reason: str) -> Result:
        return cls(name=name, title=title, status="error", note=reason)


def verdict(result: Result) -> str:
    if result.status == "not_available":
        return "n/a"
    if result.status == "error":
        return "ERROR"
    return {True: "PASS", False: "FAIL", None: "-"}[result.passed]


def format_table(results: list[Result]) -> str:
    """The results as a plain-text table, one row per figure, then notes."""
    header = ("figure", "measured", "baseline (same run)", "ratio", "target", "result")
    rows = []
    for r in results:
        measured = "not available" if r.status == "not_available" else _with_unit(r.value, r.unit)
        if r.status == "error":
            measured = "error"
        baseline = "-" if r.baseline_name is None else f"{_with_unit(r.baseline, r.unit)} ({r.baseline_name})"
        shown_ratio = "-" if r.ratio is None else f"{r.ratio:.2f}"
        target = "; ".join(t.describe(r.unit) for t in r.targets) or "-"
        rows.append((r.title, measured, baseline, shown_ratio, target, verdict(r)))
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, tuple("-" * w for w in widths), *rows]
    ]
    notes = [f"- {r.title}: {r.note}" for r in results if r.note]
    return "\n".join(lines + (["", *notes] if notes else []))


def _number(value: float) -> str:
    if value == int(value) and abs(value) >= 1:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}".rstrip("0").rstrip(".")


def _with_unit(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{_number(value)} {unit}".rstrip()


def report_dict(
    results: list[Result],
    *,
    machine: dict[str, Any],
    mode: str,
    started: dt.datetime,
    finished: dt.datetime,
    parameters: dict[str, Any],
) -> dict[str, Any]:
    return {
        "rollwatch_bench": 1,
        "mode": mode,
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "duration_s": round((finished - started).total_seconds(), 1),
        "machine": machine,
        "parameters": parameters,
        "figures": [r.as_dict() for r in results],
        "summary": {
            "passed": sum(1 for r in results if r.passed is True),
            "failed": sum(1 for r in results if r.passed is False),
            "not_available": sum(1 for r in results if r.status == "not_available"),
            "errors": sum(1 for r in results if r.status == "error"),
        },
    }


def write_json(report: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path


def default_path(now: dt.datetime, directory: Path = Path("bench-results")) -> Path:
    return directory / f"{now:%Y-%m-%dT%H%M%S}.json"


def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
    }
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    info["memory_gib"] = round(int(line.split()[1]) / 1024**2, 1)
        info["load_average"] = list(os.getloadavg())
    except OSError:
        pass
    try:
        root = Path(__file__).resolve().parents[2]
        info["git_commit"] = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        info["git_dirty"] = bool(dirty)
    except (OSError, subprocess.SubprocessError):
        pass
    return info
