"""The product for the console's browser tests, its keys, and alerts raised the real way: events
posted to the API, through Kafka, the tracker and the alert rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from rollwatch.core.access.keys import Role
from tests.support.allinone import RunningProduct, rollwatch_process
from tests.support.events import deletion, enrolment, upn_for

SCHOOL = "100046"  # an open LA 886 school in tests/fixtures/gias
OTHER_LA_SCHOOL = "100012"  # an open LA 330 school
T = TypeVar("T")


@dataclass
class ConsoleProduct:
    product: RunningProduct
    school_key: str
    officer: str  # Sam Patel, LA 886
    colleague: str  # Zoe Adams, LA 886
    other_la_officer: str  # LA 330
    other_school_key: str
    bootstrap: str = ""

    @property
    def url(self) -> str:
        return self.product.url

    def call(self, method: str, path: str, key: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)

    def issue_key(self, role: Role, **scope: Any) -> str:
        """One more key, as `rollwatch keys create` would issue it."""
        return self.product.issue_key(self.bootstrap, role, **scope)

    def post_events(self, key: str, events: list[dict[str, Any]]) -> None:
        posted = self.call("POST", "/v1/events", key, json={"events": events})
        assert posted.status_code == 202 and posted.json()["rejected"] == [], posted.text

    def raise_alert(self, serial: int, *, school: str = SCHOOL, la: int = 886) -> dict[str, Any]:
        """A home-education exit of a pupil with an EHC plan: `ehe_vulnerable` fires at once."""
        key, officer = (
            (self.school_key, self.officer) if la == 886 else (self.other_school_key, self.other_la_officer)
        )
        upn = upn_for(la, 2100, 19, serial)
        events = [
            enrolment(upn, school_urn=school, occurred_on=dt.date(2025, 9, 3), year_group=6),
            deletion(upn, school_urn=school, occurred_on=dt.date(2026, 3, 3), ground="home_education",
                     destination_kind="home_education", sen_provision="E", year_group=6),
        ]  # fmt: skip
        self.post_events(key, events)
        return self.wait_for(lambda: self.alerts_about(officer, upn), f"an alert for {upn}")[0]

    def alerts_about(self, officer: str, upn: str) -> list[dict[str, Any]]:
        """The pupil's alerts on the officer's list (which states a purpose, as it must)."""
        params = {"per_page": 500, "purpose": "test"}
        listed = self.call("GET", "/v1/alerts", officer, params=params).json()["alerts"]
        return [alert for alert in listed if alert["upn"] == upn]

    def wait_for(self, read: Callable[[], T], what: str, timeout_s: float = 120) -> T:
        """What `read` returns once it is truthy (the pipeline is asynchronous; generous, as on CI
        the whole suite shares two cores with Chromium and the broker)."""
        return self.product.wait_for(read, what, timeout_s)


def issue_key(product: RunningProduct, bootstrap: str, role: str, **scope: Any) -> str:
    """Issued as `rollwatch keys create` does, signed with the product's secret, in this process."""
    return product.issue_key(bootstrap, role, **scope)


@contextmanager
def console_product(bootstrap: str, workdir: Path, **settings: str) -> Iterator[ConsoleProduct]:
    with rollwatch_process(bootstrap, workdir, alert_tick_seconds="0.5", **settings) as product:
        yield ConsoleProduct(
            product,
            school_key=product.issue_key(bootstrap, "school", urns=(SCHOOL,)),
            officer=product.issue_key(bootstrap, "la_officer", la_code="886", name="Sam Patel"),
            colleague=product.issue_key(bootstrap, "la_officer", la_code="886", name="Zoe Adams"),
            other_la_officer=product.issue_key(bootstrap, "la_officer", la_code="330", name="Ola Other"),
            other_school_key=product.issue_key(bootstrap, "school", urns=(OTHER_LA_SCHOOL,)),
            bootstrap=bootstrap,
        )
