"""From alert lifecycle steps to notifications on the LA's routes, and the delivery log kept in
the alert service's own tables."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

from rollwatch.core.clickhouse import ClientPerThread
from services.alerts.delivery import Dispatcher, Notification
from services.alerts.delivery import notification as notification_json
from services.alerts.delivery.outcomes import DeadLetter, DeliveryAttempt
from services.alerts.delivery.pending import PendingStore
from services.alerts.lifecycle import Alert, AlertBook
from services.schools.register import SchoolsRegister

# Steps this much older than the last queued notification were queued before it (one agent records
# and queues them in order); the margin covers clocks between processes.
CATCH_UP_MARGIN = dt.timedelta(minutes=5)
# `retry_in_s` only schedules the next attempt; `alert_deliveries` (migration 0006) has no column for it.
_ATTEMPT = [f.name for f in dataclasses.fields(DeliveryAttempt) if f.name != "retry_in_s"]


class ClickHouseDeliveryLog:
    def __init__(self, clients: ClientPerThread) -> None:
        self._clients = clients

    async def record(self, attempt: DeliveryAttempt) -> None:
        row = [getattr(attempt, name) for name in _ATTEMPT]
        await asyncio.to_thread(self._clients.get().insert, "alert_deliveries", [row], column_names=_ATTEMPT)

    async def dead_letter(self, letter: DeadLetter) -> None:
        body = notification_json.dumps(letter.notifications)
        values = {
            "delivery_id": letter.delivery_id,
            "channel": letter.channel,
            "route_id": letter.route_id,
            "la_code": letter.la_code,
            "attempts": letter.attempts,
            "error": letter.error,
            "at": letter.at,
            "alert_ids": list(letter.alert_ids),
            "notifications": body,
        }
        await asyncio.to_thread(
            self._clients.get().insert,
            "alert_dead_letters",
            [list(values.values())],
            column_names=list(values),
        )


def notification(step: Alert, schools: SchoolsRegister, public_url: str | None = None) -> Notification:
    school = schools.get(step.school_urn)
    return Notification(
        alert_id=step.alert_id,
        rule=step.rule,
        severity=step.severity,  # type: ignore[arg-type]
        status=step.status,
        la_code=step.la_code,
        school_urn=step.school_urn,
        reason=step.reason,
        statutory_reference=step.statutory_reference,
        evidence=step.evidence,
        opened_at=step.opened_at,
        updated_at=step.updated_at,
        fingerprint=None,  # it hashes the UPN: never sent
        school_name=school.name if school else None,
        upn=step.upn,
        looked_after=step.looked_after,
        url=f"{public_url.rstrip('/')}/alerts/{step.alert_id}" if public_url else None,
    )


class Notifier:
    """Listens to the alert service: every step of an alert not under a silence goes out."""

    def __init__(
        self, dispatcher: Dispatcher, schools: SchoolsRegister, book: AlertBook, public_url: str | None = None
    ) -> None:
        self.public_url = public_url
        self.dispatcher = dispatcher
        self.schools = schools
        self.book = book

    async def __call__(self, steps: list[Alert]) -> None:
        now = dt.datetime.now(dt.UTC)
        for step in steps:
            # A silence mutes the notification only; the step itself is recorded all the same.
            if step.silenced_by is None and self.book.silence_for(step, now) is None:
                await self.dispatcher.submit(notification(step, self.schools, self.public_url))

    async def catch_up(self, store: PendingStore) -> int:
        """At start: the latest step of each alert changed since shortly before the last queued
        notification, whose notification no route ever queued (a crash between recording the step
        and queueing it), goes out now. Returns how many. Nothing when nothing was ever queued (no
        routes, or a store older than the pending table: old steps are not sent again)."""
        last = await store.last_queued_at()
        if last is None:
            return 0
        since = last - CATCH_UP_MARGIN
        recent = [alert for alert in self.book.alerts.values() if alert.updated_at >= since]
        known = await store.known([notification(a, self.schools).transition_key for a in recent])
        missed = [a for a in recent if notification(a, self.schools).transition_key not in known]
        await self(missed)
        return len(missed)
