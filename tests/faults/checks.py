"""What every fault mode checks at the end, and the figures it prints: every event answered 202 is
in the ledger exactly once (the ids of the stopped ledger, `tools.harness.ledger_probe`), every
hash chain verifies, and the alerts are those of a clean run."""

from __future__ import annotations

import os
import time
from concurrent.futures import Future
from typing import Any

from rollwatch.core.kafka_connection import KafkaConnection
from tests.faults.stream import Alert
from tests.support.allinone import RunningProduct
from tools.harness.lag import LagWatch, wait_caught_up

# How long one fault test may take (FAULTS_TIMEOUT_S): a guard, well above what a test takes on an
# idle 2-core machine; raise it on a loaded one.
TIMEOUT_S = float(os.environ.get("FAULTS_TIMEOUT_S", "900"))
# Kills of each process (FAULTS_KILLS): the five rounds. Each restart costs a start of the
# product (most of the suite's time), so fewer make the suite shorter.
KILLS = int(os.environ.get("FAULTS_KILLS", "5"))


def alerts_of(product: RunningProduct, key: str) -> list[dict[str, Any]]:
    """Every alert the product holds, as its API lists them (all pages)."""
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = product.get("/v1/alerts", key=key, per_page=500, page=page, purpose="test").json()
        found += answer["alerts"]
        if len(found) >= answer["total"] or not answer["alerts"]:
            return found
        page += 1


def wait_for_alerts(product: RunningProduct, key: str, count: int, timeout_s: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    found = alerts_of(product, key)
    while len(found) < count and time.monotonic() < deadline:
        time.sleep(1)
        found = alerts_of(product, key)
    return found


def same_alerts_as_a_clean_run(found: list[dict[str, Any]], clean: Future[frozenset[Alert]]) -> int:
    raised = [(a["rule"], a["fingerprint"]) for a in found]
    assert len(raised) == len(set(raised)), "an alert raised twice"
    expected = clean.result(timeout=300)
    missing, extra = expected - set(raised), set(raised) - expected
    assert not missing and not extra, f"{len(missing)} missing, {len(extra)} not in a clean run"
    return len(raised)


def verified(product: RunningProduct) -> dict[str, Any]:
    """The ledger verified once, placements too (never polled: it loads the process)."""
    report: dict[str, Any] = product.get("/v1/ledger/verify").json()
    assert report["ok"] is True, report["first_break"]
    return report


def exactly_once(ledger: dict[str, Any], accepted: set[str]) -> tuple[int, int]:
    """(lost, duplicated) of the accepted ids in a stopped product's ledger; both must be 0."""
    lost = len(accepted - set(ledger["ids"]))
    duplicated = len(ledger["duplicated"])
    assert lost == 0 and duplicated == 0, f"lost {lost}, duplicated {duplicated}"
    return lost, duplicated


def figures(mode: str, **values: object) -> None:
    print(
        f"\n[faults] {mode}: "
        + ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in values.items())
    )


def service_groups(namespace: str, alerts_app: str) -> dict[str, tuple[str, list[str]]]:
    """Each service's consumer group and the topics it reads: the tracker is a batch consumer of
    its own group (services/tracker/batch_consumer.py), the alert service a Faust app named after
    the components its process hosts."""
    return {
        "tracker": (f"{namespace}rollwatch-tracker", [f"{namespace}pupil-events"]),
        "alerts": (f"{namespace}{alerts_app}", [f"{namespace}pupil-moves"]),
    }


def watch_lag(kafka: KafkaConnection, groups: dict[str, tuple[str, list[str]]]) -> LagWatch:
    return LagWatch(kafka, groups).start()


def catch_up(kafka: KafkaConnection, groups: dict[str, tuple[str, list[str]]]) -> dict[str, float]:
    """Seconds each service took, after the feed, to commit everything (in turn: the alert
    service's wait includes the tracker's)."""
    return {
        name: round(wait_caught_up(kafka, group, topics, timeout_s=TIMEOUT_S), 1)
        for name, (group, topics) in groups.items()
    }
