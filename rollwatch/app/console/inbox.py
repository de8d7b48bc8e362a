"""The inbox query: one LA's alerts filtered, counted per rule, ordered and paged, with the
overdue mark (untouched for N school days). Pure: it reads the alert book's per-LA index, never
renders or loads more than the page it returns."""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from services.alerts.calendar import SchoolCalendar
from services.alerts.lifecycle import OPEN_STATUSES, Alert

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


def _limit(cutoff: dt.date) -> dt.datetime:
    """Last touched before this instant (UTC midnight after the cutoff day): overdue."""
    return dt.datetime.combine(cutoff + dt.timedelta(days=1), dt.time(), dt.UTC)


def is_overdue(alert: Alert, cutoff: dt.date) -> bool:
    return alert.is_open and alert.last_touched < _limit(cutoff)


def _checks(query: InboxQuery, me: str) -> list[Callable[[Alert], bool]]:
    """One predicate per filter that is set (none at all for the default inbox)."""
    checks: list[Callable[[Alert], bool]] = []
    if query.severity is not None:
        checks.append(lambda a: a.severity == query.severity)
    if query.school is not None:
        checks.append(lambda a: a.school_urn == query.school)
    if query.due_by is not None:
        due_by = query.due_by
        checks.append(lambda a: a.due_on is not None and a.due_on <= due_by)
    if query.assignee is not None:
        wanted = {"me": me, "nobody": None}.get(query.assignee, query.assignee)
        checks.append(lambda a: a.assignee == wanted)
    return checks


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
    """One pass over the LA's alerts (filters, counts per rule, overdue marks), then only the
    page asked for is picked out (a partial sort), never the whole list."""
    cutoff = untouched_cutoff(calendar, today, untouched_school_days)
    limit = _limit(cutoff)
    statuses = frozenset(query.statuses)
    checks = _checks(query, me)
    counts: Counter[str] = Counter()
    matching: list[tuple[bool, Alert]] = []
    overdue = 0
    for alert in alerts:
        if alert.status not in statuses or (checks and not all(check(alert) for check in checks)):
            continue
        late = alert.status in OPEN_STATUSES and (alert.touched_at or alert.opened_at) < limit
        if query.overdue_only and not late:
            continue
        counts[alert.rule] += 1
        if query.rule is not None and alert.rule != query.rule:
            continue
        overdue += late
        matching.append((late, alert))
    pages = max(1, -(-len(matching) // per_page))
    page = min(query.page, pages)
    wanted = page * per_page
    if query.sort == "newest":
        ordered = heapq.nlargest(wanted, matching, key=lambda pair: (pair[1].opened_at, pair[1].alert_id))
    else:
        # Most urgent: overdue first, then severity, then the earliest due, then the oldest.
        far = dt.date.max
        ordered = heapq.nsmallest(
            wanted,
            matching,
            key=lambda pair: (
                not pair[0],
                SEVERITY_RANK.get(pair[1].severity, 9),
                pair[1].due_on or far,
                pair[1].opened_at,
                pair[1].alert_id,
            ),
        )
    rows = [
        InboxRow(a, late, max(0, calendar.school_days_between(a.opened_at.date(), today)))
        for late, a in ordered[(page - 1) * per_page :]
    ]
    return InboxPage(rows, len(matching), dict(sorted(counts.items())), overdue, page, pages)


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _is_key(value: str | None) -> bool:
    return bool(value) and value is not None and value.startswith("key:") and len(value) == 16
