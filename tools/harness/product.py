"""The product as a user runs it: `python -m rollwatch COMMAND` in a child process of its own,
with its settings as `ROLLWATCH_*` variables (the caller's own `ROLLWATCH_*` left out), its output
in a log file, ready once `/readyz` answers 200, stopped with SIGINT then SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from rollwatch.core.kafka_connection import KafkaConnection
from rollwatch.core.settings import DEFAULT_SECRET, PROJECT_ROOT, Settings
from rollwatch.core.signing import SecretKeys

ROOT = PROJECT_ROOT
# Settings that lift the per-key rate limits: tests and benchmarks poll faster than people do
# (a test of the limits sets its own).
UNLIMITED_RATES = dict.fromkeys(
    ("rate_limit_school", "rate_limit_la_officer", "rate_limit_auditor"), "1000000/second"
)


def rollwatch_env(settings: Mapping[str, str], *, project_on_path: bool = False) -> dict[str, str]:
    """This process's environment without its `ROLLWATCH_*` variables, plus `settings` as
    `ROLLWATCH_NAME`; with `project_on_path`, the project first on `PYTHONPATH` too."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLWATCH_")}
    env.update({f"ROLLWATCH_{k.upper()}": v for k, v in settings.items()})
    if project_on_path:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def secrets_of(env: Mapping[str, str]) -> SecretKeys:
    """The secrets a child started with `env` signs and verifies with."""
    return Settings.model_validate(
        {
            "secret_key": env.get("ROLLWATCH_SECRET_KEY", DEFAULT_SECRET),
            "previous_secret_keys": env.get("ROLLWATCH_PREVIOUS_SECRET_KEYS", ""),
            "fingerprint_key": env.get("ROLLWATCH_FINGERPRINT_KEY"),
        }
    ).secrets


def kafka_of(env: Mapping[str, str]) -> KafkaConnection:
    """The broker, and the principal, of a child started with `env`."""
    settings = {k.removeprefix("ROLLWATCH_").lower(): v for k, v in env.items() if k.startswith("ROLLWATCH_")}
    return Settings.model_validate(settings).kafka


def publish_key(
    bootstrap: str | KafkaConnection, topic: str, env: Mapping[str, str], role: str, **scope: object
) -> str:
    """A new API key, signed as a child started with `env` expects and published to `topic`, as
    `rollwatch keys create` does but in this process (a command start per key is slow)."""
    from rollwatch.core.access.keyring import publish_record
    from rollwatch.core.access.keys import new_key

    secrets = secrets_of(env)
    token, record = new_key(role, secrets=secrets, **scope)  # type: ignore[arg-type]
    kafka = KafkaConnection(bootstrap) if isinstance(bootstrap, str) else bootstrap
    publish_record(kafka, topic, record, secrets)
    return token


def run_module(
    module: str, *args: str, env: Mapping[str, str], timeout: float, capture_stderr: bool = True
) -> subprocess.CompletedProcess[str]:
    """`python -m MODULE ARGS` from the project folder, to its end; its stdout (and its stderr,
    unless `capture_stderr` is off: then it goes where this process's goes) as text."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE if capture_stderr else None,
        text=True, timeout=timeout,
    )  # fmt: skip


def run_rollwatch(*args: str, env: Mapping[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """`rollwatch ARGS` to its end, its stdout and stderr captured."""
    return run_module("rollwatch", *args, env=env, timeout=timeout)


def rollwatch_output(*args: str, env: Mapping[str, str], timeout: float) -> str:
    """`rollwatch ARGS` to its end; its stdout, or RuntimeError with the end of its stderr when it
    fails."""
    result = run_rollwatch(*args, env=env, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"rollwatch {' '.join(args[:2])} failed: {result.stderr[-3000:]}")
    return result.stdout


def start(
    command: tuple[str, ...], env: Mapping[str, str], log_path: Path, *, append: bool = False
) -> subprocess.Popen[bytes]:
    """`rollwatch COMMAND` started in the background, its stdout and stderr into `log_path`."""
    with open(log_path, "ab" if append else "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "rollwatch", *command],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip


def wait_ready(
    process: subprocess.Popen[bytes],
    url: str,
    *,
    timeout_s: float,
    log_tail: Callable[[], str],
    name: str = "rollwatch",
    path: str = "/readyz",
) -> None:
    """Until `url + path` answers 200; RuntimeError, with the end of the log, if the process
    exits first or `timeout_s` passes."""
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_tail()}")
            try:
                if client.get(f"{url}{path}").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
    raise RuntimeError(f"{name} was not ready in {timeout_s:.0f}s:\n{log_tail()}")


def stop(process: subprocess.Popen[bytes] | None, timeout_s: float = 60) -> None:
    """SIGINT (a clean shutdown), then SIGKILL if it has not exited within `timeout_s`."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def kill(process: subprocess.Popen[bytes]) -> None:
    """kill -9: no shutdown code runs, nothing is flushed or committed."""
    process.kill()
    process.wait()


def read_log(path: Path, chars: int | None = None) -> str:
    """The log (its last `chars` characters when given); empty when there is none yet."""
    if not path.exists():
        return ""
    text = path.read_text(errors="replace")
    return text if chars is None else text[-chars:]


def metric_total(metrics_text: str, name: str) -> float:
    """The sum of every sample of `name` (all its label sets); 0 when not yet reported."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics_text.splitlines()
        if line.startswith(name + " ") or line.startswith(name + "{")
    )


def metric_value(metrics_text: str, name: str) -> float:
    """The first sample of `name` in a Prometheus `/metrics` page; 0 when not yet reported."""
    for line in metrics_text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
