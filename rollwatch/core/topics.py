"""Kafka topic names and their idempotent creation.

All names take an optional prefix (`ROLLWATCH_NAMESPACE`), so that several deployments (or test
runs) can share one cluster without reading each other's events."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
from kafka.errors import AuthorizationError, TopicAlreadyExistsError

from rollwatch.core.kafka_connection import KafkaConnection

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
    def ledger_checkpoints(self) -> str:
        """The tracker's signed checkpoints: a copy of each outside the database."""
        return f"{self.namespace}ledger-checkpoints"

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
            self.ledger_checkpoints: 1,
            self.event_ids: events_partitions,
        }

    def configs(self, dead_letters_retention_ms: int | None = None) -> dict[str, dict[str, str]]:
        # Key records: the latest record per key id is the key's state, so compaction keeps it.
        # Checkpoints: kept for ever and never compacted. Each id is published once, so compaction
        # would keep them all too, but it would also let a later record under the same key (a
        # forgery by anyone who can produce to the topic) erase the original; without it, both
        # stay and verify sees the conflict. A checkpoint every 5 minutes is ~30 MB a year.
        # Event ids: one record per id (compacted), kept for EVENT_IDS_RETENTION_MS: they answer
        # a changed resend until the ledger, which answers for good, has the event.
        configs = {
            self.access_keys: {"cleanup.policy": "compact"},
            self.ledger_checkpoints: {
                "cleanup.policy": "delete",
                "retention.ms": "-1",
                "retention.bytes": "-1",
            },
            self.event_ids: {"cleanup.policy": "compact,delete", "retention.ms": str(EVENT_IDS_RETENTION_MS)},
        }
        if dead_letters_retention_ms is not None:
            # Dead letters hold whole events (UPNs): kept ROLLWATCH_DEAD_LETTERS_TTL_DAYS.
            for name in self.dead_letter_topics:
                configs[name] = {"retention.ms": str(dead_letters_retention_ms)}
        return configs

    @property
    def dead_letter_topics(self) -> tuple[str, str]:
        return (self.pupil_events_dlq, self.pupil_moves_dlq)


EVENT_IDS_RETENTION_MS = 7 * 24 * 3600 * 1000


MAX_REPLICATION = 3


class TopicsMissing(RuntimeError):
    """A topic a process needs is not there and it may not create it: the message says what to do."""


def replication_for(brokers: int) -> int:
    """Three copies on a cluster of three or more brokers, else one per broker."""
    return max(1, min(MAX_REPLICATION, brokers))


def min_insync_for(replication: int) -> int:
    """Two of three copies must acknowledge a write (`acks=all`): one broker may be down."""
    return max(1, replication - 1)


def cluster_replication(kafka: KafkaConnection, timeout_s: float = 10.0) -> int:
    """The replication factor for this cluster's size (`replication_for`); 1 if it cannot tell."""
    try:
        admin = KafkaAdminClient(**kafka.client_options(), request_timeout_ms=int(timeout_s * 1000))
    except Exception:
        log.warning("cannot reach Kafka to size the replication; assuming 1", exc_info=True)
        return 1
    try:
        return replication_for(len(admin.describe_cluster()["brokers"]))
    finally:
        admin.close()


def ensure_topics(
    kafka: KafkaConnection,
    topics: Topics,
    events_partitions: int,
    replication: int | None = None,
    timeout_s: float = 30.0,
    names: list[str] | None = None,
    dead_letters_retention_ms: int | None = None,
) -> list[str]:
    """Create any missing topic (of `names`, default all); return the names created. Safe to call
    on every start. `replication` None: picked from the cluster's size (`replication_for`), with
    `min.insync.replicas` one less, so a three-broker cluster keeps taking writes with one down.
    On a secured cluster a service may not create topics: one missing is then an error saying so.
    `dead_letters_retention_ms`: the dead-letter topics' retention, set on existing ones too."""
    admin = KafkaAdminClient(**kafka.client_options(), request_timeout_ms=int(timeout_s * 1000))
    try:
        if replication is None:
            replication = replication_for(len(admin.describe_cluster()["brokers"]))
        existing = set(admin.list_topics())
        wanted = {
            name: count
            for name, count in topics.partitions(events_partitions).items()
            if names is None or name in names
        }
        configs = topics.configs(dead_letters_retention_ms)
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
            except AuthorizationError as exc:
                raise TopicsMissing(
                    f"Kafka topic {name} is missing (or this principal may not see it), and "
                    f"{kafka.username or 'this client'} may not create it: create the topics as the "
                    "admin principal (`rollwatch kafka grant`), or grant this principal its topics"
                ) from exc
        if created:
            log.info("topics created", extra={"topics": created})
        kept = [name for name in topics.dead_letter_topics if name in wanted and name not in created]
        if dead_letters_retention_ms is not None and kept:
            # Incremental (kafka-python's default): the topics' other settings stay as they are.
            try:
                admin.alter_configs(
                    [ConfigResource(ConfigResourceType.TOPIC, name, configs=configs[name]) for name in kept]
                )
            except (AuthorizationError, ValueError) as exc:
                # A service principal on a secured cluster may not alter configs (the admin's
                # `rollwatch kafka grant` sets them), and kafka-python refuses some config names on
                # its own side: the retention of an existing topic is best effort, never a crash.
                log.warning(
                    "could not set the dead-letter topics' retention",
                    extra={"topics": kept, "error_type": type(exc).__name__},
                )
        return created
    finally:
        admin.close()
