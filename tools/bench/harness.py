"""What the benchmarks run against: a Kafka broker of their own (or the one
`ROLLWATCH_KAFKA_BOOTSTRAP` names), and the product under test in processes of its own, each on an
embedded ledger folder of its own (chDB opens one folder per process)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from rollwatch.core.local_kafka import LocalKafka
from rollwatch.core.settings import PROJECT_ROOT, Settings
from rollwatch.core.topics import Topics, ensure_topics

EVENTS_PARTITIONS = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def kafka_for_bench(workdir: Path, progress: Progress) -> Iterator[str]:
    """The bootstrap address of a broker: `ROLLWATCH_KAFKA_BOOTSTRAP` when set, else a local
    single-node broker on free ports in `workdir`, stopped afterwards."""
    configured = os.environ.get("ROLLWATCH_KAFKA_BOOTSTRAP")
    if configured:
        progress(f"using the Kafka broker at {configured} (ROLLWATCH_KAFKA_BOOTSTRAP)")
        yield configured
        return
    broker = LocalKafka(
        bootstrap=f"127.0.0.1:{free_port()}",
        controller_port=free_port(),
        data_dir=workdir,
        cache_dir=Settings().kafka_cache_dir,
    )
    progress(f"starting a local Kafka broker at {broker.bootstrap} ...")
    broker.start()
    try:
        yield broker.bootstrap
    finally:
        progress("stopping the local Kafka broker ...")
        broker.stop()


def new_namespace(prefix: str) -> str:
    return f"bench{prefix}{uuid.uuid4().hex[:6]}."


def create_topics(bootstrap: str, namespace: str) -> Topics:
    topics = Topics(namespace)
    ensure_topics(bootstrap, topics, EVENTS_PARTITIONS)
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


def _env(settings: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLWATCH_")}
    env.update({f"ROLLWATCH_{k.upper()}": v for k, v in settings.items()})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


@dataclass
class Product:
    """The product under test, `python -m rollwatch.app.cli COMMAND`, in a process of its own on its
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
        return _env(
            {
                "kafka_bootstrap": self.bootstrap,
                "data_dir": str(self.workdir),
                "http_port": str(self.port),
                "namespace": self.namespace,
                "events_partitions": str(EVENTS_PARTITIONS),
                "log_level": "WARNING",
                **self.settings,
            }
        )

    @property
    def log_path(self) -> Path:
        return self.workdir / "rollwatch.log"

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def cli(self, *args: str, timeout: float = 600) -> str:
        """Run another `rollwatch` command on this product's folder and namespace; its stdout."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [sys.executable, "-m", "rollwatch", *args],
            env=self.env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"rollwatch {' '.join(args[:2])} failed: {result.stderr[-3000:]}")
        return result.stdout

    def python(self, module: str, *args: str, timeout: float = 3600) -> str:
        """Run `python -m MODULE ARGS` with this product's settings; its stdout."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [sys.executable, "-m", module, *args],
            env=self.env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"python -m {module} failed with exit code {result.returncode}")
        return result.stdout

    def start(self, timeout_s: float = 180) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "rollwatch", *self.command],
                env=self.env,
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout_s
        with httpx.Client(timeout=5) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    code = self.process.returncode
                    raise RuntimeError(f"rollwatch {self.command[0]} exited with {code}:\n{self.log_tail()}")
                try:
                    if client.get(f"{self.url}/readyz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.3)
        raise RuntimeError(
            f"rollwatch {self.command[0]} was not ready in {timeout_s:.0f}s:\n{self.log_tail()}"
        )

    def stop(self, timeout_s: float = 60) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

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
        """A counter or gauge of `/metrics` (without labels); 0 when not yet reported."""
        for line in client.get(f"{self.url}/metrics").text.splitlines():
            if line.startswith(name + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0


def publish_key(bootstrap: str, topics: Topics, role: str, **scope: object) -> str:
    """A new API key, published to the namespace's key topic (as `rollwatch keys create` does)."""
    from rollwatch.core.access.keyring import publish_record
    from rollwatch.core.access.keys import new_key

    token, record = new_key(role, **scope)  # type: ignore[arg-type]
    publish_record(bootstrap, topics.access_keys, record)
    return token
