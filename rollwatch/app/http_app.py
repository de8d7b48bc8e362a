"""Composes the HTTP app of one process from the services it hosts, with the operations
endpoints every process has (`/healthz`, `/readyz`, and `/metrics` unless it has a port of its
own) and the edge limits every request meets (body size, per-key rate limits). In the all-in-one process the
Faust worker starts and stops inside the same lifespan, on the same event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial
from typing import Literal

import faust
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from rollwatch.app import console
from rollwatch.core import body_limit, http_errors
from rollwatch.core.access.keyring import KeyRing
from rollwatch.core.access.rate_limits import RateLimits
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.local_kafka import broker_answers
from rollwatch.core.migrate import migrate_for
from rollwatch.core.settings import Settings
from rollwatch.core.streams import build_stream_app
from services.alerts.api import router as alerts_router
from services.alerts.dead_letters_api import router as dead_letters_router
from services.alerts.delivery import Dispatcher
from services.alerts.notify import ClickHouseDeliveryLog, Notifier
from services.alerts.outbox import ClickHousePendingStore
from services.alerts.service import AlertService
from services.alerts.statistics_api import router as statistics_router
from services.alerts.store import AlertStore
from services.ingest.api import router as ingest_router
from services.ingest.ctf.api import router as ctf_router
from services.ingest.id_log import IdLog
from services.ingest.publisher import EventPublisher
from services.ingest.recent_ids import RecentIds
from services.schools.api import router as schools_router
from services.schools.register import serve_register
from services.tracker.access_log import open_access_log
from services.tracker.agent import Tracker
from services.tracker.audit_api import router as audit_router
from services.tracker.batch_consumer import LedgerConsumer
from services.tracker.cnis_api import router as cnis_router
from services.tracker.compaction_schedule import NightlyCompaction
from services.tracker.ledger_writer import LedgerWriter
from services.tracker.reads import pupil_records, recorded_contents
from services.tracker.roll_checks import RollCheckWriter
from services.tracker.view_copies import repair_broken_parts

log = logging.getLogger(__name__)

Component = Literal["ingest", "tracker", "alerts"]
ALL: frozenset[Component] = frozenset({"ingest", "tracker", "alerts"})


def create_app(settings: Settings, components: frozenset[Component] = ALL) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        async with AsyncExitStack() as stack:
            keyring = KeyRing(
                settings.kafka,
                settings.topics.access_keys,
                settings.secrets,
                settings.keyring_max_lag_s,
            )
            await keyring.start()
            stack.push_async_callback(keyring.stop)
            app.state.keyring = keyring
            # Every component knows the schools register, loaded before anything consumes events.
            app.state.schools = await stack.enter_async_context(serve_register(settings))
            streaming = components & {"tracker", "alerts"}
            if streaming:
                clients = ClientPerThread(settings)
                stack.callback(clients.close)
                app.state.ledger_clients = clients
                applied = await run_in_threadpool(lambda: migrate_for(clients.get(), settings))
                log.info("ledger ready", extra={"migrations_applied": [m.version for m in applied]})
                # Reads a process killed before its access log's journal drained are listed again.
                await run_in_threadpool(open_access_log, clients)
                if "tracker" in components:
                    # Rows the engine set aside at open (a part left broken by a full disk) first.
                    await run_in_threadpool(lambda: repair_broken_parts(clients.get()))
                    # A batch consumer of its own, not a Faust agent (batch_consumer.py says why).
                    tracker = Tracker(
                        settings, LedgerWriter(clients), app.state.schools, RollCheckWriter(clients)
                    )
                    stack.callback(tracker.close)
                    ledger_consumer = LedgerConsumer(settings, tracker)
                    await ledger_consumer.start()
                    app.state.tracker = ledger_consumer
                    stack.push_async_callback(ledger_consumer.stop)
                    if settings.clickhouse_url is None and settings.compact_at is not None:
                        # A server's tables are compacted by `rollwatch compact` from a CronJob.
                        nightly = NightlyCompaction(clients, settings.compact_at)
                        nightly.start()
                        # Off the event loop: a compaction under way finishes before the clients close.
                        stack.push_async_callback(run_in_threadpool, nightly.stop)
                if "alerts" in components:
                    # The app id (the alert service's consumer group) is unchanged from when the
                    # tracker was a Faust agent too, so the alert service keeps its offsets.
                    stream_app = build_stream_app(settings, "rollwatch-" + "-".join(sorted(streaming)))
                    alerts = AlertService(
                        stream_app, settings, AlertStore(clients), app.state.schools, clients
                    )
                    await alerts.load()
                    app.state.alerts = alerts
                    stack.callback(alerts.close)
                    # What a crash left queued (a waiting digest, a retrying webhook) goes out again,
                    # and so does a step recorded just before a crash but never queued.
                    pending = ClickHousePendingStore(clients)
                    dispatcher = Dispatcher.from_settings(settings, ClickHouseDeliveryLog(clients), pending)
                    stack.push_async_callback(dispatcher.close, settings.delivery_shutdown_timeout_s)
                    await dispatcher.restore()
                    app.state.dispatcher = dispatcher
                    notifier = Notifier(dispatcher, app.state.schools, alerts.book, settings.public_url)
                    await notifier.catch_up(pending)
                    alerts.listeners.append(notifier)
                    await stream_app.start()
                    app.state.stream_app = stream_app
                    stack.push_async_callback(_stop_stream_app, stream_app)
            if "ingest" in components and not streaming and settings.clickhouse_url is not None:
                # An ingest replica asks the ledger server about ids it has not seen (409s that
                # survive restarts and span replicas); the embedded ledger has one process only.
                app.state.ledger_clients = ClientPerThread(settings)
                stack.callback(app.state.ledger_clients.close)
            if "ingest" in components and hasattr(app.state, "ledger_clients"):
                app.state.ledger_lookup = partial(recorded_contents, app.state.ledger_clients)
                # ... and the pupils' records the authority rules judge against.
                app.state.pupil_records = partial(pupil_records, app.state.ledger_clients)
            if "ingest" in components:
                publisher = EventPublisher(settings.kafka, settings.topics.pupil_events)
                await publisher.start()
                stack.push_async_callback(publisher.stop)
                app.state.publisher = publisher
                # Every id accepted lately, by any ingest process, before the first request.
                app.state.recent_ids = RecentIds()
                id_log = IdLog(settings.kafka, settings.topics.event_ids, app.state.recent_ids)
                await id_log.start()
                stack.push_async_callback(id_log.stop)
                app.state.id_log = id_log
            log.info("rollwatch started", extra={"components": sorted(components)})
            yield
        log.info("rollwatch stopped")

    docs = settings.openapi_served  # off in production unless ROLLWATCH_OPENAPI_ENABLED
    app = FastAPI(
        title="Rollwatch",
        version="0.1.0",
        summary="A tamper-evident ledger of pupil moves between schools in England",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    http_errors.install(app)
    body_limit.install(app, settings.max_body_bytes)
    app.state.rate_limits = RateLimits(settings)
    if "ingest" in components:
        app.include_router(ingest_router)
        app.include_router(ctf_router)
    if "tracker" in components:
        app.include_router(audit_router)
        app.include_router(cnis_router)
    if "alerts" in components:
        app.include_router(dead_letters_router)  # before /v1/alerts/{alert_id}
        app.include_router(alerts_router)
        app.include_router(statistics_router)
        # The officers' console lives with the alert read side it works on.
        console.install(app, settings)
    app.include_router(schools_router)
    _add_operations(app, settings, components)
    return app


async def _stop_stream_app(stream_app: faust.App) -> None:
    try:
        await asyncio.wait_for(stream_app.stop(), timeout=60)
    except TimeoutError:
        log.error("the stream processors did not stop within 60s")


def _add_operations(app: FastAPI, settings: Settings, components: frozenset[Component]) -> None:
    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz", tags=["operations"], summary="Kafka and the ledger are reachable; the key follower follows"
    )
    async def readyz(request: Request) -> JSONResponse:
        checks: dict[str, bool] = {}
        checks["kafka"] = await run_in_threadpool(broker_answers, settings.kafka, 2.0)
        # A follower that stopped would leave revoked keys working: not ready.
        checks["key_follower"] = request.app.state.keyring.following
        if components & {"tracker", "alerts"}:
            clients: ClientPerThread = request.app.state.ledger_clients
            checks["ledger"] = await run_in_threadpool(_ledger_answers, clients)
        if "alerts" in components:
            checks["stream_processors"] = not request.app.state.stream_app.crashed
        if "tracker" in components:
            checks["tracker"] = request.app.state.tracker.healthy
        ready = all(checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    if settings.metrics_port_in_use is not None:
        return  # served on a port of its own (rollwatch/app/run_command.py)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _ledger_answers(clients: ClientPerThread) -> bool:
    try:
        clients.get().query("SELECT 1")
        return True
    except Exception:
        return False
