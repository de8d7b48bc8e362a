"""The statistics pages in a real Chromium against the real product, the ledger filled through the
real pipeline (events posted to the API, Kafka, the tracker, the statistics views): the LA
dashboard's and a school page's tables hold the JSON API's figures for the same period and their
charts draw those numbers; another LA's dashboard and schools are not found; without JavaScript
the tables still give every number; axe-core finds no serious or critical violation."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.brokers import KafkaForTests
from tests.support.browser import axe_violations, screenshot
from tests.support.browser import sign_in as browser_sign_in
from tests.support.cli import ROOT
from tests.support.console import ConsoleProduct, console_product, issue_key
from tests.support.events import deletion, enrolment, upn_for

pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]

D = dt.date.fromisoformat
PERIOD = {"from": "2025-09-01", "to": "2026-08-31"}
SECONDARY, PRIMARY = "100050", "100054"  # Millhurst Community College (to 16), Christ Church Primary
README_SHOT = (
    ROOT / "docs" / "images" / "dashboard.png"
    if os.environ.get("ROLLWATCH_UPDATE_SCREENSHOTS") == "1"
    else None
)


def _ap_referral(upn: str, on: dt.date, review_by: dt.date) -> dict[str, Any]:
    event = enrolment(upn, school_urn=SECONDARY, occurred_on=on, year_group=9)
    event["type"] = "pupil.ap_referred"
    event["data"] = {
        "provider": {"urn": "100035"}, "arrangement": "la_arranged", "tier": "targeted",
        "start_on": on.isoformat(), "review_by": review_by.isoformat(),
        "planned_end_on": (review_by + dt.timedelta(days=60)).isoformat(),
        "objective": "Re-engage with learning and return full time.",
    }  # fmt: skip
    return event


def _events() -> list[dict[str, Any]]:
    """LA 886: the secondary loses 6 pupils unexplained (one to home education with SEN support,
    two in Year 10 and one in Year 11) and 1 who moved away, keeps 10 on roll (2 in AP, one review
    overdue), and lost 1 the year before; the primary loses 1 unexplained and 1 top-year leaver."""
    start = D("2025-09-03")
    upn = iter(upn_for(886, 4000, 25, n) for n in range(1, 100))
    events: list[dict[str, Any]] = []
    stayers = [next(upn) for _ in range(10)]
    events += [enrolment(u, school_urn=SECONDARY, occurred_on=start, year_group=9) for u in stayers]
    events += [_ap_referral(stayers[0], D("2026-01-05"), D("2026-02-05")),
               _ap_referral(stayers[1], D("2026-10-01"), D("2026-12-31"))]  # fmt: skip
    leavers = [
        dict(year_group=10, ground="home_education", destination_kind="home_education", sen_provision="K",
             occurred_on=D("2026-01-12")),
        dict(year_group=11, ground="absent_20_days", destination_kind="unknown", sen_provision="E",
             occurred_on=D("2026-02-02")),
        dict(year_group=9, occurred_on=D("2026-02-10")),
        dict(year_group=9, occurred_on=D("2026-03-02")),
        dict(year_group=10, occurred_on=D("2026-03-02")),
        dict(year_group=8, occurred_on=D("2026-05-05")),
        dict(year_group=9, ground="moved_away", destination_kind="moved_away", occurred_on=D("2026-03-10")),
    ]  # fmt: skip
    for leaver in leavers:
        pupil = next(upn)
        year = int(leaver["year_group"])  # type: ignore[call-overload]
        sen = str(leaver.get("sen_provision", "N"))
        events.append(
            enrolment(pupil, school_urn=SECONDARY, occurred_on=start, year_group=year, sen_provision=sen)
        )
        events.append(deletion(pupil, school_urn=SECONDARY, **leaver))  # type: ignore[arg-type]
    earlier = next(upn)
    events += [enrolment(earlier, school_urn=SECONDARY, occurred_on=D("2024-09-03"), year_group=10),
               deletion(earlier, school_urn=SECONDARY, occurred_on=D("2024-10-14"))]  # fmt: skip
    for year, left_on in ((4, D("2026-02-02")), (6, D("2026-07-20"))):
        pupil = next(upn)
        events += [enrolment(pupil, school_urn=PRIMARY, occurred_on=start, year_group=year),
                   deletion(pupil, school_urn=PRIMARY, occurred_on=left_on, year_group=year)]  # fmt: skip
    return events


@pytest.fixture(scope="module")
def running(
    _kafka_broker: KafkaForTests, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConsoleProduct]:
    workdir = tmp_path_factory.mktemp("console-statistics") / "product"
    with console_product(_kafka_broker.bootstrap, workdir) as product:
        writer = issue_key(product.product, _kafka_broker.bootstrap, "school", urns=(SECONDARY, PRIMARY))
        posted = product.call("POST", "/v1/events", writer, json={"events": _events()})
        assert posted.status_code == 202 and posted.json()["rejected"] == [], posted.text
        _settled(product, lambda f: f["exits"]["exits"] == 9 and f["ap_placements"]["open"] == 2)
        yield product


def _api(running: ConsoleProduct, path: str, **params: str) -> dict[str, Any]:
    answer = running.call(
        "GET", path, running.officer, params={**PERIOD, "purpose": "browser test", **params}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _settled(running: ConsoleProduct, ready: Any, timeout_s: float = 90) -> dict[str, Any]:
    """The dashboard's figures once the pipeline has caught up and the alerts stopped changing."""
    deadline, last = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        figures = _api(running, "/v1/las/886/dashboard")
        if ready(figures) and figures == last:
            return figures
        last = figures
        time.sleep(1.5)
    raise AssertionError(f"the figures did not settle: {last}\n{running.product.log()[-2000:]}")


