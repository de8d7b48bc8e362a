"""Where simulated events go: a JSONL file, Kafka, or the HTTP API.

Each sink takes events one at a time as compact JSON bytes (in recorded_at order) and is closed
at the end; `close()` raises `SinkError` if anything was not delivered.
- `FileSink`: one event per line.
- `KafkaSink`: kafka-python, acks=all, key = UPN, to the namespaced `pupil-events` topic.
- `ApiSink`: `POST /v1/events` in batches of 500 with a bearer key per school. A school key writes
  only for its own URNs, so events are batched per key; every buffer is also sent when the
  simulated week changes, so that the API sees events in roughly the order they were recorded.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

import orjson

from rollwatch.core.kafka_connection import KafkaConnection

API_BATCH = 500


class SinkError(RuntimeError):
    pass


class Sink(Protocol):
    def send(self, line: bytes) -> None: ...
    def close(self) -> None: ...


class FileSink:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] = path.open("wb")

    def send(self, line: bytes) -> None:
        self._handle.write(line)
        self._handle.write(b"\n")

    def close(self) -> None:
        self._handle.close()


class KafkaSink:
    def __init__(self, kafka: KafkaConnection, topic: str) -> None:
        from kafka import KafkaProducer
        from kafka.errors import KafkaError

        self.topic = topic
        try:
            self._producer = KafkaProducer(
                **kafka.client_options(),
                acks="all",
                retries=10,
                linger_ms=20,
                batch_size=512 * 1024,
                max_in_flight_requests_per_connection=1,
            )
        except KafkaError as exc:
            raise SinkError(f"no Kafka broker at {kafka.bootstrap}: {exc}") from exc
        self._failures: list[str] = []
        self.sent = 0

    def send(self, line: bytes) -> None:
        event = orjson.loads(line)
        # Keyed as ingest keys it: the UPN; a school's roll check by the school's URN.
        key = event.get("upn") or event["school_urn"]
        future = self._producer.send(self.topic, key=key.encode(), value=line)
        future.add_errback(lambda exc: self._failures.append(str(exc)))
        self.sent += 1

    def close(self) -> None:
        self._producer.flush()
        self._producer.close()
        if self._failures:
            raise SinkError(f"{len(self._failures)} event(s) not acknowledged by Kafka: {self._failures[0]}")


def read_keys(path: Path) -> dict[str, str]:
    """A key file: a JSON object {urn: key} (a "*" entry serves every other URN), a JSON string,
    or a plain text file holding one key that owns every URN."""
    text = path.read_text(encoding="utf-8").strip()
    try:
        loaded: Any = json.loads(text)
    except json.JSONDecodeError:
        loaded = text
    if isinstance(loaded, str) and loaded:
        return {"*": loaded}
    if isinstance(loaded, dict) and loaded and all(isinstance(v, str) for v in loaded.values()):
        return {str(k): v for k, v in loaded.items()}
    raise ValueError(f"{path}: expected a JSON object of URN -> key, or a single key")


class ApiSink:
    def __init__(self, url: str, keys: Mapping[str, str], *, timeout: float = 60.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self._path = parts.path.rstrip("/")
        if not self._path.endswith("/v1/events"):
            self._path += "/v1/events"
        connection = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        self._connection = connection(parts.hostname, parts.port, timeout=timeout)
        self._keys = dict(keys)
        self._buffers: dict[str, list[bytes]] = {}
        self._week: str | None = None
        self.accepted = 0
        self.rejected: list[dict[str, Any]] = []

    def _key_for(self, urn: str) -> str:
        key = self._keys.get(urn) or self._keys.get("*")
        if key is None:
            raise SinkError(f'no API key for school {urn} in the key file (add it, or a "*" key)')
        return key

    def send(self, line: bytes) -> None:
        event = orjson.loads(line)
        year, week, _ = dt.date.fromisoformat(event["recorded_at"][:10]).isocalendar()
        week_key = f"{year}-{week:02d}"
        if self._week is not None and week_key != self._week:
            self.flush()
        self._week = week_key
        key = self._key_for(event["school_urn"])
        buffer = self._buffers.setdefault(key, [])
        buffer.append(line)
        if len(buffer) >= API_BATCH:
            self._post(key, buffer)
            buffer.clear()

    def flush(self) -> None:
        for key, buffer in self._buffers.items():
            if buffer:
                self._post(key, buffer)
                buffer.clear()

    def _post(self, key: str, lines: list[bytes]) -> None:
        body = b'{"events":[' + b",".join(lines) + b"]}"
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        for attempt in range(8):
            try:
                self._connection.request("POST", self._path, body=body, headers=headers)
                response = self._connection.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self._connection.close()
                if attempt == 7:
                    raise SinkError(f"POST {self._path} failed: {exc}") from exc
                time.sleep(min(30, 2**attempt))
                continue
            if response.status == 503:
                time.sleep(float(response.getheader("Retry-After") or 5))
                continue
            answer = orjson.loads(payload) if payload else {}
            if response.status in (202, 422):
                self.accepted += len(answer.get("accepted", []))
                self.rejected.extend(answer.get("rejected", []))
                return
            raise SinkError(f"POST {self._path} answered {response.status}: {payload[:500]!r}")
        raise SinkError(f"POST {self._path}: the broker stayed unavailable")

    def close(self) -> None:
        self.flush()
        self._connection.close()
        if self.rejected:
            first = self.rejected[0]
            raise SinkError(
                f"the API rejected {len(self.rejected)} event(s); first: {json.dumps(first)[:500]}"
            )
