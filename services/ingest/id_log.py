"""The ids ingest accepted, on a compacted topic (`pupil-event-ids`: key the event id, value a
digest of its canonical content), so that a changed resend is a 409 after a restart and on any
replica, also while the event is still only in Kafka (the tracker not yet caught up, or stopped).

Every ingest process reads the topic into its `RecentIds` at start, before it serves, and follows
it (another replica's ids arrive within moments). After Kafka acknowledges a request's events,
their ids go to the topic, and only then is the request answered 202: if that second write fails
the answer is 503 and the sender's retry publishes the events again (the ledger keeps one row per
id). The topic keeps a week (`rollwatch/core/topics.py`); past that, and for an id whose record
was lost, the ledger answers where ingest can read it, and the tracker dead-letters a changed
resend (`event_id_conflict`)."""

from __future__ import annotations

import logging

from aiokafka import ConsumerRecord

from rollwatch.core.compacted import TopicFollower
from rollwatch.core.kafka_connection import KafkaConnection
from services.ingest.publisher import EventPublisher
from services.ingest.recent_ids import RecentIds

log = logging.getLogger(__name__)


class IdLog:
    def __init__(self, kafka: KafkaConnection, topic: str, recent: RecentIds) -> None:
        self._recent = recent
        self._publisher = EventPublisher(kafka, topic)
        self._follower = TopicFollower(kafka, topic, self._apply)
        self.loaded = 0

    async def start(self) -> None:
        await self._publisher.start()
        await self._follower.start()
        log.info("accepted event ids loaded", extra={"ids": self.loaded})

    async def stop(self) -> None:
        await self._follower.stop()
        await self._publisher.stop()

    async def record(self, accepted: list[tuple[str, bytes]]) -> None:
        """(event id, content digest) of events Kafka acknowledged; raises BrokerUnavailable."""
        await self._publisher.publish([(event_id.encode(), content) for event_id, content in accepted])

    def _apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        for record in records:
            if record.key is not None and record.value is not None:
                self._recent.remember(record.key.decode(), record.value)
                self.loaded += 1
