"""The Faust agent that turns `pupil-events` into ledger rows.

Offsets are acknowledged only after the batch is in the ledger (Faust's `take_events` acks a
batch when the loop body returns), so a crash replays rather than loses. A ledger outage is
retried with backoff, holding the partition, until the write succeeds."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import faust
import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from faust.types import EventT
from faust.types.tuples import RecordMetadata
from prometheus_client import Counter, Histogram

from rollwatch.core.dead_letters import dead_letter_headers, failure_reason
from rollwatch.core.settings import Settings
from schemas import EventInvalid, Problem, parse_event
from schemas.parse import canonical_bytes
from services.schools.register import SchoolsRegister
from services.schools.unknown import unregistered_school
from services.tracker import placement
from services.tracker.dead_letters import dlq_headers
from services.tracker.ledger_writer import LedgerWriter, Received

log = logging.getLogger(__name__)
_A = TypeVar("_A")
_R = TypeVar("_R")

ROWS = Counter("rollwatch_tracker_rows_written_total", "Events appended to the movement ledger")
DUPLICATES = Counter("rollwatch_tracker_duplicates_total", "Events already in the ledger, skipped")
DEAD_LETTERS = Counter(
    "rollwatch_tracker_dead_letters_total",
    "Messages sent to the DLQ: invalid ones by rule, failed ones as processing_failed",
    ["rule"],
)
WRITE_FAILURES = Counter(
    "rollwatch_tracker_write_failures_total", "Ledger writes that failed and were retried"
)
# Records of one partition go out in batches of up to this many bytes (Kafka's default request
# limit is 1 MiB).
PUBLISH_BATCH_BYTES = 512 * 1024
BATCH_SECONDS = Histogram("rollwatch_tracker_batch_seconds", "Time to validate and write one batch")


class Tracker:
    def __init__(
        self, app: faust.App, settings: Settings, writer: LedgerWriter, schools: SchoolsRegister
    ) -> None:
        self.app = app
        self.schools = schools
        self.settings = settings
        self.writer = writer
        # One writer thread: batches reach the ledger in the order Kafka gave them.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-writer")
        self.events_topic = app.topic(
            settings.topics.pupil_events, key_serializer="raw", value_serializer="raw"
        )
        self.dlq_topic = app.topic(
            settings.topics.pupil_events_dlq, key_serializer="raw", value_serializer="raw"
        )
        self.moves_topic = app.topic(
            settings.topics.pupil_moves, key_serializer="raw", value_serializer="raw"
        )
        # Where each pupil is now, co-partitioned with pupil-events (both keyed by UPN).
        self.placements = app.Table("placements", default=None, partitions=settings.events_partitions)
        self.last_write_ok = True
        self._producer: AIOKafkaProducer | None = None
        app.agent(self.events_topic, name="tracker")(self._consume)
        # One checkpoint writer across all tracker workers: the leader's.
        app.timer(settings.checkpoint_interval_s, on_leader=True)(self._checkpoint)
        app.on_partitions_revoked.connect(self._on_rebalance)  # type: ignore[arg-type]  # mode types a signal kwarg

    async def _checkpoint(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            checkpoint = await loop.run_in_executor(self._executor, self.writer.checkpoint)
        except Exception as exc:
            log.error("checkpoint failed; will try at the next interval", extra={"error": repr(exc)[:300]})
            return
        if checkpoint is not None:
            log.info(
                "ledger checkpoint",
                extra={"checkpoint_id": checkpoint.checkpoint_id, "rows": checkpoint.rows},
            )

    async def _on_rebalance(self, sender: Any, *args: Any, **kwargs: Any) -> None:
        # Through the writer's thread, so it never races a batch being written.
        await asyncio.get_running_loop().run_in_executor(self._executor, self.writer.forget_heads)

    async def _consume(self, stream: faust.StreamT) -> None:
        assert isinstance(stream, faust.Stream)  # take_events lives on the implementation
        async for events in stream.take_events(
            self.settings.tracker_batch_size, self.settings.tracker_batch_seconds
        ):
            started = time.perf_counter()
            by_offset = {(e.message.partition, e.message.offset): e for e in events}
            valid = await self._sort_out(events)
            if valid:
                result = await self._until_done(self.writer.write, valid)
                ROWS.inc(result.written)
                DUPLICATES.inc(result.duplicates)
                await self._dead_letter_conflicts(result.conflicts, by_offset)
                conflicting = {item.event.event_id for item in result.conflicts}
                tracked = [item for item in valid if item.event.event_id not in conflicting]
                await self._track(tracked, by_offset)
            BATCH_SECONDS.observe(time.perf_counter() - started)

    async def _track(self, items: list[Received], by_offset: dict[tuple[int, int], EventT]) -> None:
        """Update each pupil's placement and publish a `pupil-moves` record for every event, so that
        the alert service sees every ledger event in order, each with where the pupil now is."""
        changed: dict[str, tuple[int, int, dict[str, Any]]] = {}  # upn -> partition, offset, placement
        moves: dict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
        failed: list[Awaitable[RecordMetadata]] = []
        for item in items:
            upn = item.event.upn
            before = changed[upn][2] if upn in changed else self.placements.get(upn)
            try:
                after, move = placement.apply(before, item.event, item.offset)
            except Exception as exc:
                # In the ledger already; its move is not published: the DLQ keeps the event.
                failed.append(
                    await self._dead_letter_failure(by_offset[(item.partition, item.offset)].message, exc)
                )
                continue
            if after != before:
                self.placements.data[upn] = after
                changed[upn] = (item.partition, item.offset, after)
            # Published even for a replayed event (its placement already applied): the alert
            # service drops what it has judged, and a move lost between the two would be worse.
            record = {
                "event": orjson.Fragment(item.canonical),
                "move": move,
                "placement": placement.summary(after),
            }
            # pupil-moves is co-partitioned with pupil-events (rollwatch.core.topics): the record goes
            # to the partition its event came from, in the order the events came.
            moves[item.partition].append((upn.encode(), orjson.dumps(record)))
        # Placements first, so that whoever reads a move can find the placement it led to; in
        # the ledger before the changelog, so that the table recovered after a crash is never
        # ahead of `pupil_placements` (a replay would find nothing changed and never write the
        # row: the faults suite caught a pupil with ledger rows and no placement).
        if changed:
            latest = {upn: (offset, after) for upn, (_, offset, after) in changed.items()}
            await self._until_done(self.writer.record_placements, latest)
        # A batch has no single "current event" for Faust to take the changelog partition from,
        # so each change is filed under the partition the pupil's events come from. The changelog
        # is compacted by key: a pupil's last placement in the batch is all it needs.
        for upn, (partition, _, after) in changed.items():
            self.placements.send_changelog(partition, upn, after)
        await self._publish(self.settings.topics.pupil_moves, moves)
        for pending in failed:
            await pending

    async def _publish(self, topic: str, records: dict[int, list[tuple[bytes, bytes]]]) -> None:
        """Send (key, value) records to their partitions, a few large batches per partition, and
        wait until the broker acknowledged them all."""
        if self._producer is None:
            self._producer = await self._started_producer()
        producer = self._producer
        pending = []
        for partition, messages in records.items():
            batch = producer.create_batch()
            for key, value in messages:
                if batch.append(key=key, value=value, timestamp=None) is None:
                    batch.close()
                    pending.append(await producer.send_batch(batch, topic, partition=partition))
                    batch = producer.create_batch()
                    if batch.append(key=key, value=value, timestamp=None) is None:
                        raise ValueError(f"a {topic} record is larger than {PUBLISH_BATCH_BYTES} bytes")
            batch.close()
            pending.append(await producer.send_batch(batch, topic, partition=partition))
        await asyncio.gather(*pending)

    async def _started_producer(self) -> AIOKafkaProducer:
        """A started producer, however long the broker takes to answer: raising here would crash
        the agent, and the batch in hand (in the ledger, its moves not yet published) would wait
        for a restart of the whole process."""
        delay = 0.5
        while True:
            producer = AIOKafkaProducer(
                bootstrap_servers=self.settings.kafka_bootstrap,
                acks="all",
                enable_idempotence=True,
                max_batch_size=PUBLISH_BATCH_BYTES,
            )
            try:
                await producer.start()
                return producer
            except KafkaConnectionError:
                await producer.stop()
                log.warning("pupil-moves producer cannot reach Kafka; retrying", extra={"retry_in_s": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def _dead_letter_conflicts(
        self, conflicts: tuple[Received, ...], by_offset: dict[tuple[int, int], EventT]
    ) -> None:
        problem = Problem(
            "event_id", "event_id_conflict", "the ledger holds this event id with other content"
        )
        sent = []
        for item in conflicts:
            message = by_offset[(item.partition, item.offset)].message
            headers = dlq_headers([problem], message.topic, message.partition, message.offset)
            sent.append(await self.dlq_topic.send(key=message.key, value=message.value, headers=headers))
            DEAD_LETTERS.labels(problem.rule).inc()
        for pending in sent:
            await pending

    async def _sort_out(self, events: Sequence[EventT]) -> list[Received]:
        valid: list[Received] = []
        dead: list[Awaitable[RecordMetadata]] = []
        for event in events:
            message = event.message
            try:
                parsed = parse_event(event.value)
                unknown = unregistered_school(parsed.school_urn, self.schools)
                if unknown is not None:
                    raise EventInvalid([unknown])
                received = Received(parsed, canonical_bytes(parsed), message.partition, message.offset)
            except EventInvalid as exc:
                DEAD_LETTERS.labels(exc.problems[0].rule).inc()
                headers = dlq_headers(exc.problems, message.topic, message.partition, message.offset)
                dead.append(await self.dlq_topic.send(key=message.key, value=message.value, headers=headers))
                continue
            except Exception as exc:
                # Whatever else one message does to the checks, it must not stop the stream.
                dead.append(await self._dead_letter_failure(message, exc))
                continue
            valid.append(received)
        # The source offsets may be committed only once the DLQ holds the bad messages.
        for pending in dead:
            await pending
        if dead:
            log.warning("messages sent to the dead-letter topic", extra={"count": len(dead)})
        return valid

    async def _dead_letter_failure(self, message: Any, exc: Exception) -> Awaitable[RecordMetadata]:
        """A message whose processing raised: to the DLQ with the reason, counted; logged with the
        exception's type and the message's coordinates only (its text may quote the event)."""
        reason = failure_reason(exc)
        DEAD_LETTERS.labels(reason["rule"]).inc()
        log.error(
            "processing a message failed; sent to the dead-letter topic",
            extra={
                "error_type": type(exc).__name__,
                "partition": message.partition,
                "offset": message.offset,
            },
        )
        headers = dead_letter_headers([reason], message.topic, message.partition, message.offset)
        return await self.dlq_topic.send(key=message.key, value=message.value, headers=headers)

    async def _until_done(self, call: Callable[[_A], _R], argument: _A) -> _R:
        """Run a blocking ledger call in the writer's thread, retrying with backoff until it
        succeeds: a ledger outage holds the partition rather than losing a batch."""
        loop = asyncio.get_running_loop()
        delay = 0.2
        while True:
            future = loop.run_in_executor(self._executor, call, argument)
            try:
                result = await asyncio.shield(future)
                self.last_write_ok = True
                return result
            except asyncio.CancelledError:
                await self._finish_before_cancel(future)
                raise
            except Exception as exc:
                self.last_write_ok = False
                WRITE_FAILURES.inc()
                log.error(
                    "ledger write failed; retrying", extra={"call": call.__name__, "error": repr(exc)[:300]}
                )
                try:
                    await asyncio.sleep(delay)
                except asyncio.CancelledError:
                    _exit_uncommitted()
                delay = min(delay * 2, 10.0)

    async def _finish_before_cancel(self, future: asyncio.Future[Any]) -> None:
        """Shutting down mid-write. Faust acks the batch as the loop unwinds, so it must be in the
        ledger by then; if it cannot be, leave without committing so that a restart replays it."""
        try:
            while not future.done():
                await asyncio.sleep(0.05)
            future.result()
        except BaseException:
            _exit_uncommitted()

    @property
    def healthy(self) -> bool:
        """False once the stream processor crashed or the last ledger write failed."""
        return not self.app.crashed and self.last_write_ok

    def close(self) -> None:
        self._executor.shutdown(wait=True)


def _exit_uncommitted() -> None:
    log.critical("batch not written at shutdown; exiting without committing its offsets")
    logging.shutdown()
    os._exit(75)
