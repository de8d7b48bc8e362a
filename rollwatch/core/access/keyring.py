"""The key records, read from their compacted topic. Services hold every record in memory (a few
thousand at most) and follow the topic, so a key created or revoked from the command line takes
effect within moments, in every process, without a restart."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaConsumer, KafkaProducer
from pydantic import ValidationError

from rollwatch.core.access.keys import KeyRecord, key_id_of, matches
from rollwatch.core.kafka_connection import KafkaConnection

log = logging.getLogger(__name__)


def _decode(value: bytes | None) -> KeyRecord | None:
    if value is None:
        return None
    try:
        return KeyRecord.model_validate_json(value)
    except ValidationError:
        log.error("unreadable key record skipped")
        return None


class KeyRing:
    def __init__(self, kafka: KafkaConnection, topic: str) -> None:
        self._kafka = kafka
        self._topic = topic
        self._records: dict[str, KeyRecord] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._follower: asyncio.Task[None] | None = None

    def authenticate(self, token: str) -> KeyRecord | None:
        key_id = key_id_of(token)
        record = self._records.get(key_id) if key_id else None
        if record is None or not record.active or not matches(token, record):
            return None
        return record

    def get(self, key_id: str) -> KeyRecord | None:
        """The latest record of a key, active or revoked."""
        return self._records.get(key_id)

    def officers(self, la_code: str) -> list[KeyRecord]:
        """The active LA officer keys of one LA, by name: an officer's colleagues."""
        found = [
            r for r in self._records.values() if r.active and r.role == "la_officer" and r.la_code == la_code
        ]
        return sorted(found, key=lambda r: (r.display_name.lower(), r.key_id))

    def add(self, record: KeyRecord) -> None:
        self._records[record.key_id] = record

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(**self._kafka.client_options(), enable_auto_commit=False, group_id=None)
        await consumer.start()
        for _ in range(60):  # a topic created a moment ago takes a little while to appear
            if self._topic in await consumer.topics():
                break
            await asyncio.sleep(0.25)
        else:
            await consumer.stop()
            raise RuntimeError(
                f"topic {self._topic} does not exist; run `rollwatch kafka start` or create topics"
            )
        # The key topic has one partition (rollwatch.core.topics), so there is nothing to discover.
        assigned = [TopicPartition(self._topic, 0)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        # Serve nothing until every existing key is known.
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batch = await consumer.getmany(timeout_ms=1000)
            self._apply([m.value for messages in batch.values() for m in messages])
        self._consumer = consumer
        self._follower = asyncio.create_task(self._follow(), name="keyring-follow")
        log.info("key ring loaded", extra={"keys": len(self._records)})

    async def _follow(self) -> None:
        assert self._consumer is not None
        while True:
            batch = await self._consumer.getmany(timeout_ms=1000)
            self._apply([m.value for messages in batch.values() for m in messages])

    def _apply(self, values: list[bytes | None]) -> None:
        for value in values:
            record = _decode(value)
            if record is not None:
                self._records[record.key_id] = record

    async def stop(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
            with suppress(asyncio.CancelledError):
                await self._follower
        if self._consumer is not None:
            await self._consumer.stop()


def publish_record(kafka: KafkaConnection, topic: str, record: KeyRecord) -> None:
    """Blocking: for the command line. Returns once the broker has the record."""
    producer = KafkaProducer(**kafka.client_options(), acks="all")
    try:
        producer.send(topic, key=record.key_id.encode(), value=record.model_dump_json().encode()).get(
            timeout=30
        )
    finally:
        producer.close()


def read_records(kafka: KafkaConnection, topic: str) -> dict[str, KeyRecord]:
    """Blocking: every key's latest record, for the command line."""
    from kafka import TopicPartition as SyncTopicPartition

    consumer = KafkaConsumer(**kafka.client_options(), enable_auto_commit=False, group_id=None)
    try:
        assigned = [SyncTopicPartition(topic, 0)]  # one partition: see KeyRing.start
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        ends = consumer.end_offsets(assigned)
        records: dict[str, KeyRecord] = {}
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            for messages in consumer.poll(timeout_ms=1000).values():
                for message in messages:
                    record = _decode(message.value)
                    if record is not None:
                        records[record.key_id] = record
        return records
    finally:
        consumer.close()
