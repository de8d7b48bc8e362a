import datetime as dt
import json
from pathlib import Path

import pytest

from tools.bench.report import Result, Target, default_path, format_table, report_dict, write_json


def _throughput(value: float, baseline: float) -> Result:
    return Result(
        name="tracker_throughput",
        title="Tracker throughput",
        unit="events/s",
        value=value,
        baseline_name="bare consumer",
        baseline=baseline,
        targets=(Target("min", 20_000), Target("min", 0.5, on="ratio")),
    )


def test_ratio_is_measured_over_baseline() -> None:
    assert _throughput(25_000, 100_000).ratio == 0.25


@pytest.mark.parametrize(
    ("value", "baseline", "passed"),
    [
        (30_000, 50_000, True),  # both targets met
        (30_000, 100_000, False),  # fast, but under half the baseline
        (15_000, 20_000, False),  # near the baseline, but under the absolute target
        (20_000, 40_000, True),  # bounds are inclusive
    ],
)
def test_every_target_must_be_met(value: float, baseline: float, passed: bool) -> None:
    assert _throughput(value, baseline).passed is passed


def test_a_max_target_on_latency() -> None:
    result = Result("p99", "History p99", unit="ms", value=12.5, targets=(Target("max", 20.0),))
    assert result.passed is True
    result.value = 20.5
    assert result.passed is False


def test_no_verdict_without_targets_or_without_a_measurement() -> None:
    assert Result("x", "X", value=1.0).passed is None
    missing_baseline = Result("x", "X", value=1.0, targets=(Target("min", 0.5, on="ratio"),))
    assert missing_baseline.passed is None
    pending = Result.not_available("alert_latency", "Alert latency", "not merged", (Target("max", 1000),))
    assert pending.passed is None
    assert pending.as_dict()["status"] == "not_available"
    assert pending.as_dict()["value"] is None


def test_target_texts() -> None:
    assert Target("min", 20_000).describe("events/s") == ">= 20,000 events/s"
    assert Target("min", 0.5, on="ratio").describe("events/s") == ">= 0.5x baseline"
    assert Target("max", 1.5).describe("GiB") == "<= 1.5 GiB"
    assert Target("max", 200.0).describe("ms") == "<= 200 ms"


def test_table_has_one_row_per_result_with_verdicts_and_notes() -> None:
    results = [
        _throughput(25_000, 40_000),
        _throughput(5_000, 40_000),
        Result.not_available("alert_latency", "Alert latency", "the alerts service is not merged yet"),
        Result.error("ingest", "Ingest throughput", "RuntimeError: broker gone"),
    ]
    lines = format_table(results).splitlines()
    assert lines[0].split() == [
        "figure",
        "measured",
        "baseline",
        "(same",
        "run)",
        "ratio",
        "target",
        "result",
    ]
    assert set(lines[1]) <= {"-", " "}
    assert "25,000 events/s" in lines[2]
    assert "40,000 events/s (bare consumer)" in lines[2]
    assert "0.62" in lines[2]
    assert lines[2].endswith("PASS")
    assert lines[3].endswith("FAIL")
    assert "not available" in lines[4] and lines[4].endswith("n/a")
    assert lines[5].endswith("ERROR")
    assert "- Alert latency: the alerts service is not merged yet" in lines
    assert "- Ingest throughput: RuntimeError: broker gone" in lines


def test_report_json_has_machine_figures_and_summary(tmp_path: Path) -> None:
    started = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    results = [_throughput(25_000, 40_000), Result.not_available("a", "A", "later")]
    report = report_dict(
        results,
        machine={"cpus": 2},
        mode="quick",
        started=started,
        finished=started + dt.timedelta(seconds=90),
        parameters={"tracker_events": 200_000},
    )
    path = write_json(report, tmp_path / "out" / "r.json")
    loaded = json.loads(path.read_text())
    assert loaded["duration_s"] == 90.0
    assert loaded["machine"] == {"cpus": 2}
    assert loaded["summary"] == {"passed": 1, "failed": 0, "not_available": 1, "errors": 0}
    figure = loaded["figures"][0]
    assert figure["ratio"] == 0.625
    assert figure["baseline"] == {"name": "bare consumer", "value": 40_000, "unit": "events/s"}
    assert [t["met"] for t in figure["targets"]] == [True, True]
    assert figure["targets"][1]["text"] == ">= 0.5x baseline"


def test_default_report_path_is_dated_under_bench_results() -> None:
    path = default_path(dt.datetime(2026, 11, 25, 9, 5, 7))
    assert path == Path("bench-results/2026-11-25T090507.json")
