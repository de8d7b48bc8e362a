"""Turns a batch of `pupil-events` records into ledger rows, placements and `pupil-moves`.

The batch consumer (services/tracker/batch_consumer.py) has each batch `prepare`d (parsed and
validated, nothing written: this may overlap the write of the batch before) and then `process`ed,
and commits its offsets only after `process` returned, so a crash replays rather than loses. A
ledger outage is retried with backoff, holding the partitions, until the write succeeds."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeAlias, TypeVar

import orjson
from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import KafkaConnectionError
from aiokafka.structs import RecordMetadata
from prometheus_client import Counter, Histogram

from rollwatch.core.dead_letters import dead_letter_headers, failure_reason
from rollwatch.core.hold import until_done
from rollwatch.core.settings import Settings
from schemas import EventInvalid, Problem
from schemas.authority import refusals, upns_to_read
from schemas.events import SchoolRollChecked
from services.schools.register import SchoolsRegister
from services.schools.unknown import unregistered_school
from services.tracker import placement
from services.tracker.checkpoint_topic import encode, last_published_id
from services.tracker.dead_letters import dlq_headers
from services.tracker.ledger_writer import LedgerWriter, Received, WriteResult
from services.tracker.lru import Lru
from services.tracker.parse_pool import BatchParser
from services.tracker.roll_checks import RollCheckWriter

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
RESTORED_COPIES = Counter(
    "rollwatch_tracker_restored_copies_total",
    "Rows of the ledger's materialised-view tables written again for events already in the ledger "
    "(a process killed between the ledger's part and its views')",
)
WRITE_FAILURES = Counter(
    "rollwatch_tracker_write_failures_total", "Ledger writes that failed and were retried"
)
# Records of one partition go out in batches of up to this many bytes (Kafka's default request
# limit is 1 MiB).
PUBLISH_BATCH_BYTES = 512 * 1024
CHECKPOINT_PUBLISH_FAILURES = Counter(
    "rollwatch_checkpoint_publish_failures_total",
    "Times publishing checkpoints to ledger-checkpoints failed (retried at the next interval)",
)
BATCH_SECONDS = Histogram("rollwatch_tracker_batch_seconds", "Time to validate and write one batch")
# Placements of this many recently seen pupils stay in memory; the others are read back from the
# ledger's pupil_placements when their next event comes.
PLACEMENTS_IN_MEMORY = 200_000
Record: TypeAlias = ConsumerRecord[bytes, bytes]


@dataclass(frozen=True)
class Prepared:
    """A batch parsed: its records, the valid events (those about a pupil, for the ledger, and the
    schools' roll checks), and each refused message with the reason."""

    records: Sequence[Record]
    pupils: list[Received]
    school: list[Received]
    refused: list[tuple[Record, Exception]]


class Tracker:
    def __init__(
        self,
        settings: Settings,
        writer: LedgerWriter,
        schools: SchoolsRegister,
        roll_checks: RollCheckWriter | None = None,
    ) -> None:
        self.roll_checks = roll_checks
        self.schools = schools
        self.settings = settings
        self.writer = writer
        # One writer thread: batches reach the ledger in the order Kafka gave them.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-writer")
        # Parsing off the event loop: the loop keeps answering /healthz, Kafka's heartbeats and the
        # batch being written while the next one is parsed.
        self._parser = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracker-parser")
        # ... and, for a large batch, in a process of its own (services/tracker/parse_pool.py).
        self._batch_parser = BatchParser(settings.tracker_parse_processes)
        # Where each recently seen pupil is now (the rest are in pupil_placements).
        self.placements: Lru[str, dict[str, Any]] = Lru(PLACEMENTS_IN_MEMORY)
        self.last_write_ok = True
        self._producer: AIOKafkaProducer | None = None
        self.secrets = settings.secrets
        self._published_upto: int | None = None  # ledger-checkpoints' newest checkpoint, once read

    async def prepare(self, records: Sequence[Record]) -> Prepared:
        """Parse and validate a batch against the contract and the schools register: nothing
        read from the ledger, nothing sent, so it may run while the batch before is written."""
        return await asyncio.get_running_loop().run_in_executor(self._parser, self._prepare, records)

    def _prepare(self, records: Sequence[Record]) -> Prepared:
        pupils: list[Received] = []
        school: list[Received] = []
        refused: list[tuple[Record, Exception]] = []
        parsed = self._batch_parser.parse([message.value for message in records])
        for message, outcome in zip(records, parsed, strict=True):
            if isinstance(outcome, Exception):
                refused.append((message, outcome))
                continue
            event, canonical = outcome
            unknown = unregistered_school(event.school_urn, self.schools)
            if unknown is not None:
                refused.append((message, EventInvalid([unknown])))
            else:
                # Roll checks (school events) go to a table of their own; pupil events to the ledger.
                valid = school if isinstance(event, SchoolRollChecked) else pupils
                valid.append(Received(event, canonical, message.partition, message.offset))
        return Prepared(records, pupils, school, refused)

    async def process(self, batch: Prepared) -> None:
        """Dead-letter, write, place and publish one prepared batch. When this returns the batch is
        in the ledger, its placements recorded and its moves and dead letters acknowledged by Kafka."""
        started = time.perf_counter()
        by_offset = {(r.partition, r.offset): r for r in batch.records}
        pupils = await self._sort_out(batch, by_offset)
        tracked: list[Received] = []
        for items, write in ((pupils, self.writer.write), (batch.school, self._write_roll_checks)):
            if not items:
                continue
            result = await self._until_done(write, items)
            ROWS.inc(result.written)
            DUPLICATES.inc(result.duplicates)
            if result.restored:
                RESTORED_COPIES.inc(result.restored)
                log.warning("missing copies of ledger rows written", extra={"rows": result.restored})
            await self._dead_letter_conflicts(result.conflicts, by_offset)
            conflicting = {item.event.event_id for item in result.conflicts}
            tracked += [item for item in items if item.event.event_id not in conflicting]
        if tracked:
            tracked.sort(key=lambda item: (item.partition, item.offset))
            await self._track(tracked, by_offset)
        BATCH_SECONDS.observe(time.perf_counter() - started)

    def _write_roll_checks(self, items: list[Received]) -> WriteResult:
        if self.roll_checks is None:
            raise RuntimeError("this tracker has no roll check writer")
        return self.roll_checks.write(items)

    async def checkpoint(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            checkpoint = await loop.run_in_executor(self._executor, self.writer.checkpoint, self.secrets)
        except Exception as exc:
            log.error("checkpoint failed; will try at the next interval", extra={"error": repr(exc)[:300]})
            return
        if checkpoint is not None:
            log.info(
                "ledger checkpoint",
                extra={"checkpoint_id": checkpoint.checkpoint_id, "rows": checkpoint.rows},
            )
        await self._publish_checkpoints()

    async def _publish_checkpoints(self) -> None:
        """Every signed checkpoint the topic lacks, in order (see checkpoint_topic.py)."""
        loop = asyncio.get_running_loop()
        topic = self.settings.topics.ledger_checkpoints
        try:
            if self._published_upto is None:
                self._published_upto = await loop.run_in_executor(
                    None, last_published_id, self.settings.kafka, topic
                )
            pending = await loop.run_in_executor(
                self._executor, self.writer.signed_checkpoints, self.secrets, self._published_upto
            )
            if pending:
                await self._publish(
                    topic, {0: [encode(checkpoint, signature) for checkpoint, signature in pending]}
                )
                self._published_upto = pending[-1][0].checkpoint_id
        except Exception as exc:
            CHECKPOINT_PUBLISH_FAILURES.inc()
            log.error(
                "publishing checkpoints failed; will try at the next interval",
                extra={"error_type": type(exc).__name__},
            )

    async def forget(self) -> None:
        """After a rebalance another worker may have extended our pupils' chains and moved them:
        what we remember of them is read back from the ledger. Through the writer's thread, so it
        never races a batch being written."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self.writer.forget_heads)
        self.placements.clear()

    async def _track(self, items: list[Received], by_offset: dict[tuple[int, int], Record]) -> None:
        """Update each pupil's placement and publish a `pupil-moves` record for every event, so that
        the alert service sees every ledger event in order, each with where the pupil now is."""
        changed: dict[str, tuple[int, int, dict[str, Any]]] = {}  # upn -> partition, offset, placement
        moves: dict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
        failed: list[Awaitable[RecordMetadata]] = []
        await self._recall_placements(
            {item.event.upn for item in items if not isinstance(item.event, SchoolRollChecked)}
        )
        for item in items:
            if isinstance(item.event, SchoolRollChecked):
                # A school event: no placement; the alert service judges the school's roll and feed.
                school = {"event": orjson.Fragment(item.canonical), "move": None, "placement": None}
                moves[item.partition].append((item.event.school_urn.encode(), orjson.dumps(school)))
                continue
            upn = item.event.upn
            before = changed[upn][2] if upn in changed else self.placements.get(upn)
            try:
                after, move = placement.apply(before, item.event, item.offset)
            except Exception as exc:
                # In the ledger already; its move is not published: the DLQ keeps the event.
                failed.append(await self._dead_letter_failure(by_offset[(item.partition, item.offset)], exc))
                continue
            if after != before:
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
        # Placements first, so that whoever reads a move can find the placement it led to.
        if changed:
            latest = {upn: (offset, after) for upn, (_, offset, after) in changed.items()}
            await self._until_done(self.writer.record_placements, latest)
            for upn, (_, after) in latest.items():
                self.placements.put(upn, after)
        await self._publish(self.settings.topics.pupil_moves, moves)
        for pending in failed:
            await pending

    async def _recall_placements(self, upns: set[str]) -> None:
        """Bring the placements of the batch's pupils not in memory back from the ledger."""
        missing = self.placements.missing(upns)
        if missing:
            for upn, state in (await self._until_done(self.writer.placements, missing)).items():
                self.placements.put(upn, state)

    async def _producer_started(self) -> AIOKafkaProducer:
        if self._producer is None:
            self._producer = await self._started_producer()
        return self._producer

    async def _publish(self, topic: str, records: dict[int, list[tuple[bytes, bytes]]]) -> None:
        """Send (key, value) records to their partitions, a few large batches per partition, and
        wait until the broker acknowledged them all."""
        producer = await self._producer_started()
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
                **self.settings.kafka.client_options(),
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
        self, conflicts: tuple[Received, ...], by_offset: dict[tuple[int, int], Record]
    ) -> None:
        problem = Problem(
            "event_id", "event_id_conflict", "the ledger holds this event id with other content"
        )
        sent = []
        for item in conflicts:
            message = by_offset[(item.partition, item.offset)]
            headers = dlq_headers([problem], message.topic, message.partition, message.offset)
            sent.append(await self._dead_letter(message, headers))
            DEAD_LETTERS.labels(problem.rule).inc()
        for pending in sent:
            await pending

    async def _sort_out(self, batch: Prepared, by_offset: dict[tuple[int, int], Record]) -> list[Received]:
        """Dead-letter the batch's refused messages and return its pupil events that may be written."""
        dead: list[Awaitable[RecordMetadata]] = []
        for message, exc in batch.refused:
            if isinstance(exc, EventInvalid):
                DEAD_LETTERS.labels(exc.problems[0].rule).inc()
                headers = dlq_headers(exc.problems, message.topic, message.partition, message.offset)
                dead.append(await self._dead_letter(message, headers))
            else:
                dead.append(await self._dead_letter_failure(message, exc))
        valid = await self._refuse_overreach(batch.pupils, by_offset, dead)
        # The source offsets may be committed only once the DLQ holds the bad messages.
        for pending in dead:
            await pending
        if dead:
            log.warning("messages sent to the dead-letter topic", extra={"count": len(dead)})
        return valid

    async def _dead_letter(
        self, message: Record, headers: list[tuple[str, bytes]]
    ) -> Awaitable[RecordMetadata]:
        producer = await self._producer_started()
        topic = self.settings.topics.pupil_events_dlq
        return await producer.send(topic, key=message.key, value=message.value, headers=headers)

    async def _refuse_overreach(
        self,
        pupils: list[Received],
        by_offset: dict[tuple[int, int], Record],
        dead: list[Awaitable[RecordMetadata]],
    ) -> list[Received]:
        """The authority rules (schemas/authority.py): a direct producer skips ingest, so a school's
        retraction of another's event, a death or a UPN link for a pupil never on its roll are
        checked again here, against the ledger and the batch, and dead-lettered with the rule."""
        events = [item.pupil for item in pupils]
        upns = upns_to_read(events)
        if not upns:
            return pupils
        # Read in the writer's thread, retried like a write: an outage holds the partition.
        records = await self._until_done(self.writer.records, upns)
        refused = {id(pupils[index]): problem for index, problem in refusals(events, records).items()}
        for item in pupils:
            if (problem := refused.get(id(item))) is not None:
                message = by_offset[(item.partition, item.offset)]
                DEAD_LETTERS.labels(problem.rule).inc()
                headers = dlq_headers([problem], message.topic, message.partition, message.offset)
                dead.append(await self._dead_letter(message, headers))
        return [item for item in pupils if id(item) not in refused]

    async def _dead_letter_failure(self, message: Record, exc: Exception) -> Awaitable[RecordMetadata]:
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
        return await self._dead_letter(message, headers)

    async def _until_done(self, call: Callable[[_A], _R], argument: _A) -> _R:
        """A blocking ledger call in the writer's thread, retried until it succeeds
        (`rollwatch.core.hold`): a ledger outage holds the partition rather than losing a batch."""
        return await until_done(self._executor, partial(call, argument), call.__name__, self._write_ok)

    def _write_ok(self, ok: bool) -> None:
        self.last_write_ok = ok
        if not ok:
            WRITE_FAILURES.inc()

    def close(self) -> None:
        self._parser.shutdown(wait=True)
        self._batch_parser.close()
        self._executor.shutdown(wait=True)
