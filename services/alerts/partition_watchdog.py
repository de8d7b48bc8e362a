"""Keep every assigned `pupil-moves` partition moving.

Faust can leave an assigned source partition unfetched after a rebalance (faust-streaming issues
#166 and #629: a partition "not sending fetch requests since initial start"): the agent judges the
other partitions while this one's messages wait, silently, so alerts never come. The watchdog
notices a partition whose read offset has not moved for `stall_s` while messages wait behind it,
and resumes it and seeks it back to its committed offset. At least once is safe here: alerts fold
by fingerprint, so a message judged twice raises nothing twice.

It reads Faust's consumer bookkeeping (`_read_offset`, `_committed_offset`,
`_buffered_partitions`): the library offers no public view of them. Logs name the partition only."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter

log = logging.getLogger(__name__)

RESUMED = Counter(
    "rollwatch_alert_partitions_resumed_total",
    "pupil-moves partitions the watchdog found stalled behind waiting messages and resumed",
)


@dataclass
class Progress:
    read: int | None
    since: float


@dataclass
class PartitionWatchdog:
    app: Any  # faust.App
    topic: str
    stall_s: float = 30.0
    _seen: dict[Any, Progress] = field(default_factory=dict)

    async def check(self, now: float | None = None) -> list[int]:
        """Resume the partitions stalled for `stall_s`; their numbers."""
        now = time.monotonic() if now is None else now
        app = self.app
        if app.rebalancing or app.in_recovery:
            self._seen.clear()  # a rebalance moves offsets on purpose
            return []
        consumer = app.consumer
        mine = [tp for tp in consumer.assignment() if tp.topic == self.topic]
        if not mine:
            return []
        ends = await consumer.highwaters(*mine)
        stalled = []
        for tp in mine:
            read = consumer._read_offset.get(tp)
            committed = consumer._committed_offset.get(tp)
            done = read if read is not None else (committed - 1 if committed is not None else -1)
            seen = self._seen.get(tp)
            if seen is None or seen.read != read:
                self._seen[tp] = Progress(read, now)
                continue
            waiting = (ends.get(tp) or 0) - 1 > done
            # A partition Faust paused because its stream buffer is full is held on purpose.
            held = tp in consumer._buffered_partitions
            if waiting and not held and now - seen.since >= self.stall_s:
                stalled.append(tp)
        for tp in stalled:
            offset = consumer._committed_offset.get(tp)
            log.warning(
                "pupil-moves partition stalled; resuming it",
                extra={"partition": tp.partition, "from_offset": offset},
            )
            RESUMED.inc()
            consumer.resume_partitions({tp})
            if offset is not None:
                await consumer.seek(tp, offset)
            self._seen[tp] = Progress(consumer._read_offset.get(tp), now)
        return [tp.partition for tp in stalled]
