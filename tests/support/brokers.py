"""Where the tests find Kafka: `ROLLWATCH_KAFKA_BOOTSTRAP` if set, else a testcontainers broker
when a Docker daemon answers, else the project's own local broker (the same one `rollwatch kafka
start` runs) on free ports in a temporary folder, stopped when the session ends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rollwatch.core.local_kafka import LocalKafka, split_host_port
from rollwatch.core.settings import Settings
from tests.support.ports import free_port

KAFKA_IMAGE = "apache/kafka:4.1.2"  # the version of rollwatch/core/local_kafka.py


@dataclass
class KafkaForTests:
    bootstrap: str
    source: str  # "environment", "testcontainers" or "local"
    local: LocalKafka | None = None

    @property
    def port(self) -> int:
        return split_host_port(self.bootstrap)[1]


def docker_answers() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
        return True
    except Exception:
        return False


@contextmanager
def start_kafka_for_tests(workdir: Path) -> Iterator[KafkaForTests]:
    configured = os.environ.get("ROLLWATCH_KAFKA_BOOTSTRAP")
    if configured:
        yield KafkaForTests(configured, "environment")
        return
    if docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer(KAFKA_IMAGE).with_kraft() as container:
            yield KafkaForTests(container.get_bootstrap_server(), "testcontainers")
        return
    broker = LocalKafka(
        bootstrap=f"127.0.0.1:{free_port()}",
        controller_port=free_port(),
        data_dir=workdir,
        cache_dir=Settings().kafka_cache_dir,
    )
    broker.start()
    try:
        yield KafkaForTests(broker.bootstrap, "local", broker)
    finally:
        broker.stop()
