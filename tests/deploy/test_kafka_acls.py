"""The Strimzi example's KafkaUser ACLs (deploy/helm/rollwatch/values-strimzi.yaml) are the ones
the product grants everywhere else (rollwatch/core/kafka_acls.py), role by role."""

from __future__ import annotations

from pathlib import Path

import yaml

from rollwatch.core.kafka_acls import ROLES, grants
from rollwatch.core.topics import Topics

VALUES = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "rollwatch" / "values-strimzi.yaml"


def test_the_strimzi_acls_are_the_products() -> None:
    acls = yaml.safe_load(VALUES.read_text())["strimzi"]["acls"]
    # `rollwatch` is the all-in-one process, which the chart does not deploy.
    assert set(acls) == set(ROLES) - {"rollwatch"}
    for role, role_acls in acls.items():
        expected = [
            {
                "type": g.resource,
                "name": g.name,
                "patternType": "prefix" if g.prefix else "literal",
                "operations": list(g.operations),
            }
            for g in grants(Topics())[role]
        ]
        assert role_acls == expected, role
