"""`rollwatch simulate` as a user runs it, and its sinks (no Kafka here: the lead's integration
test covers KafkaSink)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pytest

from rollwatch.app.cli import main
from schemas import parse_event
from tools.simulate.engine import generate_events
from tools.simulate.sinks import API_BATCH, ApiSink, SinkError, read_keys


def test_help_explains_the_outputs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    text = capsys.readouterr().out
    for words in ("--out FILE.jsonl", "--kafka", "--key-file", "ground truth", "simulated_now", "--england"):
        assert words in text


def test_writes_events_ground_truth_register_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "sim" / "events.jsonl"
    summary_path = tmp_path / "summary.json"
    code = main(
        [
            "simulate",
            "--schools",
            "8",
            "--seed",
            "3",
            "--out",
            str(out),
            "--quiet",
            "--summary",
            str(summary_path),
        ]
    )
    assert code == 0
    lines = out.read_bytes().splitlines()
    summary = json.loads(summary_path.read_text())
    assert summary["events"] == len(lines) > 1000
    assert (tmp_path / "sim" / "schools.csv").exists()
    truth = [json.loads(line) for line in (tmp_path / "sim" / "ground-truth.jsonl").read_text().splitlines()]
    assert truth and set(truth[0]) == {
        "rule",
        "fingerprint",
        "la_code",
        "school_urn",
        "upn",
        "key_event_id",
        "evidence",
        "as_of",
        "fires_on",
        "injected",
        "behaviour",
        "case_id",
    }
    ids = {orjson.loads(line)["event_id"] for line in lines}
    assert all(entry["key_event_id"] in ids for entry in truth if entry["key_event_id"])


def test_needs_an_output_and_refuses_future_events_for_live_sinks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--schools", "2"]) == 2
    keys = tmp_path / "key.txt"
    keys.write_text("secret-key\n")
    live = ["--api", "http://127.0.0.1:9", "--key-file", str(keys)]
    assert main(["simulate", "--schools", "2", "--start", "2099-09-01", *live]) == 2
    assert "future" in capsys.readouterr().err


def test_read_keys_accepts_one_key_or_a_map(tmp_path: Path) -> None:
    single = tmp_path / "single"
    single.write_text("abc\n")
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"100001": "k1", "*": "k0"}))
    assert read_keys(single) == {"*": "abc"}
    assert read_keys(mapping) == {"100001": "k1", "*": "k0"}
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(ValueError):
        read_keys(bad)


class _Ingest(BaseHTTPRequestHandler):
    batches: ClassVar[list[tuple[str, list[dict[str, Any]]]]] = []

    def do_POST(self) -> None:
        body = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.batches.append((self.headers["Authorization"], body["events"]))
        answer = orjson.dumps({"accepted": [e["event_id"] for e in body["events"]], "rejected": []})
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def ingest() -> Iterator[str]:
    _Ingest.batches = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ingest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_api_sink_batches_per_school_key(ingest: str) -> None:
    lines = generate_events(3000, seed=1, as_bytes=True)
    urns = sorted({orjson.loads(line)["school_urn"] for line in lines})
    keys = {urn: f"key-{urn}" for urn in urns[:3]} | {"*": "key-rest"}
    sink = ApiSink(ingest, keys)
    for line in lines:
        sink.send(line)
    sink.close()
    sent = [event for _, events in _Ingest.batches for event in events]
    assert sink.accepted == len(sent) == len(lines)
    assert sorted(e["event_id"] for e in sent) == sorted(orjson.loads(line)["event_id"] for line in lines)
    for authorization, events in _Ingest.batches:
        assert 1 <= len(events) <= API_BATCH
        wanted = {f"Bearer {keys.get(e['school_urn'], 'key-rest')}" for e in events}
        assert wanted == {authorization}


def test_api_sink_names_a_missing_key(ingest: str) -> None:
    sink = ApiSink(ingest, {"999999": "only-this"})
    with pytest.raises(SinkError, match="no API key"):
        sink.send(generate_events(1, as_bytes=True)[0])


def test_generate_events_gives_exactly_n_valid_events() -> None:
    events = generate_events(2500, seed=5)
    assert len(events) == 2500
    for event in events[::50]:
        parse_event(event)
