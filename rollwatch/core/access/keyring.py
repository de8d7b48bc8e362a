"""The key records, read from their compacted topic. Services hold every record in memory (a few
thousand at most) and follow the topic, so a key created or revoked from the command line takes
effect within moments, in every process, without a restart.

A record is the key's JSON with a `signature`: the HMAC-SHA256 of the rest (canonical JSON) under
a key derived from `ROLLWATCH_SECRET_KEY` (rollwatch/core/signing.py). Anyone who can produce to
the topic but lacks the secret cannot mint or revive a key: records without a good signature are
ignored, counted in `rollwatch_key_records_ignored_total{reason}` and logged by key id only.

The follower restarts itself with backoff if its consumer fails (counted in
`rollwatch_key_follower_restarts_total`), and `following` (what /readyz reports) is false while it
has not been caught up with the topic for `ROLLWATCH_KEYRING_MAX_LAG_S`: a revoked key must never
go on working unnoticed."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaProducer
from prometheus_client import Counter, Gauge
from pydantic import ValidationError

from rollwatch.core.access.keys import KeyRecord, key_id_of, matches
from rollwatch.core.compacted import stop_following
from rollwatch.core.kafka_connection import KafkaConnection
from rollwatch.core.signing import GOOD, SecretKeys, Verdict, canonical
from rollwatch.core.topic_reads import read_partition

log = logging.getLogger(__name__)

IGNORED = Counter(
    "rollwatch_key_records_ignored_total",
    "Key records ignored: unsigned, altered, signed by an unknown secret, replayed or unreadable",
    ["reason"],
)
RESTARTS = Counter("rollwatch_key_follower_restarts_total", "Times the key follower's consumer was restarted")
CAUGHT_UP = Gauge(
    "rollwatch_key_follower_caught_up_timestamp_seconds",
    "When the key follower last had every key record on the topic (Unix time)",
)
_KEY_ID = re.compile(r"^[0-9a-f]{12}$")
_MAX_BACKOFF_S = 30.0


@dataclass(frozen=True)
class Decoded:
    record: KeyRecord | None
    verdict: Verdict | None  # None: not JSON or not a key record


def encode_record(record: KeyRecord, secrets: SecretKeys) -> bytes:
    body = record.model_dump(mode="json")
    return orjson.dumps(body | {"signature": secrets.signer("key-record").sign(canonical(body))})


def decode_record(value: bytes | None, secrets: SecretKeys) -> Decoded:
    """The record if its signature holds (by the current or a previous secret), and the verdict."""
    try:
        document = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return Decoded(None, None)
    if not isinstance(document, dict):
        return Decoded(None, None)
    signature = document.pop("signature", None)
    verdict = secrets.signer("key-record").check(canonical(document), signature)
    if verdict not in GOOD:
        return Decoded(None, verdict)
    try:
        return Decoded(KeyRecord.model_validate(document), verdict)
    except ValidationError:
        return Decoded(None, None)


def _take(records: dict[str, KeyRecord], message: Any, secrets: SecretKeys) -> None:
    """Apply a message to the records, or ignore it: counted and logged (by key id and offset, never
    the record's content, which may name a person). A revocation is final: an active record after
    it (an old signed record produced again) is ignored as `replayed`."""
    decoded = decode_record(message.value, secrets)
    record = decoded.record
    if record is not None:
        known = records.get(record.key_id)
        if known is None or known.active:
            records[record.key_id] = record
            return
        if not record.active:
            return  # revoked again: the first revocation stands
    reason = "replayed" if record is not None else decoded.verdict or "unreadable"
    IGNORED.labels(reason).inc()
    key = message.key.decode(errors="replace") if message.key else ""
    log.warning(
        "key record ignored",
        extra={"reason": reason, "key_id": key if _KEY_ID.match(key) else None, "offset": message.offset},
    )


class KeyRing:
    def __init__(
        self, kafka: KafkaConnection, topic: str, secrets: SecretKeys, max_lag_s: float = 30.0
    ) -> None:
        self._kafka = kafka
        self._topic = topic
        self._secrets = secrets
        self._max_lag_s = max_lag_s
        self._records: dict[str, KeyRecord] = {}
        self._partition = TopicPartition(topic, 0)  # the key topic has one partition (core.topics)
        self._consumer: AIOKafkaConsumer | None = None
        self._follower: asyncio.Task[None] | None = None
        self._next_offset = 0
        self._caught_up_at = 0.0  # Unix time

    def authenticate(self, token: str) -> KeyRecord | None:
        key_id = key_id_of(token)
        record = self._records.get(key_id) if key_id else None
        if record is None or not record.active or not matches(token, record, self._secrets):
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

    @property
    def following(self) -> bool:
        """The follower runs and was caught up with the topic within the allowed lag."""
        running = self._follower is not None and not self._follower.done()
        return running and time.time() - self._caught_up_at <= self._max_lag_s

    async def start(self) -> None:
        consumer = await self._open()
        for _ in range(60):  # a topic created a moment ago takes a little while to appear
            if self._topic in await consumer.topics():
                break
            await asyncio.sleep(0.25)
        else:
            await consumer.stop()
            raise RuntimeError(
                f"topic {self._topic} does not exist; run `rollwatch kafka start` or create topics"
            )
        consumer.assign([self._partition])
        await consumer.seek_to_beginning(self._partition)
        end = (await consumer.end_offsets([self._partition]))[self._partition]
        # Serve nothing until every existing key is known.
        while await consumer.position(self._partition) < end:
            self._apply(await consumer.getmany(timeout_ms=1000))
        self._consumer = consumer
        self._mark_caught_up(time.time())
        self._follower = asyncio.create_task(self._supervise(), name="keyring-follow")
        log.info("key ring loaded", extra={"keys": len(self._records)})

    async def _open(self) -> AIOKafkaConsumer:
        consumer = AIOKafkaConsumer(**self._kafka.client_options(), enable_auto_commit=False, group_id=None)
        await consumer.start()
        return consumer

    async def _supervise(self) -> None:
        """Follow the topic; if the consumer fails, log, count, wait (doubling up to 30 s) and
        follow again from the next record, so the follower never dies silently."""
        backoff = 1.0
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                RESTARTS.inc()
                log.error(
                    "key follower failed; restarting",
                    extra={"error_type": type(exc).__name__, "retry_in_s": backoff},
                )
                if self._consumer is not None:
                    with suppress(Exception):
                        await self._consumer.stop()
                    self._consumer = None
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
                with suppress(Exception):
                    consumer = await self._open()
                    consumer.assign([self._partition])
                    consumer.seek(self._partition, self._next_offset)
                    self._consumer = consumer
                    backoff = 1.0

    async def _follow(self) -> None:
        consumer = self._consumer
        if consumer is None:
            raise RuntimeError("no consumer")
        while True:
            self._apply(await consumer.getmany(self._partition, timeout_ms=1000))
            # Highwater and poll time come with every fetch answer, empty or not: caught up means
            # the broker said so lately, not merely that nothing arrived.
            highwater = consumer.highwater(self._partition)
            polled_ms = consumer.last_poll_timestamp(self._partition)
            if highwater is not None and polled_ms and await consumer.position(self._partition) >= highwater:
                self._mark_caught_up(polled_ms / 1000)

    def _mark_caught_up(self, at: float) -> None:
        self._caught_up_at = max(self._caught_up_at, at)
        CAUGHT_UP.set(self._caught_up_at)

    def _apply(self, batch: dict[TopicPartition, list[Any]]) -> None:
        for messages in batch.values():
            for message in messages:
                _take(self._records, message, self._secrets)
                self._next_offset = message.offset + 1

    async def stop(self) -> None:
        await stop_following(self._follower, self._consumer)


def publish_record(kafka: KafkaConnection, topic: str, record: KeyRecord, secrets: SecretKeys) -> None:
    """Blocking: for the command line. Signs the record with the current secret; returns once the
    broker has it."""
    producer = KafkaProducer(**kafka.client_options(), acks="all")
    try:
        producer.send(topic, key=record.key_id.encode(), value=encode_record(record, secrets)).get(timeout=30)
    finally:
        producer.close()


def read_records(kafka: KafkaConnection, topic: str, secrets: SecretKeys) -> dict[str, KeyRecord]:
    """Blocking: every key's latest good record, for the command line (ignored ones counted and
    logged as the services do)."""
    records: dict[str, KeyRecord] = {}
    for message in read_partition(kafka, topic):
        _take(records, message, secrets)
    return records


def unsigned_records(kafka: KafkaConnection, topic: str, secrets: SecretKeys) -> dict[str, KeyRecord]:
    """Blocking: the latest record of each key that has only records from before key records were
    signed (no `signature`), for `rollwatch keys adopt`."""
    signed: set[str] = set()
    legacy: dict[str, KeyRecord] = {}
    for message in read_partition(kafka, topic):
        decoded = decode_record(message.value, secrets)
        if decoded.record is not None:
            signed.add(decoded.record.key_id)
        elif decoded.verdict == "unsigned":
            with suppress(ValidationError):
                record = KeyRecord.model_validate_json(message.value)
                legacy[record.key_id] = record
    return {key_id: record for key_id, record in legacy.items() if key_id not in signed}