def _sign_in(page: Page, running: ConsoleProduct, then: str) -> None:
    browser_sign_in(page, running.url, running.officer, then)
    expect(page.get_by_role("heading", name="Why are you reading these statistics?")).to_be_visible()
    page.get_by_role("button", name="Continue").click()


def _number(text: str) -> float | None:
    """A cell's number ('1,234', '60.0'); None for the not-applicable dash."""
    found = re.search(r"-?[\d,]+(?:\.\d+)?", text)
    return float(found.group().replace(",", "")) if found else None


def _table(page: Page, key: str) -> list[list[Any]]:
    """A figure's table as a person reads it: the row's label, then its numbers."""
    rows = page.locator(f"#{key}-table tbody tr")
    found = []
    for n in range(rows.count()):
        cells = rows.nth(n).locator("th, td").all_inner_texts()
        found.append(
            [
                cells[0].strip(),
                *(
                    _number(c) if (re.search(r"\d", c) or "not applicable" in c) else c.strip()
                    for c in cells[1:]
                ),
            ]
        )
    return found


def _chart(page: Page, key: str) -> list[list[float | None]]:
    """What Chart.js drew for a figure: each dataset's values (the flagged split summed back)."""
    drawn: list[list[float | None]] = page.evaluate(
        """(key) => {
            const chart = Chart.getChart(document.querySelector(`[data-chart="${key}-table"] canvas`))
            return chart.data.datasets.filter((d) => d.type !== 'line').map((d) => d.data)
        }""",
        key,
    )
    return drawn


def _column(rows: list[list[Any]], index: int) -> list[Any]:
    return [row[index] for row in rows]


