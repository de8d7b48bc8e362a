"""Publishes validated events to `pupil-events`, keyed by UPN so each pupil's events stay in order."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

log = logging.getLogger(__name__)


class BrokerUnavailable(RuntimeError):
    """Kafka did not acknowledge in time: nothing may be reported as accepted."""


class EventPublisher:
    def __init__(self, bootstrap: str, topic: str, ack_timeout_s: float = 10.0) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._ack_timeout_s = ack_timeout_s
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            max_batch_size=1024 * 1024,
            request_timeout_ms=int(self._ack_timeout_s * 1000),
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, messages: list[tuple[bytes, bytes]]) -> None:
        """Send (key, value) pairs and wait until the broker acknowledged every one."""
        if self._producer is None:
            raise BrokerUnavailable("the Kafka producer is not started")
        try:
            pending = [
                await self._producer.send(self._topic, value=value, key=key) for key, value in messages
            ]
            await asyncio.wait_for(asyncio.gather(*pending), timeout=self._ack_timeout_s)
        except (KafkaError, TimeoutError) as exc:
            log.warning(
                "broker did not acknowledge", extra={"events": len(messages), "error": type(exc).__name__}
            )
            raise BrokerUnavailable(str(exc) or type(exc).__name__) from exc
