"""Who may do what on a secured Kafka: the principals of a deployment and their ACLs, in one table.
The local broker and compose grant it (`rollwatch kafka start --sasl`, `rollwatch kafka grant`),
the Strimzi example spells it out per KafkaUser (deploy/helm/rollwatch/values-strimzi.yaml,
kept equal by tests/deploy/test_kafka_acls.py), and each service creates at start only the topics
it uses (`topics_of`).

Operation names are Kafka's (and Strimzi's). Read and Write imply Describe."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from rollwatch.core.kafka_connection import KafkaConnection
from rollwatch.core.topics import Topics

Role = Literal["admin", "ingest", "tracker", "alerts", "rollwatch", "integrator"]
ROLES: tuple[Role, ...] = ("admin", "ingest", "tracker", "alerts", "rollwatch", "integrator")
Operation = Literal["Read", "Write", "Create", "Describe"]


@dataclass(frozen=True)
class Grant:
    resource: Literal["topic", "group"]
    name: str
    operations: tuple[Operation, ...]
    prefix: bool = False  # a prefixed resource pattern: every name starting with `name`


def _faust_app(topics: Topics, app_id: str) -> tuple[Grant, ...]:
    # Faust's consumer group is its app id (rollwatch/core/streams.py) and it creates its table
    # changelogs and assignor topic as "<app id>-...". A prefix covers the all-in-one app id
    # ("rollwatch-alerts-tracker") for the union of the services' grants.
    name = f"{topics.namespace}{app_id}"
    return (
        Grant("topic", name, ("Read", "Write", "Create"), prefix=True),
        Grant("group", name, ("Read",), prefix=True),
    )


def _merge(grants: Iterable[Grant]) -> tuple[Grant, ...]:
    """One grant per resource, with the operations of every grant on it."""
    merged: dict[tuple[str, str, bool], list[Operation]] = {}
    for grant in grants:
        operations = merged.setdefault((grant.resource, grant.name, grant.prefix), [])
        operations += [op for op in grant.operations if op not in operations]
    return tuple(
        Grant(resource, name, tuple(ops), prefix)  # type: ignore[arg-type]
        for (resource, name, prefix), ops in merged.items()
    )


def grants(topics: Topics) -> dict[Role, tuple[Grant, ...]]:
    """Each role's grants. Only `admin` (the command line: `rollwatch keys`, topic creation) writes
    `access-keys`; only ingest (and integrators' own principals) write `pupil-events`."""
    keys = Grant("topic", topics.access_keys, ("Read",))
    ingest = (
        Grant("topic", topics.pupil_events, ("Write",)),
        # The ids accepted (services/ingest/id_log.py): written after each 202, read by every replica.
        Grant("topic", topics.event_ids, ("Read", "Write")),
        keys,
    )
    tracker = (
        Grant("topic", topics.pupil_events, ("Read",)),
        Grant("topic", topics.pupil_events_dlq, ("Write",)),
        Grant("topic", topics.pupil_moves, ("Write",)),
        # The signed checkpoints' copy outside the database: written, and read to catch up.
        Grant("topic", topics.ledger_checkpoints, ("Read", "Write")),
        keys,
        # The tracker is a plain consumer group (services/tracker/batch_consumer.py), no Faust app.
        Grant("group", f"{topics.namespace}rollwatch-tracker", ("Read",)),
    )
    alerts = (
        Grant("topic", topics.pupil_moves, ("Read",)),
        Grant("topic", topics.pupil_moves_dlq, ("Write",)),
        keys,
        *_faust_app(topics, "rollwatch-alerts"),
    )
    admin = (
        *(Grant("topic", name, ("Create", "Describe")) for name in topics.partitions(1)),
        Grant("topic", topics.access_keys, ("Read", "Write")),
        # `rollwatch verify` compares the database's checkpoints with their published copies.
        Grant("topic", topics.ledger_checkpoints, ("Read",)),
    )
    return {
        "admin": _merge(admin),
        "ingest": ingest,
        "tracker": tracker,
        "alerts": alerts,
        # `rollwatch run`: ingest, tracker and alerts in one process.
        "rollwatch": _merge((*ingest, *tracker, *alerts)),
        "integrator": (Grant("topic", topics.pupil_events, ("Write",)),),
    }


def topics_of(topics: Topics, role: Role) -> list[str]:
    """The product topics a role reads or writes: what its process makes sure exist at start."""
    return [g.name for g in grants(topics)[role] if g.resource == "topic" and not g.prefix]


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).upper()


def apply_grants(kafka: KafkaConnection, topics: Topics, principals: Mapping[str, Role] | None = None) -> int:
    """Create the ACLs (allow, from any host) of each user's role in `principals` (default: every
    role, for a user of the role's name); return how many. Creating an ACL that exists changes
    nothing. `kafka` must be allowed to alter the cluster's ACLs (a super user)."""
    from kafka.admin import (
        ACL,
        ACLOperation,
        ACLPermissionType,
        ACLResourcePatternType,
        KafkaAdminClient,
        ResourcePattern,
        ResourceType,
    )

    table = grants(topics)
    acls = [
        ACL(
            f"User:{user}",
            "*",
            ACLOperation[_snake(operation)],
            ACLPermissionType.ALLOW,
            ResourcePattern(
                ResourceType[grant.resource.upper()],
                grant.name,
                ACLResourcePatternType.PREFIXED if grant.prefix else ACLResourcePatternType.LITERAL,
            ),
        )
        for user, role in (principals or {role: role for role in ROLES}).items()
        for grant in table[role]
        for operation in grant.operations
    ]
    admin = KafkaAdminClient(**kafka.client_options())
    try:
        result = admin.create_acls(acls)
    finally:
        admin.close()
    if result["failed"]:
        raise RuntimeError(f"Kafka refused {len(result['failed'])} ACLs: {result['failed'][0]}")
    return len(acls)


def add_principal(kafka: KafkaConnection, topics: Topics, user: str, role: Role, password: str) -> None:
    """A SCRAM credential for `user` (new, or a new password) and the ACLs of `role`, through the
    admin API: how a direct-to-Kafka integrator gets a principal of its own after the start."""
    from kafka.admin import KafkaAdminClient, UserScramCredentialUpsertion

    admin = KafkaAdminClient(**kafka.client_options())
    try:
        errors = admin.alter_user_scram_credentials(
            [UserScramCredentialUpsertion(user, kafka.sasl_mechanism, password, iterations=8192)]
        )
    finally:
        admin.close()
    if errors.get(user):
        raise RuntimeError(f"Kafka refused the credential of {user}: {errors[user]}")
    apply_grants(kafka, topics, {user: role})
