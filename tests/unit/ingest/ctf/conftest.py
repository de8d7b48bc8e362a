"""An app with the CTF route, a recording publisher in place of Kafka (only the route's own logic
is under test; the broker path is the one /v1/events uses), and school keys for the two fixture
schools."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rollwatch.core import body_limit, http_errors
from rollwatch.core.access.keyring import KeyRing
from rollwatch.core.access.keys import new_key
from rollwatch.core.kafka_connection import KafkaConnection
from rollwatch.core.settings import Settings
from services.ingest.ctf.api import router
from services.schools.register import SchoolsRegister
from tests.support.ctf import CASTLEGATE_URN, HARBOURSIDE_URN, Keys, RecordingPublisher
from tests.support.secrets import SECRETS


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def keyring() -> KeyRing:
    return KeyRing(KafkaConnection("unused:9"), "unused", SECRETS)


@pytest.fixture
def settings() -> Settings:
    return Settings(max_batch_events=10, max_body_bytes=64_000)


@pytest.fixture
def keys(keyring: KeyRing) -> Keys:
    harbourside, record = new_key("school", secrets=SECRETS, urns=(HARBOURSIDE_URN,))
    keyring.add(record)
    castlegate, record = new_key("school", secrets=SECRETS, urns=(CASTLEGATE_URN,))
    keyring.add(record)
    return Keys(harbourside, castlegate)


@pytest.fixture
def app(publisher: RecordingPublisher, keyring: KeyRing, settings: Settings) -> FastAPI:
    app = FastAPI()
    http_errors.install(app)
    body_limit.install(app, settings.max_body_bytes)
    app.include_router(router)
    app.state.publisher = publisher
    app.state.keyring = keyring
    app.state.settings = settings
    app.state.schools = SchoolsRegister.from_gias_files(
        Path(__file__).resolve().parents[3] / "fixtures" / "gias" / "edubasealldata20250106.csv"
    )
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
