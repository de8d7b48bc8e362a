from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
from email.message import EmailMessage

from services.alerts.delivery import EmailRoute, build_message, group_by_school, notification_text
from services.alerts.delivery.email_digest import (
    delivery_id,
    html_body,
    latest_per_alert,
    subject,
    text_body,
)
from tests.support.alert_notifications import (
    OPENED,
    OTHER_SCHOOL,
    SCHOOL,
    UPN,
    email_route,
    notification,
    routes_config,
)

NOW = dt.datetime(2026, 3, 4, 8, 0, tzinfo=dt.UTC)


def _route(**overrides: object) -> EmailRoute:
    (route,) = routes_config(email_route(**overrides)).routes
    assert isinstance(route, EmailRoute)
    return route


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_grouped_per_school_in_urn_order() -> None:
    digests = group_by_school(
        [
            notification(school_urn=OTHER_SCHOOL, school_name="Oak Lane School"),
            notification(),
            notification(),
        ]
    )
    assert [(d.school_urn, len(d.notifications)) for d in digests] == [(SCHOOL, 2), (OTHER_SCHOOL, 1)]
    assert digests[1].school_name == "Oak Lane School"


def test_each_alert_once_in_its_latest_state() -> None:
    opened = notification(alert_id="a1")
    closed = dataclasses.replace(opened, status="auto_resolved", updated_at=OPENED + dt.timedelta(days=2))
    assert latest_per_alert([closed, opened]) == [closed]
    (digest,) = group_by_school([opened, closed, notification(alert_id="a2")])
    assert [n.alert_id for n in digest.for_review] == ["a2"]
    assert [n.alert_id for n in digest.closed] == ["a1"]


def test_for_review_comes_first_highest_severity_first() -> None:
    low = notification(alert_id="low", severity="low", rule="high_mobility")
    high = notification(alert_id="high", severity="high")
    done = notification(alert_id="done", status="resolved", severity="high")
    medium = notification(alert_id="medium", severity="medium", rule="exam_cohort_exit")
    (digest,) = group_by_school([low, done, medium, high])
    assert [n.alert_id for n in digest.notifications] == ["high", "medium", "low", "done"]


def test_subjects_count_what_needs_review() -> None:
    one = group_by_school([notification()])[0]
    assert subject(one) == "Rollwatch: 1 alert for review at Greenfield Academy (URN 100000)"
    three = group_by_school([notification() for _ in range(3)])[0]
    assert subject(three) == "Rollwatch: 3 alerts for review at Greenfield Academy (URN 100000)"
    mixed = group_by_school([notification(), notification(status="resolved")])[0]
    assert subject(mixed) == "Rollwatch: 1 alert for review, 1 closed, at Greenfield Academy (URN 100000)"
    closed = group_by_school([notification(status="resolved", school_name=None)])[0]
    assert subject(closed) == "Rollwatch: 1 alert closed at school URN 100000"


def test_text_says_prompt_for_enquiry_not_a_finding_and_lists_each_alert() -> None:
    first = notification(alert_id="a1", evidence=("ev-1", "ev-2"))
    second = notification(alert_id="a2", rule="ehe_vulnerable", status="acknowledged")
    (digest,) = group_by_school([first, second])
    text = text_body(digest, "la-email", "d-1")
    flat = _flat(text)
    assert "prompt for enquiry, not a finding" in flat
    assert "does not show that a school or anyone else acted wrongly" in flat
    assert "FOR REVIEW (2)" in text
    assert "1. Off roll with no known destination" in text
    assert "2. Home education of a pupil with needs or recent exclusions" in text
    assert "Evidence (event ids, in order): ev-1, ev-2" in flat
    assert "Status: acknowledged by an officer" in flat
    assert "Opened: 3 Mar 2026 09:15 GMT" in flat
    assert "Alert id: a1" in flat
    assert all(len(line) <= 80 for line in text.splitlines())


def test_upn_only_in_the_secure_copy() -> None:
    original = notification()
    (secure,) = group_by_school([original.for_route(secure=True)])
    (plain,) = group_by_school([original.for_route(secure=False)])
    assert f"Pupil: UPN {UPN}" in text_body(secure, "r", "d")
    plain_text = text_body(plain, "r", "d")
    assert UPN not in plain_text
    assert "withheld" in plain_text
    assert UPN not in html_body(plain, "r", "d")


def test_school_level_alerts_say_so() -> None:
    (digest,) = group_by_school([notification(upn=None, rule="school_exit_pattern", severity="medium")])
    assert "Pupil: none: the alert is about the school as a whole" in text_body(digest, "r", "d")


def test_html_escapes_everything() -> None:
    (digest,) = group_by_school([notification(school_name="<b>St Mary & St John</b>")])
    page = html_body(digest, "r", "d")
    assert "<b>St Mary" not in page
    assert "&lt;b&gt;St Mary &amp; St John&lt;/b&gt;" in page
    assert notification_text.NOTICE in page


def test_message_headers_and_parts() -> None:
    route = _route(to=["a@la.example.org", "b@la.example.org"])
    (digest,) = group_by_school([notification(), notification()])
    message = build_message(digest, route, NOW)
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["From"] == "rollwatch@la.example.org"
    assert parsed["To"] == "a@la.example.org, b@la.example.org"
    assert parsed["Subject"] == "Rollwatch: 2 alerts for review at Greenfield Academy (URN 100000)"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["X-Rollwatch-School-URN"] == SCHOOL
    assert parsed["Message-ID"] == f"<{delivery_id(route.id, digest)}@la.example.org>"
    assert parsed["Date"] == "Wed, 04 Mar 2026 08:00:00 +0000"
    assert parsed.get_content_type() == "multipart/alternative"
    plain = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert plain is not None and html is not None
    assert "prompt for enquiry, not a finding" in _flat(plain.get_content())


def test_text_only_when_the_route_says_so() -> None:
    (digest,) = group_by_school([notification()])
    assert build_message(digest, _route(html=False), NOW).get_content_type() == "text/plain"


def test_a_school_name_cannot_inject_headers() -> None:
    (digest,) = group_by_school([notification(school_name="Oak\r\nBcc: someone@evil.example")])
    message = build_message(digest, _route(), NOW)
    raw = message.as_bytes()
    assert b"\nBcc:" not in raw
    assert message["Subject"] == "Rollwatch: 1 alert for review at Oak Bcc: someone@evil.example (URN 100000)"


def test_delivery_id_is_the_same_for_the_same_transitions_in_any_order() -> None:
    first, second = notification(), notification()
    (one,) = group_by_school([first, second])
    (two,) = group_by_school([second, first])
    assert delivery_id("r", one) == delivery_id("r", two)
    assert delivery_id("r", one) != delivery_id("other", one)


def test_each_alert_links_to_its_page_in_the_console_when_a_public_url_is_set() -> None:
    from services.alerts.delivery.email_digest import group_by_school, html_body, text_body
    from tests.support.alert_notifications import notification

    linked = notification(url="https://rollwatch.example.gov.uk/alerts/" + "a" * 32)
    [digest] = group_by_school([linked])
    assert "Open in Rollwatch: https://rollwatch.example.gov.uk/alerts/" + "a" * 32 in _flat(
        text_body(digest, "r", "d")
    )
    assert "https://rollwatch.example.gov.uk/alerts/" in html_body(digest, "r", "d")
    [plain] = group_by_school([notification()])
    assert "Open in Rollwatch" not in text_body(plain, "r", "d")
