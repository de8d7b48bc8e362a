"""The secret at work, through the product a user runs (`rollwatch run`): key records forged
straight onto `access-keys` open nothing over HTTP and are counted; checkpoints are signed and
published to `ledger-checkpoints`, and verify compares them; then the secret is rotated: keys
issued before keep working until revoked, new keys and checkpoints are signed with the new secret,
and alerts keep folding by fingerprint across the rotation."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from rollwatch.core.access.keyring import decode_record
from rollwatch.core.settings import Settings
from rollwatch.core.signing import SecretKeys, secret_id
from rollwatch.core.topic_reads import read_partition
from rollwatch.core.topics import Topics
from services.tracker.checkpoint_topic import read_published
from tests.support.allinone import RunningProduct, rollwatch_process
from tests.support.brokers import KafkaForTests
from tests.support.console import SCHOOL
from tests.support.events import enrolment, suspension, upn_for
from tests.support.secrets import produce_forged_keys
from tools.harness import product as child

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]

OLD, NEW = "the old secret of the rotation test", "the new secret of the rotation test"
PUPIL = upn_for(886, 2100, 19, 77)


def _until(check: Callable[[], Any], what: str, product: RunningProduct, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{what} not within {timeout_s:.0f} s:\n{product.log()[-3000:]}")


def _post(product: RunningProduct, key: str, *events: dict[str, Any]) -> None:
    answer = httpx.post(
        f"{product.url}/v1/events", json={"events": list(events)},
        headers={"Authorization": f"Bearer {key}"}, timeout=30,
    )  # fmt: skip
    assert answer.status_code == 202 and answer.json()["rejected"] == [], answer.text


def _suspension_alerts(product: RunningProduct, officer: str) -> list[dict[str, Any]]:
    answer = product.get("/v1/alerts", officer, rule="suspension_limit", per_page=50, purpose="test")
    assert answer.status_code == 200, answer.text
    return [a for a in answer.json()["alerts"] if a["upn"] == PUPIL]


def _verified(product: RunningProduct) -> dict[str, Any] | None:
    """The verify report once the checkpoints are all on the topic."""
    report: dict[str, Any] = product.get("/v1/ledger/verify", placements="false").json()
    checkpoints = report["checkpoints"]
    return report if checkpoints["on_topic"] and not checkpoints["unpublished"] else None


def test_forged_keys_signed_checkpoints_and_a_rotation(kafka: KafkaForTests, tmp_path: Path) -> None:
    settings = {"secret_key": OLD, "checkpoint_interval_s": "1"}
    with rollwatch_process(kafka.bootstrap, tmp_path / "product", **settings) as product:
        topics = Topics(product.namespace)
        # Forged records: ignored, counted, and the key they mint opens nothing.
        forged = produce_forged_keys(kafka.bootstrap, topics.access_keys)
        unsigned = 'rollwatch_key_records_ignored_total{reason="unsigned"}'
        _until(lambda: product.metric(unsigned) >= 1, "the unsigned record counted", product)
        assert product.metric('rollwatch_key_records_ignored_total{reason="unknown_secret"}') >= 1
        assert product.get("/v1/access-log", forged).status_code == 401
        assert product.get("/readyz").json()["checks"]["key_follower"] is True

        school = product.issue_key(kafka.bootstrap, "school", urns=(SCHOOL,))
        officer = product.issue_key(kafka.bootstrap, "la_officer", la_code="886")
        _post(
            product, school,
            enrolment(PUPIL, school_urn=SCHOOL, occurred_on=dt.date(2025, 9, 3)),
            suspension(PUPIL, school_urn=SCHOOL, occurred_on=dt.date(2025, 10, 1), sessions=60),
            suspension(PUPIL, school_urn=SCHOOL, occurred_on=dt.date(2026, 1, 12), sessions=31),
        )  # fmt: skip
        [alert] = _until(lambda: _suspension_alerts(product, officer), "the suspension_limit alert", product)
        assert len(alert["fingerprint"]) == 64  # keyed

        # Checkpoints: signed, published, and the database's agree with the topic's.
        report = _until(lambda: _verified(product), "checkpoints on the topic", product)
        assert report["ok"], report["first_break"]
        assert report["checkpoints"]["signed"] >= 1

        # The rotation: the new secret signs, the old one only verifies; the fingerprint key is the
        # one the old secret gave (`rollwatch secrets fingerprint-key` before the change).
        product.stop()
        product.env.update(
            ROLLWATCH_SECRET_KEY=NEW,
            ROLLWATCH_PREVIOUS_SECRET_KEYS=OLD,
            ROLLWATCH_FINGERPRINT_KEY=Settings(secret_key=OLD).fingerprint_secret.decode(),
        )
        product.start()
        same = (alert["alert_id"], alert["fingerprint"])
        # The old key works, and the alert is the one raised before.
        assert [(a["alert_id"], a["fingerprint"]) for a in _suspension_alerts(product, officer)] == [same]
        new_officer = product.issue_key(kafka.bootstrap, "la_officer", la_code="886")
        third = suspension(PUPIL, school_urn=SCHOOL, occurred_on=dt.date(2026, 3, 2), sessions=2)
        _post(product, school, third)
        folded = _until(
            lambda: [
                a for a in _suspension_alerts(product, new_officer) if third["event_id"] in a["evidence"]
            ],
            "the third suspension folded into the alert",
            product,
        )
        assert [(a["alert_id"], a["fingerprint"]) for a in folded] == [same]
        assert len(_suspension_alerts(product, new_officer)) == 1

        new_only = SecretKeys(NEW.encode())
        [newest_key] = [
            decode_record(m.value, new_only)
            for m in read_partition(kafka.connection, topics.access_keys, last=1)
        ]
        assert newest_key.verdict == "current"  # the new key's record: the new secret's
        new_id = secret_id(NEW.encode())
        _until(
            lambda: (published := read_published(kafka.connection, topics.ledger_checkpoints))
            and published[-1]["signature"].startswith(new_id + ":"),
            "a checkpoint signed with the new secret", product,
        )  # fmt: skip
        report = _until(lambda: _verified(product), "checkpoints on the topic", product)
        assert report["ok"], report["first_break"]

        # Old keys work until revoked.
        child.rollwatch_output("keys", "revoke", officer.split("_")[1], env=product.env, timeout=60)
        revoked = lambda: product.get("/v1/alerts", officer, purpose="test").status_code == 401  # noqa: E731
        _until(revoked, "the revocation", product)
        assert product.get("/v1/alerts", new_officer, purpose="test").status_code == 200
