"""Console sessions, held server-side: the browser keeps only a random session id (an HttpOnly
cookie), never the API key. A session ends after an idle time or at sign-out; signing in always
starts a new session (no fixation). Every form carries the session's CSRF token, compared in
constant time. Pure and in memory: one process serves the console (the alerts service)."""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

COOKIE = "rollwatch_session"
CSRF_FIELD = "csrf_token"


@dataclass
class Session:
    session_id: str
    csrf: str
    key_id: str | None  # None: not signed in yet (the sign-in form's own CSRF token)
    last_seen: float
    purposes: dict[str, str] = field(default_factory=dict)  # alert id -> why the officer reads it
    list_purpose: str = ""  # why the officer signed in: logged with every alert list they read
    flash: list[tuple[str, str]] = field(default_factory=list)  # (kind, message) for the next page

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf.encode(), (token or "").encode())


class SessionStore:
    def __init__(
        self, idle_seconds: float, clock: Callable[[], float] = time.monotonic, max_sessions: int = 20_000
    ) -> None:
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._max = max_sessions
        self._sessions: OrderedDict[str, Session] = OrderedDict()  # least recently seen first

    def new(self, key_id: str | None = None) -> Session:
        self._evict()
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), key_id, self._clock())
        self._sessions[session.session_id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session of this id, seen now; None when unknown or idle too long."""
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        if session is None:
            return None
        now = self._clock()
        if now - session.last_seen > self.idle_seconds:
            del self._sessions[session_id]
            return None
        session.last_seen = now
        self._sessions.move_to_end(session_id)
        return session

    def end(self, session_id: str | None) -> None:
        if session_id:
            self._sessions.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._sessions)

    def _evict(self) -> None:
        now = self._clock()
        while self._sessions:
            oldest = next(iter(self._sessions.values()))
            if now - oldest.last_seen <= self.idle_seconds and len(self._sessions) < self._max:
                break
            self._sessions.popitem(last=False)
