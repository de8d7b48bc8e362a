"""Auditors, officers and schools read a pupil's timeline, and auditors check the ledger and read
the access log, in a real Chromium against the real product, the ledger filled through the real
pipeline (API, Kafka, tracker): a pupil found by a former UPN shows the whole timeline with a
retracted event marked; an officer of another LA and a school the pupil never attended get 404;
"verify now" on a ledger tampered with names the first break. Every new page passes axe-core."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.support.brokers import KafkaForTests
from tests.support.browser import assert_accessible, screenshot
from tests.support.browser import sign_in as browser_sign_in
from tests.support.cli import ROOT
from tests.support.console import ConsoleProduct, console_product
from tests.support.events import deletion, enrolment, retraction, suspension, temporary_upn_for, upn_for
from tests.support.tamper import tamper

pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]

PRIMARY, PRIMARY_LAESTAB = "100054", "8862005"  # Christ Church Primary School, LA 886
SECONDARY, SECONDARY_LAESTAB = "100050", "8864000"  # Millhurst Community College, LA 886
TIMELINE_PNG = ROOT / "docs" / "images" / "timeline.png"
# Refreshed only when asked, as the README's other screenshots are (tests/browser/test_console_triage.py).
README_SHOT = TIMELINE_PNG if os.environ.get("ROLLWATCH_UPDATE_SCREENSHOTS") == "1" else None
D = dt.date.fromisoformat


@dataclass
class Pupil:
    former: str  # the temporary UPN the school gave first
    upn: str  # the permanent one that replaced it
    withdrawn: dict[str, object]  # the suspension the school withdrew
    left: dict[str, object]  # the deletion for home education


@pytest.fixture(scope="module")
def running(
    _kafka_broker: KafkaForTests, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConsoleProduct]:
    with console_product(
        _kafka_broker.bootstrap, tmp_path_factory.mktemp("console-audit") / "product"
    ) as product:
        yield product


@pytest.fixture(scope="module")
def auditor(running: ConsoleProduct) -> str:
    key = running.issue_key("auditor", name="Amira Shah")
    running.wait_for(
        lambda: running.call("GET", "/v1/access-log", key).status_code == 200, "the auditor's key"
    )
    return key


@pytest.fixture(scope="module")
def pupil(running: ConsoleProduct) -> Pupil:
    """A primary-to-secondary pupil under a temporary then a permanent UPN, a suspension sent for
    the wrong pupil and withdrawn, then taken off roll for home education with an EHC plan (which
    raises an alert): posted to the API by the schools' key, as their MIS would."""
    schools = running.issue_key("school", urns=(PRIMARY, SECONDARY))
    former, upn = temporary_upn_for(886, 2005, 25, 4), upn_for(886, 2005, 25, 5)
    suspended = suspension(upn, school_urn=SECONDARY, occurred_on=D("2025-11-10"), sessions=4, year_group=7,
                           sen_provision="E")  # fmt: skip
    left = deletion(upn, school_urn=SECONDARY, occurred_on=D("2026-03-03"), ground="home_education",
                    destination_kind="home_education", sen_provision="E", year_group=7)  # fmt: skip
    running.post_events(schools, [
        enrolment(former, school_urn=PRIMARY, occurred_on=D("2024-09-04"), year_group=5, sen_provision="E"),
        enrolment(upn, former_upn=former, school_urn=PRIMARY, occurred_on=D("2024-10-07"), year_group=5,
                  sen_provision="E"),
        deletion(upn, school_urn=PRIMARY, occurred_on=D("2025-07-18"), ground="other_school",
                 destination_laestab=SECONDARY_LAESTAB, sen_provision="E", year_group=6),
        enrolment(upn, school_urn=SECONDARY, occurred_on=D("2025-09-03"), year_group=7, sen_provision="E",
                  previous_school=PRIMARY_LAESTAB),
        suspended,
        retraction(suspended, reason="Sent for the wrong pupil."),
        left,
    ])  # fmt: skip
    officer_alerts = running.wait_for(lambda: running.alerts_about(running.officer, upn), "the pupil's alert")
    assert [a["rule"] for a in officer_alerts] == ["ehe_vulnerable"]
    return Pupil(former, upn, suspended, left)


