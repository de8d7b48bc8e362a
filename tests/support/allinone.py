"""The all-in-one product (`rollwatch run`) in a process of its own, on the test broker and an
embedded ledger in a temporary folder, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.cli import ROOT, rollwatch_env
from tests.support.ports import free_port


@dataclass
class RunningProduct:
    url: str
    namespace: str
    process: subprocess.Popen[bytes]
    log_path: Path

    env: dict[str, str]
    auditor_key: str = ""

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def create_key(self, *args: str) -> str:
        """`rollwatch keys create ARGS` against this product's broker; returns the key."""
        result = subprocess.run(
            [sys.executable, "-m", "rollwatch.cli", "keys", "create", *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"keys create failed: {result.stderr}")
        return result.stdout.strip()


@contextmanager
def all_in_one(bootstrap: str, workdir: Path, **settings: str) -> Iterator[RunningProduct]:
    port = free_port()
    namespace = f"e2e{uuid.uuid4().hex[:8]}."
    env = rollwatch_env(
        kafka_bootstrap=bootstrap,
        data_dir=str(workdir),
        http_port=str(port),
        namespace=namespace,
        tracker_batch_seconds="0.2",
        **settings,
    )
    log_path = workdir / "rollwatch.log"
    workdir.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "rollwatch.cli", "run", "--no-local-kafka"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    product = RunningProduct(f"http://127.0.0.1:{port}", namespace, process, log_path, env)
    try:
        wait_ready(product)
        product.auditor_key = product.create_key("--role", "auditor", "--label", "e2e")
        yield product
    finally:
        stop(product)


def wait_ready(product: RunningProduct, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if product.process.poll() is not None:
            raise RuntimeError(
                f"rollwatch run exited with {product.process.returncode}:\n{product.log()[-3000:]}"
            )
        try:
            if httpx.get(f"{product.url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"rollwatch run was not ready within {timeout_s}s:\n{product.log()[-3000:]}")


def stop(product: RunningProduct, timeout_s: float = 60) -> None:
    if product.process.poll() is None:
        product.process.send_signal(signal.SIGINT)
        try:
            product.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.kill(product.process.pid, signal.SIGKILL)
            product.process.wait()
