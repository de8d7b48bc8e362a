"""The `Dispatcher`: takes notifications, routes them, and delivers them in the background.

- `submit` routes a notification and returns at once with a `Submission`, which settles when
  every route has either delivered it or kept it as a dead letter. Webhooks go out immediately;
  email routes buffer it into the route's next digest, sent `digest_interval_s` after the first
  notification of the batch arrived (one message per school).
- A failed attempt is recorded and retried with backoff; after the route's last attempt, or on an
  error that no retry can fix, the delivery is kept as a dead letter. Nothing is dropped silently.
- Changes of one alert (webhooks) and digests of one school (email) go out in order per route:
  a delivery waits for the previous one of the same alert or school to finish.
- The same alert transition submitted twice (a redelivered Kafka message) is delivered once per
  route while this process remembers it; after a restart receivers see the same delivery id
  (`Idempotency-Key`, `Message-ID`) and can drop it.
- `flush` sends every buffered digest now and waits for all deliveries in flight; `close` flushes,
  then (after `timeout`) cancels what is left, keeping each cancelled delivery as a dead letter.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import random
import ssl
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx

from rollwatch.core.settings import Settings
from services.alerts.delivery import email_digest, smtp, webhook
from services.alerts.delivery.notification import Notification
from services.alerts.delivery.outcomes import (
    DEAD_LETTERED,
    FAILED,
    LOG_FAILURES,
    PENDING,
    RECIPIENTS_REFUSED,
    SENT,
    AttemptStatus,
    Channel,
    DeadLetter,
    DeliveryAttempt,
    DeliveryLog,
)
from services.alerts.delivery.retry import AttemptFailed, Backoff, safe_error
from services.alerts.delivery.routes import EmailRoute, Router, WebhookRoute
from services.alerts.delivery.tls import verifying_context

log = logging.getLogger(__name__)

MIN_WEBHOOK_SECRET_CHARS = 32
Route = EmailRoute | WebhookRoute
Sleep = Callable[[float], Awaitable[None]]
Attempt = Callable[[int], Awaitable[str | None]]  # returns a note for the `sent` record, if any


class DeliveryConfigError(ValueError):
    """A route's secret is missing or too weak; names the routes and variables, never values."""


def resolve_secrets(routes: Iterable[Route], environ: Mapping[str, str]) -> dict[str, str]:
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


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class Submission:
    """What `submit` did with one notification: the routes it went to, and its outcomes."""

    route_ids: tuple[str, ...]
    outcomes: tuple[asyncio.Future[bool], ...]

    @property
    def settled(self) -> bool:
        """Every route delivered it or dead-lettered it (safe to commit its offset)."""
        return all(outcome.done() for outcome in self.outcomes)

    async def wait(self) -> bool:
        """Wait until settled; True when every route delivered it, False when any dead-lettered."""
        results = await asyncio.gather(*(asyncio.shield(outcome) for outcome in self.outcomes))
        return all(results)


@dataclass(slots=True)
class _Pending:
    notification: Notification  # the route's copy
    outcome: asyncio.Future[bool]


