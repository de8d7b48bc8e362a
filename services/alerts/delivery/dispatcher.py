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
- With a `PendingStore` (`pending.py`) every notification a route takes is kept as queued before
  `submit` returns and marked settled when delivered or dead-lettered; `restore` at start takes up
  what a crash left queued, so a waiting digest or a retrying webhook is never lost.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import random
import ssl
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx

from rollwatch.core.settings import Settings
from services.alerts.delivery import email_digest, smtp, webhook
from services.alerts.delivery.notification import Notification
from services.alerts.delivery.outcomes import (
    LOG_FAILURES,
    PENDING,
    RECIPIENTS_REFUSED,
    DeadLetter,
    DeliveryLog,
)
from services.alerts.delivery.pending import PendingStore, Queued, Settled
from services.alerts.delivery.route_secrets import resolve_secrets
from services.alerts.delivery.routes import EmailRoute, Router, WebhookRoute
from services.alerts.delivery.runner import Delivery, DeliveryRunner, Route, Sleep
from services.alerts.delivery.tls import verifying_context

log = logging.getLogger(__name__)


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
        pending: PendingStore | None = None,
    ) -> None:
        """`environ` (default `os.environ`) holds the secrets the routes name; a missing one
        raises `DeliveryConfigError` here. `http_client`, `sleep`, `rng` and `clock` are for
        tests; by default each webhook route gets its own client. `sleep` paces retries only.
        `pending` keeps what the routes took until it settles (see `restore`); None: memory only."""
        self._router = router
        self._secrets = resolve_secrets(router.routes, os.environ if environ is None else environ)
        self._shared_client = http_client
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._clock = clock
        self._runner = DeliveryRunner(
            delivery_log, sleep=sleep, rng=rng or random.SystemRandom(), clock=clock
        )
        self._remember = remember
        self._seen: OrderedDict[str, asyncio.Future[bool]] = OrderedDict()
        self._digests: dict[str, list[_Pending]] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._chains: dict[tuple[str, str, str], asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self._store = pending
        self._settling: dict[tuple[str, Settled], list[Notification]] = {}

    @classmethod
    def from_settings(
        cls, settings: Settings, delivery_log: DeliveryLog, pending: PendingStore | None = None
    ) -> Dispatcher:
        """The routes file `ROLLWATCH_ALERT_ROUTES_FILE` (unset: no routes), secrets from the
        environment."""
        return cls(Router.from_file(settings.alert_routes_file), delivery_log, pending=pending)

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
        taken: list[tuple[Route, _Pending]] = []
        for route in self._router.routes_for(notification):
            route_ids.append(route.id)
            key = _seen_key(route.id, notification)
            known = self._seen.get(key)
            if known is not None:
                outcomes.append(known)
                continue
            outcome: asyncio.Future[bool] = loop.create_future()
            self._remember_seen(key, outcome)
            outcomes.append(outcome)
            taken.append((route, _Pending(notification.for_route(route.secure), outcome)))
        await self._keep(taken)
        for route, pending in taken:
            self._take(route, pending)
        return Submission(tuple(route_ids), tuple(outcomes))

    async def restore(self) -> int:
        """Take up every notification the pending store holds as queued (left by a crash or a
        kill); returns how many. A digest is sent `digest_interval_s` after the oldest of its
        batch was first queued; a route no longer in the routes file dead-letters its own."""
        if self._store is None:
            return 0
        loop = asyncio.get_running_loop()
        routes = {route.id: route for route in self._router.routes}
        restored = 0
        for entry in await self._store.pending():
            key = _seen_key(entry.route_id, entry.notification)
            if key in self._seen:
                continue
            outcome: asyncio.Future[bool] = loop.create_future()
            self._remember_seen(key, outcome)
            pending = _Pending(entry.notification, outcome)
            route = routes.get(entry.route_id)
            if route is None:
                await self._orphan(entry, pending)
                continue
            self._take(route, pending, since=entry.at)
            restored += 1
        if restored:
            log.info("pending notifications taken up again", extra={"notifications": restored})
        return restored

    def _remember_seen(self, key: str, outcome: asyncio.Future[bool]) -> None:
        self._seen[key] = outcome
        while len(self._seen) > self._remember:
            self._seen.popitem(last=False)

    async def _keep(self, taken: list[tuple[Route, _Pending]]) -> None:
        """Queued in the pending store before anyone may count them as taken."""
        if self._store is None or not taken:
            return
        now = self._clock()
        try:
            await self._store.queued([Queued(r.id, r.kind, p.notification, now) for r, p in taken])
        except BaseException:
            for route, pending in taken:
                self._seen.pop(_seen_key(route.id, pending.notification), None)
            raise

    def _watch(self, route_id: str, pending: _Pending) -> None:
        """Mark the notification settled in the pending store once its delivery settles."""
        if self._store is None:
            return

        def settled(outcome: asyncio.Future[bool]) -> None:
            state: Settled = "delivered" if not outcome.cancelled() and outcome.result() else "dead_lettered"
            batch = self._settling.setdefault((route_id, state), [])
            batch.append(pending.notification)
            if len(self._settling) == 1 and len(batch) == 1:
                self._spawn(self._write_settled())

        pending.outcome.add_done_callback(settled)

    async def _write_settled(self) -> None:
        await asyncio.sleep(0)  # gather what settles in the same turn of the loop
        assert self._store is not None
        batches, self._settling = self._settling, {}
        for (route_id, state), notifications in batches.items():
            try:
                await self._store.settled(route_id, notifications, state)
            except Exception as problem:
                # Left queued: the next start sends them again (at least once, same delivery ids).
                LOG_FAILURES.labels("pending").inc()
                log.error(
                    "pending store failed to mark notifications settled",
                    extra={"route_id": route_id, "notifications": len(notifications),
                           "error": type(problem).__name__},
                )  # fmt: skip

    async def _orphan(self, entry: Queued, pending: _Pending) -> None:
        """A queued notification whose route was removed from the routes file: a dead letter."""
        letter = DeadLetter(
            delivery_id=f"orphan-{entry.route_id}-{entry.notification.alert_id}",
            channel=entry.channel,
            route_id=entry.route_id,
            la_code=entry.notification.la_code,
            attempts=0,
            error=f"route {entry.route_id} is no longer in the routes file",
            at=self._clock(),
            notifications=(entry.notification,),
        )
        await self._runner.keep_dead_letter(letter)
        self._watch(entry.route_id, pending)
        pending.outcome.set_result(False)

    async def redeliver(self, letter: DeadLetter) -> Submission:
        """Try a dead letter again on its route (e.g. once the receiver is fixed). A webhook keeps
        its delivery id, so a receiver that did get it can tell; email joins the next digest."""
        if self._closed:
            raise RuntimeError("the dispatcher is closed")
        route = next((route for route in self._router.routes if route.id == letter.route_id), None)
        if route is None:
            raise LookupError(f"route {letter.route_id!r} is not in the routes file any more")
        loop = asyncio.get_running_loop()
        taken = [
            (route, _Pending(notification.for_route(route.secure), loop.create_future()))
            for notification in letter.notifications
        ]
        await self._keep(taken)
        for _, pending in taken:
            self._take(route, pending)
        return Submission((route.id,), tuple(pending.outcome for _, pending in taken))

    def _take(self, route: Route, pending: _Pending, since: dt.datetime | None = None) -> None:
        self._watch(route.id, pending)
        PENDING.labels(route.kind).inc()
        if isinstance(route, EmailRoute):
            self._buffer(route, pending, since)
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

    def _buffer(self, route: EmailRoute, pending: _Pending, since: dt.datetime | None = None) -> None:
        """Into the route's next digest, sent `digest_interval_s` after the first of the batch
        arrived (`since`: when it was first queued, before a restart)."""
        self._digests.setdefault(route.id, []).append(pending)
        if route.id not in self._timers:
            waited = (self._clock() - since).total_seconds() if since is not None else 0.0
            delay = max(0.0, route.digest_interval_s - waited)
            self._timers[route.id] = self._spawn(self._digest_timer(route, delay))

    async def _digest_timer(self, route: EmailRoute, delay: float) -> None:
        await asyncio.sleep(delay)
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

        delivery = Delivery(
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
            Delivery("webhook", route, delivery, (notification,), [pending.outcome], attempt),
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

    # -- tasks ------------------------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _in_order(self, key: tuple[str, str, str], delivery: Delivery) -> None:
        """Start `delivery` once the previous one with the same key has finished."""
        task = self._spawn(self._runner.run(delivery, self._chains.get(key)))
        self._chains[key] = task

        def done(finished: asyncio.Task[None]) -> None:
            if self._chains.get(key) is finished:
                del self._chains[key]
            if finished.cancelled() and not delivery.settled:
                # cancelled before it ever ran (shutdown): keep it all the same
                self._spawn(self._runner.give_up(delivery, 0, "stopped at shutdown before the first attempt"))

        task.add_done_callback(done)


def _seen_key(route_id: str, notification: Notification) -> str:
    return f"{route_id}\x1e{notification.transition_key}"
