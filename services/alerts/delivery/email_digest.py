"""Email digests: one message per school listing that school's alert changes since the last
digest of a route, in plain text and simple HTML. Pure: nothing here sends anything.

Within a digest an alert appears once, in its latest state (opened then closed within one interval
shows as closed). Alerts waiting for review come first, highest severity first; the ones closed
since the last digest follow. Every message says that an alert is a prompt for enquiry, not a
finding. The UPN appears only when the notifications carry it, i.e. on a secure route.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import textwrap
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage

from services.alerts.delivery import notification_text
from services.alerts.delivery.notification import SEVERITY_RANK, Notification
from services.alerts.delivery.routes import EmailRoute
from services.alerts.wording import count

_DELIVERY_NAMESPACE = uuid.UUID("6f0c3d56-93a3-4f57-8f6e-5d1e0b7a4c21")
_WIDTH = 76


@dataclass(frozen=True, slots=True)
class SchoolDigest:
    la_code: str
    school_urn: str
    school_name: str | None
    notifications: tuple[Notification, ...]  # latest state per alert; for review first

    @property
    def for_review(self) -> tuple[Notification, ...]:
        return tuple(notification for notification in self.notifications if notification.is_open)

    @property
    def closed(self) -> tuple[Notification, ...]:
        return tuple(notification for notification in self.notifications if not notification.is_open)

    @property
    def place(self) -> str:
        name = notification_text.one_line(self.school_name or "")
        return f"{name} (URN {self.school_urn})" if name else f"school URN {self.school_urn}"


def latest_per_alert(notifications: Iterable[Notification]) -> list[Notification]:
    """Each alert once, in its latest state (the later one wins a tie)."""
    latest: dict[str, Notification] = {}
    for notification in notifications:
        known = latest.get(notification.alert_id)
        if known is None or notification.updated_at >= known.updated_at:
            latest[notification.alert_id] = notification
    return list(latest.values())


def _order(notification: Notification) -> tuple[int, int, dt.datetime, str]:
    return (
        0 if notification.is_open else 1,
        -SEVERITY_RANK[notification.severity],
        notification.opened_at if notification.is_open else notification.updated_at,
        notification.alert_id,
    )


def group_by_school(notifications: Iterable[Notification]) -> tuple[SchoolDigest, ...]:
    """One digest per (LA, school), schools in URN order."""
    by_school: dict[tuple[str, str], list[Notification]] = {}
    for notification in latest_per_alert(notifications):
        by_school.setdefault((notification.la_code, notification.school_urn), []).append(notification)
    digests = []
    for (la_code, urn), group in sorted(by_school.items()):
        named = [n for n in sorted(group, key=lambda n: n.updated_at) if n.school_name]
        digests.append(
            SchoolDigest(
                la_code=la_code,
                school_urn=urn,
                school_name=named[-1].school_name if named else None,
                notifications=tuple(sorted(group, key=_order)),
            )
        )
    return tuple(digests)


def delivery_id(route_id: str, digest: SchoolDigest) -> str:
    """The same for the same route and the same alert transitions, in every process."""
    keys = sorted(notification.transition_key for notification in digest.notifications)
    return str(uuid.uuid5(_DELIVERY_NAMESPACE, "\x1e".join(("email", route_id, *keys))))


def subject(digest: SchoolDigest) -> str:
    review, closed = len(digest.for_review), len(digest.closed)
    if review and closed:
        return f"Rollwatch: {count(review, 'alert')} for review, {closed} closed, at {digest.place}"
    if review:
        return f"Rollwatch: {count(review, 'alert')} for review at {digest.place}"
    return f"Rollwatch: {count(closed, 'alert')} closed at {digest.place}"


def _pupil_line(notification: Notification) -> str:
    if notification.upn is not None:
        return f"UPN {notification.upn}"
    if notification.upn_withheld:
        return notification_text.UPN_WITHHELD_NOTE
    return "none: the alert is about the school as a whole"


def _fields(notification: Notification) -> list[tuple[str, str]]:
    return [
        ("Severity", notification.severity),
        ("Status", notification_text.STATUS_WORDS[notification.status]),
        ("Pupil", _pupil_line(notification)),
        ("Why", notification.reason),
        ("Law and guidance", notification.statutory_reference),
        ("Evidence (event ids, in order)", ", ".join(notification.evidence) or "none"),
        ("Opened", notification_text.moment(notification.opened_at)),
        ("Last change", notification_text.moment(notification.updated_at)),
        ("Alert id", notification.alert_id),
        *([("Open in Rollwatch", notification.url)] if notification.url else []),
    ]


def _footer(route_id: str, delivery: str) -> str:
    return (
        f"Sent by Rollwatch on route {route_id} (delivery {delivery}). This message lists the changes "
        "since the previous one; Rollwatch's alerts inbox holds every alert and its full history."
    )


def text_body(digest: SchoolDigest, route_id: str, delivery: str) -> str:
    lines = [
        f"Rollwatch alerts at {digest.place}, local authority {digest.la_code}",
        "",
        *textwrap.wrap(notification_text.NOTICE, _WIDTH),
    ]
    number = 0
    for heading, group in (
        ("FOR REVIEW", digest.for_review),
        ("CLOSED SINCE THE LAST MESSAGE", digest.closed),
    ):
        if not group:
            continue
        lines += ["", f"{heading} ({len(group)})"]
        for notification in group:
            number += 1
            lines += ["", f"{number}. {notification_text.rule_title(notification.rule)}"]
            for label, value in _fields(notification):
                lines += textwrap.wrap(
                    f"{label}: {value}",
                    _WIDTH,
                    initial_indent="   ",
                    subsequent_indent="     ",
                    break_on_hyphens=False,
                    break_long_words=False,  # a link must stay whole to be followed
                )
    lines += ["", "-- ", *textwrap.wrap(_footer(route_id, delivery), _WIDTH)]
    return "\n".join(lines) + "\n"


def html_body(digest: SchoolDigest, route_id: str, delivery: str) -> str:
    esc = html.escape
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(subject(digest))}</title></head>",
        '<body style="font-family: Arial, sans-serif; line-height: 1.4">',
        f'<h1 style="font-size: 1.3em">Rollwatch alerts at {esc(digest.place)}, '
        f"local authority {esc(digest.la_code)}</h1>",
        f"<p><strong>{esc(notification_text.NOTICE)}</strong></p>",
    ]
    start = 1
    for heading, group in (
        ("For review", digest.for_review),
        ("Closed since the last message", digest.closed),
    ):
        if not group:
            continue
        parts.append(f'<h2 style="font-size: 1.1em">{esc(heading)} ({len(group)})</h2><ol start="{start}">')
        for notification in group:
            parts.append(
                f"<li><p><strong>{esc(notification_text.rule_title(notification.rule))}</strong><br>"
            )
            parts.append("<br>".join(f"{esc(label)}: {esc(value)}" for label, value in _fields(notification)))
            parts.append("</p></li>")
        parts.append("</ol>")
        start += len(group)
    parts.append(f'<p style="color: #555; font-size: 0.9em">{esc(_footer(route_id, delivery))}</p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def build_message(digest: SchoolDigest, route: EmailRoute, now: dt.datetime) -> EmailMessage:
    """The digest as a MIME message for `route` (text, plus HTML when the route wants it)."""
    delivery = delivery_id(route.id, digest)
    message = EmailMessage()
    message["From"] = route.from_
    message["To"] = ", ".join(route.to)
    message["Subject"] = subject(digest)
    message["Date"] = email.utils.format_datetime(now.astimezone(dt.UTC))
    message["Message-ID"] = f"<{delivery}@{route.from_.rsplit('@', 1)[1]}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Rollwatch-Delivery"] = delivery
    message["X-Rollwatch-LA"] = digest.la_code
    message["X-Rollwatch-School-URN"] = digest.school_urn
    message.set_content(text_body(digest, route.id, delivery))
    if route.html:
        message.add_alternative(html_body(digest, route.id, delivery), subtype="html")
    return message
