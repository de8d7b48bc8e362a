"""The statistics pages' tables and the figures they come from: pure, no engine."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from rollwatch.app.console.statistics_tables import Chart, Table, dashboard_tables, table_named
from services.alerts.lifecycle import Alert
from services.alerts.statistics import _open_alerts, year_earlier

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _alert(rule: str, days_open: int, status: str = "open") -> Alert:
    opened = NOW - dt.timedelta(days=days_open)
    return Alert(
        alert_id=f"{days_open:032x}", fingerprint="f" * 32, rule=rule, severity="high", la_code="886",
        school_urn="100050", upn=None, evidence=(), reason="r", statutory_reference="s", as_of=opened.date(),
        key_event_id=None, due_on=None, status=status, opened_at=opened, updated_at=opened, seq=1,
        transition="opened", parameters_version="t",
    )  # fmt: skip


def test_open_alerts_are_counted_by_rule_and_days_open() -> None:
    alerts = [_alert("no_destination", d) for d in (0, 6, 7, 27, 28, 90, 91)]
    alerts += [_alert("ehe_vulnerable", 3), _alert("ehe_vulnerable", 3, status="resolved")]
    found = _open_alerts(alerts, NOW.date(), lambda a: True)
    assert found["total"] == 8
    assert found["by_rule"][0] == {
        "rule": "no_destination", "title": "Off roll with no known destination", "total": 7,
        "by_age": {"Under a week": 2, "1 to 4 weeks": 2, "4 to 13 weeks": 2, "Over 13 weeks": 1},
    }  # fmt: skip
    assert found["by_rule"][1]["total"] == 1
    assert _open_alerts(alerts, NOW.date(), lambda a: a.school_urn == "100054")["total"] == 0


def test_an_alert_raised_after_today_counts_as_under_a_week() -> None:
    # By the event-time clock `today` is the latest event's day; an alert can be raised after it.
    found = _open_alerts([_alert("no_destination", -2)], NOW.date(), lambda a: True)
    assert found["by_rule"][0]["by_age"]["Under a week"] == 1


def test_a_year_earlier() -> None:
    assert year_earlier(dt.date(2026, 8, 31)) == dt.date(2025, 8, 31)
    assert year_earlier(dt.date(2024, 2, 29)) == dt.date(2023, 2, 28)


def test_a_table_is_its_csv_and_its_chart_says_what_it_shows() -> None:
    table = Table(
        "by_school", "Unexplained exits by school", ("School", "Unexplained exits", "Roll", "% of roll"),
        [("Millhurst", 6, 10, 60.0), ("Christ Church", 1, 0, None)],
        Chart((1,), horizontal=True, average=3.5, average_label="LA average per school"),
    )  # fmt: skip
    assert table.csv().splitlines() == [
        "School,Unexplained exits,Roll,% of roll", "Millhurst,6,10,60.0", "Christ Church,1,0,",
    ]  # fmt: skip
    assert table.numeric == [False, True, True, True]
    assert table.alt() == (
        "Horizontal bar chart of unexplained exits by school. Highest unexplained exits: Millhurst: 6; "
        "Christ Church: 1. LA average per school: 3.5. Every number is in the table."
    )
    assert "nothing to show" in replace(table, rows=[]).alt()


def test_the_dashboards_tables_hold_the_figures() -> None:
    figures = {
        "from": "2025-09-01", "to": "2026-08-31",
        "unexplained_by_school": {
            "la_average": 3.5, "schools_averaged": 2, "schools_over_threshold": 1,
            "threshold": {"min_pupils": 5, "min_percent_of_roll": 5.0},
            "schools": [{"urn": "100050", "name": "Millhurst", "exits": 7, "unexplained": 6, "roll": 10,
                         "unexplained_percent_of_roll": 60.0, "over_threshold": True}],
        },
        "exits_by_month": {
            "year_before": {"from": "2024-09-01", "to": "2025-08-31"},
            "months": [{"month": "2025-09", "exits": 2, "unexplained": 1,
                        "year_before": {"month": "2024-09", "exits": 1, "unexplained": 0}}],
        },
        "year_10_11": [{"year_group": 10, "exits": 2, "explained": 0, "unexplained": 2}],
        "home_education_by_sen": [{"sen_provision": "K", "label": "SEN support", "deletions": 1}],
        "ap_placements": {"as_of": "2026-11-30", "open": 2, "review_overdue": 1},
        "open_alerts": {"as_of": "2026-11-30", "age_bands": ["Under a week"], "total": 1,
                        "by_rule": [{"rule": "x", "title": "X", "total": 1, "by_age": {"Under a week": 1}}]},
    }  # fmt: skip
    tables = dashboard_tables(figures)
    by_school = table_named(tables, "unexplained_by_school")
    assert by_school is not None and by_school.rows == [("Millhurst", 6, 7, 10, 60.0, "Yes")]
    assert by_school.links == ["/schools/100050?from=2025-09-01&to=2026-08-31"]
    assert by_school.chart is not None and by_school.chart.highlight == 5
    month = table_named(tables, "exits_by_month")
    assert month is not None and month.rows == [("Sep 2025", 2, 1, 1, 0)]
    assert [t.key for t in tables] == [
        "unexplained_by_school", "exits_by_month", "year_10_11", "home_education_by_sen", "ap_placements",
        "open_alerts",
    ]  # fmt: skip
    assert table_named(tables, "nothing") is None
