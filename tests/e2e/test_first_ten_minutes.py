"""The first ten minutes (issue 18): what a newcomer sees when they type `make run`, which runs
`rollwatch run --demo`. In a pseudo-terminal, as a person would: the product starts its own
broker, simulates a (small) demo LA, shows where to go next, and feeds the events with a progress
bar; Ctrl-C part-way through the feed stops everything quietly and says what was kept."""

from __future__ import annotations

import io
import json
import re
import sys
import time
from pathlib import Path

import pexpect
import pytest

from rollwatch.core.local_kafka import port_answers, process_alive
from tests.support.cli import ROOT, rollwatch_env
from tests.support.ports import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e, pytest.mark.timeout(240)]

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def _screen_text(raw: str) -> list[str]:
    """The lines a person reads: colours and cursor moves removed, each redraw on its own line."""
    return [line.strip() for line in ANSI.sub("\n", raw).splitlines() if line.strip()]


def test_make_run_in_a_terminal_then_ctrl_c_during_the_feed(tmp_path: Path) -> None:
    kafka_port, controller_port, http_port = free_port(), free_port(), free_port()
    data_dir = tmp_path / "rollwatch"
    env = rollwatch_env(
        {
            "data_dir": str(data_dir),
            "kafka_bootstrap": f"127.0.0.1:{kafka_port}",
            "kafka_controller_port": str(controller_port),
            "http_port": str(http_port),
            # small enough to be quick, fed in small requests so that Ctrl-C lands part-way
            "demo_schools": "6",
            "demo_batch": "25",
        }
    )
    env["TERM"] = "xterm-256color"
    seen = io.StringIO()
    child = pexpect.spawn(
        sys.executable,
        ["-m", "rollwatch", "run", "--demo"],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        dimensions=(40, 120),
        timeout=150,
        # poll, not select: a pytest worker that ran many ClickHouse tests first holds more than
        # select's 1,024 descriptors (chDB keeps three /proc files open per engine thread)
        use_poll=True,
    )
    child.logfile_read = seen
    broker_pid = None
    try:
        child.expect(rf"Kafka broker started at 127\.0\.0\.1:{kafka_port} \(pid (\d+)\)")
        broker_pid = int(child.match.group(1))
        child.expect(r"Demo LA 886 \(Kent\): 6 schools")
        child.expect(r"Rollwatch is up at ")
        child.expect(r"Auditor's key")
        child.expect(r"Feeding events")
        time.sleep(1.0)
        child.sendintr()  # Ctrl-C
        child.expect(pexpect.EOF, timeout=120)
    finally:
        child.close(force=True)
    lines = _screen_text(seen.getvalue())
    text = "\n".join(lines)

    assert "Traceback" not in text, text
    assert not [line for line in lines if line.startswith("{")], text
    # The summary and what to try next
    url = f"http://127.0.0.1:{http_port}"
    keys = json.loads((data_dir / "demo" / "keys.json").read_text())
    assert f"{url}/docs" in text
    assert keys["la_officer"] in text and keys["auditor"] in text
    statistics = data_dir / "demo" / "simulation.json"
    assert f"statistics: {statistics.resolve()}" in text
    assert json.loads(statistics.read_text())["schools"] == 6
    # Stopped part-way, quietly, with the broker it started
    assert re.search(r"Stopped while feeding the demo: [\d,]+ of [\d,]+ events sent", text), text
    assert "Kafka broker stopped" in text
    assert f"Kept: {data_dir.resolve()}" in text
    assert child.exitstatus == 0, (child.exitstatus, child.signalstatus, text)
    assert broker_pid is not None and not process_alive(broker_pid)
    assert not port_answers("127.0.0.1", kafka_port)
    assert not port_answers("127.0.0.1", http_port)
