"""What the dispatcher decides before any network: secrets, routing, refusal after close. Deliveries
over SMTP and HTTP are in tests/integration/alerts/delivery."""

from __future__ import annotations

import asyncio

import pytest

from services.alerts.delivery import DeliveryConfigError, Dispatcher, InMemoryDeliveryLog, Router
from tests.support.alert_notifications import SECRET, email_route, notification, routes_config, webhook_route

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
