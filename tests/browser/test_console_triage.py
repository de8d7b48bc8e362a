"""An LA officer works an alert in the console, in a real Chromium against the real product: sign
in with the key, the alert raised by events posted to the API is in the inbox, open it (giving the
purpose), acknowledge, assign, record an enquiry, add a note, resolve with an outcome. The JSON API
shows the same lifecycle. Every page passes an axe-core scan (no serious or critical violation),
and the triage path works with the keyboard alone."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.brokers import KafkaForTests
from tests.support.browser import assert_accessible, focused_text, screenshot, tab_to
from tests.support.browser import sign_in as browser_sign_in
from tests.support.cli import ROOT
from tests.support.console import ConsoleProduct, console_product

pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]

DOCS_IMAGES = ROOT / "docs" / "images"
# The README's screenshots are refreshed only when asked (ROLLWATCH_UPDATE_SCREENSHOTS=1), so that a
# test run leaves the tracked files alone; every run still saves its own in browser-screenshots/.
README_SHOTS = DOCS_IMAGES if os.environ.get("ROLLWATCH_UPDATE_SCREENSHOTS") == "1" else None


@pytest.fixture(scope="module")
def running(
    _kafka_broker: KafkaForTests, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConsoleProduct]:
    with console_product(_kafka_broker.bootstrap, tmp_path_factory.mktemp("console") / "product") as product:
        yield product


def sign_in(page: Page, running: ConsoleProduct, key: str) -> None:
    browser_sign_in(page, running.url, key)


def expect_banner(page: Page, text: str) -> None:
    expect(page.locator(".govuk-notification-banner").get_by_text(text)).to_be_visible()


def test_an_officer_triages_and_resolves_an_alert(page: Page, running: ConsoleProduct) -> None:
    alert = running.raise_alert(21)
    page.goto(running.url + "/")
    expect(page).to_have_url(f"{running.url}/sign-in?next=%2F")
    expect(page.get_by_role("heading", name="Sign in to Rollwatch")).to_be_visible()
    screenshot(page, "console-sign-in")
    assert_accessible(page, "sign in")

    sign_in(page, running, running.officer)
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()
    expect(page.get_by_text("Signed in as Sam Patel, LA 886")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=alert["upn"])
    expect(row).to_contain_text("Home education of a pupil with needs or recent exclusions")
    expect(row).to_contain_text("Open")
    expect(row).to_contain_text("No one")
    expect(row.get_by_role("cell").nth(1)).to_have_text("6")  # year group, from the ledger
    screenshot(page, "console-inbox", also=README_SHOTS and README_SHOTS / "console-inbox.png")
    assert_accessible(page, "inbox")

    # Filters narrow the inbox without JavaScript's help (a GET form).
    page.get_by_label("Severity").select_option("low")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("No alerts match these filters.")).to_be_visible()
    page.get_by_role("link", name="Clear filters").click()

    page.get_by_role("link", name=alert["upn"]).click()
    expect(page.get_by_role("heading", name="Why are you opening this alert?")).to_be_visible()
    screenshot(page, "console-purpose")
    assert_accessible(page, "purpose")
    page.get_by_role("button", name="Open the alert").click()

    heading = f"Home education of a pupil with needs or recent exclusions: {alert['upn']}"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_text("Taken off the school's roll")).to_be_visible()
    expect(page.get_by_text("Statutory reference:")).to_be_visible()
    page.get_by_role("button", name="Acknowledge").click()
    expect_banner(page, "Alert acknowledged")

    page.get_by_label("Assign to").select_option(label="Zoe Adams")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect_banner(page, "Alert assigned to Zoe Adams")

    page.get_by_label("Enquiry made").select_option("parents_contacted")
    page.get_by_label("What you found (optional)").fill("Rang the parents: the child is being home educated.")
    page.get_by_role("button", name="Record enquiry").click()
    expect_banner(page, "Enquiry recorded: Parents or carers contacted")

    page.get_by_label("Add a note").fill("EHE team to visit next week.")
    page.get_by_role("button", name="Add note").click()
    expect_banner(page, "Note added")
    screenshot(page, "console-alert", also=README_SHOTS and README_SHOTS / "console-alert.png")
    assert_accessible(page, "alert")

    # The note is required to resolve.
    page.get_by_label("Outcome").select_option("referred_to_ehe")
    page.get_by_role("button", name="Resolve alert").click()
    expect(page.get_by_text("Enter a note saying how the alert was resolved")).to_be_visible()
    page.get_by_label("Outcome").select_option("referred_to_ehe")
    page.get_by_label("How it was resolved").fill("Referred to the EHE team; plan in place.")
    page.get_by_role("button", name="Resolve alert").click()
    expect_banner(page, "Alert resolved: Referred to the elective home education team")
    screenshot(page, "console-alert-resolved")

    # The JSON API shows the same lifecycle, attributed to the officer by key id and name.
    officer_id = running.officer.split("_")[1]
    detail = running.call(
        "GET", f"/v1/alerts/{alert['alert_id']}", running.officer, params={"purpose": "test check"}
    ).json()
    steps = detail["history"]
    assert [s["transition"] for s in steps] == [
        "opened", "acknowledged", "assigned", "enquiry_recorded", "note_added", "resolved"
    ]  # fmt: skip
    assert {s["actor"] for s in steps[1:]} == {f"key:{officer_id}"}
    assert {s["actor_name"] for s in steps[1:]} == {"Sam Patel"}
    assert steps[2]["assignee_name"] == "Zoe Adams"
    assert steps[5]["outcome"] == "referred_to_ehe"
    assert detail["alert"]["status"] == "resolved"

    # Resolved alerts leave the default inbox and show under their status.
    page.get_by_role("link", name="Inbox").click()
    expect(page.get_by_role("row").filter(has_text=alert["upn"])).to_have_count(0)
    page.get_by_role("link", name="My alerts").click()
    expect(page.get_by_role("heading", name="My alerts")).to_be_visible()
    assert_accessible(page, "my alerts")


def test_silences_are_listed_added_and_ended(page: Page, running: ConsoleProduct) -> None:
    sign_in(page, running, running.colleague)
    page.get_by_role("link", name="Silences").click()
    expect(page.get_by_text("No silence is in force.")).to_be_visible()
    page.get_by_label("Rule").select_option("high_mobility")
    page.get_by_label("For how many days").fill("400")
    page.get_by_label("Reason").fill("Known traveller families this term")
    page.get_by_role("button", name="Add silence").click()
    expect(page.get_by_text("Enter a number of days from 1 to 30")).to_be_visible()
    page.get_by_label("Rule").select_option("high_mobility")
    page.get_by_label("Reason").fill("Known traveller families this term")
    page.get_by_role("button", name="Add silence").click()
    expect_banner(page, "Silence added")
    expect(page.get_by_role("cell", name="Frequent changes of school")).to_be_visible()
    screenshot(page, "console-silences")
    assert_accessible(page, "silences")
    listed = running.call("GET", "/v1/silences", running.officer).json()["silences"]
    assert [(s["author_name"], s["active"]) for s in listed] == [("Zoe Adams", True)]
    page.get_by_role("button", name="End now").click()
    expect_banner(page, "Silence ended")
    expect(page.get_by_text("No silence is in force.")).to_be_visible()
    assert running.call("GET", "/v1/silences", running.officer).json()["silences"][0]["active"] is False


def test_the_triage_path_works_with_the_keyboard_alone(page: Page, running: ConsoleProduct) -> None:
    alert = running.raise_alert(22)
    page.goto(f"{running.url}/sign-in")
    tab_to(page, "#api-key")
    page.keyboard.type(running.colleague)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Signed in as Zoe Adams, LA 886")).to_be_visible()

    tab_to(page, f"a[href='/alerts/{alert['alert_id']}']")
    assert alert["upn"] in focused_text(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Why are you opening this alert?")).to_be_visible()
    tab_to(page, "button[type=submit]:not(.govuk-button--secondary)")
    page.keyboard.press("Enter")

    expect(page.get_by_role("button", name="Acknowledge")).to_be_visible()
    tab_to(page, "form[action$='/acknowledge'] button")
    page.keyboard.press("Enter")
    expect_banner(page, "Alert acknowledged")
    tab_to(page, "#assign-to")  # Zoe herself is selected: assign to me
    tab_to(page, "form[action$='/assign'] button")
    page.keyboard.press("Enter")
    expect_banner(page, "Alert assigned to Zoe Adams")
    tab_to(page, "#resolve-outcome")
    page.keyboard.press("ArrowDown")  # the first outcome
    tab_to(page, "#resolve-note")
    page.keyboard.type("Family confirmed home education in writing.")
    tab_to(page, "form[action$='/resolve'] button")
    page.keyboard.press("Enter")
    expect_banner(page, "Alert resolved")
    status = running.call(
        "GET", "/v1/alerts", running.colleague, params={"status": "resolved", "purpose": "test"}
    ).json()
    assert alert["alert_id"] in {a["alert_id"] for a in status["alerts"]}


def test_docs_screenshots_exist() -> None:
    # Committed for the README (refreshed by the first test with ROLLWATCH_UPDATE_SCREENSHOTS=1).
    for name in ("console-inbox.png", "console-alert.png"):
        assert (DOCS_IMAGES / name).stat().st_size > 10_000, name
    assert Path(DOCS_IMAGES).is_dir()
