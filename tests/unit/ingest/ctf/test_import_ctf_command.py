"""`rollwatch import-ctf`, run as a user would (its own process): printing the events locally, and
posting the file to a running server (here the CTF route on a loopback port, Kafka replaced by
the recording publisher)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import uvicorn
from fastapi import FastAPI

from schemas import parse_event
from tests.support.cli import rollwatch
from tests.support.ctf import (
    CASTLEGATE_URN,
    HARBOURSIDE_URN,
    RECEIVED,
    SENT_TO_INDEPENDENT_OR_ABROAD,
    SENT_TO_SCHOOL,
    SENT_TO_UNKNOWN,
    Keys,
    RecordingPublisher,
    personal_strings,
)
from tests.support.ports import free_port

SENT_BY_HARBOURSIDE = ("--direction", "sent", "--school-urn", HARBOURSIDE_URN)


def test_out_prints_the_events_and_reports_on_stderr() -> None:
    done = rollwatch("import-ctf", str(SENT_TO_SCHOOL), *SENT_BY_HARBOURSIDE, "--out", "-")
    assert done.returncode == 1, done.stderr  # two pupils were skipped
    [line] = done.stdout.splitlines()
    event = parse_event(line)
    assert event.type == "pupil.deleted"
    assert event.upn == "A801200016003"
    report = json.loads(done.stderr)
    assert [c["event_id"] for c in report["created"]] == [str(event.event_id)]
    assert [s["index"] for s in report["skipped"]] == [1, 2]
    secrets = personal_strings(SENT_TO_SCHOOL)
    assert not [s for s in secrets if s in done.stdout or s in done.stderr]


def test_out_to_a_file_exits_0_when_every_pupil_is_an_event(tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    done = rollwatch(
        "import-ctf",
        str(RECEIVED),
        "--direction",
        "received",
        "--school-urn",
        CASTLEGATE_URN,
        "--occurred-on",
        "2025-01-13",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    events = [parse_event(line) for line in out.read_bytes().splitlines()]
    assert [e.type for e in events] == ["pupil.enrolled", "pupil.enrolled"]
    assert done.stdout == ""


def test_a_refused_file_says_why() -> None:
    done = rollwatch("import-ctf", str(SENT_TO_UNKNOWN), *SENT_BY_HARBOURSIDE, "--out", "-")
    assert done.returncode == 1
    assert "ground_required" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["--direction", "sent", "--school-urn", "12345", "--out", "-"],
        ["--direction", "sent", "--school-urn", HARBOURSIDE_URN, "--url", "http://127.0.0.1:9"],  # no key
        ["--direction", "sent", "--school-urn", HARBOURSIDE_URN],  # neither --out nor --url
        ["--direction", "sideways", "--school-urn", HARBOURSIDE_URN, "--out", "-"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert rollwatch("import-ctf", str(SENT_TO_SCHOOL), *args).returncode == 2


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="off"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def test_url_posts_the_file_to_the_server(server: str, keys: Keys, publisher: RecordingPublisher) -> None:
    done = rollwatch(
        "import-ctf",
        str(SENT_TO_INDEPENDENT_OR_ABROAD),
        "--direction",
        "sent",
        "--school-urn",
        HARBOURSIDE_URN,
        "--destination",
        "abroad",
        "--ground",
        "moved_away",
        "--url",
        server,
        api_key=keys.harbourside,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    answer = json.loads(done.stdout)
    [created] = answer["created"]
    [(_, value)] = publisher.sent
    event = orjson.loads(value)
    assert event["event_id"] == created["event_id"]
    assert event["data"]["destination"] == {"kind": "abroad"}


def test_url_prints_the_servers_refusal(server: str, keys: Keys, publisher: RecordingPublisher) -> None:
    done = rollwatch(
        "import-ctf",
        str(SENT_TO_SCHOOL),
        "--direction",
        "sent",
        "--school-urn",
        HARBOURSIDE_URN,
        "--url",
        server,
        "--key",
        keys.castlegate,  # not Harbourside's key
    )
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"] == "forbidden_urn"
    assert publisher.sent == []
