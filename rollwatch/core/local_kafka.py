"""A real Apache Kafka (KRaft, broker + controller in one JVM per node) for development, tests
and `rollwatch run`: one node by default, or a cluster of several (`LocalKafkaCluster`,
`rollwatch kafka start --brokers 3`); plaintext on loopback, or SASL/SCRAM over TLS with ACLs
(`--sasl`, `rollwatch.core.local_kafka_security`). Jars come from Maven Central through
`deploy/kafka/pom.xml` into a git-ignored cache; data, logs and the pid live under
`$ROLLWATCH_DATA_DIR/kafka` (a cluster's nodes under `$ROLLWATCH_DATA_DIR/kafka/cluster/node-N`)."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from rollwatch.core.kafka_connection import KafkaConnection
from rollwatch.core.local_kafka_security import LocalKafkaSecurity
from rollwatch.core.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

KAFKA_VERSION = "4.1.2"
POM = PROJECT_ROOT / "deploy" / "kafka" / "pom.xml"


class LocalKafkaError(RuntimeError):
    """Something the user can act on: the message says what."""


def split_host_port(address: str) -> tuple[str, int]:
    first = address.split(",")[0].strip()
    host, _, port = first.rpartition(":")
    if not host or not port.isdigit():
        raise LocalKafkaError(f"bootstrap address {address!r} is not HOST:PORT")
    return host, int(port)


def port_answers(host: str, port: int, timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def broker_answers(kafka: KafkaConnection, timeout_s: float = 3.0) -> bool:
    """True when a Kafka broker answers a metadata request at `kafka.bootstrap` (a list: any of
    it), with `kafka`'s security (a secured broker answers only clients it authenticates)."""
    listening = [a for a in kafka.addresses if port_answers(*split_host_port(a))]
    if not listening:
        return False
    from kafka.admin import KafkaAdminClient

    try:
        admin = KafkaAdminClient(
            **kafka.with_bootstrap(",".join(listening)).client_options(),
            request_timeout_ms=int(timeout_s * 1000),
        )
    except Exception:
        return False
    try:
        admin.list_topics()
        return True
    except Exception:
        return False
    finally:
        admin.close()