def sign_in(page: Page, running: ConsoleProduct, key: str) -> None:
    browser_sign_in(page, running.url, key)


def test_an_auditor_finds_a_pupil_by_a_former_upn_and_reads_the_whole_timeline(
    page: Page, running: ConsoleProduct, pupil: Pupil, auditor: str
) -> None:
    sign_in(page, running, auditor)
    expect(page).to_have_url(f"{running.url}/pupils")  # an auditor starts at the pupil search
    menu = page.get_by_role("navigation", name="Menu")
    expect(menu.get_by_role("link")).to_have_text(["Pupils", "Ledger integrity", "Access log"])
    assert_accessible(page, "pupil search")
    page.get_by_label("Unique pupil number (UPN)").fill("not a upn")
    page.get_by_role("button", name="Find the pupil").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a UPN of 13 characters")

    page.get_by_label("Unique pupil number (UPN)").fill(pupil.former.lower())
    page.get_by_role("button", name="Find the pupil").click()
    expect(page.get_by_role("heading", name="Why are you opening this pupil's timeline?")).to_be_visible()
    assert_accessible(page, "purpose")
    page.get_by_label("Audit or quality assurance of the records").check()
    page.get_by_role("button", name="Open the timeline").click()

    expect(page.get_by_role("heading", name=f"UPN {pupil.former}")).to_be_visible()
    expect(page.get_by_text("You searched for a former UPN")).to_contain_text(pupil.upn)
    items = page.locator(".moj-timeline__item")
    expect(items).to_have_count(7)  # every event of both UPNs, newest first
    expect(items.first).to_contain_text("Taken off roll for home education (reg 9(1)(f))")
    expect(items.first).to_contain_text("by Millhurst Community College (URN 100050)")
    withdrawn = page.locator(f"#event-{pupil.withdrawn['event_id']}")
    expect(withdrawn.locator(".govuk-tag")).to_have_text("Withdrawn")
    expect(withdrawn).to_contain_text("Withdrawn by the school on 11 Nov 2025: Sent for the wrong pupil.")
    expect(page.locator(".rw-retracted")).to_have_count(1)
    expect(items.filter(has_text="Destination: another school, Millhurst Community College")).to_have_count(1)
    expect(items.last).to_contain_text(f"Recorded under UPN {pupil.former}")
    summary = page.locator(".govuk-summary-list")
    expect(summary).to_contain_text("Not on any school's roll that Rollwatch knows of")
    expect(summary).to_contain_text("Last left Millhurst Community College on 3 Mar 2026")
    alerts = page.get_by_role("table").filter(has_text="Home education of a pupil with needs")
    expect(alerts).to_contain_text("Open")
    screenshot(page, "console-timeline", also=README_SHOT)
    assert_accessible(page, "timeline")

    # Written to the access log as the API's read is: the UPN asked for, the purpose, the rows.
    entries = running.call("GET", "/v1/access-log", auditor,
                           params={"subject": pupil.former}).json()["entries"]  # fmt: skip
    assert [(e["action"], e["purpose"], e["rows"]) for e in entries] == [
        ("pupil_history", "Audit or quality assurance of the records", 7)
    ]


def test_another_las_officer_and_another_school_get_404(
    page: Page, running: ConsoleProduct, pupil: Pupil, auditor: str
) -> None:
    sign_in(page, running, running.other_la_officer)
    expect(page.get_by_text("Signed in as Ola Other, LA 330")).to_be_visible()
    page.goto(f"{running.url}/pupils/{pupil.upn}")
    page.get_by_role("button", name="Open the timeline").click()  # the purpose comes first, as in the API
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert page.request.get(f"{running.url}/pupils/{pupil.upn}").status == 404
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, running, running.other_school_key)  # a school reads without stating a purpose
    response = page.goto(f"{running.url}/pupils/{pupil.former}")
    assert response is not None and response.status == 404
    # The refused reads are logged too, with no rows shown.
    entries = running.call("GET", "/v1/access-log", auditor,
                           params={"subject": pupil.upn}).json()["entries"]  # fmt: skip
    assert [(e["role"], e["rows"]) for e in entries][-2:] == [("la_officer", 0), ("la_officer", 0)]


