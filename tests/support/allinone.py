"""Rollwatch in a process of its own (`rollwatch run`, or one service such as `rollwatch
tracker`), on the test broker and an embedded ledger in a temporary folder. The same product
(namespace, folder, port) can be killed and started again, as a crash test needs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.cli import ROOT, rollwatch_env
from tests.support.ports import free_port

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
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def import_schools(self) -> None:
        """The test register (GIAS format) into this product's ledger, before it starts."""
        result = subprocess.run(
            [sys.executable, "-m", "rollwatch", "schools", "import", str(GIAS_FILE),
             "--links", str(GIAS_LINKS)],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"schools import failed: {result.stderr}")

    def start(self) -> None:
        self.starts += 1
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "rollwatch", *self.command],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.wait_ready()

    def wait_ready(self, timeout_s: float = 90) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rollwatch exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"rollwatch was not ready within {timeout_s}s:\n{self.log()[-3000:]}")

    def kill(self) -> None:
        """kill -9: no shutdown code runs, nothing is flushed or committed."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def stop(self, timeout_s: float = 60) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def create_key(self, *args: str) -> str:
        """`rollwatch keys create ARGS` against this product's broker; returns the key."""
        result = subprocess.run(
            [sys.executable, "-m", "rollwatch", "keys", "create", *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"keys create failed: {result.stderr}")
        return result.stdout.strip()

    def get(self, path: str, key: str | None = None, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key or self.auditor_key}"}
        return httpx.get(f"{self.url}{path}", params=params, headers=headers, timeout=30)

    def metric(self, name: str) -> float:
        for line in httpx.get(f"{self.url}/metrics", timeout=10).text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
        return 0.0


@contextmanager
def rollwatch_process(
    bootstrap: str, workdir: Path, command: tuple[str, ...] = ("run", "--no-local-kafka"), **settings: str
) -> Iterator[RunningProduct]:
    port = free_port()
    namespace = f"e2e{uuid.uuid4().hex[:8]}."
    env = rollwatch_env(
        **{
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
