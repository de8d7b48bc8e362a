"""A local Kafka cluster: several KRaft nodes of `rollwatch.core.local_kafka` on one machine
(`rollwatch kafka start --brokers 3`), for development and the cluster tests."""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from rollwatch.core.kafka_connection import KafkaConnection
from rollwatch.core.local_kafka import (
    LocalKafka,
    LocalKafkaError,
    broker_answers,
    kafka_uuid,
    process_alive,
    split_host_port,
)
from rollwatch.core.local_kafka_security import LocalKafkaSecurity
from rollwatch.core.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class LocalKafkaCluster:
    """Several KRaft nodes on one machine, each a combined broker and controller, all voters of one
    controller quorum: with three, any one node may stop and the cluster keeps serving (topics
    replicated three times with `min.insync.replicas=2`). Its layout (ports, cluster id) is kept
    in `cluster.json` so that `rollwatch kafka stop --node N` / `start --node N` find it again."""

    host: str
    broker_ports: list[int]
    controller_ports: list[int]
    data_dir: Path
    cache_dir: Path
    cluster_id: str = ""
    heap: str = "512m"
    # SASL/SCRAM over TLS with ACLs (one CA, certificate and set of principals for every node).
    sasl: bool = False

    def __post_init__(self) -> None:
        if len(self.broker_ports) != len(self.controller_ports) or not self.broker_ports:
            raise LocalKafkaError("a cluster needs one broker port and one controller port per node")
        if not self.cluster_id:
            self.cluster_id = kafka_uuid()

    @classmethod
    def layout_file(cls, data_dir: Path) -> Path:
        return data_dir / "cluster.json"

    @classmethod
    def new(cls, settings: Settings, brokers: int, sasl: bool = False) -> LocalKafkaCluster:
        """Node N (1-based) listens on the bootstrap port + 2(N-1) and its controller on the
        controller port + 2(N-1): 9092/9093, 9094/9095, 9096/9097 by default."""
        if brokers < 1:
            raise LocalKafkaError("--brokers must be 1 or more")
        host, port = split_host_port(settings.kafka_bootstrap)
        return cls(
            host=host,
            broker_ports=[port + 2 * i for i in range(brokers)],
            controller_ports=[settings.kafka_controller_port + 2 * i for i in range(brokers)],
            data_dir=(Path(settings.kafka_data_dir) / "cluster").resolve(),
            cache_dir=Path(settings.kafka_cache_dir).resolve(),
            sasl=sasl or settings.kafka_security_protocol == "SASL_SSL",
        )

    @classmethod
    def existing(cls, settings: Settings) -> LocalKafkaCluster | None:
        """The cluster this data folder holds, if `rollwatch kafka start --brokers N` made one."""
        data_dir = (Path(settings.kafka_data_dir) / "cluster").resolve()
        try:
            layout = json.loads(cls.layout_file(data_dir).read_text())
        except (OSError, ValueError):
            return None
        return cls(
            host=layout["host"],
            broker_ports=layout["broker_ports"],
            controller_ports=layout["controller_ports"],
            data_dir=data_dir,
            cache_dir=Path(settings.kafka_cache_dir).resolve(),
            cluster_id=layout["cluster_id"],
            sasl=layout.get("sasl", False),
        )

    @property
    def size(self) -> int:
        return len(self.broker_ports)

    @property
    def bootstrap(self) -> str:
        return ",".join(f"{self.host}:{p}" for p in self.broker_ports)

    @property
    def replication(self) -> int:
        return min(3, self.size)

    @property
    def security(self) -> LocalKafkaSecurity | None:
        return LocalKafkaSecurity(self.data_dir / "tls") if self.sasl else None

    @property
    def connection(self) -> KafkaConnection:
        """The whole bootstrap list, as `admin` when secured."""
        security = self.security
        return KafkaConnection(self.bootstrap) if security is None else security.connection(self.bootstrap)

    @property
    def nodes(self) -> list[LocalKafka]:
        voters = ",".join(f"{n}@{self.host}:{p}" for n, p in enumerate(self.controller_ports, start=1))
        return [
            LocalKafka(
                bootstrap=f"{self.host}:{broker_port}",
                controller_port=controller_port,
                data_dir=self.data_dir / f"node-{n}",
                cache_dir=self.cache_dir,
                node_id=n,
                quorum_voters=voters,
                cluster_id=self.cluster_id,
                replication=self.replication,
                heap=self.heap,
                security=self.security,
            )
            for n, (broker_port, controller_port) in enumerate(
                zip(self.broker_ports, self.controller_ports, strict=True), start=1
            )
        ]

    def node(self, number: int) -> LocalKafka:
        if not 1 <= number <= self.size:
            raise LocalKafkaError(f"there is no node {number}: the cluster has nodes 1 to {self.size}")
        return self.nodes[number - 1]

    def start(self, timeout_s: float = 120.0) -> list[int]:
        """Start every node that is not running (all at once, since none answers before a majority
        of the quorum runs); return their pids once each answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        layout = {
            "host": self.host,
            "broker_ports": self.broker_ports,
            "controller_ports": self.controller_ports,
            "cluster_id": self.cluster_id,
            "sasl": self.sasl,
        }
        self.layout_file(self.data_dir).write_text(json.dumps(layout, indent=2) + "\n")
        pids = [node.launch() for node in self.nodes]
        for node, pid in zip(self.nodes, pids, strict=True):
            node.wait_ready(timeout_s, pid)
        return pids

    def start_node(self, number: int, timeout_s: float = 90.0) -> int:
        node = self.node(number)
        pid = node.launch()
        node.wait_ready(timeout_s, pid)
        return pid

    def stop_node(self, number: int, timeout_s: float = 30.0) -> bool:
        return self.node(number).stop(timeout_s)

    def stop(self, timeout_s: float = 30.0) -> int:
        """Stop every node at once (one by one, the last would wait on a lost quorum); return how
        many were running."""
        running = [(node, pid) for node in self.nodes if (pid := node.running_pid()) is not None]
        for _, pid in running:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and any(process_alive(pid) for _, pid in running):
            time.sleep(0.2)
        for node, pid in running:
            if process_alive(pid):
                os.kill(pid, signal.SIGKILL)
                while process_alive(pid):
                    time.sleep(0.1)
            node.pid_file.unlink(missing_ok=True)
        return len(running)

    def status(self) -> dict[str, object]:
        nodes = []
        for number, node in enumerate(self.nodes, start=1):
            pid = node.running_pid()
            nodes.append(
                {
                    "node": number,
                    "bootstrap": node.bootstrap,
                    "controller_port": node.controller_port,
                    "pid": pid,
                    "running": pid is not None,
                    "answers": pid is not None and broker_answers(node.connection, timeout_s=2.0),
                    "data_dir": str(node.data_dir),
                }
            )
        return {
            "bootstrap": self.bootstrap,
            "brokers": self.size,
            "replication": self.replication,
            "answering": sum(1 for n in nodes if n["answers"]),
            "nodes": nodes,
        }
