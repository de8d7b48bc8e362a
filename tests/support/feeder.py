"""A school's system posting a long stream through `POST /v1/events`, in a thread: each batch is
sent until it is answered 202, as the integrators' guide asks (a 503 is retried after its
Retry-After, a request nobody answered, e.g. while the product is down, is sent again). It keeps
the ids answered 202 (the only ones the product promised to keep) and counts the refusals, so a
test can inject faults at any moment and then check that nothing accepted was lost."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx


@dataclass
class Feeder:
    url: str
    key: str
    batches: list[tuple[list[str], bytes]]
    accepted: set[str] = field(default_factory=set)
    sent_batches: int = 0
    unavailable: int = 0  # 503 answers (the broker did not acknowledge)
    unanswered: int = 0  # requests that got no answer (the product was down or killed mid-request)
    error: BaseException | None = None
    retry_after_seen: set[str] = field(default_factory=set)
    # Batches (by index) the feed stops before until `release`: a fault injected at that point then
    # meets the next request, however fast the feed was going.
    hold_before: frozenset[int] = frozenset()
    _thread: threading.Thread | None = None
    _open: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._open.set()

    def start(self) -> Feeder:
        self._thread = threading.Thread(target=self._run, name="feeder", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout_s: float) -> None:
        assert self._thread is not None
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise TimeoutError(f"the feed did not finish in {timeout_s:.0f}s ({self.sent_batches} batches)")
        if self.error is not None:
            raise self.error

    def release(self) -> None:
        self._open.set()

    @property
    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    def wait_for(self, batches: int, timeout_s: float) -> None:
        """Until `batches` batches were accepted (or the feed ended)."""
        deadline = time.monotonic() + timeout_s
        while self.sent_batches < batches and not self.done:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"only {self.sent_batches} of {batches} batches accepted in {timeout_s:.0f}s"
                )
            time.sleep(0.05)

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}", "content-type": "application/json"}
        try:
            with httpx.Client(timeout=60, headers=headers) as client:
                for index, (ids, body) in enumerate(self.batches):
                    if index in self.hold_before:
                        self._open.clear()
                    self._open.wait()
                    self._post(client, ids, body)
                    self.sent_batches += 1
        except BaseException as exc:  # reported by join()
            self.error = exc

    def _post(self, client: httpx.Client, ids: list[str], body: bytes) -> None:
        while True:
            try:
                response = client.post(f"{self.url}/v1/events", content=body)
            except httpx.TransportError:
                self.unanswered += 1
                time.sleep(0.2)
                continue
            if response.status_code == 202:
                answer = response.json()
                assert answer["rejected"] == [], answer["rejected"][:3]
                self.accepted.update(answer["accepted"])
                assert set(answer["accepted"]) == set(ids)
                return
            if response.status_code != 503:
                raise AssertionError(f"{response.status_code}: {response.text[:500]}")
            self.unavailable += 1
            self.retry_after_seen.add(response.headers.get("retry-after", ""))
            time.sleep(min(float(response.headers.get("retry-after", "1")), 1.0))
