"""Where the tests find Kafka: `ROLLWATCH_KAFKA_BOOTSTRAP` if set, else a testcontainers broker
when a Docker daemon answers, else the project's own local broker (the same one `rollwatch kafka
start` runs) on free ports in a temporary folder, stopped when the session ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rollwatch.core.kafka_connection import KafkaConnection
from rollwatch.core.local_kafka import LocalKafka, split_host_port
from tools.harness.broker import configured_bootstrap, local_broker, running

KAFKA_IMAGE = "apache/kafka:4.1.2"  # the version of rollwatch/core/local_kafka.py


@dataclass
class KafkaForTests:
    bootstrap: str
    source: str  # "environment", "testcontainers" or "local"
    local: LocalKafka | None = None

    @property
    def connection(self) -> KafkaConnection:
        return KafkaConnection(self.bootstrap)

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
    configured = configured_bootstrap()
    if configured:
        yield KafkaForTests(configured, "environment")
        return
    if docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer(KAFKA_IMAGE).with_kraft() as container:
            yield KafkaForTests(container.get_bootstrap_server(), "testcontainers")
        return
    with running(local_broker(workdir)) as broker:
        yield KafkaForTests(broker.bootstrap, "local", broker)
