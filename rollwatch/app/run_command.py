"""`rollwatch run` (everything in one process, with the local broker and the demo) and
`rollwatch ingest|tracker|alerts` (one service each): starting, serving and stopping quietly."""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from rollwatch.core import heap, logs
from rollwatch.core.kafka_acls import Role
from rollwatch.core.kafka_connection import KafkaConnection
from rollwatch.core.local_kafka import LocalKafka, broker_answers, split_host_port
from rollwatch.core.settings import Settings

if TYPE_CHECKING:
    from rollwatch.app.http_app import Component
    from rollwatch.app.terminal import Screen


def _is_loopback(bootstrap: str) -> bool:
    host, _ = split_host_port(bootstrap)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def ensure_topics(settings: Settings, role: Role | None = None) -> None:
    """The topics `role` uses (every product topic when None) exist, or TopicsMissing."""
    from rollwatch.core.kafka_acls import topics_of
    from rollwatch.core.topics import ensure_topics

    ensure_topics(
        settings.kafka, settings.topics, settings.events_partitions, settings.topic_replication,
        names=None if role is None else topics_of(settings.topics, role),
        dead_letters_retention_ms=settings.dead_letters_ttl_days * 86_400_000,
    )  # fmt: skip


def prepare_kafka(settings: Settings, admin: KafkaConnection, secured: bool) -> None:
    """As the admin principal: every product topic, and on a secured cluster every role's ACLs."""
    from rollwatch.core.kafka_acls import apply_grants
    from rollwatch.core.topics import ensure_topics

    ensure_topics(
        admin, settings.topics, settings.events_partitions, settings.topic_replication,
        dead_letters_retention_ms=settings.dead_letters_ttl_days * 86_400_000,
    )  # fmt: skip
    if secured:
        apply_grants(admin, settings.topics)


def run_all(settings: Settings, args: argparse.Namespace) -> int:
    """Everything in one process. At a terminal the person sees a few steps and what to try next
    (rollwatch/app/terminal.py) while the log goes to `<data dir>/rollwatch.log`; Ctrl-C at any
    moment stops quietly, with the broker this command started."""
    from rollwatch.app import demo
    from rollwatch.app.terminal import Screen

    data_dir = Path(settings.data_dir).resolve()
    if logs.use_console(settings.log_format):
        logs.configure(
            settings.log_level, settings.log_format, for_person=True, log_file=data_dir / "rollwatch.log"
        )
    screen = Screen()
    stopping = threading.Event()
    # `kill` (SIGTERM) stops as Ctrl-C does: uvicorn passes it on once it has shut down.
    signal.signal(signal.SIGTERM, _interrupt)
    broker = LocalKafka.from_settings(settings)
    started_here = False
    guide: demo.Guide | None = None
    try:
        if broker_answers(settings.kafka):
            screen.done(f"Using the Kafka broker at {settings.kafka_bootstrap}")
        else:
            if args.no_local_kafka or not _is_loopback(settings.kafka_bootstrap):
                print(f"rollwatch: no Kafka broker answers at {settings.kafka_bootstrap}", file=sys.stderr)
                return 1
            with screen.working(f"Starting the local Kafka broker at {settings.kafka_bootstrap} ..."):
                started_here = True  # from here on, stopping means stopping it too
                pid = broker.start()
                prepare_kafka(settings, broker.connection, secured=broker.security is not None)
            screen.done(f"Kafka broker started at {settings.kafka_bootstrap} (pid {pid})")
            screen.note(f"its log: {broker.log_file}")
        ensure_topics(settings, "rollwatch")
        prepared = demo.prepare(settings, screen) if args.demo else None
        guide = demo.Guide(settings, prepared, screen, stopping)
        guide.start()
        code = _serve(settings, frozenset({"ingest", "tracker", "alerts"}), stopping=stopping)
        if stopping.is_set():
            # uvicorn took the signal itself and shut down: the same quiet stop as a Ctrl-C
            # that reaches this thread as KeyboardInterrupt.
            raise KeyboardInterrupt
        return code
    except KeyboardInterrupt:
        stopping.set()
        if guide is not None:
            guide.join(timeout=10)
        if guide is not None and guide.feeding:
            screen.problem(f"Stopped while feeding the demo: {guide.sent:,} of {guide.total:,} events sent.")
        else:
            screen.problem("Stopped.")
        _stop_broker(screen, broker, started_here)
        screen.say(f"Kept: {data_dir} (the ledger, the broker's data, the demo and its keys).")
        screen.say("`make run` again carries on from there; `make clean` starts afresh.")
        return 0  # stopped as asked: nothing failed (and `make` adds no "Error 130" line)
    except demo.DemoError as exc:
        stopping.set()
        print(f"rollwatch: {exc}", file=sys.stderr)
        _stop_broker(screen, broker, started_here)
        return 1
    finally:
        stopping.set()
        if started_here and broker.running_pid() is not None:
            _stop_broker(screen, broker, started_here)


def _interrupt(sig: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _stop_broker(screen: Screen, broker: LocalKafka, started_here: bool) -> None:
    if not started_here or broker.running_pid() is None:
        return
    with screen.working("Stopping the Kafka broker ..."):
        broker.stop()
    screen.done("Kafka broker stopped")


def run_one(settings: Settings, args: argparse.Namespace) -> int:
    ensure_topics(settings, args.component)
    url = f"http://{settings.http_host}:{settings.http_port}"
    print(f"Rollwatch is serving {url} (API docs: {url}/docs). Ctrl-C stops it.", file=sys.stderr, flush=True)
    return _serve(settings, frozenset({args.component}))


def serve_metrics(settings: Settings) -> None:
    """/metrics on a port of its own (production, or ROLLWATCH_METRICS_PORT), in a daemon
    thread: Prometheus scrapes it there, and the API's port does not expose it."""
    port = settings.metrics_port_in_use
    if port is None:
        return
    from prometheus_client import start_http_server

    start_http_server(port, addr=settings.metrics_host or settings.http_host)


def _server(config: Any, stopping: threading.Event | None) -> Any:
    """uvicorn's server, setting `stopping` the moment a signal asks it to stop (before it closes
    its connections), so that the demo's feed ends quietly rather than on a dropped request."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:  # the lifespan built what lives as long as the process
                heap.settle_after_start()

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if stopping is not None:
                stopping.set()
            super().handle_exit(sig, frame)

    return Server(config)


def _serve(
    settings: Settings, components: frozenset[Component], stopping: threading.Event | None = None
) -> int:
    import uvicorn

    from rollwatch.app.http_app import create_app

    app = create_app(settings, components)
    serve_metrics(settings)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    server = _server(config, stopping)
    server.run()
    return 0 if server.started else 1
