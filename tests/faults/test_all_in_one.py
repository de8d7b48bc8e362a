"""Faults against the all-in-one product (`rollwatch run`) over one stream (FAULTS_PUPILS) posted
through the batch endpoint, on a broker of the test's own:

- kill -9 at five random moments (between or during requests; the sender resends what got no
  answer), each followed by a start of the same product;
- the broker stopped mid-stream and started again: ingest answers 503 with Retry-After while it
  is down, and the same process (no restart) takes the stream up again once it is back;
- the LA's webhook receiver answers 500 for 8 s from the first notification on, is down (its port
  closed) for 6 s, slow for 8 s, then well: every notification is delivered once it recovers or
  kept in the dead-letter table, and those are sent again with `rollwatch alerts dead-letters`.

At the end: every event answered 202 is in the ledger exactly once, every hash chain verifies,
the alerts equal those of a clean run (the pure rules over the same events), and every alert of
the receiver's LA reached it. (This replaces tests/e2e/test_broker_restart.py.)"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from rollwatch.app import cli
from rollwatch.core.kafka_connection import KafkaConnection
from rollwatch.core.local_kafka import LocalKafka
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
from tests.support.feeder import Feeder
from tests.support.flaky_receiver import FlakyReceiver, Mode
from tools.harness.broker import local_broker, running

pytestmark = [
    pytest.mark.faults, pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e, pytest.mark.delivery,
]  # fmt: skip

SEED = 29
SECRET = "w" * 40
HOOK_LA = "886"
# How the receiver behaves from the first notification on (seconds, mode), then well; and where
# in the stream (a share of its batches) the broker restarts.
RECEIVER_PHASES: list[tuple[float, Mode]] = [(8.0, "failing"), (6.0, "down"), (8.0, "slow")]
BROKER_RESTART_AT = 0.55


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalKafka]:
    """A broker of this test's own, since the test stops and restarts it."""
    with running(local_broker(tmp_path / "kafka")) as broker:
        yield broker


@pytest.fixture
def receiver() -> Iterator[FlakyReceiver]:
    flaky = FlakyReceiver()
    yield flaky
    flaky.stop()


@pytest.fixture
def product(own_broker: LocalKafka, receiver: FlakyReceiver, tmp_path: Path) -> Iterator[RunningProduct]:
    # Few, quick retries: the receiver's bad phases end deliveries as dead letters.
    route = {
        "id": "886-case-system", "kind": "webhook", "url": receiver.url, "secret_env": "ROLLWATCH_TEST_HOOK",
        "timeout_s": 2, "max_attempts": 3, "backoff_base_s": 0.1, "backoff_max_s": 0.3,
    }  # fmt: skip
    routes = tmp_path / "routes.json"
    routes.write_text(
        json.dumps({"format_version": 1, "version": "t", "las": {HOOK_LA: {"routes": [route]}}})
    )
    with rollwatch_process(
        own_broker.bootstrap, tmp_path / "product", alert_tick_seconds="1", alert_routes_file=str(routes),
        test_hook=SECRET, stream_instance_id="faults-run",
    ) as running_product:  # fmt: skip
        yield running_product


