"""Two tracker workers in one consumer group hand partitions over, for real: worker A takes all
of `pupil-events`, worker B joins mid-stream (a rebalance splits the partitions), then A leaves
(B takes them all). Both write to the one embedded ledger (chDB hosts one process per folder, so
the two workers share this process, as two replicas would share a ClickHouse server). Every event
is in the ledger exactly once, every hash chain and placement verifies, and the checkpoint
writer is whoever holds partition 0."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid

import orjson
import pytest
from kafka import KafkaProducer

from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.migrate import migrate
from rollwatch.core.settings import Settings
from rollwatch.core.topics import ensure_topics
from services.schools.register import SchoolsRegister
from services.tracker.agent import Tracker
from services.tracker.batch_consumer import LedgerConsumer
from services.tracker.ledger_writer import LedgerWriter
from services.tracker.verification import verify
from tests.support.brokers import KafkaForTests
from tests.support.events import enrolment, upn_for
from tests.support.gias import JANUARY, JANUARY_LINKS

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

SCHOOLS = ("100050", "100054")
PUPILS = 40
WAVES = 3  # events per pupil per wave: A alone, A and B, B alone


def test_two_workers_hand_partitions_over_and_every_event_lands_once(
    kafka: KafkaForTests, ledger_settings: Settings
) -> None:
    settings = ledger_settings.model_copy(
        update={
            "kafka_bootstrap": kafka.bootstrap,
            "namespace": f"handover{uuid.uuid4().hex[:8]}.",
            "tracker_batch_size": 50,
            "tracker_batch_seconds": 0.05,
            "checkpoint_interval_s": 0.5,
        }
    )
    ensure_topics(settings.kafka, settings.topics, settings.events_partitions)
    clients = ClientPerThread(settings)
    migrate(clients.get())
    register = SchoolsRegister.from_gias_files(JANUARY, JANUARY_LINKS)
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    pupils = [upn_for(886, 4000, 24, 500 + n) for n in range(PUPILS)]
    sent = 0

    def send_wave(wave: int) -> None:
        nonlocal sent
        for k in range(3):
            for n, upn in enumerate(pupils):
                event = enrolment(
                    upn,
                    school_urn=SCHOOLS[(n + k + wave) % 2],
                    occurred_on=dt.date(2025, 9, 1) + dt.timedelta(days=30 * wave + 7 * k),
                )
                producer.send(settings.topics.pupil_events, key=upn.encode(), value=orjson.dumps(event))
                sent += 1
        producer.flush()

    def rows() -> int:
        return int(clients.get().query("SELECT count() FROM movement_ledger").result_rows[0][0])

    async def until(count: int, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while rows() < count:
            assert time.monotonic() < deadline, f"{rows()} of {count} rows"
            await asyncio.sleep(0.2)

    def worker() -> LedgerConsumer:
        return LedgerConsumer(settings, Tracker(settings, LedgerWriter(clients), register))

    async def scenario() -> tuple[set[int], set[int]]:
        a, b = worker(), worker()
        await a.start()
        send_wave(0)
        await until(sent)
        await b.start()
        send_wave(1)
        await until(sent)
        shared = (_held(a), _held(b))
        await a.stop()
        send_wave(2)
        await until(sent)
        await asyncio.sleep(1.0)  # room for a duplicate, and a checkpoint by B
        await b.stop()
        a.tracker.close()
        b.tracker.close()
        return shared

    try:
        held_by_a, held_by_b = asyncio.run(scenario())
    finally:
        producer.close()
    assert held_by_a and held_by_b and not held_by_a & held_by_b, (held_by_a, held_by_b)
    client = clients.get()
    assert rows() == sent == PUPILS * 3 * WAVES
    assert client.query("SELECT uniqExact(event_id) FROM movement_ledger").result_rows[0][0] == sent
    report = verify(client, settings.secrets)
    assert report.ok, report
    clients.close()


def _held(worker: LedgerConsumer) -> set[int]:
    consumer = worker._consumer
    assert consumer is not None
    return {tp.partition for tp in consumer.assignment()}