@dataclass
class LocalKafka:
    bootstrap: str
    controller_port: int
    data_dir: Path
    cache_dir: Path
    # One node of a cluster (`LocalKafkaCluster`) sets these; the defaults are a lone node.
    node_id: int = 1
    quorum_voters: str = ""  # "1@host:port,2@host:port,...": the controller quorum
    cluster_id: str = ""  # shared by every node of a cluster; a lone node draws its own
    replication: int = 1  # of the internal topics; min.insync.replicas is one less (at least 1)
    heap: str = "768m"
    # SASL/SCRAM over TLS with ACLs; None: plaintext.
    security: LocalKafkaSecurity | None = None

    @classmethod
    def from_settings(cls, settings: Settings, sasl: bool = False) -> LocalKafka:
        """Secured when asked (`--sasl`), when the settings speak SASL_SSL, or when this data
        folder already holds a secured broker."""
        data_dir = Path(settings.kafka_data_dir).resolve()
        security = LocalKafkaSecurity(data_dir / "tls")
        secure = sasl or settings.kafka_security_protocol == "SASL_SSL" or security.folder.exists()
        return cls(
            bootstrap=settings.kafka_bootstrap,
            controller_port=settings.kafka_controller_port,
            data_dir=data_dir,
            cache_dir=Path(settings.kafka_cache_dir).resolve(),
            security=security if secure else None,
        )

    @property
    def connection(self) -> KafkaConnection:
        """How the broker's own checks reach it: as `admin` when secured."""
        if self.security is None:
            return KafkaConnection(self.bootstrap)
        return self.security.connection(self.bootstrap)

    # -- paths -------------------------------------------------------------------------------
    @property
    def libs_dir(self) -> Path:
        return self.cache_dir / f"kafka-{KAFKA_VERSION}" / "libs"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "broker.log"

    @property
    def properties_file(self) -> Path:
        return self.data_dir / "server.properties"

    # -- jars --------------------------------------------------------------------------------
    def fetch(self, quiet: bool = True) -> Path:
        """Download the pinned broker jars once; later calls return at once."""
        stamp = self.libs_dir / ".complete"
        if stamp.exists():
            return self.libs_dir
        _require(
            "mvn",
            "Maven (mvn) is needed to fetch Kafka from Maven Central; install it (apt-get install maven)",
        )
        _require(
            "java",
            "Java 17+ is needed to run the local Kafka broker (apt-get install openjdk-17-jdk)",
        )
        self.libs_dir.mkdir(parents=True, exist_ok=True)
        print(
            f"Fetching Apache Kafka {KAFKA_VERSION} from Maven Central into {self.libs_dir} ...",
            file=sys.stderr,
        )
        command = [
            "mvn", "-B", "-f", str(POM), "package",
            f"-Dkafka.version={KAFKA_VERSION}",
            f"-Drollwatch.kafka.libs={self.libs_dir}",
            f"-Drollwatch.build.dir={self.cache_dir / 'maven-build'}",
        ]  # fmt: skip
        if quiet:
            command.insert(1, "-q")
        result = subprocess.run(command, capture_output=quiet, text=True)
        if result.returncode != 0:
            detail = (result.stdout or "")[-2000:] + (result.stderr or "")[-2000:]
            raise LocalKafkaError(f"Maven could not fetch Kafka (exit {result.returncode}):\n{detail}")
        stamp.write_text(KAFKA_VERSION)
        return self.libs_dir

    # -- lifecycle ---------------------------------------------------------------------------
    def running_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _is_our_broker(pid, self.properties_file) else None

    def status(self) -> dict[str, object]:
        pid = self.running_pid()
        return {
            "bootstrap": self.bootstrap,
            "pid": pid,
            "running": pid is not None,
            "answers": broker_answers(self.connection, timeout_s=2.0),
            "security": "PLAINTEXT" if self.security is None else "SASL_SSL",
            "data_dir": str(self.data_dir),
        }

    def start(self, timeout_s: float = 90.0) -> int:
        """Start the broker unless ours is running already; return its pid once it answers."""
        pid = self.launch()
        self._wait_ready(pid, timeout_s)
        return pid

    def launch(self) -> int:
        """Start the JVM unless ours is running already, without waiting for it to answer (a
        node of a cluster cannot answer before a majority of the controller quorum runs)."""
        pid = self.running_pid()
        if pid is not None:
            return pid
        host, port = split_host_port(self.bootstrap)
        for p in (port, self.controller_port):
            if port_answers(host, p):
                raise LocalKafkaError(
                    f"port {p} on {host} is taken by another process; stop it or set "
                    "ROLLWATCH_KAFKA_BOOTSTRAP / ROLLWATCH_KAFKA_CONTROLLER_PORT to free ports"
                )
        libs = self.fetch()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        formatted = (self.data_dir / "logs" / "meta.properties").exists()
        if self.security is not None:
            if formatted and not self.security.principals_file.exists():
                raise LocalKafkaError(
                    f"the broker's data in {self.data_dir} was made without SASL, so it has no "
                    "credentials; stop it and remove that folder to start a secured broker"
                )
            self.security.ensure([host])
        self._write_config(host, port)
        classpath = f"{libs}/*"
        jvm = [
            "java",
            "-Xms256m",
            f"-Xmx{self.heap}",
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.xml'}",
        ]
        if not formatted:
            # KRaft storage is formatted once; a random cluster id is fine for a single node.
            # The SCRAM credentials go into the metadata here (the KRaft way).
            cluster_id = self.cluster_id or kafka_uuid()
            format_storage = [
                *jvm, "-cp", classpath, "kafka.tools.StorageTool", "format",
                f"--cluster-id={cluster_id}", "-c", str(self.properties_file),
                *(self.security.format_arguments() if self.security else []),
            ]  # fmt: skip
            fmt = subprocess.run(format_storage, capture_output=True, text=True)
            if fmt.returncode != 0:
                raise LocalKafkaError(f"formatting KRaft storage failed:\n{fmt.stdout}{fmt.stderr}")
        with open(self.data_dir / "broker.stdout", "ab") as out:
            process = subprocess.Popen(
                [*jvm, "-cp", classpath, "kafka.Kafka", str(self.properties_file)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C in a terminal must not kill the broker mid-write
            )
        self.pid_file.write_text(str(process.pid))
        return process.pid

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Stop the broker this data folder started (by pid); False if none was running."""
        pid = self.running_pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and process_alive(pid):
            time.sleep(0.2)
        if process_alive(pid):
            os.kill(pid, signal.SIGKILL)
            while process_alive(pid):
                time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)
        return True

    def wait_ready(self, timeout_s: float = 90.0, pid: int | None = None) -> None:
        """Wait until the broker answers: the one `launch` just started when given its `pid`. (For
        a moment after the start /proc/<pid>/cmdline reads empty, in 36 of 40 `java -version`
        starts, so `running_pid` cannot yet recognise the new JVM as ours.)"""
        pid = pid or self.running_pid()
        if pid is None:
            raise LocalKafkaError(f"the Kafka broker at {self.bootstrap} is not running; see {self.log_file}")
        self._wait_ready(pid, timeout_s)

    def _wait_ready(self, pid: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not process_alive(pid):
                raise LocalKafkaError(
                    f"the Kafka broker exited during start; see {self.log_file}:\n{self._log_tail()}"
                )
            if broker_answers(self.connection, timeout_s=2.0):
                return
            time.sleep(0.5)
        raise LocalKafkaError(f"the Kafka broker did not answer within {timeout_s:.0f}s; see {self.log_file}")

    def _log_tail(self, lines: int = 20) -> str:
        for candidate in (self.log_file, self.data_dir / "broker.stdout"):
            if candidate.exists():
                return "\n".join(candidate.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def _write_config(self, host: str, port: int) -> None:
        min_isr = str(max(1, self.replication - 1))
        client = "PLAINTEXT" if self.security is None else "SASL_SSL"
        props = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": self.quorum_voters or f"{self.node_id}@{host}:{self.controller_port}",
            "listeners": f"{client}://{host}:{port},CONTROLLER://{host}:{self.controller_port}",
            "advertised.listeners": f"{client}://{host}:{port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(self.data_dir / "logs"),
            "offsets.topic.replication.factor": str(self.replication),
            "offsets.topic.num.partitions": "4",
            "transaction.state.log.replication.factor": str(self.replication),
            "transaction.state.log.min.isr": min_isr,
            "share.coordinator.state.topic.replication.factor": str(self.replication),
            "share.coordinator.state.topic.min.isr": min_isr,
            "min.insync.replicas": min_isr,
            "default.replication.factor": str(self.replication),
            "num.partitions": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
        }
        if self.security is not None:
            props.update(self.security.broker_properties())
        # It may hold the brokers' SCRAM password.
        self.properties_file.touch(mode=0o600)
        self.properties_file.chmod(0o600)
        self.properties_file.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        (self.data_dir / "log4j2.xml").write_text(
            '<Configuration status="WARN"><Appenders>'
            f'<RollingFile name="file" fileName="{self.log_file}" filePattern="{self.log_file}.%i">'
            '<PatternLayout pattern="[%d] %p %m (%c)%n"/>'
            '<Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>'
            '<DefaultRolloverStrategy max="3"/></RollingFile></Appenders>'
            '<Loggers><Root level="INFO"><AppenderRef ref="file"/></Root></Loggers></Configuration>\n'
        )


def _require(tool: str, message: str) -> None:
    if shutil.which(tool) is None:
        raise LocalKafkaError(message)


def kafka_uuid() -> str:
    """A Kafka cluster id (22 URL-safe base64 characters). One starting with '-' would be read
    by the storage tool as an option, so such ids are drawn again."""
    import base64

    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if cluster_id[0].isalnum():
            return cluster_id


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return True


def _is_our_broker(pid: int, properties_file: Path) -> bool:
    """Only a live JVM running kafka.Kafka on our own properties file counts, so a reused pid
    of some other process is never signalled."""
    if not process_alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"kafka.Kafka" in cmdline and str(properties_file).encode() in cmdline
