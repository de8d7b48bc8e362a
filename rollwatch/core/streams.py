"""The Faust app that hosts the stream processors (tracker, alerts) of one process."""

from __future__ import annotations

import faust

from rollwatch.core.settings import Settings
from rollwatch.core.table_store import STORE_URL
from rollwatch.core.topics import cluster_replication


def build_stream_app(settings: Settings, service: str = "rollwatch") -> faust.App:
    settings.stream_data_dir.mkdir(parents=True, exist_ok=True)
    return faust.App(
        # The app id is the consumer group: one per service and namespace.
        f"{settings.namespace}{service}",
        broker=settings.kafka.faust_broker(),
        broker_credentials=settings.kafka.faust_credentials(),
        # exactly_once has open duplicate bugs; exactly-once rows come from the idempotent ledger write.
        processing_guarantee="at_least_once",
        web_enabled=False,
        datadir=str(settings.stream_data_dir),
        # Tables on disk, rebuilt from their changelogs when the folder is lost (table_store.py).
        store=STORE_URL,
        topic_partitions=settings.events_partitions,
        # Faust's own topics (table changelogs, the assignor's) get the product topics' factor.
        topic_replication_factor=settings.topic_replication or cluster_replication(settings.kafka),
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        # A worker killed without leaving its group is noticed after this long; Faust's default
        # (60 s) would hold a restarted worker's partitions that long. With a static instance id
        # the same worker restarted takes them back at once.
        broker_session_timeout=settings.stream_session_timeout_s,
        broker_heartbeat_interval=settings.stream_session_timeout_s / 3,
        consumer_group_instance_id=_instance_id(settings, service),
        stream_buffer_maxsize=max(4096, settings.tracker_batch_size),
        # The tracker publishes a record per event (pupil-moves, the placements changelog): let
        # the producer gather them into a few large requests rather than one request each.
        producer_linger=0.005,
        producer_max_batch_size=512 * 1024,
        autodiscover=False,
    )


def _instance_id(settings: Settings, service: str) -> str | None:
    # The group is per service, so one process's id may serve every group it joins.
    return f"{settings.stream_instance_id}-{service}" if settings.stream_instance_id else None
