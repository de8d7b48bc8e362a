"""Schools touch only their own pupils, and the HTTP edge holds, on the real product (`rollwatch
run` on the test broker and an embedded ledger): the authority rules over a pupil through the API
(403 naming the field and rule) and straight on Kafka (dead-lettered with the rule by the tracker),
each role's rate limit (429 with Retry-After), a body over the limit refused before it is read,
free text with a bidirectional override refused, and alert lists that state a purpose and are
access-logged. One product for the module; every test takes keys of its own, so that the low rate
limits set here count only its requests."""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer

from tests.support.allinone import RunningProduct, rollwatch_process
from tests.support.brokers import KafkaForTests
from tests.support.console import issue_key
from tests.support.events import deletion, enrolment, retraction, suspension, upn_for

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]

HERE, THERE = "100050", "100054"  # two LA 886 schools of tests/fixtures/gias
LIMIT = 6  # requests per minute per key, every role, in this module's product
BODY_LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def product(
    _kafka_broker: KafkaForTests, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningProduct]:
    limits = {f"rate_limit_{role}": f"{LIMIT}/minute" for role in ("school", "la_officer", "auditor")}
    workdir = Path(tmp_path_factory.mktemp("security")) / "product"
    with rollwatch_process(
        _kafka_broker.bootstrap, workdir, max_body_bytes=str(BODY_LIMIT), **limits
    ) as running:
        yield running


def _keys(product: RunningProduct, kafka: KafkaForTests, *scopes: tuple[str, dict[str, Any]]) -> list[str]:
    """Fresh keys, once the product knows them all (a 401 is not counted against a limit)."""
    keys = [issue_key(product, kafka.bootstrap, role, **scope) for role, scope in scopes]
    probe = issue_key(product, kafka.bootstrap, "auditor")
    deadline = time.monotonic() + 30
    while product.get("/v1/alerts/outcomes", probe).status_code == 401:
        assert time.monotonic() < deadline, "the product never learnt the test's keys"
        time.sleep(0.2)
    return keys


def _post(product: RunningProduct, key: str, *events: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{product.url}/v1/events", json={"events": list(events)},
        headers={"Authorization": f"Bearer {key}"}, timeout=30,
    )  # fmt: skip


