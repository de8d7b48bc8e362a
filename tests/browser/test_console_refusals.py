"""What the console refuses, in a real Chromium against the real product: a wrong key cannot sign
in, and a school's or an auditor's key reaches no page of another role; an idle session expires;
a form posted without its CSRF token changes nothing; another LA's alert is not found."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.brokers import KafkaForTests
from tests.support.browser import screenshot
from tests.support.browser import sign_in as browser_sign_in
from tests.support.console import ConsoleProduct, console_product

pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]

IDLE_SECONDS = 6


@pytest.fixture(scope="module")
def running(
    _kafka_broker: KafkaForTests, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConsoleProduct]:
    with console_product(
        _kafka_broker.bootstrap, tmp_path_factory.mktemp("console-refusals") / "product",
        console_idle_minutes=str(IDLE_SECONDS / 60),
    ) as product:  # fmt: skip
        yield product


def sign_in(page: Page, running: ConsoleProduct, key: str) -> None:
    browser_sign_in(page, running.url, key)


def test_only_a_live_key_signs_in_and_each_role_sees_only_its_pages(
    page: Page, running: ConsoleProduct
) -> None:
    for key in ("rw_000000000000_" + "x" * 43, "not a key"):
        sign_in(page, running, key)
        expect(
            page.get_by_role("link", name="The key is not recognised, or it has been revoked")
        ).to_be_visible()
        expect(page).to_have_title(re.compile(r"^Sign in"))
        page.goto(f"{running.url}/")
        expect(page).to_have_url(f"{running.url}/sign-in?next=%2F")
    screenshot(page, "console-sign-in-refused")
    # A school and an auditor sign in to read timelines (and, for an auditor, the ledger's pages),
    # never to work alerts.
    for key, who, refused in (
        (running.school_key, "school URN 100046", "/ledger"),
        (running.product.auditor_key, "auditor", "/silences"),
    ):
        sign_in(page, running, key)
        expect(page).to_have_url(f"{running.url}/pupils")
        expect(page.get_by_text(f", {who}")).to_be_visible()
        response = page.goto(f"{running.url}{refused}")
        assert response is not None and response.status == 403
        expect(page.get_by_role("heading", name="You cannot do that")).to_be_visible()
        page.get_by_role("button", name="Sign out").click()


def test_an_idle_session_expires(page: Page, running: ConsoleProduct) -> None:
    sign_in(page, running, running.officer)
    expect(page.get_by_text("Signed in as Sam Patel, LA 886")).to_be_visible()
    page.goto(f"{running.url}/silences")
    expect(page.get_by_role("heading", name="Silences")).to_be_visible()
    time.sleep(IDLE_SECONDS + 1.5)
    page.goto(f"{running.url}/silences")
    expect(page).to_have_url(f"{running.url}/sign-in?next=%2Fsilences")
    # Signing in again goes back to where the officer was.
    page.get_by_label("API key").fill(running.officer)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{running.url}/silences")


def test_a_form_without_its_csrf_token_changes_nothing(page: Page, running: ConsoleProduct) -> None:
    alert = running.raise_alert(31)
    sign_in(page, running, running.officer)
    expect(page.get_by_text("Signed in as Sam Patel, LA 886")).to_be_visible()
    # The browser's own cookies, a forged form: no token, then a wrong one.
    for form in ({}, {"csrf_token": "forged"}):
        forged = page.request.post(f"{running.url}/alerts/{alert['alert_id']}/acknowledge", form=form)
        assert forged.status == 403
        assert "The form has expired" in forged.text()
    signed_out = page.request.post(f"{running.url}/sign-out", form={}, max_redirects=0)
    assert signed_out.status == 403
    now = running.call("GET", "/v1/alerts", running.officer, params={"purpose": "test"}).json()["alerts"]
    assert [a["status"] for a in now if a["alert_id"] == alert["alert_id"]] == ["open"]


def test_another_las_alert_is_not_found(page: Page, running: ConsoleProduct) -> None:
    theirs = running.raise_alert(41, school="100012", la=330)
    sign_in(page, running, running.officer)
    expect(page.get_by_text("Signed in as Sam Patel, LA 886")).to_be_visible()
    response = page.goto(f"{running.url}/alerts/{theirs['alert_id']}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    acted = page.request.post(f"{running.url}/alerts/{theirs['alert_id']}/acknowledge", form={})
    assert acted.status in (403, 404)
    assert page.goto(f"{running.url}/alerts/not-an-id") is not None
    screenshot(page, "console-not-found")
