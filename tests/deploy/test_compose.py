"""deploy/compose.yaml is a valid Compose file (the compose-spec JSON schema, vendored in
tests/fixtures/schemas: `docker compose config` needs the compose plugin, which is not here) and
starts in the right order: migrate, then the register import, then services that report healthy
only when /readyz answers, on writable volumes, with the routes file mounted and one Kafka version;
Kafka speaks only SASL/SCRAM over TLS with ACLs, each service as its own principal."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from rollwatch.core.kafka_acls import grants
from rollwatch.core.local_kafka import KAFKA_VERSION
from rollwatch.core.topics import Topics
from services.alerts.delivery.routes import load_routes
from tests.support.brokers import KAFKA_IMAGE

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
SCHEMA = ROOT / "tests" / "fixtures" / "schemas" / "compose-spec.json"
SERVICES = ("ingest", "tracker", "alerts")


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())  # merges the << anchors
    return loaded


def test_the_compose_file_is_valid_against_the_compose_spec() -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(_compose()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_services_wait_for_migrate_and_the_register_and_are_healthy_on_readyz() -> None:
    services = _compose()["services"]
    for name in SERVICES:
        service = services[name]
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert service["depends_on"]["schools-import"] == {"condition": "service_completed_successfully"}
        assert service["depends_on"]["kafka"] == {"condition": "service_healthy"}
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
        assert service["command"] == [name]
        assert service["environment"]["ROLLWATCH_DATA_DIR"] == "/var/lib/rollwatch"
        assert any(v.endswith(":/var/lib/rollwatch") for v in service["volumes"])
    assert services["migrate"]["command"] == ["migrate"] and services["migrate"]["restart"] == "no"
    imported = services["schools-import"]
    assert imported["command"][:2] == ["schools", "import"]
    assert imported["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_the_routes_file_is_mounted_and_the_example_loads() -> None:
    alerts = _compose()["services"]["alerts"]
    assert alerts["environment"]["ROLLWATCH_ALERT_ROUTES_FILE"] == "/etc/rollwatch/routes.json"
    assert any(v.endswith(":/etc/rollwatch:ro") for v in alerts["volumes"])
    assert load_routes(ROOT / "deploy" / "config" / "routes.json").las == {}


def test_one_kafka_version_everywhere() -> None:
    image = _compose()["services"]["kafka"]["image"]
    assert image == f"apache/kafka:{KAFKA_VERSION}" == KAFKA_IMAGE
    pom = (ROOT / "deploy" / "kafka" / "pom.xml").read_text()
    assert f"<kafka.version>{KAFKA_VERSION}</kafka.version>" in pom


def test_the_image_runs_as_a_user_that_owns_its_data_dir_and_leaves_chdb_out() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert re.search(r"^USER 10001", dockerfile, re.MULTILINE)
    assert "chown 10001:0 /var/lib/rollwatch" in dockerfile
    assert "ROLLWATCH_DATA_DIR=/var/lib/rollwatch" in dockerfile
    assert 'replace("clickhouse-connect[chdb]", "clickhouse-connect")' in dockerfile
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"clickhouse-connect[chdb]' in pyproject  # what the Dockerfile rewrites is still there


def test_kafka_has_no_plaintext_listener_and_refuses_what_no_acl_allows() -> None:
    kafka = _compose()["services"]["kafka"]["environment"]
    assert kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"] == "SASL_SSL:SASL_SSL,CONTROLLER:SSL"
    assert "PLAINTEXT" not in kafka["KAFKA_LISTENERS"]
    assert kafka["KAFKA_LISTENER_NAME_CONTROLLER_SSL_CLIENT_AUTH"] == "required"
    assert kafka["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    assert kafka["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert kafka["KAFKA_SUPER_USERS"] == "User:admin;User:broker"
    # The init job formats the storage with the same settings and a SCRAM credential per principal.
    init = _compose()["services"]["kafka-init"]
    assert {k: v for k, v in init["environment"].items() if not k.startswith("SCRAM_")} == kafka
    scram = {k.removeprefix("SCRAM_").lower() for k in init["environment"] if k.startswith("SCRAM_")}
    assert scram == {"admin", "ingest", "tracker", "alerts", "integrator", "broker"}
    assert (ROOT / "deploy" / "kafka" / "init.sh").exists()


def test_every_service_is_its_own_principal_over_sasl_ssl_after_the_acls_are_granted() -> None:
    services = _compose()["services"]
    for name in SERVICES:
        env = services[name]["environment"]
        assert env["ROLLWATCH_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert env["ROLLWATCH_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
        assert env["ROLLWATCH_KAFKA_USERNAME"] == name  # the role the ACLs name (kafka_acls.grants)
        assert f"KAFKA_{name.upper()}_PASSWORD" in env["ROLLWATCH_KAFKA_PASSWORD"]
        assert any(v.endswith(":/etc/kafka-ca:ro") for v in services[name]["volumes"])
        assert env["ROLLWATCH_KAFKA_CA_FILE"] == "/etc/kafka-ca/ca.pem"
        assert services[name]["depends_on"]["kafka-setup"] == {"condition": "service_completed_successfully"}
        assert name in grants(Topics())
    assert services["kafka-setup"]["command"] == ["kafka", "grant"]
    assert services["kafka-setup"]["environment"]["ROLLWATCH_KAFKA_USERNAME"] == "admin"
