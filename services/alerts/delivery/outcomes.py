"""What became of each delivery: one record per alert per attempt, a dead letter when a delivery
gives up, the `DeliveryLog` they go through, and the Prometheus counters.

A record names routes, alerts and delivery ids, and an error text with no personal data (codes
and server replies, UPN-shaped text scrubbed). A dead letter also keeps the notifications exactly
as the route would have received them (no UPN unless the route is secure), so that it can be
delivered again later; it is the only place a failed delivery's content is kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, Protocol

from prometheus_client import Counter, Gauge

from services.alerts.delivery.notification import Notification, Status

Channel = Literal["email", "webhook"]
AttemptStatus = Literal["sent", "retry", "failed"]
# sent: the server accepted it. retry: failed, another attempt follows after `retry_in_s`.
# failed: failed for good (a permanent error, the last attempt, or shutdown); a dead letter follows.

SENT = Counter(
    "rollwatch_delivery_sent_total", "Notification deliveries accepted by the receiver", ["channel"]
)
FAILED = Counter("rollwatch_delivery_failed_total", "Delivery attempts that failed", ["channel"])
DEAD_LETTERED = Counter(
    "rollwatch_delivery_dead_lettered_total", "Deliveries given up and kept as dead letters", ["channel"]
)
LOG_FAILURES = Counter(
    "rollwatch_delivery_log_failures_total", "Delivery outcomes the delivery log failed to record", ["kind"]
)
RECIPIENTS_REFUSED = Counter(
    "rollwatch_delivery_recipients_refused_total", "Email recipients the SMTP server refused"
)
PENDING = Gauge(
    "rollwatch_delivery_pending", "Notifications waiting in digests or for a delivery to finish", ["channel"]
)


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    delivery_id: str
    channel: Channel
    route_id: str
    la_code: str
    alert_id: str
    alert_status: Status
    attempt: int
    status: AttemptStatus
    at: dt.datetime
    error: str | None = None
    code: int | None = None  # HTTP status or SMTP reply code, where there was one
    retry_in_s: float | None = None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    delivery_id: str
    channel: Channel
    route_id: str
    la_code: str
    attempts: int
    error: str
    at: dt.datetime
    notifications: tuple[Notification, ...] = field(repr=False)

    @property
    def alert_ids(self) -> tuple[str, ...]:
        return tuple(notification.alert_id for notification in self.notifications)


class DeliveryLog(Protocol):
    """Where outcomes go (ClickHouse or Kafka in the service; memory in tests). A method that
    raises is counted and logged; delivery goes on."""

    async def record(self, attempt: DeliveryAttempt) -> None: ...

    async def dead_letter(self, letter: DeadLetter) -> None: ...


class InMemoryDeliveryLog:
    def __init__(self) -> None:
        self.attempts: list[DeliveryAttempt] = []
        self.dead_letters: list[DeadLetter] = []

    async def record(self, attempt: DeliveryAttempt) -> None:
        self.attempts.append(attempt)

    async def dead_letter(self, letter: DeadLetter) -> None:
        self.dead_letters.append(letter)

    def of_route(self, route_id: str) -> list[DeliveryAttempt]:
        return [attempt for attempt in self.attempts if attempt.route_id == route_id]

    def statuses(self, route_id: str, alert_id: str) -> list[AttemptStatus]:
        """The attempt statuses of one alert on one route, in order."""
        return [
            attempt.status
            for attempt in self.attempts
            if attempt.route_id == route_id and attempt.alert_id == alert_id
        ]
