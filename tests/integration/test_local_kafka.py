"""The local broker really starts, answers, creates topics once, and stops without leftovers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient

from rollwatch.core.kafka_connection import KafkaConnection
from rollwatch.core.local_kafka import broker_answers, process_alive
from rollwatch.core.topics import Topics, ensure_topics
from tests.support.brokers import KafkaForTests
from tests.support.cli import rollwatch
from tests.support.ports import free_port

pytestmark = pytest.mark.kafka


def test_topics_are_created_once_with_their_partitions(kafka: KafkaForTests) -> None:
    topics = Topics("topics-test.")
    first = ensure_topics(kafka.connection, topics, events_partitions=3)
    again = ensure_topics(kafka.connection, topics, events_partitions=3)
    assert sorted(first) == sorted(topics.partitions(3))
    assert again == []
    admin = KafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    try:
        [described] = admin.describe_topics([topics.pupil_events])
        assert len(described["partitions"]) == 3
    finally:
        admin.close()


def test_cli_start_status_stop_leaves_no_broker(tmp_path: Path) -> None:
    port, controller = free_port(), free_port()
    settings = {
        "kafka_bootstrap": f"127.0.0.1:{port}",
        "kafka_controller_port": str(controller),
        "data_dir": str(tmp_path),
    }
    started = rollwatch("kafka", "start", **settings)
    assert started.returncode == 0, started.stderr
    try:
        status = rollwatch("kafka", "status", **settings)
        assert json.loads(status.stdout)["answers"] is True
        pid = json.loads(status.stdout)["pid"]
        assert process_alive(pid)
        # Starting again is harmless: the same broker keeps running.
        assert rollwatch("kafka", "start", **settings).returncode == 0
    finally:
        stopped = rollwatch("kafka", "stop", **settings)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not process_alive(pid)
    assert not broker_answers(KafkaConnection(f"127.0.0.1:{port}"), timeout_s=1)
    assert rollwatch("kafka", "status", **settings).returncode == 3
