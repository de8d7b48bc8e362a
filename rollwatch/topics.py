"""Kafka topic names and their idempotent creation."""

from __future__ import annotations

import logging

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

PUPIL_EVENTS = "pupil-events"
PUPIL_EVENTS_DLQ = "pupil-events.dlq"
PUPIL_MOVES = "pupil-moves"
ALERT_EVENTS = "alert-events"

log = logging.getLogger(__name__)


def topic_partitions(events_partitions: int) -> dict[str, int]:
    # pupil-moves is keyed by UPN like pupil-events, so it is co-partitioned with it.
    return {
        PUPIL_EVENTS: events_partitions,
        PUPIL_EVENTS_DLQ: 1,
        PUPIL_MOVES: events_partitions,
        ALERT_EVENTS: 1,
    }


def ensure_topics(
    bootstrap: str, events_partitions: int, replication: int = 1, timeout_s: float = 30.0
) -> list[str]:
    """Create any missing topic; return the names created. Safe to call on every start."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000))
    try:
        existing = set(admin.list_topics())
        wanted = topic_partitions(events_partitions)
        missing = [NewTopic(name, n, replication) for name, n in wanted.items() if name not in existing]
        created = []
        for topic in missing:
            try:
                admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass  # another process won the race
        if created:
            log.info("topics created", extra={"topics": created})
        return created
    finally:
        admin.close()
