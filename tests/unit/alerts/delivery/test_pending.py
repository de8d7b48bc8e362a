"""Notifications on their way survive a crash: the dispatcher keeps each one a route takes as queued
before `submit` returns, marks it settled when delivered or dead-lettered, and a new dispatcher on
the same store takes up what was left queued (`restore`): a waiting digest keeps its place in
time, a route gone from the routes file dead-letters its own. Over SMTP, and through a real kill
of the alert service, in tests/faults/test_pending_digests.py."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import httpx

from services.alerts.candidates import AlertCandidate
from services.alerts.delivery import Dispatcher, InMemoryDeliveryLog, Router
from services.alerts.delivery.pending import InMemoryPendingStore, Queued
from services.alerts.lifecycle import AlertBook
from services.alerts.notify import Notifier
from services.schools.register import SchoolsRegister
from tests.support.alert_notifications import (
    LA,
    SECRET,
    UPN,
    email_route,
    notification,
    routes_config,
    webhook_route,
)

HOOK_ENV = "ROLLWATCH_TEST_WEBHOOK_SECRET"
NOW = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)
GIAS = Path(__file__).resolve().parents[3] / "fixtures" / "gias"


def _dispatcher(
    store: InMemoryPendingStore, *routes: dict[str, object], client: httpx.AsyncClient | None = None
) -> Dispatcher:
    return Dispatcher(
        Router(routes_config(*routes)), InMemoryDeliveryLog(), environ={HOOK_ENV: SECRET},
        http_client=client, pending=store, clock=lambda: NOW,
    )  # fmt: skip


def _accepting() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(204)))


def test_a_queued_digest_is_kept_before_submit_returns_and_settled_once_sent() -> None:
    async def scenario() -> None:
        store = InMemoryPendingStore()
        dispatcher = _dispatcher(store, email_route(digest_interval_s=3600))
        await dispatcher.submit(notification(alert_id="a1"))
        [queued] = await store.pending()
        assert queued.route_id == "la-email" and queued.channel == "email"
        assert queued.notification.upn is None, "the route's copy: it is not secure"
        await dispatcher.close(timeout=0)  # no SMTP server: the digest is dead-lettered
        assert await store.pending() == []
        assert [row[2] for row in store.rows] == ["queued", "dead_lettered"]

    asyncio.run(scenario())


def test_a_new_dispatcher_takes_up_a_waiting_digest_when_its_interval_would_have_ended() -> None:
    async def scenario() -> None:
        store = InMemoryPendingStore()
        first = notification(alert_id="a1", upn=UPN)
        # Queued 3590 s before this start by a process that was then killed.
        await store.queued([Queued("la-email", "email", first, NOW - dt.timedelta(seconds=3590))])
        dispatcher = _dispatcher(store, email_route(digest_interval_s=3600))
        assert await dispatcher.restore() == 1
        assert await dispatcher.restore() == 0, "taken up once"
        [timer] = dispatcher._timers.values()
        await asyncio.sleep(0)
        assert not timer.done()
        # The same transition submitted again (its Kafka message replayed) is not taken twice.
        submission = await dispatcher.submit(first)
        assert len(await store.pending()) == 1 and len(submission.outcomes) == 1
        await dispatcher.close(timeout=0)

    asyncio.run(scenario())


def test_a_restored_webhook_is_delivered_and_settled() -> None:
    async def scenario() -> None:
        store = InMemoryPendingStore()
        await store.queued([Queued("la-hook", "webhook", notification(alert_id="a1"), NOW)])
        async with _accepting() as client:
            dispatcher = _dispatcher(store, webhook_route(), client=client)
            assert await dispatcher.restore() == 1
            await dispatcher.flush()
            await asyncio.sleep(0.01)
            assert await store.pending() == []
            assert store.rows[-1][2] == "delivered"
            await dispatcher.close()

    asyncio.run(scenario())


def test_a_notification_queued_for_a_route_since_removed_becomes_a_dead_letter() -> None:
    async def scenario() -> None:
        store = InMemoryPendingStore()
        await store.queued([Queued("gone-hook", "webhook", notification(alert_id="a1"), NOW)])
        delivery_log = InMemoryDeliveryLog()
        dispatcher = Dispatcher(
            Router(routes_config(webhook_route())), delivery_log, environ={HOOK_ENV: SECRET}, pending=store
        )
        assert await dispatcher.restore() == 0
        await asyncio.sleep(0.01)
        [letter] = delivery_log.dead_letters
        assert letter.route_id == "gone-hook" and "no longer in the routes file" in letter.error
        assert await store.pending() == []

    asyncio.run(scenario())


def test_a_step_recorded_but_never_queued_is_caught_up_at_start_and_only_that_one() -> None:
    """A crash between appending a step to alert_lifecycle and queueing its notification: the
    replayed Kafka record folds into the recorded alert and raises nothing, so the start sends it."""

    async def scenario() -> None:
        store = InMemoryPendingStore()
        book = AlertBook()
        register = SchoolsRegister.from_gias_files(GIAS / "edubasealldata20250106.csv")
        sent = book.raise_candidate(_candidate("a" * 32), NOW - dt.timedelta(minutes=1))
        lost = book.raise_candidate(_candidate("b" * 32), NOW)
        old = book.raise_candidate(_candidate("c" * 32), NOW - dt.timedelta(days=2))
        assert sent and lost and old
        dispatcher = _dispatcher(store, webhook_route(), client=_accepting())
        notifier = Notifier(dispatcher, register, book)
        await notifier([sent])  # queued before the crash; `lost` and `old` never were
        assert await notifier.catch_up(store) == 1
        assert lost.alert_id in {entry.notification.alert_id for *_, entry in store.rows if entry}
        assert await notifier.catch_up(store) == 0
        await dispatcher.close()

    asyncio.run(scenario())


def test_nothing_is_caught_up_when_nothing_was_ever_queued() -> None:
    async def scenario() -> None:
        book = AlertBook()
        assert book.raise_candidate(_candidate("d" * 32), NOW)
        register = SchoolsRegister.from_gias_files(GIAS / "edubasealldata20250106.csv")
        notifier = Notifier(_dispatcher(InMemoryPendingStore(), webhook_route()), register, book)
        assert await notifier.catch_up(InMemoryPendingStore()) == 0

    asyncio.run(scenario())


def _candidate(fingerprint: str) -> AlertCandidate:
    return AlertCandidate(
        rule="no_destination", severity="high", la_code=LA, school_urn="100001", upn=UPN, evidence=("e1",),
        fingerprint=fingerprint, reason="r", statutory_reference="s", as_of=NOW.date(),
    )  # fmt: skip
