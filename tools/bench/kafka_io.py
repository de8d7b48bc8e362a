"""Plain aiokafka clients: they fill topics for the figures, and they are the baselines (a bare
consumer that does nothing with what it reads; a bare producer that sends the same bytes)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tools.bench.harness import EVENTS_PARTITIONS


@dataclass(frozen=True)
class Timed:
    count: int
    seconds: float  # from the first message to the last


async def _produce(bootstrap: str, topic: str, messages: Iterable[tuple[bytes, bytes]], window: int) -> int:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=1024 * 1024
    )
    await producer.start()
    sent = 0
    try:
        pending: list[asyncio.Future[object]] = []
        for key, value in messages:
            pending.append(await producer.send(topic, value=value, key=key))
            sent += 1
            if len(pending) >= window:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent


def produce(bootstrap: str, topic: str, messages: Iterable[tuple[bytes, bytes]], window: int = 20_000) -> int:
    """Send keyed messages as fast as the broker takes them (acks=all); the count sent."""
    return asyncio.run(_produce(bootstrap, topic, messages, window))


async def _consume_all(bootstrap: str, topic: str, expected: int, timeout_s: float) -> Timed:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        # The bench made the topic, so it knows its partitions (aiokafka's metadata may lag).
        partitions = [TopicPartition(topic, p) for p in range(EVENTS_PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        count = 0
        first = last = 0.0
        deadline = time.monotonic() + timeout_s
        while count < expected and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            got = sum(len(records) for records in batch.values())
            if got:
                last = time.perf_counter()
                if count == 0:
                    first = last
                count += got
        return Timed(count, last - first)
    finally:
        await consumer.stop()


def consume_all(bootstrap: str, topic: str, expected: int, timeout_s: float = 600) -> Timed:
    """Read a topic from the beginning until `expected` messages, doing nothing with them."""
    return asyncio.run(_consume_all(bootstrap, topic, expected, timeout_s))


async def _produce_groups(
    bootstrap: str, topic: str, groups: Sequence[Sequence[tuple[bytes, bytes]]], concurrency: int
) -> Timed:
    # The same producer settings the ingest service started with (services/ingest/publisher.py
    # before any tuning), so the baseline does not move when the product is tuned.
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=1024 * 1024,
    )
    await producer.start()
    queue: asyncio.Queue[Sequence[tuple[bytes, bytes]]] = asyncio.Queue()
    for group in groups:
        queue.put_nowait(group)

    async def sender() -> int:
        sent = 0
        while not queue.empty():
            group = queue.get_nowait()
            pending = [await producer.send(topic, value=value, key=key) for key, value in group]
            await asyncio.gather(*pending)
            sent += len(group)
        return sent

    try:
        started = time.perf_counter()
        counts = await asyncio.gather(*(sender() for _ in range(concurrency)))
        return Timed(sum(counts), time.perf_counter() - started)
    finally:
        await producer.stop()


def produce_groups(
    bootstrap: str, topic: str, groups: Sequence[Sequence[tuple[bytes, bytes]]], concurrency: int
) -> Timed:
    """`concurrency` senders, each sending a group and waiting for all its acks before the next:
    the shape of the ingest API's work, without HTTP or validation."""
    return asyncio.run(_produce_groups(bootstrap, topic, groups, concurrency))