class Dispatcher:
    def __init__(
        self,
        router: Router,
        delivery_log: DeliveryLog,
        *,
        environ: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], dt.datetime] = _utc_now,
        remember: int = 50_000,
    ) -> None:
        """`environ` (default `os.environ`) holds the secrets the routes name; a missing one
        raises `DeliveryConfigError` here. `http_client`, `sleep`, `rng` and `clock` are for
        tests; by default each webhook route gets its own client. `sleep` paces retries only."""
        self._router = router
        self._log = delivery_log
        self._secrets = resolve_secrets(router.routes, os.environ if environ is None else environ)
        self._shared_client = http_client
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._sleep = sleep
        self._rng = rng or random.SystemRandom()
        self._clock = clock
        self._remember = remember
        self._seen: OrderedDict[str, asyncio.Future[bool]] = OrderedDict()
        self._digests: dict[str, list[_Pending]] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._chains: dict[tuple[str, str, str], asyncio.Task[None]] = {}
        self._gates: dict[str, asyncio.Semaphore] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings, delivery_log: DeliveryLog) -> Dispatcher:
        """The routes file `ROLLWATCH_ALERT_ROUTES_FILE` (unset: no routes), secrets from the
        environment."""
        return cls(Router.from_file(settings.alert_routes_file), delivery_log)

    @property
    def router(self) -> Router:
        return self._router

    # -- taking notifications -------------------------------------------------------------

    async def submit(self, notification: Notification) -> Submission:
        if self._closed:
            raise RuntimeError("the dispatcher is closed")
        loop = asyncio.get_running_loop()
        route_ids: list[str] = []
        outcomes: list[asyncio.Future[bool]] = []
        for route in self._router.routes_for(notification):
            route_ids.append(route.id)
            key = f"{route.id}\x1e{notification.transition_key}"
            known = self._seen.get(key)
            if known is not None:
                outcomes.append(known)
                continue
            outcome: asyncio.Future[bool] = loop.create_future()
            self._seen[key] = outcome
            while len(self._seen) > self._remember:
                self._seen.popitem(last=False)
            outcomes.append(outcome)
            self._take(route, _Pending(notification.for_route(route.secure), outcome))
        return Submission(tuple(route_ids), tuple(outcomes))

    async def redeliver(self, letter: DeadLetter) -> Submission:
        """Try a dead letter again on its route (e.g. once the receiver is fixed). A webhook keeps
        its delivery id, so a receiver that did get it can tell; email joins the next digest."""
        if self._closed:
            raise RuntimeError("the dispatcher is closed")
        route = next((route for route in self._router.routes if route.id == letter.route_id), None)
        if route is None:
            raise LookupError(f"route {letter.route_id!r} is not in the routes file any more")
        loop = asyncio.get_running_loop()
        outcomes: list[asyncio.Future[bool]] = []
        for notification in letter.notifications:
            outcome: asyncio.Future[bool] = loop.create_future()
            outcomes.append(outcome)
            self._take(route, _Pending(notification.for_route(route.secure), outcome))
        return Submission((route.id,), tuple(outcomes))

    def _take(self, route: Route, pending: _Pending) -> None:
        PENDING.labels(route.kind).inc()
        if isinstance(route, EmailRoute):
            self._buffer(route, pending)
        else:
            self._send_webhook(route, pending)

    async def flush(self) -> None:
        """Send every buffered digest now and wait for every delivery in flight to finish."""
        self._send_all_digests()
        in_flight = set(self._tasks)
        if in_flight:
            await asyncio.wait(in_flight)

    async def close(self, timeout: float | None = None) -> None:
        """Refuse new notifications, send every buffered digest, wait up to `timeout` seconds
        (None: no limit) for deliveries in flight, then cancel the rest: each cancelled delivery
        becomes a dead letter."""
        if self._closed:
            return
        self._closed = True
        try:
            self._send_all_digests()
            in_flight = set(self._tasks)
            if in_flight:
                _done, left = await asyncio.wait(in_flight, timeout=timeout)
                for task in left:
                    task.cancel()
                # the cancelled deliveries, then the dead letters of those cancelled before they ran
                while self._tasks:
                    await asyncio.gather(*self._tasks, return_exceptions=True)
        finally:
            for client in self._clients.values():
                await client.aclose()
            self._clients.clear()

    def _send_all_digests(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        email_routes = {route.id: route for route in self._router.routes if isinstance(route, EmailRoute)}
        for route_id in list(self._digests):
            self._send_digests(email_routes[route_id])

    async def __aenter__(self) -> Dispatcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- email ------------------------------------------------------------------------------

    def _buffer(self, route: EmailRoute, pending: _Pending) -> None:
        self._digests.setdefault(route.id, []).append(pending)
        if route.id not in self._timers:
            self._timers[route.id] = self._spawn(self._digest_timer(route))

    async def _digest_timer(self, route: EmailRoute) -> None:
        await asyncio.sleep(route.digest_interval_s)
        self._timers.pop(route.id, None)
        self._send_digests(route)

    def _send_digests(self, route: EmailRoute) -> None:
        """One delivery per school for everything buffered on `route`."""
        buffered = self._digests.pop(route.id, [])
        if not buffered:
            return
        now = self._clock()
        password = self._secrets.get(route.smtp.password_env or "")
        outcomes: dict[tuple[str, str], list[asyncio.Future[bool]]] = {}
        for item in buffered:
            school = (item.notification.la_code, item.notification.school_urn)
            outcomes.setdefault(school, []).append(item.outcome)
        for digest in email_digest.group_by_school(item.notification for item in buffered):
            self._send_digest(
                route,
                digest,
                outcomes[(digest.la_code, digest.school_urn)],
                email_digest.build_message(digest, route, now),
                password,
            )

    def _send_digest(
        self,
        route: EmailRoute,
        digest: email_digest.SchoolDigest,
        outcomes: list[asyncio.Future[bool]],
        message: EmailMessage,
        password: str | None,
    ) -> None:
        async def attempt(_number: int) -> str | None:
            return await self._smtp_attempt(route, message, password)

        delivery = _Delivery(
            "email",
            route,
            email_digest.delivery_id(route.id, digest),
            digest.notifications,
            outcomes,
            attempt,
        )
        self._in_order((route.id, "school", digest.school_urn), delivery)

    async def _smtp_attempt(
        self, route: EmailRoute, message: EmailMessage, password: str | None
    ) -> str | None:
        accepted = await smtp.send_message(message, route.smtp, password)
        if not accepted.refused:
            return None
        RECIPIENTS_REFUSED.inc(accepted.refused)
        codes = ", ".join(str(code) for code in accepted.codes)
        return f"{accepted.refused} of {len(route.to)} recipients refused ({codes})"

    # -- webhooks ---------------------------------------------------------------------------

    def _send_webhook(self, route: WebhookRoute, pending: _Pending) -> None:
        notification = pending.notification
        delivery = webhook.delivery_id(route.id, notification)
        payload = webhook.body(notification, delivery)
        secret = self._secrets[route.secret_env].encode("utf-8")

        async def attempt(number: int) -> str | None:
            await webhook.post_once(
                self._client(route),
                str(route.url),
                secret,
                payload,
                delivery,
                number,
                self._clock(),
                route.timeout_s,
            )
            return None

        self._in_order(
            (route.id, "alert", notification.alert_id),
            _Delivery("webhook", route, delivery, (notification,), [pending.outcome], attempt),
        )

    def _client(self, route: WebhookRoute) -> httpx.AsyncClient:
        if self._shared_client is not None:
            return self._shared_client
        client = self._clients.get(route.id)
        if client is None:
            verify: ssl.SSLContext | bool = verifying_context(route.ca_file) if route.ca_file else True
            client = httpx.AsyncClient(
                verify=verify,
                follow_redirects=False,
                trust_env=not route.is_loopback,  # no proxy between us and this machine
                limits=httpx.Limits(max_connections=route.max_in_flight),
            )
            self._clients[route.id] = client
        return client

    # -- one delivery, with retries ---------------------------------------------------------

    async def _deliver(self, delivery: _Delivery, after: asyncio.Task[None] | None) -> None:
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
            await self._give_up(delivery, number, f"stopped at shutdown {phase}")
            raise
        if not delivered:
            await self._give_up(delivery, number, error)
        self._settle(delivery, delivered)

    def _settle(self, delivery: _Delivery, delivered: bool) -> None:
        for outcome in delivery.outcomes:
            if not outcome.done():
                outcome.set_result(delivered)
                PENDING.labels(delivery.channel).dec()

    async def _record(
        self,
        delivery: _Delivery,
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

    async def _give_up(self, delivery: _Delivery, attempts: int, error: str) -> None:
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
        log.error(
            "delivery dead-lettered",
            extra={**delivery.ids, "alert_ids": letter.alert_ids, "attempts": attempts, "error": error},
        )
        try:
            await self._log.dead_letter(letter)
        except Exception as problem:
            LOG_FAILURES.labels("dead_letter").inc()
            log.error(
                "delivery log failed to keep a dead letter",
                extra={**delivery.ids, "alert_ids": letter.alert_ids, "error": _describe(problem)},
            )
        finally:
            self._settle(delivery, False)

    # -- tasks ------------------------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _in_order(self, key: tuple[str, str, str], delivery: _Delivery) -> None:
        """Start `delivery` once the previous one with the same key has finished."""
        task = self._spawn(self._deliver(delivery, self._chains.get(key)))
        self._chains[key] = task

        def done(finished: asyncio.Task[None]) -> None:
            if self._chains.get(key) is finished:
                del self._chains[key]
            if finished.cancelled() and not all(outcome.done() for outcome in delivery.outcomes):
                # cancelled before it ever ran (shutdown): keep it all the same
                self._spawn(self._give_up(delivery, 0, "stopped at shutdown before the first attempt"))

        task.add_done_callback(done)


@dataclass(frozen=True, slots=True)
class _Delivery:
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


async def _attempt(delivery: _Delivery, number: int) -> str | None:
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
