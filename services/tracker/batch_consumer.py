"""The tracker's consumer: `pupil-events` in batches, into the ledger, offsets committed after.

A plain aiokafka group consumer in the style of Arroyo's batching strategies rather than a Faust
agent: Faust hands a stream one event at a time (its floor was ~9k events/s here), while the
ledger append is a whole-batch operation. The loop is: gather up to `tracker_batch_size` records
for up to `tracker_batch_seconds`, let the tracker prepare them (parse and validate: Python work
with no side effect), then write them (ledger, placements, `pupil-moves`, dead letters) and commit
the next offset of every partition in the batch. A crash anywhere before the commit replays the
batch, which the ledger writer makes idempotent.

Two batches are in hand at once: while one is written (mostly inside ClickHouse, which releases
the GIL), the next is fetched and prepared. Writes and commits stay one at a time, in order.

Rebalances: a revoked partition's batch being written is finished and committed first (the
revoke callback waits for it), then the tracker forgets what it remembered of its pupils. A batch
gathered before the rebalance and not yet written is dropped unwritten: the partitions' new
holders (this worker included) fetch it again from the committed offsets. The checkpoint writer
is whichever worker holds partition 0 of `pupil-events`: one across the group."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine, Sequence
from typing import Any, Generic, Protocol, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaConnectionError, KafkaError
from prometheus_client import Counter

from rollwatch.core import heap
from rollwatch.core.settings import Settings
from services.tracker.agent import Record

log = logging.getLogger(__name__)

COMMIT_FAILURES = Counter(
    "rollwatch_tracker_commit_failures_total",
    "Offset commits that failed (the batch is replayed by whoever holds the partition next)",
)


Prepared = TypeVar("Prepared")


class BatchSink(Protocol, Generic[Prepared]):
    """What the consumer hands its batches to: the tracker, or the bench's I/O floor
    (tools/bench/io_floor.py), which measures this same loop with a bare insert behind it."""

    last_write_ok: bool

    async def prepare(self, records: Sequence[Record]) -> Prepared:
        """Work on a batch that needs nothing written before it and changes nothing: it may run
        while the batch before is being written, and its result may be dropped."""
        ...

    async def process(self, prepared: Prepared) -> None: ...

    async def checkpoint(self) -> None: ...

    async def forget(self) -> None: ...

    async def stop(self) -> None: ...


def tracker_group(settings: Settings) -> str:
    return f"{settings.namespace}rollwatch-tracker"


class LedgerConsumer:
    def __init__(self, settings: Settings, tracker: BatchSink[Any], group: str | None = None) -> None:
        self.settings = settings
        self.tracker = tracker
        self.group = group or tracker_group(settings)
        self._consumer: AIOKafkaConsumer | None = None
        self._batch_lock = asyncio.Lock()
        # Moves on at each revocation: a batch gathered in an older generation is not written.
        self._generation = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self.crashed: BaseException | None = None

    @property
    def healthy(self) -> bool:
        """False once the loop died or the last ledger write failed."""
        return self.crashed is None and self.tracker.last_write_ok

    async def start(self) -> None:
        self._consumer = await self._started_consumer()
        # Collections on a schedule rather than every few thousand allocations (rollwatch/core/heap.py).
        heap.hold_collections()
        self._tasks = [
            asyncio.create_task(self._guarded(self._run()), name="tracker-batches"),
            asyncio.create_task(self._guarded(self._checkpoints()), name="tracker-checkpoints"),
            asyncio.create_task(self._collections(), name="tracker-collections"),
        ]

    async def stop(self, timeout: float = 30.0) -> None:
        """Finish the batch in hand and commit it, then leave the group. A batch that cannot be
        finished in time is cancelled uncommitted: a restart replays it."""
        self._stopping.set()
        if self._tasks:
            await asyncio.wait(self._tasks[:1], timeout=timeout)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._tasks:
            heap.release_collections()
            self._tasks = []
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
        await self.tracker.stop()

    async def _started_consumer(self) -> AIOKafkaConsumer:
        """A started consumer, however long the broker takes to answer."""
        settings = self.settings
        delay = 0.5
        while True:
            consumer = AIOKafkaConsumer(
                **settings.kafka.client_options(),
                group_id=self.group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_records=settings.tracker_batch_size,
                # A worker killed without leaving is noticed after this long (the default, 45 s,
                # would hold a restarted worker's partitions that long).
                session_timeout_ms=10_000,
                heartbeat_interval_ms=3_000,
                # A ledger outage holds the batch (retried until written); beyond this the worker
                # leaves the group and another may take the partitions over.
                max_poll_interval_ms=600_000,
                fetch_max_bytes=64 * 1024 * 1024,
                max_partition_fetch_bytes=8 * 1024 * 1024,
            )
            consumer.subscribe([settings.topics.pupil_events], listener=_Revocations(self))
            try:
                await consumer.start()
                return consumer
            except KafkaConnectionError:
                await consumer.stop()
                log.warning("tracker consumer cannot reach Kafka; retrying", extra={"retry_in_s": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _guarded(self, loop: Coroutine[Any, Any, None]) -> None:
        try:
            await loop
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self.crashed = exc
            log.critical("the tracker's consumer stopped", extra={"error": repr(exc)[:300]})
            raise

    async def _run(self) -> None:
        assert self._consumer is not None
        writing: asyncio.Task[None] | None = None
        try:
            while not self._stopping.is_set():
                generation, records = await self._gather(self._consumer)
                if not records:
                    continue
                prepared = await self.tracker.prepare(records)
                if writing is not None:
                    await writing  # one write at a time, in order; its failure ends the loop
                writing = asyncio.create_task(self._write(prepared, records, generation))
            if writing is not None:
                await writing
        finally:
            if writing is not None and not writing.done():
                writing.cancel()

    async def _write(self, prepared: Any, records: Sequence[Record], generation: int) -> None:
        async with self._batch_lock:
            if generation != self._generation:
                # Gathered before a rebalance: the partitions' holders fetch it again from the
                # committed offsets, so writing it here would repeat it.
                log.info("a batch gathered before a rebalance dropped", extra={"records": len(records)})
                return
            await self.tracker.process(prepared)
            await self._commit(records)

    async def _gather(self, consumer: AIOKafkaConsumer) -> tuple[int, list[Record]]:
        """Up to a batch of records, waiting at most the batch window once the first arrived, and
        the generation they belong to. aiokafka returns nothing while a reassignment is under way
        and the revoke callback moves the generation on before it ends, so the generation read as
        `getmany` returns is the one its records were fetched in; records of an older one are
        fetched again from the committed offsets and are dropped here."""
        size, window = self.settings.tracker_batch_size, self.settings.tracker_batch_seconds
        fetched = await consumer.getmany(timeout_ms=1000, max_records=size)
        generation = self._generation
        records = [r for tp in sorted(fetched, key=_order) for r in fetched[tp]]
        deadline = time.monotonic() + window
        while records and len(records) < size and (left := deadline - time.monotonic()) > 0:
            more = await consumer.getmany(timeout_ms=int(left * 1000) + 1, max_records=size - len(records))
            if self._generation != generation:
                generation, records = self._generation, []
            records.extend(r for tp in sorted(more, key=_order) for r in more[tp])
        return generation, records

    async def _commit(self, records: Sequence[Record]) -> None:
        assert self._consumer is not None
        following: dict[TopicPartition, int] = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            following[tp] = max(following.get(tp, 0), record.offset + 1)
        try:
            await self._consumer.commit(following)
        except (CommitFailedError, KafkaError) as exc:
            # Written but not committed: the partition's next holder replays the batch, which
            # the ledger recognises (duplicates, not new rows).
            COMMIT_FAILURES.inc()
            log.warning("offset commit failed; the batch will be replayed", extra={"error": repr(exc)[:200]})

    async def _checkpoints(self) -> None:
        interval = self.settings.checkpoint_interval_s
        leader = TopicPartition(self.settings.topics.pupil_events, 0)
        while not self._stopping.is_set():
            await asyncio.sleep(interval)
            if self._consumer is not None and leader in self._consumer.assignment():
                await self.tracker.checkpoint()

    async def _collections(self) -> None:
        while True:
            await asyncio.sleep(heap.COLLECT_EVERY_S)
            seconds = heap.scheduled_collection()
            log.debug("scheduled garbage collection", extra={"seconds": round(seconds, 3)})

    async def on_revoked(self) -> None:
        async with self._batch_lock:  # the batch being written is written and committed first
            self._generation += 1
            await self.tracker.forget()


class _Revocations(ConsumerRebalanceListener):
    def __init__(self, owner: LedgerConsumer) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: object) -> None:
        await self._owner.on_revoked()

    async def on_partitions_assigned(self, assigned: object) -> None:
        log.info("tracker partitions assigned", extra={"partitions": sorted(tp.partition for tp in assigned)})  # type: ignore[attr-defined]


def _order(tp: TopicPartition) -> tuple[str, int]:
    return tp.topic, tp.partition
