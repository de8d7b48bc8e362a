"""Every HTTP example in docs/integrators.md runs, as written, against the real product (the
direct-to-Kafka one needs a secured broker and an integrator principal:
tests/e2e/test_kafka_security.py runs it)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.allinone import RunningProduct, rollwatch_process
from tests.support.brokers import KafkaForTests
from tests.support.cli import ROOT

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]

GUIDE = ROOT / "docs" / "integrators.md"
BLOCK = re.compile(r"```(sh|python)\n(.*?)```", re.S)


@pytest.fixture
def product(kafka: KafkaForTests, tmp_path: Path) -> Iterator[RunningProduct]:
    with rollwatch_process(kafka.bootstrap, tmp_path / "product") as running:
        yield running


def test_every_http_example_in_the_guide_works(product: RunningProduct) -> None:
    examples = BLOCK.findall(GUIDE.read_text())
    assert [kind for kind, _ in examples] == ["sh", "sh", "python"]
    env = os.environ | {
        "ROLLWATCH_URL": product.url,
        "ROLLWATCH_KEY": product.create_key("--role", "school", "--urn", "100000"),
    }
    answers = []
    for _, code in examples[:2]:
        result = subprocess.run(["bash", "-c", code], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        answers.append(result.stdout)

    single, batch = json.loads(answers[0]), json.loads(answers[1])
    assert single["accepted"] == ["4f0b6c1e-2d3a-4b5c-9d8e-7f6a5b4c3d2e"]
    assert batch["accepted"] == ["9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"]
    [rejection] = batch["rejected"]
    assert rejection["index"] == 1
    assert {p["rule"] for p in rejection["problems"]} >= {"upn_check_letter"}

    # Both posted events reach the ledger.
    deadline = time.monotonic() + 30
    types: list[str] = []
    while time.monotonic() < deadline and "pupil.suspended" not in types:
        response = product.get("/v1/pupils/H801200001001/history", purpose="guide test")
        types = [e["type"] for e in response.json().get("events", [])] if response.status_code == 200 else []
        time.sleep(0.3)
    assert types == ["pupil.enrolled", "pupil.suspended"]
