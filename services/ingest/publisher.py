"""Publishes validated events to `pupil-events`, keyed by UPN so each pupil's events stay in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, OutOfOrderSequenceNumber
from aiokafka.partitioner import DefaultPartitioner

from rollwatch.core.kafka_connection import KafkaConnection

log = logging.getLogger(__name__)


# Kafka's default request limit is 1 MiB; a batch of 1,000 events is about 0.4 MiB.
MAX_BATCH_BYTES = 1024 * 1024


class BrokerUnavailable(RuntimeError):
    """Kafka did not acknowledge in time: nothing may be reported as accepted."""


class EventPublisher:
    def __init__(self, kafka: KafkaConnection, topic: str, ack_timeout_s: float = 10.0) -> None:
        self._kafka = kafka
        self._topic = topic
        self._ack_timeout_s = ack_timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._partitioner = DefaultPartitioner()
        self._renewing = asyncio.Lock()

    async def start(self) -> None:
        self._producer = await self._started()

    async def _started(self) -> AIOKafkaProducer:
        producer = AIOKafkaProducer(
            **self._kafka.client_options(),
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            max_batch_size=MAX_BATCH_BYTES,
            request_timeout_ms=int(self._ack_timeout_s * 1000),
        )
        await producer.start()
        return producer

    async def _renew(self, broken: AIOKafkaProducer) -> None:
        """A new producer (a new producer id) for one whose sequence numbers the broker refuses for
        good: seen after a broker restart, when every later send failed with
        OutOfOrderSequenceNumber. What it failed to send was answered 503, so schools resend it."""
        old: AIOKafkaProducer = broken  # (the identity check below narrows `broken` to Optional)
        async with self._renewing:
            if self._producer is not broken:
                return  # another request renewed it already
            log.warning("renewing the Kafka producer", extra={"error": "OutOfOrderSequenceNumber"})
            self._producer = await self._started()  # if the broker is away, the next failure tries again
            with contextlib.suppress(Exception):
                await asyncio.wait_for(old.stop(), timeout=self._ack_timeout_s)

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, messages: list[tuple[bytes, bytes]]) -> None:
        """Send (key, value) pairs and wait until the broker acknowledged every one.

        A request's messages go out as one batch per partition (the partition the producer would
        have chosen for each key: murmur2, as Kafka's Java client), so a request costs a few
        futures and produce requests rather than one per event."""
        producer = self._producer
        if producer is None:
            raise BrokerUnavailable("the Kafka producer is not started")
        try:
            partitions = sorted(await producer.partitions_for(self._topic))
            by_partition: dict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
            for key, value in messages:
                by_partition[self._partitioner(key, partitions, partitions)].append((key, value))
            pending = []
            for partition, records in by_partition.items():
                batch = producer.create_batch()
                for key, value in records:
                    if batch.append(key=key, value=value, timestamp=None) is None:
                        batch.close()
                        pending.append(await producer.send_batch(batch, self._topic, partition=partition))
                        batch = producer.create_batch()
                        if batch.append(key=key, value=value, timestamp=None) is None:
                            raise ValueError(f"an event of {len(value)} bytes is over the batch size")
                batch.close()
                pending.append(await producer.send_batch(batch, self._topic, partition=partition))
            await asyncio.wait_for(asyncio.gather(*pending), timeout=self._ack_timeout_s)
        except (KafkaError, TimeoutError) as exc:
            log.warning(
                "broker did not acknowledge", extra={"events": len(messages), "error": type(exc).__name__}
            )
            if isinstance(exc, OutOfOrderSequenceNumber):
                await self._renew(producer)
            raise BrokerUnavailable(str(exc) or type(exc).__name__) from exc
