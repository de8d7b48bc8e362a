"""The ACL table (rollwatch/core/kafka_acls.py): who writes what, as the issue asks."""

from __future__ import annotations

from rollwatch.core.kafka_acls import ROLES, grants, topics_of
from rollwatch.core.topics import Topics

TOPICS = Topics("ns.")


def _writers(topic: str) -> set[str]:
    return {
        role for role, gs in grants(TOPICS).items() for g in gs if g.name == topic and "Write" in g.operations
    }


def test_only_the_admin_writes_keys_and_only_ingest_and_integrators_write_events() -> None:
    assert _writers(TOPICS.access_keys) == {"admin"}
    assert _writers(TOPICS.pupil_events) == {"ingest", "rollwatch", "integrator"}
    assert _writers(TOPICS.pupil_moves) == {"tracker", "rollwatch"}
    assert _writers(TOPICS.event_ids) == {"ingest", "rollwatch"}


def test_an_integrator_may_only_write_pupil_events() -> None:
    [grant] = grants(TOPICS)["integrator"]
    assert (grant.resource, grant.name, grant.operations, grant.prefix) == (
        "topic", TOPICS.pupil_events, ("Write",), False,
    )  # fmt: skip


def test_faust_groups_and_internal_topics_are_granted_by_the_app_id_prefix() -> None:
    # The tracker is a plain consumer group: its group only, and no topics of its own.
    tracker = {(g.resource, g.name, g.prefix) for g in grants(TOPICS)["tracker"]}
    assert ("group", "ns.rollwatch-tracker", False) in tracker
    assert not any(prefix for _, _, prefix in tracker)
    alerts = {(g.resource, g.name, g.prefix) for g in grants(TOPICS)["alerts"]}
    assert {("group", "ns.rollwatch-alerts", True), ("topic", "ns.rollwatch-alerts", True)} <= alerts
    # The all-in-one app id "ns.rollwatch-alerts-tracker" falls under the alerts prefix.
    assert ("group", "ns.rollwatch-alerts", True) in {
        (g.resource, g.name, g.prefix) for g in grants(TOPICS)["rollwatch"]
    }


def test_each_service_makes_sure_only_of_its_own_topics() -> None:
    assert topics_of(TOPICS, "ingest") == [TOPICS.pupil_events, TOPICS.event_ids, TOPICS.access_keys]
    assert set(topics_of(TOPICS, "rollwatch")) == set(TOPICS.partitions(1))
    assert set(topics_of(TOPICS, "admin")) == set(TOPICS.partitions(1))
    assert set(grants(TOPICS)) == set(ROLES)
