"""Kafka topic names and their idempotent creation.

All names take an optional prefix (`ROLLWATCH_NAMESPACE`), so that several deployments (or test
runs) can share one cluster without reading each other's events."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Topics:
    namespace: str = ""

    @property
    def pupil_events(self) -> str:
        return f"{self.namespace}pupil-events"

    @property
    def pupil_events_dlq(self) -> str:
        return f"{self.namespace}pupil-events.dlq"

    @property
    def pupil_moves(self) -> str:
        return f"{self.namespace}pupil-moves"

    @property
    def pupil_moves_dlq(self) -> str:
        """What the alert service could not judge: the pupil-moves record (or a due clock) and why."""
        return f"{self.namespace}pupil-moves.dlq"

    @property
    def alert_events(self) -> str:
        return f"{self.namespace}alert-events"

    @property
    def access_keys(self) -> str:
        return f"{self.namespace}access-keys"

    def partitions(self, events_partitions: int) -> dict[str, int]:
        # pupil-moves is keyed by UPN like pupil-events, so it is co-partitioned with it.
        return {
            self.pupil_events: events_partitions,
            self.pupil_events_dlq: 1,
            self.pupil_moves: events_partitions,
            self.pupil_moves_dlq: 1,
            self.alert_events: 1,
            self.access_keys: 1,
        }

    def configs(self) -> dict[str, dict[str, str]]:
        # Key records: the latest record per key id is the key's state, so compaction keeps it.
        return {self.access_keys: {"cleanup.policy": "compact"}}


def ensure_topics(
    bootstrap: str, topics: Topics, events_partitions: int, replication: int = 1, timeout_s: float = 30.0
) -> list[str]:
    """Create any missing topic; return the names created. Safe to call on every start."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000))
    try:
        existing = set(admin.list_topics())
        wanted = topics.partitions(events_partitions)
        configs = topics.configs()
        created = []
        for name, count in wanted.items():
            if name in existing:
                continue
            try:
                admin.create_topics([NewTopic(name, count, replication, topic_configs=configs.get(name, {}))])
                created.append(name)
            except TopicAlreadyExistsError:
                pass  # another process won the race
        if created:
            log.info("topics created", extra={"topics": created})
        return created
    finally:
        admin.close()
