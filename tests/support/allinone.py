"""Rollwatch in a process of its own (`rollwatch run`, or one service such as `rollwatch
tracker`), on the test broker and an embedded ledger in a temporary folder. The same product
(namespace, folder, port) can be killed and started again, as a crash test needs."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from tools.harness import product as child
from tools.harness.ports import free_port
from tools.harness.product import ROOT

GIAS_FILE = ROOT / "tests" / "fixtures" / "gias" / "edubasealldata20250106.csv"
GIAS_LINKS = ROOT / "tests" / "fixtures" / "gias" / "links_edubasealldata20250106.csv"


@dataclass
class RunningProduct:
    url: str
    namespace: str
    workdir: Path
    env: dict[str, str]
    command: tuple[str, ...]
    process: subprocess.Popen[bytes] | None = None
    auditor_key: str = ""
    starts: int = field(default=0)

    @property
    def log_path(self) -> Path:
        return self.workdir / f"rollwatch-{self.starts}.log"

    def log(self) -> str:
        return child.read_log(self.log_path)

    def import_schools(self) -> None:
        """The test register (GIAS format) into this product's ledger, before it starts."""
        links = ("--links", str(GIAS_LINKS))
        child.rollwatch_output("schools", "import", str(GIAS_FILE), *links, env=self.env, timeout=120)

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Started, not waited for (`wait_ready` then)."""
        self.starts += 1
        self.process = child.start(self.command, self.env, self.log_path)

    def wait_ready(self, timeout_s: float = 90) -> None:
        assert self.process is not None
        child.wait_ready(
            self.process, self.url, timeout_s=timeout_s, name=f"rollwatch {self.command[0]}",
            log_tail=lambda: self.log()[-3000:],
        )  # fmt: skip

    def kill(self) -> None:
        """kill -9: no shutdown code runs, nothing is flushed or committed."""
        assert self.process is not None
        child.kill(self.process)

    def stop(self, timeout_s: float = 60) -> None:
        child.stop(self.process, timeout_s)

    def create_key(self, *args: str) -> str:
        """`rollwatch keys create ARGS` against this product's broker; returns the key."""
        return child.rollwatch_output("keys", "create", *args, env=self.env, timeout=60).strip()

    def get(self, path: str, key: str | None = None, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key or self.auditor_key}"}
        return httpx.get(f"{self.url}{path}", params=params, headers=headers, timeout=30)

    def metric(self, name: str) -> float:
        return child.metric_value(httpx.get(f"{self.url}/metrics", timeout=10).text, name)

    def ledger_ids(self) -> dict[str, Any]:
        """Once stopped: every event id in its embedded ledger (`tools.harness.ledger_probe`)."""
        assert self.process is None or self.process.poll() is not None, "stop the product first"
        result = child.run_module("tools.harness.ledger_probe", env=self.env, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"ledger probe failed: {result.stderr[-2000:]}")
        report: dict[str, Any] = orjson.loads(result.stdout)
        return report


@contextmanager
def rollwatch_process(
    bootstrap: str,
    workdir: Path,
    command: tuple[str, ...] = ("run", "--no-local-kafka"),
    namespace: str | None = None,
    **settings: str,
) -> Iterator[RunningProduct]:
    """The product (or one service) started on `bootstrap` with its data in `workdir`; pass the
    `namespace` of another to run the services apart, each process with its own folder."""
    port = free_port()
    namespace = namespace or f"e2e{uuid.uuid4().hex[:8]}."
    env = child.rollwatch_env(
        {
            "kafka_bootstrap": bootstrap,
            "data_dir": str(workdir),
            "http_port": str(port),
            "namespace": namespace,
            "tracker_batch_seconds": "0.2",
            **settings,
        }
    )
    workdir.mkdir(parents=True, exist_ok=True)
    running = RunningProduct(f"http://127.0.0.1:{port}", namespace, workdir, env, command)
    try:
        running.import_schools()
        running.start()
        running.auditor_key = running.create_key("--role", "auditor", "--label", "tests")
        yield running
    finally:
        running.stop()
