"""What the benchmarks run against: a Kafka broker of their own (or the one
`ROLLWATCH_KAFKA_BOOTSTRAP` names), and the product under test in processes of its own, each on an
embedded ledger folder of its own (chDB opens one folder per process)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from rollwatch.core.kafka_connection import KafkaConnection
from rollwatch.core.topics import Topics, ensure_topics
from tools.harness import product as child
from tools.harness.broker import configured_bootstrap, local_broker, running
from tools.harness.ports import free_port

EVENTS_PARTITIONS = 4


@contextmanager
def kafka_for_bench(workdir: Path, progress: Progress) -> Iterator[str]:
    """The bootstrap address of a broker: `ROLLWATCH_KAFKA_BOOTSTRAP` when set, else a local
    single-node broker on free ports in `workdir`, stopped afterwards."""
    configured = configured_bootstrap()
    if configured:
        progress(f"using the Kafka broker at {configured} (ROLLWATCH_KAFKA_BOOTSTRAP)")
        yield configured
        return
    broker = local_broker(workdir)
    progress(f"starting a local Kafka broker at {broker.bootstrap} ...")
    with running(broker):
        try:
            yield broker.bootstrap
        finally:
            progress("stopping the local Kafka broker ...")


def new_namespace(prefix: str) -> str:
    return f"bench{prefix}{uuid.uuid4().hex[:6]}."


def create_topics(bootstrap: str, namespace: str) -> Topics:
    topics = Topics(namespace)
    # The bench runs its own plaintext broker (or the one ROLLWATCH_KAFKA_BOOTSTRAP names).
    ensure_topics(KafkaConnection(bootstrap), topics, EVENTS_PARTITIONS)
    return topics


class Progress:
    """Progress lines on stderr, with the time since the bench started."""

    def __init__(self, quiet: bool = False) -> None:
        self.started = time.monotonic()
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            elapsed = time.monotonic() - self.started
            print(f"[bench {elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass
class Product:
    """The product under test, `python -m rollwatch COMMAND`, in a process of its own on its
    own ledger folder and topic namespace."""

    workdir: Path
    bootstrap: str
    namespace: str
    command: tuple[str, ...]
    settings: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return child.rollwatch_env(
            {
                "kafka_bootstrap": self.bootstrap,
                "data_dir": str(self.workdir),
                "http_port": str(self.port),
                "namespace": self.namespace,
                "events_partitions": str(EVENTS_PARTITIONS),
                "log_level": "WARNING",
                **child.UNLIMITED_RATES,  # the benchmarks measure the product, not its rate limits
                **self.settings,
            },
            project_on_path=True,
        )

    @property
    def log_path(self) -> Path:
        return self.workdir / "rollwatch.log"

    def log_tail(self, chars: int = 3000) -> str:
        return child.read_log(self.log_path, chars)

    def cli(self, *args: str, timeout: float = 600) -> str:
        """Run another `rollwatch` command on this product's folder and namespace; its stdout."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        return child.rollwatch_output(*args, env=self.env, timeout=timeout)

    def python(self, module: str, *args: str, timeout: float = 3600) -> str:
        """Run `python -m MODULE ARGS` with this product's settings; its stdout."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        result = child.run_module(module, *args, env=self.env, timeout=timeout, capture_stderr=False)
        if result.returncode != 0:
            raise RuntimeError(f"python -m {module} failed with exit code {result.returncode}")
        return result.stdout

    def start(self, timeout_s: float = 180) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = child.start(self.command, self.env, self.log_path, append=True)
        name = f"rollwatch {self.command[0]}"
        child.wait_ready(self.process, self.url, timeout_s=timeout_s, name=name, log_tail=self.log_tail)

    def stop(self, timeout_s: float = 60) -> None:
        child.stop(self.process, timeout_s)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def memory_kib(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak RSS) of the process, in KiB, from /proc."""
        values: dict[str, int] = {}
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                name, _, rest = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    values[name] = int(rest.split()[0])
        return values

    def metric(self, client: httpx.Client, name: str) -> float:
        """A counter or gauge of `/metrics`; 0 when not yet reported."""
        return child.metric_value(client.get(f"{self.url}/metrics").text, name)


def publish_key(bootstrap: str, topics: Topics, role: str, **scope: object) -> str:
    """A new API key, published to the namespace's key topic (as `rollwatch keys create` does),
    signed with the secret the bench's products run with (`Product.env`: none of this process's)."""
    return child.publish_key(bootstrap, topics.access_keys, child.rollwatch_env({}), role, **scope)
