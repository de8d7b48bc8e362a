"""Email digests delivered over SMTP to a real aiosmtpd server on a loopback port."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY

from services.alerts.delivery import Dispatcher, InMemoryDeliveryLog, Router
from tests.integration.alerts.delivery.conftest import LocalCA
from tests.support.alert_notifications import (
    OTHER_SCHOOL,
    SCHOOL,
    UPN,
    email_route,
    notification,
    routes_config,
)
from tests.support.delivery_servers import RecordedPauses, SmtpForTests

pytestmark = pytest.mark.delivery

StartSmtp = Callable[..., SmtpForTests]
PASSWORD_ENV = "ROLLWATCH_TEST_SMTP_PASSWORD"
PASSWORD = "correct horse battery staple"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _route(server: SmtpForTests, route_id: str = "la-email", **overrides: Any) -> dict[str, Any]:
    smtp = {"host": server.host, "port": server.port, "starttls": False, **overrides.pop("smtp", {})}
    return email_route(route_id, smtp=smtp, **overrides)


def _dispatcher(
    *routes: dict[str, Any], environ: dict[str, str] | None = None
) -> tuple[Dispatcher, InMemoryDeliveryLog]:
    delivery_log = InMemoryDeliveryLog()
    dispatcher = Dispatcher(
        Router(routes_config(*routes)),
        delivery_log,
        environ=environ or {},
        sleep=RecordedPauses(),
        rng=random.Random(3),
    )
    return dispatcher, delivery_log


def test_secure_digest_over_starttls_with_auth_one_email_per_school(
    smtp_server: StartSmtp, test_ca: LocalCA
) -> None:
    server = smtp_server(tls_context=test_ca.server_context(), users={"rollwatch": PASSWORD})
    route = _route(
        server,
        "secure-email",
        secure=True,
        digest_interval_s=3600,  # only flush() sends
        to=["cme.officer@la.example.org", "inclusion@la.example.org"],
        smtp={
            "starttls": True,
            "username": "rollwatch",
            "password_env": PASSWORD_ENV,
            "ca_file": str(test_ca.ca_file),
        },
    )

    async def scenario() -> InMemoryDeliveryLog:
        dispatcher, delivery_log = _dispatcher(route, environ={PASSWORD_ENV: PASSWORD})
        submissions = [
            await dispatcher.submit(notification(alert_id="a1")),
            await dispatcher.submit(notification(alert_id="a2", rule="ehe_vulnerable")),
            await dispatcher.submit(notification(alert_id="a3", rule="late_notification", severity="low")),
            await dispatcher.submit(
                notification(
                    alert_id="b1",
                    school_urn=OTHER_SCHOOL,
                    school_name="Oak Lane School",
                    upn=None,
                    rule="school_exit_pattern",
                    severity="medium",
                )
            ),
        ]
        assert not any(submission.settled for submission in submissions)
        await dispatcher.flush()
        assert all(submission.settled for submission in submissions)
        await dispatcher.close()
        return delivery_log

    delivery_log = asyncio.run(scenario())
    assert len(server.messages) == 2
    by_school = {mail.message["X-Rollwatch-School-URN"]: mail for mail in server.messages}
    first = by_school[SCHOOL]
    assert first.over_tls and first.login == "rollwatch"
    assert first.mail_from == "rollwatch@la.example.org"
    assert first.rcpt_tos == ("cme.officer@la.example.org", "inclusion@la.example.org")
    message = first.message
    assert first.subject == "Rollwatch: 3 alerts for review at Greenfield Academy (URN 100000)"
    assert message["From"] == "rollwatch@la.example.org"
    assert message["To"] == "cme.officer@la.example.org, inclusion@la.example.org"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@la.example.org>")
    text = _flat(first.text)
    assert "Each alert is a prompt for enquiry, not a finding." in text
    assert text.count(f"Pupil: UPN {UPN}") == 3
    assert all(alert_id in text for alert_id in ("Alert id: a1", "Alert id: a2", "Alert id: a3"))
    assert message.get_body(("html",)) is not None
    assert by_school[OTHER_SCHOOL].subject == "Rollwatch: 1 alert for review at Oak Lane School (URN 100001)"
    assert "the alert is about the school as a whole" in _flat(by_school[OTHER_SCHOOL].text)
    assert {attempt.alert_id for attempt in delivery_log.attempts if attempt.status == "sent"} == {
        "a1",
        "a2",
        "a3",
        "b1",
    }


def test_non_secure_digest_has_no_upn_anywhere_in_the_message(smtp_server: StartSmtp) -> None:
    server = smtp_server()
    alert = notification(reason=f"About {UPN}. This is a prompt for enquiry, not a finding.")

    async def scenario() -> None:
        dispatcher, _ = _dispatcher(_route(server))
        assert await (await dispatcher.submit(alert)).wait() is True
        await dispatcher.close()

    asyncio.run(scenario())
    (mail,) = server.messages
    assert UPN.encode() not in mail.raw
    assert alert.fingerprint is not None and alert.fingerprint.encode() not in mail.raw
    assert UPN not in mail.text  # decoded, in case a transfer encoding hid it
    assert "pupil identifier withheld" in _flat(mail.text)
    assert "prompt for enquiry, not a finding" in _flat(mail.text)


def test_the_digest_interval_batches_without_a_flush(smtp_server: StartSmtp) -> None:
    server = smtp_server()

    async def scenario() -> None:
        dispatcher, _ = _dispatcher(_route(server, digest_interval_s=0.3))
        opened = notification(alert_id="a1")
        first = await dispatcher.submit(opened)
        second = await dispatcher.submit(notification(alert_id="a2"))
        closed = await dispatcher.submit(
            dataclasses.replace(
                opened, status="auto_resolved", updated_at=opened.updated_at + dt.timedelta(days=1)
            )
        )
        assert await asyncio.wait_for(first.wait(), 10) and await second.wait() and await closed.wait()
        await dispatcher.close()

    asyncio.run(scenario())
    (mail,) = server.messages
    assert mail.subject == "Rollwatch: 1 alert for review, 1 closed, at Greenfield Academy (URN 100000)"
    assert "CLOSED SINCE THE LAST MESSAGE (1)" in mail.text


def test_a_temporary_smtp_failure_is_retried(smtp_server: StartSmtp) -> None:
    server = smtp_server(replies=["451 4.3.0 Try again later"])

    async def scenario() -> InMemoryDeliveryLog:
        dispatcher, delivery_log = _dispatcher(_route(server, "retrying"))
        assert await (await dispatcher.submit(notification(alert_id="a1"))).wait() is True
        await dispatcher.close()
        return delivery_log

    delivery_log = asyncio.run(scenario())
    assert server.handler.refused == 1
    assert len(server.messages) == 1
    assert delivery_log.statuses("retrying", "a1") == ["retry", "sent"]
    assert delivery_log.of_route("retrying")[0].code == 451


def test_a_permanent_smtp_refusal_is_a_dead_letter_at_once(smtp_server: StartSmtp) -> None:
    server = smtp_server(replies=["554 5.7.1 Message rejected"])
    dead_before = (
        REGISTRY.get_sample_value("rollwatch_delivery_dead_lettered_total", {"channel": "email"}) or 0.0
    )

    async def scenario() -> InMemoryDeliveryLog:
        dispatcher, delivery_log = _dispatcher(_route(server, "refused"))
        assert await (await dispatcher.submit(notification(alert_id="a1"))).wait() is False
        await dispatcher.close()
        return delivery_log

    delivery_log = asyncio.run(scenario())
    assert server.messages == []
    assert delivery_log.statuses("refused", "a1") == ["failed"]
    (letter,) = delivery_log.dead_letters
    assert (letter.channel, letter.route_id, letter.attempts) == ("email", "refused", 1)
    assert letter.error.startswith("SMTP 554")
    assert (
        REGISTRY.get_sample_value("rollwatch_delivery_dead_lettered_total", {"channel": "email"})
        == dead_before + 1
    )


def test_a_wrong_password_is_not_retried(smtp_server: StartSmtp, test_ca: LocalCA) -> None:
    server = smtp_server(tls_context=test_ca.server_context(), users={"rollwatch": PASSWORD})
    route = _route(
        server,
        "bad-login",
        smtp={
            "starttls": True,
            "username": "rollwatch",
            "password_env": PASSWORD_ENV,
            "ca_file": str(test_ca.ca_file),
        },
    )

    async def scenario() -> InMemoryDeliveryLog:
        dispatcher, delivery_log = _dispatcher(route, environ={PASSWORD_ENV: "wrong"})
        assert await (await dispatcher.submit(notification(alert_id="a1"))).wait() is False
        await dispatcher.close()
        return delivery_log

    delivery_log = asyncio.run(scenario())
    assert delivery_log.statuses("bad-login", "a1") == ["failed"]
    assert delivery_log.dead_letters[0].error.startswith("SMTP 535")
    assert "wrong" not in delivery_log.dead_letters[0].error


def test_an_untrusted_certificate_is_never_accepted(smtp_server: StartSmtp, test_ca: LocalCA) -> None:
    server = smtp_server(tls_context=test_ca.server_context())
    route = _route(server, "untrusted", max_attempts=2, backoff_base_s=0.01, smtp={"starttls": True})

    async def scenario() -> InMemoryDeliveryLog:
        dispatcher, delivery_log = _dispatcher(route)
        assert await (await dispatcher.submit(notification(alert_id="a1"))).wait() is False
        await dispatcher.close()
        return delivery_log

    delivery_log = asyncio.run(scenario())
    assert server.messages == []
    assert delivery_log.statuses("untrusted", "a1") == ["retry", "failed"]
    assert "CERTIFICATE_VERIFY_FAILED" in delivery_log.dead_letters[0].error


def test_nobody_listening_is_retried_then_dead_lettered(smtp_server: StartSmtp) -> None:
    server = smtp_server()
    server.stop()  # nothing answers on its port now
    route = _route(server, "gone", max_attempts=3, backoff_base_s=0.01)

    async def scenario() -> InMemoryDeliveryLog:
        dispatcher, delivery_log = _dispatcher(route)
        assert await (await dispatcher.submit(notification(alert_id="a1"))).wait() is False
        await dispatcher.close()
        return delivery_log

    delivery_log = asyncio.run(scenario())
    assert delivery_log.statuses("gone", "a1") == ["retry", "retry", "failed"]
    assert len(delivery_log.dead_letters) == 1


def test_close_without_time_to_send_keeps_every_buffered_digest_as_a_dead_letter(
    smtp_server: StartSmtp,
) -> None:
    server = smtp_server()

    async def scenario() -> InMemoryDeliveryLog:
        dispatcher, delivery_log = _dispatcher(_route(server, "closing", digest_interval_s=3600))
        submissions = [
            await dispatcher.submit(notification(alert_id="a1")),
            await dispatcher.submit(notification(alert_id="b1", school_urn=OTHER_SCHOOL)),
        ]
        await dispatcher.close(timeout=0)
        assert all(submission.settled for submission in submissions)
        assert [await submission.wait() for submission in submissions] == [False, False]
        return delivery_log

    delivery_log = asyncio.run(scenario())
    assert server.messages == []
    assert sorted(letter.alert_ids for letter in delivery_log.dead_letters) == [("a1",), ("b1",)]
    assert all("stopped at shutdown" in letter.error for letter in delivery_log.dead_letters)


def test_close_sends_what_the_digests_still_hold(smtp_server: StartSmtp) -> None:
    server = smtp_server()

    async def scenario() -> None:
        dispatcher, _ = _dispatcher(_route(server, digest_interval_s=3600))
        submission = await dispatcher.submit(notification())
        await dispatcher.close(timeout=30)
        assert await submission.wait() is True

    asyncio.run(scenario())
    assert len(server.messages) == 1


def test_a_refused_recipient_is_recorded_while_the_others_get_the_digest(smtp_server: StartSmtp) -> None:
    server = smtp_server(unknown_recipients=["left.the.la@la.example.org"])
    route = _route(server, "partly", to=["left.the.la@la.example.org", "inclusion@la.example.org"])

    async def scenario() -> InMemoryDeliveryLog:
        dispatcher, delivery_log = _dispatcher(route)
        assert await (await dispatcher.submit(notification(alert_id="a1"))).wait() is True
        await dispatcher.close()
        return delivery_log

    delivery_log = asyncio.run(scenario())
    (mail,) = server.messages
    assert mail.rcpt_tos == ("inclusion@la.example.org",)
    (attempt,) = delivery_log.of_route("partly")
    assert (attempt.status, attempt.error) == ("sent", "1 of 2 recipients refused (550)")


def test_every_recipient_refused_is_a_dead_letter_without_retries(smtp_server: StartSmtp) -> None:
    server = smtp_server(unknown_recipients=["inclusion@la.example.org"])

    async def scenario() -> InMemoryDeliveryLog:
        dispatcher, delivery_log = _dispatcher(_route(server, "nobody-there"))
        assert await (await dispatcher.submit(notification(alert_id="a1"))).wait() is False
        await dispatcher.close()
        return delivery_log

    delivery_log = asyncio.run(scenario())
    assert server.messages == []
    assert delivery_log.statuses("nobody-there", "a1") == ["failed"]
    assert delivery_log.dead_letters[0].error == "SMTP: every recipient refused (550)"
