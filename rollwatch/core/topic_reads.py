"""Blocking reads of a whole one-partition topic (the key records, the published checkpoints), for
the command line and for checks that run in a thread."""

from __future__ import annotations

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from rollwatch.core.kafka_connection import KafkaConnection


def read_partition(
    kafka: KafkaConnection, topic: str, *, last: int | None = None, timeout_s: float = 30.0
) -> list[ConsumerRecord]:
    """Every record of partition 0 from the beginning (or only the `last` few) up to the end the
    broker reported when the read began, in offset order; none if the topic does not exist."""
    consumer = KafkaConsumer(
        **kafka.client_options(),
        enable_auto_commit=False,
        group_id=None,
        allow_auto_create_topics=False,
        request_timeout_ms=int(timeout_s * 1000),
    )
    try:
        if topic not in consumer.topics():
            return []
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        end = consumer.end_offsets([partition])[partition]
        if last is None:
            consumer.seek_to_beginning(partition)
        else:
            start = consumer.beginning_offsets([partition])[partition]
            consumer.seek(partition, max(start, end - last))
        records: list[ConsumerRecord] = []
        while consumer.position(partition) < end:
            for messages in consumer.poll(timeout_ms=1000).values():
                records.extend(m for m in messages if m.offset < end)
        return records
    finally:
        consumer.close()
