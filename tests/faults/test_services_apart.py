"""Faults against the services run apart (`rollwatch ingest`, `rollwatch tracker`, `rollwatch
alerts`: three processes, one namespace), over one stream (FAULTS_PUPILS) posted through the
batch endpoint:

- the tracker and the alert service each killed with kill -9 five times, at random moments, and
  started again (ingest keeps accepting meanwhile);
- the tracker's ledger disk filled mid-stream (its ledger folder is a small tmpfs; a ballast file
  takes every free byte): the tracker holds its batch and retries (`/readyz` says not ready),
  ingest keeps accepting into Kafka, and once the space is freed every event lands.

Each process has a ledger folder of its own: the embedded ledger opens in one process only (no
ClickHouse server on the development machines). So the alert service reads an empty ledger for
school statistics and evidence; the stream raises no school-level alert, and its alerts are the
per-pupil ones of a clean run. At the end, as for `rollwatch run`: every event answered 202 is in
the ledger exactly once, every hash chain verifies, the alerts equal those of a clean run. (This
replaces tests/e2e/test_crash_recovery.py.)"""

from __future__ import annotations

import errno
import random
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import httpx
import pytest

from tests.faults.checks import (
    KILLS,
    TIMEOUT_S,
    catch_up,
    exactly_once,
    figures,
    same_alerts_as_a_clean_run,
    service_groups,
    verified,
    wait_for_alerts,
    watch_lag,
)
from tests.faults.stream import SCHOOLS, Alert, Stream
from tests.support.allinone import RunningProduct, rollwatch_process
from tests.support.brokers import KafkaForTests
from tests.support.feeder import Feeder

pytestmark = [pytest.mark.faults, pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]

SEED = 31
LEDGER_DISK = "384m"
DISK_FULL_AT = 0.15


@pytest.fixture
def ledger_disk(tmp_path: Path) -> Iterator[Path]:
    """The tracker's ledger folder on a tmpfs of its own (root only), unmounted after the test."""
    folder = tmp_path / "tracker" / "ledger"
    folder.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={LEDGER_DISK}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs for the ledger (needs root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def services(kafka: KafkaForTests, tmp_path: Path, ledger_disk: Path) -> Iterator[dict[str, RunningProduct]]:
    namespace = f"faults{uuid.uuid4().hex[:8]}."
    common = {"namespace": namespace, "alert_tick_seconds": "1", "tracker_batch_size": "2000"}
    at = kafka.bootstrap
    with (
        rollwatch_process(
            at, tmp_path / "tracker", ("tracker",), stream_instance_id="t", **common
        ) as tracker,
        rollwatch_process(at, tmp_path / "alerts", ("alerts",), stream_instance_id="a", **common) as alerts,
        rollwatch_process(at, tmp_path / "ingest", ("ingest",), **common) as ingest,
    ):
        yield {"tracker": tracker, "alerts": alerts, "ingest": ingest}


def _plan(batches: int) -> list[tuple[int, str]]:
    """The full disk early in the stream (so that events keep coming while it is full), then five
    kills of each service at random batches after it, alternating."""
    rng = random.Random(SEED)
    full = int(batches * DISK_FULL_AT)
    points = sorted(rng.choices(range(full + 1, batches), k=2 * KILLS))
    return [(full, "disk"), *((b, ("tracker", "alerts")[i % 2]) for i, b in enumerate(points))]


@pytest.mark.timeout(TIMEOUT_S)
def test_services_apart_killed_and_a_full_ledger_disk_lose_nothing(
    stream: Stream, clean_alerts: Future[frozenset[Alert]], kafka: KafkaForTests,
    services: dict[str, RunningProduct], ledger_disk: Path,
) -> None:  # fmt: skip
    started = time.monotonic()
    tracker, alerts, ingest = services["tracker"], services["alerts"], services["ingest"]
    school = ingest.new_key("school", urns=tuple(SCHOOLS))
    ingest.wait_for_key(school)  # a busy machine can take a while to pass it on
    groups = service_groups(tracker.namespace, "rollwatch-alerts")
    lagging = watch_lag(kafka.connection, groups)
    batches = stream.batches()
    plan = _plan(len(batches))
    # The feed waits at the full disk until it is full, so events meet it however far the tracker got.
    feeder = Feeder(ingest.url, school, batches, hold_before=frozenset({plan[0][0]})).start()
    rng = random.Random(SEED)
    kills = {"tracker": 0, "alerts": 0}
    held = 0.0
    for batch, step in plan:
        feeder.wait_for(batch, timeout_s=300)
        if step == "disk":
            held = _fill_the_disk(ledger_disk, tracker, feeder)
            continue
        time.sleep(rng.uniform(0, 1.0))
        # Restarts overlap the feed and each other; a service is ready again before its next kill.
        services[step].wait_ready()
        services[step].kill()
        services[step].launch()
        kills[step] += 1
    for service in (tracker, alerts):
        service.wait_ready()
    feeder.join(timeout_s=TIMEOUT_S)
    fed = round(time.monotonic() - started)
    assert feeder.accepted == stream.ids

    caught_up = catch_up(kafka.connection, groups)
    most_behind = lagging.stop()
    found = wait_for_alerts(alerts, alerts.auditor_key, stream.leavers, timeout_s=120)
    raised = same_alerts_as_a_clean_run(found, clean_alerts)
    rows = verified(tracker)["rows"]
    tracker.stop()
    lost, duplicated = exactly_once(tracker.ledger_ids(), feeder.accepted)
    figures(
        "services apart", events=len(stream.events), accepted=len(feeder.accepted),
        tracker_kills=kills["tracker"], alert_service_kills=kills["alerts"],
        seconds_held_on_a_full_disk=round(held, 1), ledger_rows=rows, lost=lost, duplicated=duplicated,
        alerts=raised, most_messages_behind=most_behind, seconds_to_catch_up_after_the_feed=caught_up,
        seconds_feeding=fed, seconds=round(time.monotonic() - started),
    )  # fmt: skip


def _fill_the_disk(folder: Path, tracker: RunningProduct, feeder: Feeder) -> float:
    """Take every free byte of the ledger's disk, let the held feed go on, until the tracker has
    failed to write (and says it is not ready) while ingest went on accepting; then free it.
    Returns the seconds held."""
    ballast = folder / "ballast"
    with open(ballast, "wb", buffering=0) as handle:
        for chunk in (b"\0" * (1 << 20), b"\0" * 4096):  # every byte: large writes, then small
            try:
                while True:
                    handle.write(chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
    held_from = time.monotonic()
    failures = tracker.metric("rollwatch_tracker_write_failures_total")
    accepted = feeder.sent_batches
    feeder.release()
    deadline = time.monotonic() + 180
    while tracker.metric("rollwatch_tracker_write_failures_total") < failures + 2 or (
        feeder.sent_batches < accepted + 3 and not feeder.done
    ):
        assert time.monotonic() < deadline, "the tracker never failed to write on a full disk"
        time.sleep(0.5)
    assert httpx.get(f"{tracker.url}/readyz", timeout=10).status_code == 503
    assert tracker.process is not None and tracker.process.poll() is None, "the tracker holds, alive"
    ballast.unlink()
    return time.monotonic() - held_from
