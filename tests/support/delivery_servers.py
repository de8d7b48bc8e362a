"""Real local servers for the alert delivery tests, on loopback only: an SMTP server (aiosmtpd,
optionally with STARTTLS and AUTH) and an HTTP webhook receiver (aiohttp) that checks signatures."""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from services.alerts.delivery import verify_signature
from services.alerts.delivery.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER
from tests.support.ports import free_port

LOOPBACK = "127.0.0.1"


# -- SMTP -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    over_tls: bool
    login: str | None

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def subject(self) -> str:
        """The subject unfolded (a long one arrives folded onto a second line)."""
        return " ".join(str(self.message["Subject"]).split())

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        content = part.get_content()
        assert isinstance(content, str)
        return content


class RecordingHandler:
    """Keeps each accepted message; answers DATA with the scripted `replies` first."""

    def __init__(self, replies: Iterable[str] = (), unknown_recipients: Iterable[str] = ()) -> None:
        self.replies = list(replies)
        self.unknown_recipients = set(unknown_recipients)
        self.messages: list[ReceivedMail] = []
        self.refused = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.unknown_recipients:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.replies:
            reply = self.replies.pop(0)
            if not reply.startswith("250"):
                self.refused += 1
                return reply
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        login = session.auth_data  # what the authenticator returned: the login
        self.messages.append(
            ReceivedMail(
                mail_from=str(envelope.mail_from),
                rcpt_tos=tuple(envelope.rcpt_tos),
                raw=content,
                over_tls=session.ssl is not None,
                login=login.decode() if isinstance(login, bytes) else None,
            )
        )
        return "250 OK: queued"


class _Users:
    def __init__(self, users: Mapping[str, str]) -> None:
        self.users = users

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if self.users.get(login) == password:
                return AuthResult(success=True, auth_data=auth_data.login)
        return AuthResult(success=False, handled=False)


@dataclass
class SmtpForTests:
    host: str
    port: int
    handler: RecordingHandler
    controller: Controller = field(repr=False)
    running: bool = True

    def stop(self) -> None:
        if self.running:
            self.running = False
            self.controller.stop()

    @property
    def messages(self) -> list[ReceivedMail]:
        return self.handler.messages


def start_smtp(
    *,
    tls_context: ssl.SSLContext | None = None,
    users: Mapping[str, str] | None = None,
    replies: Iterable[str] = (),
    unknown_recipients: Iterable[str] = (),
) -> SmtpForTests:
    """An SMTP server on a free loopback port; with `tls_context` it offers and requires STARTTLS,
    with `users` it requires AUTH (after STARTTLS); `unknown_recipients` are refused with 550."""
    handler = RecordingHandler(replies, unknown_recipients)
    port = free_port()
    parameters: dict[str, Any] = {}
    if tls_context is not None:
        parameters.update(tls_context=tls_context, require_starttls=True)
    if users is not None:
        parameters.update(
            authenticator=_Users(users), auth_required=True, auth_require_tls=tls_context is not None
        )
    controller = Controller(handler, hostname=LOOPBACK, port=port, **parameters)
    controller.start()
    return SmtpForTests(LOOPBACK, port, handler, controller)


# -- HTTP -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedRequest:
    body: bytes
    headers: dict[str, str]
    signature_ok: bool
    answered: int


class WebhookReceiver:
    """An HTTP server on a free loopback port. Answers each POST with the next of `script`
    (a status, or a status and headers), then with `then`; a bad signature gets 401."""

    def __init__(
        self,
        secret: str,
        script: Iterable[int | tuple[int, Mapping[str, str]]] = (),
        then: int = 204,
    ) -> None:
        self.secret = secret.encode()
        self.script = [(item, {}) if isinstance(item, int) else item for item in script]
        self.then = then
        self.requests: list[ReceivedRequest] = []
        self.port = free_port()
        self._runner: web.AppRunner | None = None
        self.arrived = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/hooks/rollwatch"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        ok = verify_signature(
            self.secret,
            body,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            now=time.time(),
        )
        status, headers = self.script.pop(0) if self.script else (self.then, {})
        if not ok:
            status, headers = 401, {}
        self.requests.append(ReceivedRequest(body, dict(request.headers), ok, status))
        self.arrived.set()
        return web.Response(status=status, headers=dict(headers))

    async def __aenter__(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_post("/hooks/rollwatch", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, LOOPBACK, self.port).start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


class RecordedPauses:
    """A stand-in for `asyncio.sleep` between retries: records each wait, then yields at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)
