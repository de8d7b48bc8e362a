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
    def access_keys(self) -> str:
        return f"{self.namespace}access-keys"

    @property
    def event_ids(self) -> str:
        """Each event id ingest accepted, with a digest of its content (services/ingest/id_log.py)."""
        return f"{self.namespace}pupil-event-ids"

    def partitions(self, events_partitions: int) -> dict[str, int]:
        # pupil-moves is keyed by UPN like pupil-events, so it is co-partitioned with it.
        return {
            self.pupil_events: events_partitions,
            self.pupil_events_dlq: 1,
            self.pupil_moves: events_partitions,
            self.pupil_moves_dlq: 1,
            self.access_keys: 1,
            self.event_ids: events_partitions,
        }

    def configs(self) -> dict[str, dict[str, str]]:
        # Key records: the latest record per key id is the key's state, so compaction keeps it.
        # Event ids: one record per id (compacted), kept for EVENT_IDS_RETENTION_MS: they answer
        # a changed resend until the ledger, which answers for good, has the event.
        return {
            self.access_keys: {"cleanup.policy": "compact"},
            self.event_ids: {"cleanup.policy": "compact,delete", "retention.ms": str(EVENT_IDS_RETENTION_MS)},
        }


EVENT_IDS_RETENTION_MS = 7 * 24 * 3600 * 1000


MAX_REPLICATION = 3


def replication_for(brokers: int) -> int:
    """Three copies on a cluster of three or more brokers, else one per broker."""
    return max(1, min(MAX_REPLICATION, brokers))


def min_insync_for(replication: int) -> int:
    """Two of three copies must acknowledge a write (`acks=all`): one broker may be down."""
    return max(1, replication - 1)


def cluster_replication(bootstrap: str, timeout_s: float = 10.0) -> int:
    """The replication factor for this cluster's size (`replication_for`); 1 if it cannot tell."""
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000))
    except Exception:
        log.warning("cannot reach Kafka to size the replication; assuming 1", exc_info=True)
        return 1
    try:
        return replication_for(len(admin.describe_cluster()["brokers"]))
    finally:
        admin.close()


def ensure_topics(
    bootstrap: str,
    topics: Topics,
    events_partitions: int,
    replication: int | None = None,
    timeout_s: float = 30.0,
) -> list[str]:
    """Create any missing topic; return the names created. Safe to call on every start.
    `replication` None: picked from the cluster's size (`replication_for`), with
    `min.insync.replicas` one less, so a three-broker cluster keeps taking writes with one down."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000))
    try:
        if replication is None:
            replication = replication_for(len(admin.describe_cluster()["brokers"]))
        existing = set(admin.list_topics())
        wanted = topics.partitions(events_partitions)
        configs = topics.configs()
        created = []
        for name, count in wanted.items():
            if name in existing:
                continue
            config = dict(configs.get(name, {}))
            if replication > 1:
                config["min.insync.replicas"] = str(min_insync_for(replication))
            try:
                admin.create_topics([NewTopic(name, count, replication, topic_configs=config)])
                created.append(name)
            except TopicAlreadyExistsError:
                pass  # another process won the race
        if created:
            log.info("topics created", extra={"topics": created})
        return created
    finally:
        admin.close()
