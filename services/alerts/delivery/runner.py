"""One delivery run to its end: attempts with backoff, every attempt recorded in the delivery log,
and a dead letter when the route's last attempt fails or an error no retry can fix comes up.

The `Dispatcher` decides what to deliver, to which route and in which order; a `DeliveryRunner`
carries out one `Delivery` and settles its outcomes (True: delivered, False: dead-lettered).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from services.alerts.delivery.notification import Notification
from services.alerts.delivery.outcomes import (
    DEAD_LETTERED,
    FAILED,
    LOG_FAILURES,
    PENDING,
    SENT,
    AttemptStatus,
    Channel,
    DeadLetter,
    DeliveryAttempt,
    DeliveryLog,
)
from services.alerts.delivery.retry import AttemptFailed, Backoff, safe_error
from services.alerts.delivery.routes import EmailRoute, WebhookRoute

log = logging.getLogger(__name__)

Route = EmailRoute | WebhookRoute
Sleep = Callable[[float], Awaitable[None]]
Attempt = Callable[[int], Awaitable[str | None]]  # returns a note for the `sent` record, if any


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message to one route: a webhook POST of one notification, or one school's digest."""

    channel: Channel
    route: Route
    delivery_id: str
    notifications: tuple[Notification, ...]
    outcomes: Sequence[asyncio.Future[bool]]
    attempt_once: Attempt

    @property
    def ids(self) -> dict[str, str]:
        return {"route_id": self.route.id, "channel": self.channel, "delivery_id": self.delivery_id}

    @property
    def settled(self) -> bool:
        return all(outcome.done() for outcome in self.outcomes)


class DeliveryRunner:
    """Runs deliveries with retries; at most `max_in_flight` attempts at once per route."""

    def __init__(
        self,
        delivery_log: DeliveryLog,
        *,
        sleep: Sleep,
        rng: random.Random,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self._log = delivery_log
        self._sleep = sleep
        self._rng = rng
        self._clock = clock
        self._gates: dict[str, asyncio.Semaphore] = {}

    async def run(self, delivery: Delivery, after: asyncio.Task[None] | None) -> None:
        """Deliver once `after` (the previous delivery of the same alert or school) is done."""
        route = delivery.route
        policy = Backoff(route.max_attempts, route.backoff_base_s, route.backoff_max_s)
        gate = self._gates.setdefault(route.id, asyncio.Semaphore(route.max_in_flight))
        delivered = False
        error = "not attempted"
        number = 0
        phase = "before the first attempt"
        try:
            if after is not None and not after.done():
                await asyncio.wait({after})
            for number in range(1, policy.max_attempts + 1):
                phase = f"during attempt {number}"
                try:
                    async with gate:
                        note = await _attempt(delivery, number)
                except AttemptFailed as failure:
                    final = not failure.retryable or number == policy.max_attempts
                    wait = None if final else policy.delay(number, self._rng, failure.retry_after_s)
                    FAILED.labels(delivery.channel).inc()
                    error = failure.error
                    status: AttemptStatus = "failed" if final else "retry"
                    await self._record(delivery, number, status, failure.error, failure.code, wait)
                    if wait is None:
                        break
                    phase = f"waiting to retry after attempt {number} ({failure.error})"
                    await self._sleep(wait)
                else:
                    SENT.labels(delivery.channel).inc()
                    await self._record(delivery, number, "sent", note)
                    delivered = True
                    break
        except asyncio.CancelledError:
            await self.give_up(delivery, number, f"stopped at shutdown {phase}")
            raise
        if not delivered:
            await self.give_up(delivery, number, error)
        _settle(delivery, delivered)

    async def _record(
        self,
        delivery: Delivery,
        number: int,
        status: AttemptStatus,
        error: str | None,
        code: int | None = None,
        retry_in_s: float | None = None,
    ) -> None:
        at = self._clock()
        for notification in delivery.notifications:
            entry = DeliveryAttempt(
                delivery_id=delivery.delivery_id,
                channel=delivery.channel,
                route_id=delivery.route.id,
                la_code=notification.la_code,
                alert_id=notification.alert_id,
                alert_status=notification.status,
                attempt=number,
                status=status,
                at=at,
                error=error,
                code=code,
                retry_in_s=retry_in_s,
            )
            try:
                await self._log.record(entry)
            except Exception as problem:
                LOG_FAILURES.labels("attempt").inc()
                log.error(
                    "delivery log failed to record an attempt",
                    extra={**delivery.ids, "error": _describe(problem)},
                )
        if status != "sent":
            log.warning(
                "delivery attempt %s",
                status,
                extra={**delivery.ids, "attempt": number, "error": error, "code": code},
            )

    async def give_up(self, delivery: Delivery, attempts: int, error: str) -> None:
        """Keep the delivery as a dead letter and settle its outcomes as not delivered."""
        DEAD_LETTERED.labels(delivery.channel).inc()
        letter = DeadLetter(
            delivery_id=delivery.delivery_id,
            channel=delivery.channel,
            route_id=delivery.route.id,
            la_code=delivery.notifications[0].la_code,
            attempts=attempts,
            error=error,
            at=self._clock(),
            notifications=delivery.notifications,
        )
        try:
            await self.keep_dead_letter(letter)
        finally:
            _settle(delivery, False)

    async def keep_dead_letter(self, letter: DeadLetter) -> None:
        """Into the delivery log (a failure there is counted and logged, never raised)."""
        ids = {"route_id": letter.route_id, "channel": letter.channel, "delivery_id": letter.delivery_id}
        log.error(
            "delivery dead-lettered",
            extra={**ids, "alert_ids": letter.alert_ids, "attempts": letter.attempts, "error": letter.error},
        )
        try:
            await self._log.dead_letter(letter)
        except Exception as problem:
            LOG_FAILURES.labels("dead_letter").inc()
            log.error(
                "delivery log failed to keep a dead letter",
                extra={**ids, "alert_ids": letter.alert_ids, "error": _describe(problem)},
            )


def _settle(delivery: Delivery, delivered: bool) -> None:
    for outcome in delivery.outcomes:
        if not outcome.done():
            outcome.set_result(delivered)
            PENDING.labels(delivery.channel).dec()


async def _attempt(delivery: Delivery, number: int) -> str | None:
    """One attempt; anything but `AttemptFailed` is a fault no retry would fix."""
    try:
        return await delivery.attempt_once(number)
    except AttemptFailed:
        raise
    except Exception as problem:
        description = f"unexpected {_describe(problem)}"
        log.error("delivery failed unexpectedly", extra={**delivery.ids, "error": description})
        raise AttemptFailed(description, retryable=False) from None


def _describe(problem: BaseException) -> str:
    return safe_error(f"{type(problem).__name__}: {problem}")
