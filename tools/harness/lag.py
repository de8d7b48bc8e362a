"""How far a consumer group is behind: the end offsets of its topics minus what it committed. A
test waits on this rather than asking the product (a query per poll would load the very process
it waits for)."""

from __future__ import annotations

import time

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition


def lag(bootstrap: str, group: str, topics: list[str]) -> int:
    """Messages of `topics` the group has not committed yet (a partition it never committed
    counts whole)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        committed = admin.list_group_offsets(group)[group]
        partitions = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
        ends = consumer.end_offsets(partitions)
        return sum(end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items())
    finally:
        consumer.close()
        admin.close()


def wait_caught_up(bootstrap: str, group: str, topics: list[str], timeout_s: float) -> float:
    """Until the group's lag on `topics` is 0; returns the seconds waited, TimeoutError after
    `timeout_s` naming the lag left."""
    started = time.monotonic()
    left = -1
    while time.monotonic() - started < timeout_s:
        left = lag(bootstrap, group, topics)
        if left == 0:
            return time.monotonic() - started
        time.sleep(1)
    raise TimeoutError(f"group {group} still {left} messages behind on {topics} after {timeout_s:.0f}s")
