"""Two tracker workers in one consumer group hand partitions over, for real: worker A takes all
of `pupil-events`, worker B joins mid-stream (a rebalance splits the partitions), then A leaves
(B takes them all). Both write to the one embedded ledger (chDB hosts one process per folder, so
the two workers share this process, as two replicas would share a ClickHouse server). Every event
is in the ledger exactly once, every hash chain and placement verifies, and the checkpoint
writer is whoever holds partition 0."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
import uuid
from collections import Counter

import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer

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


def _settings(kafka: KafkaForTests, ledger_settings: Settings) -> Settings:
    return ledger_settings.model_copy(
        update={
            "kafka_bootstrap": kafka.bootstrap,
            "namespace": f"handover{uuid.uuid4().hex[:8]}.",
            "tracker_batch_size": 50,
            "tracker_batch_seconds": 0.05,
            "checkpoint_interval_s": 0.5,
        }
    )


def test_two_workers_hand_partitions_over_and_every_event_lands_once(
    kafka: KafkaForTests, ledger_settings: Settings
) -> None:
    settings = _settings(kafka, ledger_settings)
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


def test_events_flowing_through_the_hand_overs_are_each_written_and_published_once(
    kafka: KafkaForTests, ledger_settings: Settings
) -> None:
    """The same hand-overs while events keep coming, so that a worker may have a batch being
    written and the next one gathered when a rebalance begins: the first is finished and
    committed, the second dropped unwritten and fetched again by the partition's holder. Whatever
    the timing, no event's row or `pupil-moves` record is written twice (a replayed batch would
    publish its moves again)."""
    settings = _settings(kafka, ledger_settings)
    ensure_topics(settings.kafka, settings.topics, settings.events_partitions)
    clients = ClientPerThread(settings)
    migrate(clients.get())
    register = SchoolsRegister.from_gias_files(JANUARY, JANUARY_LINKS)
    pupils = [upn_for(886, 4000, 24, 700 + n) for n in range(PUPILS)]
    events = [
        enrolment(
            upn,
            school_urn=SCHOOLS[(n + k) % 2],
            occurred_on=dt.date(2025, 9, 1) + dt.timedelta(days=k),
        )
        for k in range(12)
        for n, upn in enumerate(pupils)
    ]

    def feed(stop: threading.Event) -> None:
        producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
        try:
            for index, event in enumerate(events):
                producer.send(
                    settings.topics.pupil_events, key=str(event["upn"]).encode(), value=orjson.dumps(event)
                )
                if index % 20 == 19:
                    producer.flush()
                    time.sleep(0.05)  # a stream, not a burst: batches are in hand at every rebalance
        finally:
            producer.flush()
            producer.close()
            stop.set()

    def worker() -> LedgerConsumer:
        return LedgerConsumer(settings, Tracker(settings, LedgerWriter(clients), register))

    def rows() -> int:
        return int(clients.get().query("SELECT count() FROM movement_ledger").result_rows[0][0])

    async def scenario() -> None:
        fed = threading.Event()
        feeder = threading.Thread(target=feed, args=(fed,))
        a, b, c = worker(), worker(), worker()
        await a.start()
        feeder.start()
        await asyncio.sleep(1.0)
        await b.start()  # joins mid-stream
        await asyncio.sleep(1.5)
        await a.stop()  # leaves mid-stream
        await c.start()
        await asyncio.to_thread(fed.wait, 120)
        deadline = time.monotonic() + 90
        while rows() < len(events):
            assert time.monotonic() < deadline, f"{rows()} of {len(events)} rows"
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # room for a duplicate
        await b.stop()
        await c.stop()
        for each in (a, b, c):
            assert isinstance(each.tracker, Tracker)
            each.tracker.close()
        feeder.join()

    asyncio.run(scenario())
    client = clients.get()
    assert rows() == len(events)
    assert client.query("SELECT uniqExact(event_id) FROM movement_ledger").result_rows[0][0] == len(events)
    moves = _topic_values(kafka, settings.topics.pupil_moves)
    published = Counter(orjson.loads(value)["event"]["event_id"] for value in moves)
    assert len(published) == len(events)
    assert [event_id for event_id, times in published.items() if times > 1] == []
    report = verify(client, settings.secrets)
    assert report.ok, report
    clients.close()


def _topic_values(kafka: KafkaForTests, topic: str) -> list[bytes]:
    consumer = KafkaConsumer(
        topic, bootstrap_servers=kafka.bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=3000
    )
    try:
        return [message.value for message in consumer]
    finally:
        consumer.close()
