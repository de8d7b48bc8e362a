"""Keep every assigned `pupil-moves` partition moving.

Faust can stop a `pupil-moves` partition after a rebalance or a restart (faust-streaming issues
#166 and #629): either the partition is never fetched again, or its messages are read but its
committed offset stops for good behind a message that was never acknowledged (seen here: read up
to 522, committed 319, 146 later acknowledgements queued behind the hole). The agent judges the
other partitions meanwhile; this one's alerts never come, or are judged again after every restart.
The watchdog notices a partition whose committed offset has not moved for `stall_s` while messages
wait behind it, and resumes it and seeks it back to its committed offset, so Faust reads (and
acknowledges) from the hole on. At least once is safe here: alerts fold by fingerprint, so a
message judged twice raises nothing twice.

It reads Faust's consumer bookkeeping (`_committed_offset`, `_buffered_partitions`): the library
offers no public view of them. Logs name the partition and offsets only."""

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
    committed: int | None
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
            self._seen.clear()  # a rebalance or a recovery holds partitions on purpose
            return []
        consumer = app.consumer
        # Partitions whose commit has not moved for `stall_s` (and that Faust does not hold on
        # purpose for a full stream buffer); only those cost a request for their end offsets.
        still = []
        for tp in consumer.assignment():
            if tp.topic != self.topic:
                continue
            committed = consumer._committed_offset.get(tp)
            seen = self._seen.get(tp)
            if seen is None or seen.committed != committed:
                self._seen[tp] = Progress(committed, now)
            elif now - seen.since >= self.stall_s and tp not in consumer._buffered_partitions:
                still.append(tp)
        if not still:
            return []
        ends = await consumer.highwaters(*still)
        stalled = [tp for tp in still if (ends.get(tp) or 0) > (self._seen[tp].committed or 0)]
        for tp in stalled:
            committed = self._seen[tp].committed
            log.warning(
                "pupil-moves partition stalled; resuming it from its committed offset",
                extra={
                    "partition": tp.partition,
                    "committed": committed,
                    "read": consumer._read_offset.get(tp),
                    "end": ends.get(tp),
                },
            )
            RESUMED.inc()
            consumer.resume_partitions({tp})
            await consumer.seek(tp, committed or 0)
            self._seen[tp] = Progress(committed, now)
        return [tp.partition for tp in stalled]
