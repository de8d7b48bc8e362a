"""The secrets the delivery routes name (webhook signing keys, SMTP passwords), read and checked
up front so that a missing or weak one stops the start, not the first delivery."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from services.alerts.delivery.routes import EmailRoute, WebhookRoute

MIN_WEBHOOK_SECRET_CHARS = 32


class DeliveryConfigError(ValueError):
    """A route's secret is missing or too weak; names the routes and variables, never values."""


def resolve_secrets(
    routes: Iterable[EmailRoute | WebhookRoute], environ: Mapping[str, str]
) -> dict[str, str]:
    """The value of every environment variable the routes name, checked up front."""
    secrets: dict[str, str] = {}
    problems: list[str] = []
    for route in routes:
        for name in route.secret_envs:
            value = environ.get(name, "")
            if not value:
                problems.append(f"route {route.id}: environment variable {name} is not set")
            elif isinstance(route, WebhookRoute) and len(value) < MIN_WEBHOOK_SECRET_CHARS:
                problems.append(
                    f"route {route.id}: {name} is shorter than {MIN_WEBHOOK_SECRET_CHARS} characters"
                )
            else:
                secrets[name] = value
    if problems:
        raise DeliveryConfigError("; ".join(problems))
    return secrets
