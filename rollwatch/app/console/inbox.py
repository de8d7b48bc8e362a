"""The inbox query: one LA's alerts filtered, counted per rule, ordered and paged, with the
overdue mark (untouched for N school days). Pure: it reads the alert book's per-LA index, never
renders or loads more than the page it returns."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from services.alerts.calendar import SchoolCalendar
from services.alerts.lifecycle import Alert

STATUSES = ("open", "acknowledged", "resolved", "auto_resolved")
SEVERITIES = ("high", "medium", "low")
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
Sort = Literal["urgent", "newest"]
PER_PAGE = 25


@dataclass(frozen=True)
class InboxQuery:
    statuses: tuple[str, ...] = ("open", "acknowledged")
    rule: str | None = None
    severity: str | None = None
    school: str | None = None
    assignee: str | None = None  # "me", "nobody" or "key:<id>"
    due_by: dt.date | None = None
    overdue_only: bool = False
    sort: Sort = "urgent"
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, Sequence[str]], rules: Iterable[str]) -> InboxQuery:
        """Lenient: a value that is not one of the choices is ignored, as if not given."""

        def one(name: str) -> str | None:
            values = [v.strip() for v in params.get(name, ()) if v.strip()]
            return values[-1] if values else None

        statuses = tuple(s for s in STATUSES if s in params.get("status", ()))
        rule = one("rule")
        severity = one("severity")
        school = one("school")
        assignee = one("assignee")
        due_by = _date(one("due_by"))
        page = one("page")
        sort = one("sort")
        return cls(
            statuses=statuses or cls.statuses,
            rule=rule if rule in set(rules) else None,
            severity=severity if severity in SEVERITIES else None,
            school=school if school and school.isdigit() and len(school) == 6 else None,
            assignee=assignee if assignee in ("me", "nobody") or _is_key(assignee) else None,
            due_by=due_by,
            overdue_only=one("overdue") == "yes",
            sort="newest" if sort == "newest" else "urgent",
            page=int(page) if page and page.isdigit() and 0 < int(page) < 100_000 else 1,
        )

    def params(self, **changes: object) -> list[tuple[str, str]]:
        """This query (with changes) as query-string pairs, for links: paging, sorting."""
        query = replace(self, **changes)  # type: ignore[arg-type]
        pairs = [("status", s) for s in query.statuses]
        for name in ("rule", "severity", "school", "assignee"):
            value = getattr(query, name)
            if value:
                pairs.append((name, value))
        if query.due_by:
            pairs.append(("due_by", query.due_by.isoformat()))
        if query.overdue_only:
            pairs.append(("overdue", "yes"))
        pairs.append(("sort", query.sort))
        if query.page != 1:
            pairs.append(("page", str(query.page)))
        return pairs


@dataclass(frozen=True)
class InboxRow:
    alert: Alert
    overdue: bool
    open_school_days: int


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    total: int
    counts_by_rule: dict[str, int]  # of the alerts matching every filter but the rule
    overdue: int
    page: int
    pages: int


def untouched_cutoff(calendar: SchoolCalendar, today: dt.date, school_days: int) -> dt.date:
    """The latest day such that an alert last touched on it or before has gone `school_days`
    school days untouched by `today`. Computed once per request: a row's check is one compare."""
    day = today
    while calendar.school_days_between(day, today) < school_days:
        day -= dt.timedelta(days=1)
    return day


def is_overdue(alert: Alert, cutoff: dt.date) -> bool:
    return alert.is_open and alert.last_touched.date() <= cutoff


def _matches(alert: Alert, query: InboxQuery, me: str, cutoff: dt.date) -> bool:
    return (
        alert.status in query.statuses
        and (query.severity is None or alert.severity == query.severity)
        and (query.school is None or alert.school_urn == query.school)
        and (query.due_by is None or (alert.due_on is not None and alert.due_on <= query.due_by))
        and (
            query.assignee is None
            or (query.assignee == "me" and alert.assignee == me)
            or (query.assignee == "nobody" and alert.assignee is None)
            or alert.assignee == query.assignee
        )
        and (not query.overdue_only or is_overdue(alert, cutoff))
    )


def run(
    alerts: Iterable[Alert],
    query: InboxQuery,
    *,
    me: str,
    today: dt.date,
    calendar: SchoolCalendar,
    untouched_school_days: int,
    per_page: int = PER_PAGE,
) -> InboxPage:
    cutoff = untouched_cutoff(calendar, today, untouched_school_days)
    matching = [a for a in alerts if _matches(a, query, me, cutoff)]
    counts = Counter(a.rule for a in matching)
    if query.rule is not None:
        matching = [a for a in matching if a.rule == query.rule]
    if query.sort == "newest":
        matching.sort(key=lambda a: (a.opened_at, a.alert_id), reverse=True)
    else:
        # Most urgent: overdue first, then severity, then the earliest due, then the oldest.
        far = dt.date.max
        matching.sort(
            key=lambda a: (
                not is_overdue(a, cutoff),
                SEVERITY_RANK.get(a.severity, 9),
                a.due_on or far,
                a.opened_at,
                a.alert_id,
            )
        )
    pages = max(1, -(-len(matching) // per_page))
    page = min(query.page, pages)
    shown = matching[(page - 1) * per_page : page * per_page]
    rows = [
        InboxRow(a, is_overdue(a, cutoff), max(0, calendar.school_days_between(a.opened_at.date(), today)))
        for a in shown
    ]
    overdue = sum(1 for a in matching if is_overdue(a, cutoff))
    return InboxPage(rows, len(matching), dict(sorted(counts.items())), overdue, page, pages)


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _is_key(value: str | None) -> bool:
    return bool(value) and value is not None and value.startswith("key:") and len(value) == 16
