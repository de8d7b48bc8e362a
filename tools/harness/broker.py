"""A throwaway Kafka broker: the one `ROLLWATCH_KAFKA_BOOTSTRAP` names, or the project's own local
single-node KRaft broker (the one `rollwatch kafka start` runs) on free ports in a folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rollwatch.core.local_kafka import LocalKafka
from rollwatch.core.settings import Settings
from tools.harness.ports import free_port


def configured_bootstrap() -> str | None:
    """The broker `ROLLWATCH_KAFKA_BOOTSTRAP` names, when it is set (and not empty)."""
    return os.environ.get("ROLLWATCH_KAFKA_BOOTSTRAP") or None


def local_broker(data_dir: Path) -> LocalKafka:
    """A local broker on free loopback ports with its data in `data_dir`; not started yet."""
    return LocalKafka(
        bootstrap=f"127.0.0.1:{free_port()}",
        controller_port=free_port(),
        data_dir=data_dir,
        cache_dir=Settings().kafka_cache_dir,
    )


@contextmanager
def running(broker: LocalKafka) -> Iterator[LocalKafka]:
    """`broker` started, and stopped when the block ends."""
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
