"""Where each LA's alert notifications go: the routes file and the `Router`.

The file (JSON, or TOML for a `.toml` name) is versioned by `format_version` (the shape, now 1)
and `version` (the content, free text such as a date). It names, for each LA code, a list of
routes; an LA it does not name has none, and so does every LA when there is no file.

Secrets never sit in the file: a route names the environment variable that holds them
(`password_env`, `secret_env`). A route marked `secure: true` receives the UPN of an alert about
one pupil; every other route gets neither the UPN nor the fingerprint derived from it. Routes to a
host outside the machine must use TLS (`https`, STARTTLS or implicit TLS). Unknown keys, unknown
rule ids and wrong types are refused with the field named, so a typo never silently drops alerts.
"""

from __future__ import annotations

import ipaddress
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from services.alerts.candidates import Severity
from services.alerts.delivery.notification import SEVERITY_RANK, Notification, Status
from services.alerts.rules import ALL_RULES

FORMAT_VERSION = 1
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def _address(value: str) -> str:
    if not _ADDRESS.fullmatch(value):
        raise ValueError("is not a plain email address (name@example.org)")
    return value


def is_loopback(host: str) -> bool:
    """True for `localhost` and for addresses in 127.0.0.0/8 or ::1."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


EmailAddress = Annotated[str, AfterValidator(_address)]
EnvName = Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$", max_length=128)]
LACode = Annotated[str, Field(pattern=r"^[0-9]{3}$")]
RouteId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Match(_Strict):
    """Which notifications a route wants. Every condition given must hold; none given: all.
    `looked_after: true` makes a Virtual School route: only alerts about looked-after pupils
    (which every other route matching them gets too)."""

    rules: tuple[str, ...] | None = Field(default=None, min_length=1)
    min_severity: Severity = "low"
    statuses: tuple[Status, ...] | None = Field(default=None, min_length=1)
    looked_after: bool | None = None

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        unknown = sorted(set(value or ()) - set(ALL_RULES))
        if unknown:
            raise ValueError(
                f"unknown rule id(s) {', '.join(unknown)}; known: {', '.join(sorted(ALL_RULES))}"
            )
        return value

    def matches(self, notification: Notification) -> bool:
        if self.rules is not None and notification.rule not in self.rules:
            return False
        if self.statuses is not None and notification.status not in self.statuses:
            return False
        if self.looked_after is not None and notification.looked_after != self.looked_after:
            return False
        return SEVERITY_RANK[notification.severity] >= SEVERITY_RANK[self.min_severity]


class _Route(_Strict):
    id: RouteId
    secure: bool = False
    match: Match = Match()
    max_attempts: int = Field(default=5, ge=1, le=50)
    backoff_base_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=300.0, gt=0)
    max_in_flight: int = Field(default=4, ge=1, le=64)  # concurrent sends on this route

    @model_validator(mode="after")
    def _backoff_order(self) -> _Route:
        if self.backoff_max_s < self.backoff_base_s:
            raise ValueError("backoff_max_s is smaller than backoff_base_s")
        return self

    def wants(self, notification: Notification) -> bool:
        return self.match.matches(notification)


class SmtpServer(_Strict):
    host: str = Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.:\[\]_-]+$")
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    implicit_tls: bool = False  # TLS from the first byte (usually port 465)
    username: str | None = Field(default=None, min_length=1)
    password_env: EnvName | None = None
    ca_file: Path | None = None  # a private CA to trust besides the system's
    timeout_s: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> SmtpServer:
        if self.starttls and self.implicit_tls:
            raise ValueError("starttls and implicit_tls exclude each other")
        if (self.username is None) != (self.password_env is None):
            raise ValueError("username and password_env go together")
        if not (self.starttls or self.implicit_tls) and not is_loopback(self.host):
            raise ValueError(f"SMTP host {self.host} is not on this machine: set starttls or implicit_tls")
        return self

    @property
    def uses_tls(self) -> bool:
        return self.starttls or self.implicit_tls


class EmailRoute(_Route):
    """Digests by email: every `digest_interval_s`, one message per school (0: at once)."""

    kind: Literal["email"]
    to: tuple[EmailAddress, ...] = Field(min_length=1, max_length=50)
    from_: EmailAddress = Field(alias="from")
    smtp: SmtpServer
    digest_interval_s: float = Field(default=300.0, ge=0)
    html: bool = True
    max_attempts: int = Field(default=6, ge=1, le=50)
    backoff_base_s: float = Field(default=30.0, gt=0)
    backoff_max_s: float = Field(default=900.0, gt=0)

    @property
    def secret_envs(self) -> tuple[str, ...]:
        return (self.smtp.password_env,) if self.smtp.password_env else ()


class WebhookRoute(_Route):
    """One signed JSON POST per notification."""

    kind: Literal["webhook"]
    url: AnyHttpUrl
    secret_env: EnvName
    timeout_s: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=8, ge=1, le=50)
    backoff_base_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=300.0, gt=0)
    ca_file: Path | None = None  # a private CA to trust besides the system's

    @field_validator("url")
    @classmethod
    def _tls_off_machine(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        if value.scheme != "https" and not is_loopback(value.host or ""):
            raise ValueError(f"{value.host} is not on this machine: use https")
        if value.username or value.password:
            raise ValueError("credentials in the URL are not allowed; the route signs with secret_env")
        return value

    @property
    def secret_envs(self) -> tuple[str, ...]:
        return (self.secret_env,)

    @property
    def is_loopback(self) -> bool:
        return is_loopback(self.url.host or "")


Route = Annotated[EmailRoute | WebhookRoute, Field(discriminator="kind")]


class LARoutes(_Strict):
    routes: tuple[Route, ...] = ()


class RoutesConfig(_Strict):
    format_version: Literal[1]
    version: str = Field(min_length=1)
    note: str = ""
    las: dict[LACode, LARoutes] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_ids(self) -> RoutesConfig:
        seen: set[str] = set()
        for la_code, entry in self.las.items():
            for route in entry.routes:
                if route.id in seen:
                    raise ValueError(f"route id {route.id!r} (LA {la_code}) is used twice; ids are unique")
                seen.add(route.id)
        return self

    @property
    def routes(self) -> tuple[EmailRoute | WebhookRoute, ...]:
        return tuple(route for entry in self.las.values() for route in entry.routes)


NO_ROUTES = RoutesConfig(format_version=1, version="none")


class RoutesConfigError(ValueError):
    """The routes file is unreadable or invalid; the message names the file and every field."""


def _where(loc: Iterable[Any]) -> str:
    """pydantic's error location as `las.801.routes[0]<email>.smtp.port`."""
    parts = list(loc)
    text = ""
    for index, part in enumerate(parts):
        if isinstance(part, int):
            text += f"[{part}]"
        elif index >= 2 and parts[index - 2] == "routes" and part in ("email", "webhook"):
            text += f"<{part}>"  # the union's tag, which pydantic puts after the index
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def parse_routes(document: Mapping[str, Any], source: str = "routes") -> RoutesConfig:
    try:
        return RoutesConfig.model_validate(document)
    except ValidationError as error:
        problems = [
            f"{_where(item['loc'])}: {item['msg'].removeprefix('Value error, ')}" for item in error.errors()
        ]
        raise RoutesConfigError(f"{source}: invalid routes file:\n  " + "\n  ".join(problems)) from None


def load_routes(path: Path | None) -> RoutesConfig:
    """The routes file at `path` (None: no routes at all)."""
    if path is None:
        return NO_ROUTES
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RoutesConfigError(f"{path}: cannot read the routes file ({error.strerror})") from None
    try:
        document = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise RoutesConfigError(f"{path}: not valid {path.suffix.lstrip('.') or 'JSON'}: {error}") from None
    if not isinstance(document, dict):
        raise RoutesConfigError(f"{path}: the top level must be an object")
    return parse_routes(document, str(path))


class Router:
    """The routes of a notification's LA that want it, in file order."""

    def __init__(self, config: RoutesConfig = NO_ROUTES) -> None:
        self.config = config

    @classmethod
    def from_file(cls, path: Path | None) -> Router:
        return cls(load_routes(path))

    @property
    def routes(self) -> tuple[EmailRoute | WebhookRoute, ...]:
        return self.config.routes

    def routes_for(self, notification: Notification) -> tuple[EmailRoute | WebhookRoute, ...]:
        entry = self.config.las.get(notification.la_code)
        if entry is None:
            return ()
        return tuple(route for route in entry.routes if route.wants(notification))
