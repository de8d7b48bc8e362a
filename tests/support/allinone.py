"""Rollwatch in a process of its own (`rollwatch run`, or one service such as `rollwatch
tracker`), on the test broker and an embedded ledger in a temporary folder. The same product
(namespace, folder, port) can be killed and started again, as a crash test needs."""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson

from rollwatch.core.topics import Topics
from tools.harness import product as child
from tools.harness.ports import free_port
from tools.harness.product import ROOT

T = TypeVar("T")

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
    # The command line's own environment (on a secured broker: the admin principal, the only one
    # that may write keys); None: the product's.
    cli_env: dict[str, str] | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / f"rollwatch-{self.starts}.log"

    def log(self) -> str:
        return child.read_log(self.log_path)

    def import_schools(self) -> None:
        """The test register (GIAS format) into this product's ledger, before it starts: the ledger
        `rollwatch schools import` made once this session, copied (`imported_ledger`)."""
        ledger = self.workdir / "ledger"  # Settings.ledger_path
        copied = imported_ledger(self.env)
        if copied is None or ledger.exists():
            _import_schools(self.env)
        else:
            shutil.copytree(copied, ledger, symlinks=True)  # its tables are relative links

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
        env = self.cli_env or self.env
        return child.rollwatch_output("keys", "create", *args, env=env, timeout=60).strip()

    def issue_key(self, bootstrap: str | None, role: str, **scope: Any) -> str:
        """A key issued as `rollwatch keys create` does, signed with this product's secret, but in
        this process (a command start per key is slow); `bootstrap` None: on the broker and as the
        principal the command line would use."""
        kafka = child.kafka_of(self.cli_env or self.env) if bootstrap is None else bootstrap
        return child.publish_key(kafka, Topics(self.namespace).access_keys, self.env, role, **scope)

    def new_key(self, role: str, **scope: Any) -> str:
        """A key issued as `rollwatch keys create` would issue it on this product's broker, in this
        process (`issue_key`)."""
        return self.issue_key(None, role, **scope)

    def wait_for_key(self, key: str, timeout_s: float = 60) -> None:
        """Until this process knows `key` (its key follower has read the record): an empty batch
        of events is answered 401 before, anything else after, and nothing is accepted."""
        headers = {"Authorization": f"Bearer {key}"}
        self.wait_for(
            lambda: (
                httpx.post(
                    f"{self.url}/v1/events", json={"events": []}, headers=headers, timeout=30
                ).status_code
                != 401
            ),
            timeout_s=timeout_s,
            what="the key to be known",
        )

    def get(self, path: str, key: str | None = None, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key or self.auditor_key}"}
        return httpx.get(f"{self.url}{path}", params=params, headers=headers, timeout=30)

    def post_events(self, key: str, *events: dict[str, Any]) -> None:
        """`POST /v1/events` as a school's system; every event must be accepted (202)."""
        response = httpx.post(
            f"{self.url}/v1/events", json={"events": list(events)},
            headers={"Authorization": f"Bearer {key}"}, timeout=30,
        )  # fmt: skip
        assert response.status_code == 202, response.text
        assert response.json()["rejected"] == [], response.text

    def alerts(self, key: str, **params: Any) -> list[dict[str, Any]]:
        """`GET /v1/alerts` with `key` (an officer's or an auditor's), stating a purpose."""
        response = self.get("/v1/alerts", key=key, **{"purpose": "test", **params})
        response.raise_for_status()
        alerts: list[dict[str, Any]] = response.json()["alerts"]
        return alerts

    def wait_for_alerts(
        self, key: str, predicate: Callable[[dict[str, Any]], bool], timeout_s: float = 30, **params: Any
    ) -> list[dict[str, Any]]:
        """The alerts `key` sees that match `predicate`, once there is one; AssertionError after
        `timeout_s`."""
        return self.wait_for(
            lambda: [a for a in self.alerts(key, **params) if predicate(a)], "such alert", timeout_s
        )

    def wait_for(self, read: Callable[[], T], what: str, timeout_s: float) -> T:
        """What `read` returns once it is truthy (the pipeline is asynchronous); AssertionError,
        with how far each stage got and the log's tail, after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = read()
            if value:
                return value
            time.sleep(0.2)
        state, log = self.pipeline_state(), self.log()[-3000:]
        raise AssertionError(f"no {what} within {timeout_s:.0f} s; pipeline:\n{state}\nlog:\n{log}")

    def pipeline_state(self) -> str:
        """How far each stage got (ingest, tracker, alert judge, dead letters), from `/metrics`:
        which stage an event stopped at, when a wait fails."""
        stages = ("rollwatch_ingest_events_total", "rollwatch_tracker_rows_written_total",
                  "rollwatch_tracker_duplicates_total", "rollwatch_alert_judge_seconds_count",
                  "rollwatch_alert_transitions_total", "dead_letters_total")  # fmt: skip
        try:
            text = httpx.get(f"{self.url}/metrics", timeout=10).text
        except httpx.HTTPError as exc:
            return f"/metrics unreadable: {exc!r}"
        lines = text.splitlines()
        return "\n".join(x for x in lines if not x.startswith("#") and any(s in x for s in stages))

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


# What `rollwatch schools import` makes of the test register in an empty embedded ledger, by the
# settings that place it (its database): each product starts from a copy, not from a process start,
# the migrations and the import of its own (several seconds each, some thirty products a session).
# The product applies its own retention settings again as it starts (http_app, migrate_for).
_LEDGER_PLACING = ("ROLLWATCH_CLICKHOUSE_DATABASE", "ROLLWATCH_CLICKHOUSE_CLUSTER")
_imported_ledgers: dict[tuple[str, ...], Path] = {}


def imported_ledger(env: Mapping[str, str]) -> Path | None:
    """The session's embedded ledger with the test register imported, for a product started with
    `env`; None when its ledger is a ClickHouse server's (nothing to copy)."""
    if env.get("ROLLWATCH_CLICKHOUSE_URL"):
        return None
    key = tuple(env.get(name, "") for name in _LEDGER_PLACING)
    if key not in _imported_ledgers:
        folder = Path(tempfile.mkdtemp(prefix="rollwatch-register-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        placing = {name: env[name] for name in _LEDGER_PLACING if name in env}
        _import_schools({**child.rollwatch_env({"data_dir": str(folder)}), **placing})
        _imported_ledgers[key] = folder / "ledger"
    return _imported_ledgers[key]


def _import_schools(env: Mapping[str, str]) -> None:
    links = ("--links", str(GIAS_LINKS))
    child.rollwatch_output("schools", "import", str(GIAS_FILE), *links, env=env, timeout=120)


def new_namespace() -> str:
    return f"e2e{uuid.uuid4().hex[:8]}."


@contextmanager
def rollwatch_process(
    bootstrap: str,
    workdir: Path,
    command: tuple[str, ...] = ("run", "--no-local-kafka"),
    *,
    namespace: str | None = None,
    cli_settings: Mapping[str, str] | None = None,
    **settings: str,
) -> Iterator[RunningProduct]:
    """`cli_settings`: what the command line (`rollwatch keys create`) uses instead of `settings`."""
    port = free_port()
    namespace = namespace or new_namespace()
    product_settings = {
        "kafka_bootstrap": bootstrap,
        "data_dir": str(workdir),
        "http_port": str(port),
        "namespace": namespace,
        "tracker_batch_seconds": "0.2",
        **child.UNLIMITED_RATES,
        **settings,
    }
    env = child.rollwatch_env(product_settings)
    workdir.mkdir(parents=True, exist_ok=True)
    running = RunningProduct(f"http://127.0.0.1:{port}", namespace, workdir, env, command)
    if cli_settings:
        running.cli_env = child.rollwatch_env({**product_settings, **cli_settings})
    try:
        running.import_schools()
        running.start()
        running.auditor_key = running.new_key("auditor", label="tests")
        yield running
    finally:
        running.stop()
