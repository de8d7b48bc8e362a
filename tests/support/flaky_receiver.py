"""An LA's webhook receiver that misbehaves on request: answers 500 (`failing`), is not there at all
(`down`: its port closed), answers slowly (`slow`), or accepts (`ok`). It keeps every request's
alert id, status, delivery id and the answer given, in a thread of its own (loopback only)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from tools.harness.ports import free_port

Mode = Literal["ok", "failing", "down", "slow"]
SLOW_S = 0.3


@dataclass(frozen=True)
class Received:
    alert_id: str
    status: str
    delivery_id: str
    answered: int


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FlakyReceiver


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert isinstance(self.server, _Server)
        owner = self.server.owner
        if owner.mode == "slow":
            time.sleep(SLOW_S)
        status = 500 if owner.mode == "failing" else 204
        alert = body["alert"]
        with owner.lock:
            owner.received.append(Received(alert["id"], alert["status"], body["delivery_id"], status))
        self.send_response(status)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FlakyReceiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.mode: Mode = "ok"
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self._server: _Server | None = None
        self._open()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/rollwatch"

    def set(self, mode: Mode) -> None:
        if mode == "down":
            self._close()
        elif self._server is None:
            self._open()
        self.mode = mode

    def delivered(self) -> set[str]:
        """The alert ids whose `open` notification was accepted (2xx)."""
        with self.lock:
            return {r.alert_id for r in self.received if r.status == "open" and 200 <= r.answered < 300}

    def answers(self) -> dict[int, int]:
        with self.lock:
            counts: dict[int, int] = {}
            for r in self.received:
                counts[r.answered] = counts.get(r.answered, 0) + 1
            return counts

    def _open(self) -> None:
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.owner = self
        threading.Thread(target=server.serve_forever, name="flaky-receiver", daemon=True).start()
        self._server = server

    def _close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def stop(self) -> None:
        self._close()
