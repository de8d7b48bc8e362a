from __future__ import annotations

import datetime as dt
from dataclasses import replace

from rollwatch.app.console.inbox import InboxQuery, is_overdue, run, untouched_cutoff
from services.alerts.calendar import load_calendar
from services.alerts.lifecycle import Alert

CALENDAR = load_calendar()  # England's default term dates
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday in term
RULES = ("no_destination", "ehe_vulnerable", "high_mobility")


def alert(n: int, **changes: object) -> Alert:
    base = Alert(
        alert_id=f"{n:032x}", fingerprint=f"{n:032x}", rule="no_destination", severity="high", la_code="886",
        school_urn="100046", upn=f"A8862100190{n:02d}", evidence=("e",), reason="r", statutory_reference="s",
        as_of=T0.date(), key_event_id=None, due_on=None, status="open", opened_at=T0, updated_at=T0, seq=1,
        transition="opened",
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def test_overdue_is_counted_in_school_days_since_the_last_officer_action() -> None:
    friday = dt.date(2026, 3, 6)
    cutoff = untouched_cutoff(CALENDAR, dt.date(2026, 3, 9), 5)  # Monday: 5 school days back
    assert CALENDAR.school_days_between(cutoff, dt.date(2026, 3, 9)) == 5
    assert cutoff == dt.date(2026, 3, 2)
    assert is_overdue(alert(1), cutoff)  # opened on the cutoff day, never touched
    touched = alert(2, touched_at=dt.datetime.combine(friday, dt.time(10), dt.UTC))
    assert not is_overdue(touched, cutoff)
    assert not is_overdue(alert(3, status="resolved"), cutoff)  # closed alerts are never overdue
    # A half-term week is not counted: 16-20 Feb 2026 is the default calendar's half term.
    after_half_term = untouched_cutoff(CALENDAR, dt.date(2026, 2, 23), 5)
    assert after_half_term < dt.date(2026, 2, 16)


def test_the_query_reads_the_form_leniently() -> None:
    query = InboxQuery.from_params(
        {"status": ["resolved", "bogus"], "rule": ["ehe_vulnerable"], "severity": ["extreme"],
         "school": ["12"], "assignee": ["me"], "due_by": ["2026-03-31"], "overdue": ["yes"],
         "sort": ["newest"], "page": ["3"]},
        RULES,
    )  # fmt: skip
    assert query == InboxQuery(
        statuses=("resolved",), rule="ehe_vulnerable", assignee="me", due_by=dt.date(2026, 3, 31),
        overdue_only=True, sort="newest", page=3,
    )  # fmt: skip
    default = InboxQuery.from_params({"rule": ["nope"], "page": ["-1"], "due_by": ["31/3/2026"]}, RULES)
    assert default == InboxQuery()
    assert ("page", "2") in query.params(page=2) and ("rule", "ehe_vulnerable") in query.params()
    assert ("rule", "ehe_vulnerable") not in query.params(rule=None)


def test_filters_counts_order_and_pages() -> None:
    me = "key:aaaaaaaaaaaa"
    later = T0 + dt.timedelta(days=1)
    alerts = [
        alert(1, severity="low", opened_at=later),
        alert(2, rule="ehe_vulnerable", due_on=dt.date(2026, 3, 20)),
        alert(3, rule="ehe_vulnerable", due_on=dt.date(2026, 3, 10), assignee=me, touched_at=later),
        alert(4, status="resolved"),
        alert(5, rule="high_mobility", severity="medium", assignee="key:bbbbbbbbbbbb", touched_at=later),
    ]
    today = dt.date(2026, 3, 4)

    def ids(query: InboxQuery, per_page: int = 25) -> list[int]:
        page = run(alerts, query, me=me, today=today, calendar=CALENDAR, untouched_school_days=2,
                   per_page=per_page)  # fmt: skip
        return [int(row.alert.alert_id, 16) for row in page.rows]

    # Most urgent: the overdue first (2 school days untouched), then severity, due date, age.
    assert ids(InboxQuery()) == [2, 3, 5, 1]
    assert ids(InboxQuery(sort="newest")) == [1, 5, 3, 2]
    assert ids(InboxQuery(assignee="me")) == [3]
    assert ids(InboxQuery(assignee="nobody")) == [2, 1]
    assert ids(InboxQuery(overdue_only=True)) == [2]
    assert ids(InboxQuery(due_by=dt.date(2026, 3, 15))) == [3]
    assert ids(InboxQuery(statuses=("resolved",))) == [4]
    assert ids(InboxQuery(severity="medium")) == [5]
    page = run(alerts, InboxQuery(rule="ehe_vulnerable"), me=me, today=today, calendar=CALENDAR,
               untouched_school_days=2)  # fmt: skip
    # Counts per rule ignore the rule filter itself, so every rule's count stays visible.
    assert page.counts_by_rule == {"ehe_vulnerable": 2, "high_mobility": 1, "no_destination": 1}
    assert page.total == 2 and page.overdue == 1
    assert page.rows[0].open_school_days == 2
    # Pages of two: the last page is clamped.
    assert ids(InboxQuery(page=2), per_page=2) == [5, 1]
    assert ids(InboxQuery(page=9), per_page=2) == [5, 1]
