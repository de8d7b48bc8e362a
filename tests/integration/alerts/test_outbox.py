"""The alert service's outbox and dead letters in the real engine: what is still queued after a
crash, and what became of each dead letter (`rollwatch alerts dead-letters`)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.settings import Settings
from services.alerts.delivery import DeadLetter
from services.alerts.delivery.pending import Queued
from services.alerts.notify import ClickHouseDeliveryLog
from services.alerts.outbox import ClickHousePendingStore, dead_letters
from tests.support.alert_notifications import UPN, notification

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
