"""The alert service's outbox and dead letters in the real engine: what is still queued after a
crash, and what became of each dead letter (`rollwatch alerts dead-letters`)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.settings import Settings
from services.alerts.candidates import AlertCandidate
from services.alerts.delivery import DeadLetter, Dispatcher, InMemoryDeliveryLog, Router
from services.alerts.delivery.pending import Queued
from services.alerts.fingerprints import fingerprint
from services.alerts.lifecycle import AlertBook
from services.alerts.notify import ClickHouseDeliveryLog, Notifier
from services.alerts.notify import notification as notification_of
from services.alerts.outbox import ClickHousePendingStore, dead_letters
from services.alerts.store import AlertStore
from services.schools.register import SchoolsRegister
from tests.support.alert_notifications import LA, UPN, notification, routes_config
from tests.support.gias import JANUARY, JANUARY_LINKS

pytestmark = pytest.mark.clickhouse

# Lately: the outbox and the dead letters expire rows older than their TTL as they are inserted.
T0 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)


@pytest.fixture
def clients(migrated_ledger_settings: Settings) -> ClientPerThread:
    pool = ClientPerThread(migrated_ledger_settings)
    return pool


def test_pending_holds_what_is_queued_and_not_settled_with_its_content(clients: ClientPerThread) -> None:
    store = ClickHousePendingStore(clients)
    waiting = notification(alert_id="a1", upn=UPN)
    sent = notification(alert_id="a2")
    failed = notification(alert_id="a3")

    async def scenario() -> list[Queued]:
        await store.queued([
            Queued("mail", "email", waiting, T0), Queued("mail", "email", sent, T0),
            Queued("hook", "webhook", failed, T0 + dt.timedelta(seconds=1)),
        ])  # fmt: skip
        await store.settled("mail", [sent], "delivered")
        await store.settled("hook", [failed], "dead_lettered")
        return await store.pending()

    [left] = asyncio.run(scenario())
    assert (left.route_id, left.channel, left.at) == ("mail", "email", T0)
    assert left.notification == waiting  # the whole notification, the UPN of a secure route too


def test_a_dead_letter_is_dead_until_redelivered_then_redelivered(clients: ClientPerThread) -> None:
    store = ClickHousePendingStore(clients)
    hook = notification(alert_id="a9")
    letter = DeadLetter(
        delivery_id="d-9", channel="webhook", route_id="hook", la_code=hook.la_code, attempts=8,
        error="HTTP 500", at=T0, notifications=(hook,),
    )  # fmt: skip

    async def keep() -> None:
        await store.queued([Queued("hook", "webhook", hook, T0 - dt.timedelta(minutes=5))])
        await ClickHouseDeliveryLog(clients).dead_letter(letter)
        await store.settled("hook", [hook], "dead_lettered")

    asyncio.run(keep())
    [found] = dead_letters(clients, la_code=hook.la_code)
    assert found.state == "dead" and found.letter == letter
    assert dead_letters(clients, la_code="999") == []

    asyncio.run(store.queued([Queued("hook", "webhook", hook, dt.datetime.now(dt.UTC))]))
    assert dead_letters(clients, delivery_id="d-9")[0].state == "redelivering"
    asyncio.run(store.settled("hook", [hook], "delivered"))
    [found] = dead_letters(clients, delivery_id="d-9")
    assert found.state == "redelivered"
    assert found.as_dict()["alert_ids"] == ["a9"] and dataclasses.asdict(found.letter)["attempts"] == 8


def test_a_step_queued_before_a_restart_is_known_after_it(clients: ClientPerThread) -> None:
    """The alert store keeps milliseconds; a step taken at a finer time must read back as the same
    step, or the start's catch-up takes its queued notification for a lost one and sends it twice."""
    register = SchoolsRegister.from_gias_files(JANUARY, JANUARY_LINKS)
    book = AlertBook()
    candidate = AlertCandidate(
        rule="no_destination", severity="high", la_code=LA, school_urn="100001", upn=UPN,
        evidence=("e1",), fingerprint=fingerprint("no_destination", UPN), reason="r",
        statutory_reference="s", as_of=T0.date(),
    )  # fmt: skip
    step = book.raise_candidate(candidate, T0.replace(microsecond=123_456))
    assert step is not None
    AlertStore(clients).append([step])
    pending = ClickHousePendingStore(clients)
    asyncio.run(pending.queued([Queued("mail", "email", notification_of(step, register), T0)]))

    restarted = AlertBook()
    restarted.restore(*AlertStore(clients).load())
    assert restarted.alerts[step.alert_id] == step

    async def catch_up() -> int:
        dispatcher = Dispatcher(Router(routes_config()), InMemoryDeliveryLog(), pending=pending)
        caught_up = await Notifier(dispatcher, register, restarted).catch_up(pending)
        await dispatcher.close()
        return caught_up

    assert asyncio.run(catch_up()) == 0