def _accessible(page: Page, name: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{name}: {violations}"


def test_the_dashboard_shows_the_apis_figures_in_tables_and_charts(
    page: Page, running: ConsoleProduct
) -> None:
    figures = _settled(running, lambda f: f["open_alerts"]["total"] > 0)
    _sign_in(page, running, f"/las/886?from={PERIOD['from']}&to={PERIOD['to']}")
    expect(page.get_by_role("heading", name="Dashboard: Kent")).to_be_visible()
    expect(page.get_by_text("These are statistics, not findings.")).to_be_visible()
    expect(page.locator("[data-chart] canvas").first).to_be_visible()

    schools = figures["unexplained_by_school"]
    assert _table(page, "unexplained_by_school") == [
        [s["name"], s["unexplained"], s["exits"], s["roll"], s["unexplained_percent_of_roll"],
         "Yes" if s["over_threshold"] else "No"]
        for s in schools["schools"]
    ]  # fmt: skip
    assert [s["urn"] for s in schools["schools"]] == [SECONDARY, PRIMARY]
    assert (schools["schools"][0]["unexplained"], schools["schools"][0]["roll"]) == (6, 10)
    assert [s["over_threshold"] for s in schools["schools"]] == [True, False]
    months = figures["exits_by_month"]["months"]
    assert _column(_table(page, "exits_by_month"), 1) == [m["exits"] for m in months]
    assert _column(_table(page, "exits_by_month"), 3) == [m["year_before"]["exits"] for m in months]
    assert sum(m["year_before"]["exits"] for m in months) == 1
    assert _table(page, "year_10_11") == [
        [f"Year {y['year_group']}", y["exits"], y["explained"], y["unexplained"]]
        for y in figures["year_10_11"]
    ]
    assert [y["unexplained"] for y in figures["year_10_11"]] == [2, 1]
    assert _table(page, "home_education_by_sen") == [
        [row["label"], row["deletions"]] for row in figures["home_education_by_sen"]
    ]
    ap = figures["ap_placements"]
    assert (ap["open"], ap["review_overdue"]) == (2, 1)
    assert _column(_table(page, "ap_placements"), 1) == [ap["open"], ap["review_overdue"]]
    alerts = figures["open_alerts"]
    assert _table(page, "open_alerts") == [
        [r["title"], r["total"], *(r["by_age"][band] for band in alerts["age_bands"])]
        for r in alerts["by_rule"]
    ]
    # The charts draw the tables' numbers.
    by_school = _chart(page, "unexplained_by_school")
    assert [a if a is not None else b for a, b in zip(*by_school, strict=True)] == [6, 1]
    assert _chart(page, "exits_by_month") == [
        [m["exits"] for m in months],
        [m["year_before"]["exits"] for m in months],
    ]
    assert _chart(page, "ap_placements") == [[2, 1]]
    screenshot(page, "console-dashboard", also=README_SHOT)
    _accessible(page, "dashboard")

    # The phase filter: secondary schools only, as the API counts them.
    page.get_by_label("School phase").select_option("Secondary")
    page.get_by_role("button", name="Show").click()
    secondary = _api(running, "/v1/las/886/dashboard", phase="Secondary")
    assert [row[0] for row in _table(page, "unexplained_by_school")] == [
        s["name"] for s in secondary["unexplained_by_school"]["schools"]
    ]
    assert [s["urn"] for s in secondary["unexplained_by_school"]["schools"]] == [SECONDARY]
    csv = page.request.get(f"{running.url}/las/886/year_10_11.csv?from={PERIOD['from']}&to={PERIOD['to']}")
    assert csv.ok and csv.text().splitlines() == [
        "Year group,Exits,Explained,Unexplained",
        "Year 10,2,0,2",
        "Year 11,1,0,1",
    ]


def test_a_school_page_shows_the_apis_figures_and_movements(page: Page, running: ConsoleProduct) -> None:
    _sign_in(page, running, f"/las/886?from={PERIOD['from']}&to={PERIOD['to']}")
    page.get_by_role("link", name="Millhurst Community College").click()
    expect(page.get_by_role("heading", name="Millhurst Community College", exact=True)).to_be_visible()
    figures = _api(running, f"/v1/schools/{SECONDARY}/statistics")
    assert figures["exits"] == {"exits": 7, "explained": 1, "unexplained": 6}
    assert figures["roll"] == {"total": 10, "send": 0}
    assert _table(page, "exits_by_month") == [
        [
            dt.date.fromisoformat(m["month"] + "-01").strftime("%b %Y"),
            m["exits"],
            m["explained"],
            m["unexplained"],
        ]
        for m in figures["exits_by_month"]
    ]
    assert _table(page, "exits_by_ground") == [
        [g["label"], g["exits"], g["explained"], g["unexplained"]] for g in figures["exits_by_ground"]
    ]
    assert _table(page, "exits_by_year_group") == [
        [f"Year {y['year_group']}", y["exits"], y["explained"], y["unexplained"]]
        for y in figures["exits_by_year_group"]
    ]
    assert _table(page, "sen") == [
        [s["label"], s["exits"], s["percent_of_exits"], s["unexplained"], s["percent_of_unexplained"],
         s["on_roll"], s["percent_of_roll"]]
        for s in figures["sen"]
    ]  # fmt: skip
    assert _chart(page, "exits_by_ground") == [
        [g["explained"] for g in figures["exits_by_ground"]],
        [g["unexplained"] for g in figures["exits_by_ground"]],
    ]
    assert figures["alerts"], "the school's alerts"
    for alert in figures["alerts"]:
        expect(page.locator(f"a[href='/alerts/{alert['alert_id']}']")).to_be_visible()
    sent = _api(running, f"/v1/schools/{SECONDARY}/movements")["events"]
    expect(page.get_by_text(f"{len(sent)} events the school sent about this period")).to_be_visible()
    query = f"from={PERIOD['from']}&to={PERIOD['to']}"
    movements = page.request.get(f"{running.url}/schools/{SECONDARY}/movements.csv?{query}")
    assert movements.ok and len(movements.text().splitlines()) == 1 + len(sent) == 1 + 25
    screenshot(page, "console-school")
    _accessible(page, "school page")
    # The register's links: an academy names the school it replaced.
    page.goto(f"{running.url}/schools/100001")
    expect(page.get_by_role("link", name="St Mary's Church of England Primary School")).to_be_visible()


def test_another_las_pages_are_not_found_and_tables_need_no_javascript(
    browser: Browser, page: Page, running: ConsoleProduct
) -> None:
    _sign_in(page, running, "/las/886")
    for path in ("/las/330", "/schools/100012", "/las/330/year_10_11.csv", "/schools/100012/movements.csv"):
        response = page.goto(f"{running.url}{path}")
        assert response is not None and response.status == 404, path
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    refused = running.call(
        "GET", "/v1/las/330/dashboard", running.officer, params={"purpose": "browser test"}
    )
    assert refused.status_code == 403
    # Without JavaScript: no chart, every table.
    plain = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        bare = plain.new_page()
        _sign_in(bare, running, f"/las/886?from={PERIOD['from']}&to={PERIOD['to']}")
        expect(bare.get_by_role("heading", name="Dashboard: Kent")).to_be_visible()
        expect(bare.locator("[data-chart]").first).to_be_hidden()
        assert _column(_table(bare, "unexplained_by_school"), 1) == [6, 1]
        assert bare.locator("table").count() == 6
    finally:
        plain.close()


def test_the_readme_screenshot_exists() -> None:
    # Committed for the README (refreshed by the first test with ROLLWATCH_UPDATE_SCREENSHOTS=1).
    assert (ROOT / "docs" / "images" / "dashboard.png").stat().st_size > 10_000
