"""What the write endpoints take from the app's state, as FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rollwatch.core.settings import Settings
from services.ingest.publisher import EventPublisher
from services.schools.register import SchoolsRegister


async def _publisher(request: Request) -> EventPublisher:
    publisher: EventPublisher = request.app.state.publisher
    return publisher


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _schools(request: Request) -> SchoolsRegister:
    schools: SchoolsRegister = request.app.state.schools
    return schools


Publisher = Annotated[EventPublisher, Depends(_publisher)]
AppSettings = Annotated[Settings, Depends(_settings)]
Schools = Annotated[SchoolsRegister, Depends(_schools)]
