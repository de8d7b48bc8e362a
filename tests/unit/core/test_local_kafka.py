import os
from pathlib import Path

import pytest

from rollwatch.core.local_kafka import LocalKafka, LocalKafkaError, split_host_port


def _broker(tmp_path: Path) -> LocalKafka:
    return LocalKafka("127.0.0.1:39092", 39093, tmp_path / "kafka", tmp_path / "cache")


def test_split_host_port() -> None:
    assert split_host_port("127.0.0.1:9092") == ("127.0.0.1", 9092)
    assert split_host_port("a:1,b:2") == ("a", 1)
    with pytest.raises(LocalKafkaError, match="HOST:PORT"):
        split_host_port("localhost")


def test_stop_without_a_broker_says_so(tmp_path: Path) -> None:
    assert _broker(tmp_path).stop() is False


def test_a_pid_file_naming_another_process_is_never_trusted(tmp_path: Path) -> None:
    broker = _broker(tmp_path)
    broker.data_dir.mkdir(parents=True)
    broker.pid_file.write_text(str(os.getpid()))  # alive, but not our broker
    assert broker.running_pid() is None
    assert broker.stop() is False


def test_config_is_a_single_kraft_node_on_loopback(tmp_path: Path) -> None:
    broker = _broker(tmp_path)
    broker.data_dir.mkdir(parents=True)
    broker._write_config("127.0.0.1", 39092)
    props = dict(
        line.split("=", 1) for line in broker.properties_file.read_text().splitlines() if "=" in line
    )
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:39092,CONTROLLER://127.0.0.1:39093"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["auto.create.topics.enable"] == "false"


def test_missing_maven_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LocalKafkaError, match="Maven"):
        _broker(tmp_path).fetch()


def test_cluster_ids_never_look_like_options() -> None:
    from rollwatch.core.local_kafka import kafka_uuid

    ids = {kafka_uuid() for _ in range(2000)}
    assert all(len(i) == 22 and i[0].isalnum() for i in ids)