def _refused_rules(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["error"] == "forbidden_pupil"
    return [(p["field"], p["rule"]) for item in body["refused"] for p in item["problems"]]


def test_a_school_touches_only_its_own_pupils_through_the_api(
    product: RunningProduct, kafka: KafkaForTests
) -> None:
    here, there = _keys(product, kafka, ("school", {"urns": (HERE,)}), ("school", {"urns": (THERE,)}))
    pupil, theirs, other = (upn_for(886, 4000, 24, n) for n in (501, 502, 503))
    joined = enrolment(pupil, school_urn=HERE, occurred_on=dt.date(2025, 9, 3))
    assert _post(product, here, joined).status_code == 202
    # Another school may not withdraw it, record the pupil's death, or join the pupil's record to
    # one of its own (the enrolment is known from this process's memory: the tracker may lag).
    assert _refused_rules(_post(product, there, retraction(joined) | {"school_urn": THERE})) == [
        ("data.retracts", "retraction_not_sender")
    ]
    died = deletion(
        pupil, school_urn=THERE, occurred_on=dt.date(2026, 1, 5), ground="died", destination_kind="died"
    )
    assert _refused_rules(_post(product, there, died)) == [("data.ground", "died_not_on_roll")]
    assert _post(product, there, enrolment(theirs, school_urn=THERE)).status_code == 202
    linked = suspension(theirs, school_urn=THERE) | {"former_upn": pupil}
    assert _refused_rules(_post(product, there, linked)) == [("former_upn", "former_upn_not_on_roll")]
    # The school the pupil is on roll at may do all three; nobody retracts an unknown event.
    assert _post(product, here, suspension(other, school_urn=HERE) | {"former_upn": pupil}).status_code == 202
    assert _post(product, here, died | {"school_urn": HERE}).status_code == 202
    assert _refused_rules(_post(product, here, retraction(suspension(pupil, school_urn=HERE)))) == [
        ("data.retracts", "retracted_event_unknown")
    ]
    # Free text with a right-to-left override is refused with the field and the rule.
    hidden = _post(product, here, retraction(joined, reason="Sent in error \u202eeteled"))
    assert hidden.status_code == 422
    problems = hidden.json()["rejected"][0]["problems"]
    assert [(p["field"], p["rule"]) for p in problems] == [("data.reason", "text_control_character")]
    assert _post(product, here, retraction(joined)).status_code == 202


def test_a_direct_producer_is_held_to_the_same_rules_by_the_tracker(
    product: RunningProduct, kafka: KafkaForTests
) -> None:
    pupil, theirs = upn_for(886, 4000, 24, 601), upn_for(886, 4000, 24, 602)
    joined = enrolment(pupil, school_urn=HERE, occurred_on=dt.date(2025, 9, 3))
    stolen = retraction(joined) | {"school_urn": THERE}
    died = deletion(
        pupil, school_urn=THERE, occurred_on=dt.date(2026, 1, 5), ground="died", destination_kind="died"
    )
    own = retraction(joined)
    linked = suspension(theirs, school_urn=THERE) | {"former_upn": pupil}
    topic = f"{product.namespace}pupil-events"
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    consumer = KafkaConsumer(
        f"{product.namespace}pupil-events.dlq", bootstrap_servers=kafka.bootstrap,
        auto_offset_reset="earliest", consumer_timeout_ms=30_000,
    )  # fmt: skip
    try:
        # Keyed by the UPN whose record they claim: one partition, so the tracker sees them in
        # this order (a producer may key a link by either of its UPNs).
        for event in (joined, stolen, died, own, linked):
            producer.send(topic, key=pupil.encode(), value=orjson.dumps(event)).get(timeout=30)
        dead = [next(iter(consumer)) for _ in range(3)]
    finally:
        producer.close()
        consumer.close()
    assert [orjson.loads(m.value)["event_id"] for m in dead] == [
        e["event_id"] for e in (stolen, died, linked)
    ]
    reasons = [orjson.loads(dict(m.headers)["rollwatch.reason"])[0] for m in dead]
    assert [(r["field"], r["rule"]) for r in reasons] == [
        ("data.retracts", "retraction_not_sender"),
        ("data.ground", "died_not_on_roll"),
        ("former_upn", "former_upn_not_on_roll"),
    ]
    assert (
        'rollwatch_tracker_dead_letters_total{rule="died_not_on_roll"} 1.0'
        in httpx.get(f"{product.url}/metrics", timeout=10).text
    )


def test_each_role_is_held_to_its_rate_limit(product: RunningProduct, kafka: KafkaForTests) -> None:
    school, officer, auditor = _keys(
        product, kafka, ("school", {"urns": (HERE,)}), ("la_officer", {"la_code": "886"}), ("auditor", {})
    )
    unknown = upn_for(886, 4000, 24, 999)
    for key, path, params in (
        (school, f"/v1/pupils/{unknown}/history", {}),  # 404s count too
        (officer, "/v1/alerts/outcomes", {}),
        (auditor, "/v1/alerts", {"purpose": "rate limit test"}),
    ):
        answers = [product.get(path, key, **params).status_code for _ in range(LIMIT)]
        assert 429 not in answers
        # The limiter's sliding window is two weighted counters: when the requests straddle the
        # counters' minute boundary, one or two more may fit before the 429.
        over = next(
            (answer for _ in range(3) if (answer := product.get(path, key, **params)).status_code == 429),
            None,
        )
        assert over is not None, f"no 429 within {LIMIT + 3} requests of {path}"
        assert over.json()["error"] == "rate_limited"
        assert 1 <= int(over.headers["Retry-After"]) <= 60
    # Denied requests are logged with the route, never the path's UPN.
    log = product.log()
    assert "request denied" in log and "/v1/pupils/{upn}/history" in log
    assert unknown not in log


def _raw_post(product: RunningProduct, key: str, head: dict[str, str], body: bytes) -> bytes:
    """POST /v1/events over a bare socket: the headers, then only `body`; what the server answers
    while the rest of the declared body has not been sent."""
    host, port = product.url.removeprefix("http://").split(":")
    lines = ["POST /v1/events HTTP/1.1", f"Host: {host}", f"Authorization: Bearer {key}",
             "Content-Type: application/json", *(f"{k}: {v}" for k, v in head.items())]  # fmt: skip
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


def test_a_body_over_the_limit_is_refused_before_it_is_read(
    product: RunningProduct, kafka: KafkaForTests
) -> None:
    (school,) = _keys(product, kafka, ("school", {"urns": (HERE,)}))
    # A declared 10 MB, of which 1 KB is sent: the answer comes without waiting for the rest.
    declared = _raw_post(product, school, {"Content-Length": str(10_000_000)}, b"[" * 1024)
    assert declared.startswith(b"HTTP/1.1 413"), declared[:200]
    # Chunked, no length declared: refused once the limit is passed, the rest never sent.
    chunk = b"x" * 16384
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(BODY_LIMIT // len(chunk) + 1))
    streamed = _raw_post(product, school, {"Transfer-Encoding": "chunked"}, chunks)
    assert streamed.startswith(b"HTTP/1.1 413"), streamed[:200]


def test_alert_lists_state_a_purpose_and_are_access_logged(
    product: RunningProduct, kafka: KafkaForTests
) -> None:
    officer, auditor = _keys(product, kafka, ("la_officer", {"la_code": "886"}), ("auditor", {}))
    unstated = product.get("/v1/alerts", officer)
    assert unstated.status_code == 422
    assert [p["field"] for p in unstated.json()["problems"]] == ["query.purpose"]
    assert product.get("/v1/alerts", officer, purpose="weekly CME review").status_code == 200
    entries = product.get("/v1/access-log", auditor, subject="886").json()["entries"]
    listed = [e for e in entries if e["action"] == "alert_list" and e["purpose"] == "weekly CME review"]
    assert [(e["role"], e["la_code"]) for e in listed] == [("la_officer", "886")]
