import os
from pathlib import Path

import pytest

from rollwatch.core.local_kafka import LocalKafka, LocalKafkaError, split_host_port
from rollwatch.core.local_kafka_security import LocalKafkaSecurity


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


def _props(broker: LocalKafka) -> dict[str, str]:
    broker.data_dir.mkdir(parents=True, exist_ok=True)
    broker._write_config("127.0.0.1", 39092)
    lines = broker.properties_file.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def test_config_is_a_single_kraft_node_on_loopback(tmp_path: Path) -> None:
    props = _props(_broker(tmp_path))
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:39092,CONTROLLER://127.0.0.1:39093"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["auto.create.topics.enable"] == "false"


def test_a_secured_broker_has_no_plaintext_listener_and_refuses_what_no_acl_allows(tmp_path: Path) -> None:
    security = LocalKafkaSecurity(tmp_path / "kafka" / "tls")
    broker = LocalKafka("127.0.0.1:39092", 39093, tmp_path / "kafka", tmp_path / "cache", security=security)
    security.ensure(["127.0.0.1"])
    props = _props(broker)
    assert props["listeners"] == "SASL_SSL://127.0.0.1:39092,CONTROLLER://127.0.0.1:39093"
    assert "PLAINTEXT" not in props["listener.security.protocol.map"].replace("SASL_", "")
    assert props["listener.name.controller.ssl.client.auth"] == "required"
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["authorizer.class.name"].endswith("StandardAuthorizer")
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"] == "User:admin;User:broker"
    assert broker.properties_file.stat().st_mode & 0o077 == 0  # it holds the brokers' password
    scram = security.format_arguments()
    assert scram.count("--add-scram") == 7  # six roles and the brokers
    assert "SCRAM-SHA-512=[name=integrator,password=" in " ".join(scram)
    assert broker.connection.security_protocol == "SASL_SSL" and broker.connection.username == "admin"


def test_missing_maven_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LocalKafkaError, match="Maven"):
        _broker(tmp_path).fetch()


def test_cluster_ids_never_look_like_options() -> None:
    from rollwatch.core.local_kafka import kafka_uuid

    ids = {kafka_uuid() for _ in range(2000)}
    assert all(len(i) == 22 and i[0].isalnum() for i in ids)