def test_the_access_log_filters_and_downloads(
    page: Page, running: ConsoleProduct, pupil: Pupil, auditor: str
) -> None:
    running.call(
        "GET", f"/v1/pupils/{pupil.upn}/history", running.officer, params={"purpose": "EHE visit planning"}
    )
    sign_in(page, running, auditor)
    page.get_by_role("link", name="Access log").click()
    page.get_by_label("Pupil (UPN)").fill(pupil.former)  # any of the pupil's UPNs finds both
    page.get_by_label("Purpose contains").fill("ehe visit")
    page.get_by_role("button", name="Apply filters").click()
    rows = page.locator("tbody .govuk-table__row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Sam Patel")
    expect(rows.first).to_contain_text("EHE visit planning")
    assert_accessible(page, "access log")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these entries as CSV").click()
    table = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert [(r["reader"], r["subject"], r["purpose"]) for r in table] == [
        ("Sam Patel", pupil.upn, "EHE visit planning")
    ]
    page.get_by_label("School (URN)").fill("100046")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a pupil or a school, not both")


def test_verify_now_names_the_first_break_of_a_ledger_tampered_with(
    page: Page, running: ConsoleProduct, pupil: Pupil, auditor: str
) -> None:
    sign_in(page, running, auditor)
    page.get_by_role("link", name="Ledger integrity").click()
    expect(page.get_by_role("heading", name="Latest checkpoints")).to_be_visible()
    assert_accessible(page, "ledger integrity")
    page.get_by_role("button", name="Verify now").click()
    # The job page refreshes itself (no JavaScript needed) until the verification is done.
    expect(page.get_by_role("heading", name="No break found")).to_be_visible(timeout=60_000)
    assert_accessible(page, "verification passed")

    tamper(running.product, (
        "ALTER TABLE movement_ledger UPDATE event = replace(event, '\"sen_provision\":\"E\"', "
        f"'\"sen_provision\":\"N\"') WHERE event_id = '{pupil.left['event_id']}'"
    ))  # fmt: skip
    sign_in(page, running, auditor)
    page.get_by_role("link", name="Ledger integrity").click()
    page.get_by_label("Also replay every pupil's placement").uncheck()
    page.get_by_role("button", name="Verify now").click()
    expect(page.get_by_role("heading", name="Verification found a break")).to_be_visible(timeout=60_000)
    expect(page.locator("#first-break")).to_have_text("row altered: its hash does not match its content")
    details = page.locator(".govuk-summary-list").first
    expect(details).to_contain_text("movement_ledger")
    expect(details).to_contain_text(pupil.upn)
    expect(details).to_contain_text(str(pupil.left["event_id"]))
    screenshot(page, "console-verify-break")
    assert_accessible(page, "verification break")

    # Both verifications are on record: when, by whom, what they found.
    page.get_by_role("link", name="Back to ledger integrity").click()
    results = page.get_by_role("table").first.locator("tbody .govuk-table__row")
    expect(results).to_have_count(2)
    expect(results.nth(0)).to_contain_text("Break found")
    expect(results.nth(0)).to_contain_text("without the placements replay")
    expect(results.nth(1)).to_contain_text("No break")
    expect(results.nth(1)).to_contain_text("Amira Shah")


def test_the_readmes_timeline_screenshot_exists() -> None:
    # Committed for the README (refreshed by the first test with ROLLWATCH_UPDATE_SCREENSHOTS=1).
    assert TIMELINE_PNG.stat().st_size > 10_000
