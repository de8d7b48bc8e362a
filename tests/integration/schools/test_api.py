"""`GET /v1/schools/{urn}` and `GET /v1/schools?la=...` on a register imported into ClickHouse and
loaded the way the app's lifespan loads it (`serve_register`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rollwatch.core.clickhouse import connect
from rollwatch.core.settings import Settings
from services.schools.api import router
from services.schools.importer import import_register
from services.schools.register import SchoolsRegister, serve_register
from tests.support.gias import JANUARY, JANUARY_LINKS

pytestmark = pytest.mark.clickhouse


@pytest.fixture
def api(migrated_ledger_settings: Settings) -> Iterator[TestClient]:
    client = connect(migrated_ledger_settings)
    import_register(client, JANUARY, JANUARY_LINKS)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with serve_register(migrated_ledger_settings) as register:
            app.state.schools = register
            yield

    app = FastAPI(lifespan=lifespan)
    app.include_router(router)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def register(api: TestClient) -> SchoolsRegister:
    loaded: SchoolsRegister = api.app.state.schools  # type: ignore[attr-defined]
    return loaded


def test_a_school_with_its_la_phase_type_status(api: TestClient, register: SchoolsRegister) -> None:
    school = next(s for s in register.schools() if s.is_open and s.laestab)
    response = api.get(f"/v1/schools/{school.urn}")
    assert response.status_code == 200
    body = response.json()
    assert body["register_version"] == 1
    view = body["school"]
    assert view["urn"] == school.urn and view["name"] == school.name
    assert view["la"] == {"code": school.la_code, "name": school.la_name}
    assert view["laestab"] == school.laestab
    assert (view["phase"], view["type"], view["status"]) == (school.phase, school.type_name, school.status)
    assert view["is_open"] is True


def test_an_academy_shows_the_school_it_replaced_and_back(api: TestClient, register: SchoolsRegister) -> None:
    closed = next(s for s in register.schools() if register.successors_of(s.urn) and s.is_closed)
    academy_urn = register.successors_of(closed.urn)[0]
    old = api.get(f"/v1/schools/{closed.urn}").json()["school"]
    assert old["status"] == "Closed" and old["closed_on"]
    [successor] = old["successors"]
    assert successor["urn"] == academy_urn and successor["link_type"].startswith("Successor")
    assert successor["in_register"] is True and successor["established_on"]
    new = api.get(f"/v1/schools/{academy_urn}").json()["school"]
    assert closed.urn in [p["urn"] for p in new["predecessors"]]
    assert new["predecessors"][0]["name"]


def test_an_unknown_urn_is_a_json_404(api: TestClient) -> None:
    response = api.get("/v1/schools/999999")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "no school with URN 999999 in the register"}


def test_a_malformed_urn_is_refused(api: TestClient) -> None:
    assert api.get("/v1/schools/12345").status_code == 422
    assert api.get("/v1/schools?la=20").status_code == 422
    assert api.get("/v1/schools?limit=0").status_code == 422
    assert api.get("/v1/schools?limit=1001").status_code == 422


def test_the_schools_of_an_la_page_by_page(api: TestClient, register: SchoolsRegister) -> None:
    expected = [s.urn for s in register.schools("330")]
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"la": "330", "limit": 4}
        if after:
            params["after"] = after
        body = api.get("/v1/schools", params=params).json()
        assert body["la"] == {"code": "330", "name": "Birmingham"} and body["total"] == len(expected)
        seen.extend(s["urn"] for s in body["schools"])
        pages += 1
        after = body["next_after"]
        if after is None:
            break
    assert seen == expected and pages == -(-len(expected) // 4)
    listed = api.get("/v1/schools", params={"la": "330"}).json()["schools"]
    assert all(s["la"]["code"] == "330" for s in listed)


def test_every_school_without_an_la_and_an_unknown_la(api: TestClient) -> None:
    body = api.get("/v1/schools", params={"limit": 1000}).json()
    assert body["total"] == 40 and len(body["schools"]) == 40 and body["next_after"] is None
    assert body["la"] is None
    response = api.get("/v1/schools", params={"la": "999"})
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_an_empty_register_says_how_to_load_it(ledger_settings: Settings) -> None:
    app = FastAPI()
    app.include_router(router)
    app.state.schools = SchoolsRegister()
    with TestClient(app) as client:
        response = client.get("/v1/schools/100000")
    assert response.status_code == 404
    assert "rollwatch schools import FILE" in response.json()["message"]
