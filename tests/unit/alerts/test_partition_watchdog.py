"""The watchdog's judgement of Faust's bookkeeping (a stand-in consumer holding only the offsets
it reads): a partition whose committed offset is stuck behind waiting messages for `stall_s` is
resumed and re-read from its committed offset; a moving, caught-up, buffer-held or rebalancing one
is left alone."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import NamedTuple

from services.alerts.partition_watchdog import PartitionWatchdog

TOPIC = "ns.pupil-moves"


class TP(NamedTuple):
    topic: str
    partition: int


@dataclass
class Consumer:
    ends: dict[TP, int]
    _read_offset: dict[TP, int | None] = field(default_factory=dict)
    _committed_offset: dict[TP, int] = field(default_factory=dict)
    _buffered_partitions: set[TP] = field(default_factory=set)
    resumed: list[TP] = field(default_factory=list)
    seeks: list[tuple[TP, int]] = field(default_factory=list)

    def assignment(self) -> set[TP]:
        return set(self.ends) | {TP("ns.other", 0)}

    async def highwaters(self, *tps: TP) -> dict[TP, int]:
        return {tp: self.ends[tp] for tp in tps}

    def resume_partitions(self, tps: set[TP]) -> None:
        self.resumed.extend(tps)

    async def seek(self, tp: TP, offset: int) -> None:
        self.seeks.append((tp, offset))
        self._read_offset[tp] = offset


@dataclass
class App:
    consumer: Consumer
    rebalancing: bool = False
    in_recovery: bool = False


P0, P3 = TP(TOPIC, 0), TP(TOPIC, 3)


def _checks(app: App, times: list[float]) -> list[list[int]]:
    watchdog = PartitionWatchdog(app, TOPIC, stall_s=30)
    return [asyncio.run(watchdog.check(now)) for now in times]


def test_a_partition_stalled_behind_waiting_messages_is_resumed_from_its_committed_offset() -> None:
    consumer = Consumer({P0: 100, P3: 583}, {P0: 99, P3: 410}, {P0: 100, P3: 399})
    assert _checks(App(consumer), [0, 10, 29, 31]) == [[], [], [], [3]]
    assert consumer.resumed == [P3] and consumer.seeks == [(P3, 399)]


def test_a_moving_or_caught_up_partition_is_left_alone() -> None:
    consumer = Consumer({P0: 100, P3: 583}, {P0: 99, P3: 410}, {P0: 100, P3: 399})
    app = App(consumer)
    watchdog = PartitionWatchdog(app, TOPIC, stall_s=30)
    for now in (0, 20, 40, 60):
        consumer._committed_offset[P3] += 1  # committing on
        assert asyncio.run(watchdog.check(now)) == []
    assert consumer.resumed == []


def test_a_partition_held_for_a_full_buffer_or_during_a_rebalance_is_left_alone() -> None:
    held = Consumer({P3: 583}, {P3: 410}, {P3: 399}, {P3})
    assert _checks(App(held), [0, 31, 62]) == [[], [], []]
    rebalancing = Consumer({P3: 583}, {P3: 410}, {P3: 399})
    assert _checks(App(rebalancing, rebalancing=True), [0, 31, 62]) == [[], [], []]


def test_messages_read_but_never_committed_past_a_hole_are_read_again_from_the_hole() -> None:
    # As seen: everything read (522 of 523), the commit stuck at 319 behind an unacknowledged one.
    consumer = Consumer({P3: 523}, {P3: 522}, {P3: 319})
    assert _checks(App(consumer), [0, 31]) == [[], [3]]
    assert consumer.seeks == [(P3, 319)]
