"""The key records, read from their compacted topic. Services hold every record in memory (a few
thousand at most) and follow the topic, so a key created or revoked from the command line takes
effect within moments, in every process, without a restart."""

from __future__ import annotations

import logging

from aiokafka import ConsumerRecord
from kafka import KafkaConsumer, KafkaProducer
from pydantic import ValidationError

from rollwatch.core.access.keys import KeyRecord, key_id_of, matches
from rollwatch.core.compacted import TopicFollower

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
    def __init__(self, bootstrap: str, topic: str) -> None:
        self._records: dict[str, KeyRecord] = {}
        self._follower = TopicFollower(bootstrap, topic, self._apply)

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
        # Serve nothing until every existing key is known (TopicFollower reads to the end first).
        await self._follower.start()
        log.info("key ring loaded", extra={"keys": len(self._records)})

    def _apply(self, messages: list[ConsumerRecord[bytes, bytes]]) -> None:
        for message in messages:
            record = _decode(message.value)
            if record is not None:
                self._records[record.key_id] = record

    async def stop(self) -> None:
        await self._follower.stop()


def publish_record(bootstrap: str, topic: str, record: KeyRecord) -> None:
    """Blocking: for the command line. Returns once the broker has the record."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        producer.send(topic, key=record.key_id.encode(), value=record.model_dump_json().encode()).get(
            timeout=30
        )
    finally:
        producer.close()


def read_records(bootstrap: str, topic: str) -> dict[str, KeyRecord]:
    """Blocking: every key's latest record, for the command line."""
    from kafka import TopicPartition as SyncTopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
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
