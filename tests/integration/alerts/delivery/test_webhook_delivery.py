"""Webhooks delivered to a real HTTP server on a loopback port, which checks every signature."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import random
from collections.abc import Awaitable, Callable

import orjson
import pytest
from prometheus_client import REGISTRY

from rollwatch.core.logs import JsonFormatter
from services.alerts.delivery import Dispatcher, InMemoryDeliveryLog, Router
from services.alerts.delivery.signing import ATTEMPT_HEADER, IDEMPOTENCY_HEADER
from tests.support.alert_notifications import SECRET, UPN, notification, routes_config, webhook_route
from tests.support.delivery_servers import RecordedPauses, WebhookReceiver
from tests.support.ports import free_port

pytestmark = pytest.mark.delivery

HOOK_ENV = "ROLLWATCH_TEST_WEBHOOK_SECRET"
Scenario = Callable[[], Awaitable[None]]


def _dispatcher(
    *routes: dict[str, object], pauses: RecordedPauses | None = None
) -> tuple[Dispatcher, InMemoryDeliveryLog]:
    delivery_log = InMemoryDeliveryLog()
    dispatcher = Dispatcher(
        Router(routes_config(*routes)),
        delivery_log,
        environ={HOOK_ENV: SECRET},
        sleep=pauses or RecordedPauses(),
        rng=random.Random(7),
    )
    return dispatcher, delivery_log


def _counter(name: str) -> float:
    return REGISTRY.get_sample_value(name, {"channel": "webhook"}) or 0.0


def test_secure_route_gets_the_upn_and_a_valid_signature() -> None:
    async def scenario() -> None:
        async with WebhookReceiver(SECRET) as receiver:
            dispatcher, delivery_log = _dispatcher(
                webhook_route("secure-hook", url=receiver.url, secure=True)
            )
            sent_before = _counter("rollwatch_delivery_sent_total")
            alert = notification(alert_id="a-1")
            submission = await dispatcher.submit(alert)
            assert submission.route_ids == ("secure-hook",)
            assert await submission.wait() is True
            await dispatcher.close()
        (request,) = receiver.requests
        assert request.signature_ok and request.answered == 204
        document = orjson.loads(request.body)
        assert document["alert"]["upn"] == UPN
        assert document["alert"]["id"] == "a-1"
        assert request.headers[IDEMPOTENCY_HEADER] == document["delivery_id"]
        assert request.headers[ATTEMPT_HEADER] == "1"
        assert delivery_log.statuses("secure-hook", "a-1") == ["sent"]
        assert delivery_log.dead_letters == []
        assert _counter("rollwatch_delivery_sent_total") == sent_before + 1

    asyncio.run(scenario())


def test_non_secure_route_never_sees_the_upn() -> None:
    async def scenario() -> None:
        async with WebhookReceiver(SECRET) as receiver:
            dispatcher, _ = _dispatcher(webhook_route("plain-hook", url=receiver.url))
            alert = notification(reason=f"About {UPN}. This is a prompt for enquiry, not a finding.")
            await (await dispatcher.submit(alert)).wait()
            await dispatcher.close()
        (request,) = receiver.requests
        assert request.signature_ok
        assert UPN.encode() not in request.body
        document = orjson.loads(request.body)
        assert "upn" not in document["alert"] and "fingerprint" not in document["alert"]
        assert document["alert"]["upn_withheld"] is True

    asyncio.run(scenario())


def test_5xx_and_429_are_retried_with_backoff_honouring_retry_after() -> None:
    async def scenario() -> None:
        pauses = RecordedPauses()
        script: list[int | tuple[int, dict[str, str]]] = [500, (429, {"Retry-After": "7"}), 503]
        async with WebhookReceiver(SECRET, script) as receiver:
            route = webhook_route("flaky", url=receiver.url, backoff_base_s=0.5, backoff_max_s=60)
            dispatcher, delivery_log = _dispatcher(route, pauses=pauses)
            failed_before = _counter("rollwatch_delivery_failed_total")
            assert await (await dispatcher.submit(notification(alert_id="a-2"))).wait() is True
            await dispatcher.close()
        assert [request.answered for request in receiver.requests] == [500, 429, 503, 204]
        assert all(request.signature_ok for request in receiver.requests)
        assert [request.headers[ATTEMPT_HEADER] for request in receiver.requests] == ["1", "2", "3", "4"]
        assert len({request.headers[IDEMPOTENCY_HEADER] for request in receiver.requests}) == 1
        assert delivery_log.statuses("flaky", "a-2") == ["retry", "retry", "retry", "sent"]
        first, second, third = pauses.delays
        assert 0.25 <= first <= 0.5  # backoff step 1: 0.5 s, equal jitter
        assert second == 7  # Retry-After beats the 1 s step
        assert 1.0 <= third <= 2.0
        codes = [attempt.code for attempt in delivery_log.of_route("flaky")]
        assert codes == [500, 429, 503, None]
        assert _counter("rollwatch_delivery_failed_total") == failed_before + 3

    asyncio.run(scenario())


def test_a_permanently_failing_receiver_produces_a_dead_letter() -> None:
    async def scenario() -> None:
        async with WebhookReceiver(SECRET, then=503) as receiver:
            route = webhook_route("down", url=receiver.url, max_attempts=3, backoff_base_s=0.01)
            dispatcher, delivery_log = _dispatcher(route)
            dead_before = _counter("rollwatch_delivery_dead_lettered_total")
            alert = notification(alert_id="a-3")
            assert await (await dispatcher.submit(alert)).wait() is False
            await dispatcher.close()
        assert len(receiver.requests) == 3
        assert delivery_log.statuses("down", "a-3") == ["retry", "retry", "failed"]
        (letter,) = delivery_log.dead_letters
        assert (letter.route_id, letter.channel, letter.attempts, letter.error) == (
            "down",
            "webhook",
            3,
            "HTTP 503",
        )
        assert letter.alert_ids == ("a-3",)
        assert letter.notifications[0].upn is None  # kept as the non-secure route would get it
        assert _counter("rollwatch_delivery_dead_lettered_total") == dead_before + 1

    asyncio.run(scenario())


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
def test_other_4xx_is_not_retried(status: int) -> None:
    async def scenario() -> None:
        async with WebhookReceiver(SECRET, [status]) as receiver:
            dispatcher, delivery_log = _dispatcher(webhook_route("strict", url=receiver.url))
            assert await (await dispatcher.submit(notification(alert_id="a-4"))).wait() is False
            await dispatcher.close()
        assert len(receiver.requests) == 1
        assert delivery_log.statuses("strict", "a-4") == ["failed"]
        assert delivery_log.dead_letters[0].error == f"HTTP {status}"

    asyncio.run(scenario())


def test_a_wrong_secret_is_refused_by_the_receiver_and_not_retried() -> None:
    async def scenario() -> None:
        async with WebhookReceiver("a-different-secret-of-enough-length-000") as receiver:
            dispatcher, delivery_log = _dispatcher(webhook_route("wrong-key", url=receiver.url))
            assert await (await dispatcher.submit(notification())).wait() is False
            await dispatcher.close()
        (request,) = receiver.requests
        assert not request.signature_ok
        assert delivery_log.dead_letters[0].error == "HTTP 401"

    asyncio.run(scenario())


def test_nobody_listening_is_retried_then_dead_lettered() -> None:
    async def scenario() -> None:
        url = f"http://127.0.0.1:{free_port()}/hooks/rollwatch"
        dispatcher, delivery_log = _dispatcher(
            webhook_route("nobody", url=url, max_attempts=2, backoff_base_s=0.01)
        )
        assert await (await dispatcher.submit(notification(alert_id="a-5"))).wait() is False
        await dispatcher.close()
        assert delivery_log.statuses("nobody", "a-5") == ["retry", "failed"]
        assert delivery_log.dead_letters[0].error.startswith("ConnectError")

    asyncio.run(scenario())


def test_changes_of_one_alert_arrive_in_order_even_when_the_first_is_retried() -> None:
    async def scenario() -> None:
        async with WebhookReceiver(SECRET, [500, 500]) as receiver:
            dispatcher, _ = _dispatcher(webhook_route("ordered", url=receiver.url, backoff_base_s=0.01))
            opened = notification(alert_id="a-6")
            resolved = dataclasses.replace(
                opened, status="resolved", updated_at=opened.updated_at + dt.timedelta(hours=2)
            )
            first = await dispatcher.submit(opened)
            second = await dispatcher.submit(resolved)
            assert await first.wait() and await second.wait()
            await dispatcher.close()
        delivered = [orjson.loads(r.body)["alert"]["status"] for r in receiver.requests if r.answered == 204]
        assert delivered == ["open", "resolved"]
        assert [r.answered for r in receiver.requests] == [500, 500, 204, 204]

    asyncio.run(scenario())


def test_the_same_transition_submitted_twice_is_delivered_once() -> None:
    async def scenario() -> None:
        async with WebhookReceiver(SECRET) as receiver:
            dispatcher, _ = _dispatcher(webhook_route("once", url=receiver.url))
            alert = notification()
            first = await dispatcher.submit(alert)
            again = await dispatcher.submit(dataclasses.replace(alert))
            assert await first.wait() and await again.wait()
            await dispatcher.close()
        assert len(receiver.requests) == 1

    asyncio.run(scenario())


def test_close_with_a_timeout_keeps_unfinished_deliveries_as_dead_letters() -> None:
    async def scenario() -> None:
        async with WebhookReceiver(SECRET, then=503) as receiver:
            route = webhook_route("slow", url=receiver.url, backoff_base_s=60, backoff_max_s=60)
            delivery_log = InMemoryDeliveryLog()
            dispatcher = Dispatcher(Router(routes_config(route)), delivery_log, environ={HOOK_ENV: SECRET})
            submission = await dispatcher.submit(notification(alert_id="a-7"))
            await asyncio.wait_for(receiver.arrived.wait(), 10)
            await dispatcher.close(timeout=0.2)  # the retry would wait at least 30 s
            assert submission.settled and await submission.wait() is False
        (letter,) = delivery_log.dead_letters
        assert letter.alert_ids == ("a-7",)
        assert letter.error.startswith("stopped at shutdown waiting to retry after attempt 1")
        assert "HTTP 503" in letter.error

    asyncio.run(scenario())


def test_flush_waits_for_every_delivery_in_flight() -> None:
    async def scenario() -> None:
        async with WebhookReceiver(SECRET, [500] * 3) as receiver:
            dispatcher, delivery_log = _dispatcher(
                webhook_route("many", url=receiver.url, backoff_base_s=0.01)
            )
            submissions = [await dispatcher.submit(notification()) for _ in range(10)]
            await dispatcher.flush()
            assert all(submission.settled for submission in submissions)
            assert len([r for r in receiver.requests if r.answered == 204]) == 10
            assert len(delivery_log.dead_letters) == 0
            await dispatcher.close()

    asyncio.run(scenario())


def test_a_dead_letter_can_be_delivered_again_with_the_same_delivery_id() -> None:
    async def scenario() -> None:
        async with WebhookReceiver(SECRET, [503, 503]) as receiver:
            route = webhook_route(
                "replay", url=receiver.url, secure=True, max_attempts=2, backoff_base_s=0.01
            )
            dispatcher, delivery_log = _dispatcher(route)
            assert await (await dispatcher.submit(notification(alert_id="a-8"))).wait() is False
            (letter,) = delivery_log.dead_letters
            again = await dispatcher.redeliver(letter)
            assert again.route_ids == ("replay",)
            assert await again.wait() is True
            await dispatcher.close()
        assert [r.answered for r in receiver.requests] == [503, 503, 204]
        assert len({r.headers[IDEMPOTENCY_HEADER] for r in receiver.requests}) == 1
        assert orjson.loads(receiver.requests[-1].body)["alert"]["upn"] == UPN
        assert delivery_log.statuses("replay", "a-8") == ["retry", "failed", "sent"]

    asyncio.run(scenario())


def test_logs_of_failures_and_dead_letters_carry_no_upn(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        async with WebhookReceiver(SECRET, then=500) as receiver:
            route = webhook_route(
                "logged", url=receiver.url, secure=True, max_attempts=2, backoff_base_s=0.01
            )
            dispatcher, _ = _dispatcher(route)
            await (await dispatcher.submit(notification())).wait()
            await dispatcher.close()

    with caplog.at_level(logging.DEBUG):
        asyncio.run(scenario())
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert any("dead-lettered" in line for line in lines)
    assert not any(UPN in line for line in lines)