def _plan(batches: int) -> list[tuple[int, str]]:
    """(batch, what): five kills at random batches away from the broker restart, the restart, and
    the receiver's changes."""
    rng = random.Random(SEED)
    restart = int(batches * BROKER_RESTART_AT)
    candidates = [b for b in range(3, batches - 3) if abs(b - restart) > batches // 10]
    return sorted([(b, "kill") for b in rng.choices(candidates, k=KILLS)] + [(restart, "broker")])


def _misbehave(receiver: FlakyReceiver) -> threading.Thread:
    """The receiver's bad phases, in a thread, from the first notification it gets."""

    def run() -> None:
        while not receiver.received:
            time.sleep(0.1)
        for seconds, mode in RECEIVER_PHASES:
            receiver.set(mode)
            time.sleep(seconds)
        receiver.set("ok")

    receiver.set("failing")
    thread = threading.Thread(target=run, name="misbehave", daemon=True)
    thread.start()
    return thread


@pytest.mark.timeout(TIMEOUT_S)
def test_kills_a_broker_restart_and_a_failing_receiver_lose_nothing(
    stream: Stream, clean_alerts: Future[frozenset[Alert]], own_broker: LocalKafka,
    receiver: FlakyReceiver, product: RunningProduct, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    started = time.monotonic()
    school = product.new_key("school", urns=tuple(SCHOOLS))
    batches = stream.batches()
    kafka = KafkaConnection(own_broker.bootstrap)
    groups = service_groups(product.namespace, "rollwatch-alerts-tracker")
    lagging = watch_lag(kafka, groups)
    misbehaving = _misbehave(receiver)
    plan = _plan(len(batches))
    # The feed waits at the broker's restart until the broker is down (see _restart_broker).
    restarts = frozenset(batch for batch, step in plan if step == "broker")
    feeder = Feeder(product.url, school, batches, hold_before=restarts).start()
    rng = random.Random(SEED)
    kills = 0
    for batch, step in plan:
        feeder.wait_for(batch, timeout_s=300)
        if step == "kill":
            time.sleep(rng.uniform(0, 0.5))  # between requests or during one
            product.kill()
            product.start()
            kills += 1
        else:
            _restart_broker(own_broker, product, feeder)
    feeder.join(timeout_s=TIMEOUT_S)
    fed = round(time.monotonic() - started)
    assert feeder.accepted == stream.ids, "the sender resends until every batch is accepted"
    misbehaving.join(timeout=120)
    caught_up = catch_up(kafka, groups)
    most_behind = lagging.stop()
    found = wait_for_alerts(product, product.auditor_key, stream.leavers, timeout_s=120)
    alerts = same_alerts_as_a_clean_run(found, clean_alerts)
    ledger_rows = verified(product)["rows"]

    hooked = {a["alert_id"] for a in found if a["la_code"] == HOOK_LA}
    dead = _dead_letters(product, capsys, hooked, receiver)
    for delivery_id in dead:
        assert _cli(capsys, "redeliver", delivery_id, product)[0]["state"] == "redelivering"
    _wait(lambda: hooked <= receiver.delivered(), 120, "every alert of the LA delivered after redelivery")
    assert {letter["state"] for letter in _cli(capsys, "list", None, product)} <= {"redelivered"}

    product.stop()
    lost, duplicated = exactly_once(product.ledger_ids(), feeder.accepted)
    with capsys.disabled():
        figures(
            "rollwatch run", events=len(stream.events), accepted=len(feeder.accepted), kills=kills,
            broker_restarts=1, unanswered_requests=feeder.unanswered, answers_503=feeder.unavailable,
            ledger_rows=ledger_rows, lost=lost, duplicated=duplicated, alerts=alerts,
            webhook_answers=receiver.answers(), dead_letters_redelivered=len(dead),
            most_messages_behind=most_behind, seconds_to_catch_up_after_the_feed=caught_up,
            seconds_feeding=fed, seconds=round(time.monotonic() - started),
        )  # fmt: skip


def _restart_broker(broker: LocalKafka, product: RunningProduct, feeder: Feeder) -> None:
    """Stop the broker until ingest has refused a request, start it again, and see the same
    process accept the next batch."""
    assert product.process is not None
    pid, starts = product.process.pid, product.starts
    # The feed is held before this batch (`hold_before`): on a fast machine the rest of it could
    # otherwise be accepted before the broker is down, and no request would meet the outage.
    broker.stop()
    refused = feeder.unavailable
    feeder.release()
    _wait(lambda: feeder.unavailable > refused, 120, "a 503 while the broker is down")
    assert feeder.retry_after_seen - {""}, "503 answers carry Retry-After"
    broker.start()
    accepted = feeder.sent_batches
    _wait(lambda: feeder.sent_batches > accepted or feeder.done, 180, "a batch accepted once it is back")
    assert product.process.pid == pid and product.starts == starts, "recovered without a restart"


def _dead_letters(
    product: RunningProduct, capsys: pytest.CaptureFixture[str], hooked: set[str], receiver: FlakyReceiver
) -> list[str]:
    """Once every alert of the LA was delivered or dead-lettered (never neither): the dead ones."""
    letters: list[dict[str, object]] = []

    def settled() -> bool:
        nonlocal letters
        letters = _cli(capsys, "list", None, product)
        kept = {alert for letter in letters for alert in letter["alert_ids"]}  # type: ignore[attr-defined]
        return hooked <= receiver.delivered() | kept

    _wait(settled, 180, "every alert of the LA delivered or dead-lettered")
    return [str(letter["delivery_id"]) for letter in letters if letter["state"] == "dead"]


def _cli(
    capsys: pytest.CaptureFixture[str], action: str, delivery_id: str | None, product: RunningProduct
) -> list[dict[str, object]]:
    """`rollwatch alerts dead-letters ACTION` through the running service (--url)."""
    argv = ["alerts", "dead-letters", action, *([delivery_id] if delivery_id else [])]
    assert cli.main([*argv, "--url", product.url, "--key", product.auditor_key]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def _wait(condition: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"no {what} within {timeout_s:.0f}s"
        time.sleep(0.5)
