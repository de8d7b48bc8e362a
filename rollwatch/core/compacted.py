"""A topic read into memory and followed: every record from the beginning is handed to `apply`
before `start` returns (a service serves nothing until it knows them all), then each new one as it
arrives. For a compacted topic a process keeps whole in memory: the ids ingest accepted
(`services/ingest/id_log.py`). The key ring (`access/keyring.py`) follows its one-partition topic
itself, since it also verifies signatures and reports how far behind it is."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from rollwatch.core.kafka_connection import KafkaConnection

log = logging.getLogger(__name__)

Apply = Callable[[list[ConsumerRecord[bytes, bytes]]], None]


class TopicFollower:
    def __init__(self, kafka: KafkaConnection, topic: str, apply: Apply) -> None:
        self._kafka = kafka
        self._topic = topic
        self._apply = apply
        self._consumer: AIOKafkaConsumer | None = None
        self._follower: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # No consumer group: subscribing assigns every partition of the topic to this consumer
        # (aiokafka's NoGroupCoordinator), from the earliest offset, and follows new partitions.
        consumer = AIOKafkaConsumer(
            **self._kafka.client_options(),
            enable_auto_commit=False,
            group_id=None,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            consumer.subscribe([self._topic])
            assigned = await self._assignment(consumer)
            await consumer.seek_to_beginning(*assigned)
            ends = await consumer.end_offsets(list(assigned))
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                self._take(await consumer.getmany(timeout_ms=1000))
        except BaseException:
            await consumer.stop()
            raise
        self._consumer = consumer
        self._follower = asyncio.create_task(self._follow(), name=f"follow-{self._topic}")

    async def _assignment(self, consumer: AIOKafkaConsumer) -> set[TopicPartition]:
        for _ in range(60):  # a topic created a moment ago takes a little while to appear
            assigned: set[TopicPartition] = consumer.assignment()
            if assigned:
                return assigned
            await asyncio.sleep(0.25)
        raise RuntimeError(
            f"topic {self._topic} does not exist; run `rollwatch kafka start` or create topics"
        )

    def _take(self, batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]) -> None:
        records = [record for records in batch.values() for record in records]
        if records:
            self._apply(records)

    async def _follow(self) -> None:
        """Never dies silently: a failed fetch is logged and tried again (the consumer keeps its
        positions), waiting a little longer each time up to 30 s."""
        assert self._consumer is not None
        backoff = 1.0
        while True:
            try:
                self._take(await self._consumer.getmany(timeout_ms=1000))
                backoff = 1.0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error(
                    "topic follower failed; retrying",
                    extra={"topic": self._topic, "error_type": type(exc).__name__, "retry_in_s": backoff},
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)

    async def stop(self) -> None:
        await stop_following(self._follower, self._consumer)


async def stop_following(follower: asyncio.Task[None] | None, consumer: AIOKafkaConsumer | None) -> None:
    """Cancel a follower task, then close its consumer (the key ring's too)."""
    if follower is not None:
        follower.cancel()
        with suppress(asyncio.CancelledError):
            await follower
    if consumer is not None:
        await consumer.stop()
