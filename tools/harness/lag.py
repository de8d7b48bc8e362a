"""How far a consumer group is behind: the end offsets of its topics minus what it committed. A
test waits on this rather than asking the product (a query per poll would load the very process
it waits for), and `LagWatch` samples it through a run to report the most each group fell behind."""

from __future__ import annotations

import threading
import time

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from rollwatch.core.kafka_connection import KafkaConnection


def lag(kafka: KafkaConnection, group: str, topics: list[str]) -> int:
    """Messages of `topics` the group has not committed yet (a partition it never committed
    counts whole)."""
    admin = KafkaAdminClient(**kafka.client_options())
    consumer = KafkaConsumer(**kafka.client_options())
    try:
        committed = admin.list_group_offsets(group)[group]
        partitions = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
        ends = consumer.end_offsets(partitions)
        return sum(end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items())
    finally:
        consumer.close()
        admin.close()


def wait_caught_up(kafka: KafkaConnection, group: str, topics: list[str], timeout_s: float) -> float:
    """Until the group's lag on `topics` is 0; returns the seconds waited, TimeoutError after
    `timeout_s` naming the lag left."""
    started = time.monotonic()
    left = -1
    while time.monotonic() - started < timeout_s:
        left = lag(kafka, group, topics)
        if left == 0:
            return time.monotonic() - started
        time.sleep(1)
    raise TimeoutError(f"group {group} still {left} messages behind on {topics} after {timeout_s:.0f}s")


class LagWatch:
    """Samples each group's lag every `every_s` in a thread and keeps the largest seen. A sample
    that fails (the broker is down, a group not formed yet) is skipped."""

    def __init__(
        self, kafka: KafkaConnection, groups: dict[str, tuple[str, list[str]]], every_s: float = 2.0
    ) -> None:
        self._kafka = kafka
        self._groups = groups  # name -> (group, topics)
        self._every_s = every_s
        self.most: dict[str, int] = dict.fromkeys(groups, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lag-watch", daemon=True)

    def start(self) -> LagWatch:
        self._thread.start()
        return self

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join(timeout=30)
        return self.most

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            for name, (group, topics) in self._groups.items():
                try:
                    self.most[name] = max(self.most[name], lag(self._kafka, group, topics))
                except Exception:  # a missed sample only makes the figure a floor
                    continue
