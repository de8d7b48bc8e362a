"""What the dispatcher does without a server: secrets, routing, refusal after close, faults in a
transport or in the delivery log. Deliveries over SMTP and HTTP are in
tests/integration/alerts/delivery."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY

from rollwatch.core.settings import Settings
from services.alerts.delivery import (
    DeadLetter,
    DeliveryAttempt,
    DeliveryConfigError,
    Dispatcher,
    InMemoryDeliveryLog,
    Router,
)
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


def test_missing_and_weak_secrets_are_refused_up_front_without_their_values() -> None:
    router = Router(
        routes_config(
            webhook_route("hook-a"),
            webhook_route("hook-b", secret_env="WEAK_SECRET"),
            email_route(
                smtp={"host": "127.0.0.1", "starttls": False, "username": "u", "password_env": "SMTP_PW"}
            ),
        )
    )
    with pytest.raises(DeliveryConfigError) as info:
        Dispatcher(router, InMemoryDeliveryLog(), environ={"WEAK_SECRET": "short-value"})
    message = str(info.value)
    assert f"route hook-a: environment variable {HOOK_ENV} is not set" in message
    assert "route hook-b: WEAK_SECRET is shorter than 32 characters" in message
    assert "route la-email: environment variable SMTP_PW is not set" in message
    assert "short-value" not in message


def test_a_notification_no_route_wants_is_settled_at_once() -> None:
    async def scenario() -> None:
        router = Router(routes_config(webhook_route(match={"min_severity": "high"})))
        dispatcher = Dispatcher(router, InMemoryDeliveryLog(), environ={HOOK_ENV: SECRET})
        submission = await dispatcher.submit(notification(severity="low"))
        assert submission.route_ids == ()
        assert submission.settled
        assert await submission.wait() is True
        other_la = await dispatcher.submit(notification(la_code="886"))
        assert other_la.route_ids == ()
        await dispatcher.close()

    asyncio.run(scenario())


def test_a_closed_dispatcher_refuses_new_notifications() -> None:
    async def scenario() -> None:
        dispatcher = Dispatcher(Router(), InMemoryDeliveryLog(), environ={})
        await dispatcher.close()
        await dispatcher.close()  # idempotent
        with pytest.raises(RuntimeError, match="closed"):
            await dispatcher.submit(notification())

    asyncio.run(scenario())


class _BrokenTransport(httpx.AsyncBaseTransport):
    """A transport with a bug in it: raises what no HTTP client should."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError(f"bug while sending for {UPN}")


class _FailingLog(InMemoryDeliveryLog):
    async def record(self, attempt: DeliveryAttempt) -> None:
        raise ConnectionError("ledger down")

    async def dead_letter(self, letter: DeadLetter) -> None:
        raise ConnectionError("ledger down")


def test_an_unexpected_error_is_a_dead_letter_not_a_lost_notification() -> None:
    async def scenario() -> InMemoryDeliveryLog:
        delivery_log = InMemoryDeliveryLog()
        async with httpx.AsyncClient(transport=_BrokenTransport()) as client:
            dispatcher = Dispatcher(
                Router(routes_config(webhook_route("buggy"))),
                delivery_log,
                environ={HOOK_ENV: SECRET},
                http_client=client,
            )
            assert await (await dispatcher.submit(notification(alert_id="a1"))).wait() is False
            await dispatcher.close()
        return delivery_log

    delivery_log = asyncio.run(scenario())
    assert delivery_log.statuses("buggy", "a1") == ["failed"]  # not retried: no retry fixes a bug
    (letter,) = delivery_log.dead_letters
    assert letter.error == "unexpected RuntimeError: bug while sending for [UPN withheld]"


def test_a_failing_delivery_log_is_counted_and_delivery_still_settles() -> None:
    before = (
        REGISTRY.get_sample_value("rollwatch_delivery_log_failures_total", {"kind": "dead_letter"}) or 0.0
    )

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=_BrokenTransport()) as client:
            dispatcher = Dispatcher(
                Router(routes_config(webhook_route())),
                _FailingLog(),
                environ={HOOK_ENV: SECRET},
                http_client=client,
            )
            submission = await dispatcher.submit(notification())
            assert await asyncio.wait_for(submission.wait(), 10) is False
            await dispatcher.close()

    asyncio.run(scenario())
    assert (
        REGISTRY.get_sample_value("rollwatch_delivery_log_failures_total", {"kind": "dead_letter"})
        == before + 1
    )


def test_from_settings_reads_the_routes_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "routes.json"
    document = {"format_version": 1, "version": "t", "las": {LA: {"routes": [webhook_route("from-file")]}}}
    path.write_text(json.dumps(document), encoding="utf-8")
    monkeypatch.setenv(HOOK_ENV, SECRET)
    dispatcher = Dispatcher.from_settings(Settings(alert_routes_file=path), InMemoryDeliveryLog())
    assert [route.id for route in dispatcher.router.routes] == ["from-file"]
    assert Dispatcher.from_settings(Settings(), InMemoryDeliveryLog()).router.routes == ()
