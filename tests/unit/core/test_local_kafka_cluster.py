"""The local cluster's layout and the replication the product picks from a cluster's size
(no broker runs here: tests/cluster/ runs a real three-node cluster)."""

from pathlib import Path

import pytest

from rollwatch.core.local_kafka import LocalKafkaError
from rollwatch.core.local_kafka_cluster import LocalKafkaCluster
from rollwatch.core.settings import Settings
from rollwatch.core.topics import min_insync_for, replication_for


def _cluster(tmp_path: Path, brokers: int = 3) -> LocalKafkaCluster:
    settings = Settings(data_dir=tmp_path, kafka_bootstrap="127.0.0.1:39092", kafka_controller_port=39093)
    return LocalKafkaCluster.new(settings, brokers)


def test_three_nodes_on_interleaved_ports_in_one_quorum(tmp_path: Path) -> None:
    cluster = _cluster(tmp_path)
    assert cluster.bootstrap == "127.0.0.1:39092,127.0.0.1:39094,127.0.0.1:39096"
    assert [n.controller_port for n in cluster.nodes] == [39093, 39095, 39097]
    assert {n.cluster_id for n in cluster.nodes} == {cluster.cluster_id}
    voters = "1@127.0.0.1:39093,2@127.0.0.1:39095,3@127.0.0.1:39097"
    assert {n.quorum_voters for n in cluster.nodes} == {voters}
    assert cluster.replication == 3


def test_node_config_replicates_internal_topics_with_two_in_sync(tmp_path: Path) -> None:
    node = _cluster(tmp_path).node(2)
    node.data_dir.mkdir(parents=True)
    node._write_config("127.0.0.1", 39094)
    props = dict(line.split("=", 1) for line in node.properties_file.read_text().splitlines())
    assert props["node.id"] == "2"
    assert props["controller.quorum.voters"].count("@") == 3
    assert props["offsets.topic.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"
    assert props["default.replication.factor"] == "3"


def test_a_secured_cluster_shares_one_ca_and_set_of_principals(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, kafka_bootstrap="127.0.0.1:39092", kafka_controller_port=39093)
    cluster = LocalKafkaCluster.new(settings, 3, sasl=True)
    assert cluster.security is not None
    assert {n.security for n in cluster.nodes} == {cluster.security}
    node = cluster.node(3)
    cluster.security.ensure(["127.0.0.1"])
    node.data_dir.mkdir(parents=True)
    node._write_config("127.0.0.1", 39096)
    props = dict(line.split("=", 1) for line in node.properties_file.read_text().splitlines())
    assert props["listeners"] == "SASL_SSL://127.0.0.1:39096,CONTROLLER://127.0.0.1:39097"
    assert cluster.connection.bootstrap == cluster.bootstrap and cluster.connection.username == "admin"


def test_a_lone_node_keeps_its_single_node_config(tmp_path: Path) -> None:
    from rollwatch.core.local_kafka import LocalKafka

    node = LocalKafka("127.0.0.1:39092", 39093, tmp_path, tmp_path / "cache")
    node._write_config("127.0.0.1", 39092)
    props = dict(line.split("=", 1) for line in node.properties_file.read_text().splitlines())
    assert props["controller.quorum.voters"] == "1@127.0.0.1:39093"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["min.insync.replicas"] == "1"


def test_the_layout_is_found_again(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, kafka_bootstrap="127.0.0.1:39092", kafka_controller_port=39093)
    assert LocalKafkaCluster.existing(settings) is None
    cluster = LocalKafkaCluster.new(settings, 3)
    cluster.data_dir.mkdir(parents=True)
    cluster.layout_file(cluster.data_dir).write_text(
        '{"host": "127.0.0.1", "broker_ports": [39092, 39094, 39096], '
        f'"controller_ports": [39093, 39095, 39097], "cluster_id": "{cluster.cluster_id}"}}'
    )
    again = LocalKafkaCluster.existing(settings)
    assert again is not None and again.bootstrap == cluster.bootstrap
    assert again.cluster_id == cluster.cluster_id and again.sasl is False
    with pytest.raises(LocalKafkaError, match="no node 4"):
        again.node(4)
    assert again.stop() == 0


@pytest.mark.parametrize(
    ("brokers", "replication", "min_insync"), [(1, 1, 1), (2, 2, 1), (3, 3, 2), (9, 3, 2)]
)
def test_replication_follows_the_cluster_size(brokers: int, replication: int, min_insync: int) -> None:
    assert replication_for(brokers) == replication
    assert min_insync_for(replication) == min_insync


def test_replication_is_picked_unless_pinned() -> None:
    assert Settings().topic_replication is None
    assert Settings(topic_replication=3).topic_replication == 3
