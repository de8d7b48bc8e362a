"""The audit read side on its own: a FastAPI app with the audit router, a real embedded ledger
filled through `LedgerWriter` (and the placements the tracker would record), a key ring with
records added directly, and the schools register of the checked-in GIAS fixtures."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from rollwatch.core import http_errors
from rollwatch.core.access.keyring import KeyRing
from rollwatch.core.access.keys import Role, new_key
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.settings import Settings
from schemas import parse_event
from schemas.parse import canonical_bytes
from services.schools.register import SchoolsRegister
from services.tracker import placement
from services.tracker.audit_api import router as audit_router
from services.tracker.ledger_writer import LedgerWriter, Received
from tests.support.gias import JANUARY, JANUARY_LINKS


class AuditWorld:
    def __init__(self, settings: Settings) -> None:
        """`settings`: of a migrated ledger (the `migrated_ledger_settings` fixture)."""
        self.clients = ClientPerThread(settings)
        self.register = SchoolsRegister.from_gias_files(JANUARY, JANUARY_LINKS)
        self.keyring = KeyRing(settings.kafka, settings.topics.access_keys, settings.secrets)
        self.writer = LedgerWriter(self.clients)
        self.secrets = settings.secrets
        self._offset = 0
        self._placements: dict[str, dict[str, Any]] = {}
        app = FastAPI()
        http_errors.install(app)
        app.include_router(audit_router)
        app.state.keyring = self.keyring
        app.state.settings = settings
        app.state.ledger_clients = self.clients
        app.state.schools = self.register
        self.client = TestClient(app)

    def close(self) -> None:
        self.client.close()
        self.clients.close()

    def record(self, events: Iterable[dict[str, Any]]) -> None:
        """Through the ledger writer, in the order given (as Kafka would deliver one partition),
        then the placements the tracker would record for them."""
        batch = []
        for raw in events:
            event = parse_event(raw)
            batch.append(Received(event, canonical_bytes(event), partition=0, offset=self._offset))
            self._offset += 1
        result = self.writer.write(batch)
        assert result.written == len(batch), result
        changed: dict[str, tuple[int, dict[str, Any]]] = {}
        for item in batch:
            upn = item.event.upn
            state, _ = placement.apply(self._placements.get(upn), item.event, item.offset)
            self._placements[upn] = state
            changed[upn] = (item.offset, state)
        self.writer.record_placements(changed)

    def key(self, role: Role, *, urns: tuple[str, ...] = (), la_code: str | None = None) -> str:
        token, record = new_key(role, secrets=self.secrets, urns=urns, la_code=la_code, label=f"test {role}")
        self.keyring.add(record)
        return token

    def get(self, path: str, key: str | None, **params: Any) -> Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return self.client.get(path, params=params, headers=headers)
