"""Figure: alert latency, ingest -> alert visible on the API, for an immediate rule.

The all-in-one product (`rollwatch run`) on a fresh namespace; for each sample one pupil with an
EHC plan is enrolled and then taken off roll for home education (`ehe_vulnerable` raises at
once), posted in one request; the clock runs from sending the request to the alert being listed
by `GET /v1/alerts` for the school's LA (polled every 10 ms). Samples go one after another, so
this is the latency of a quiet system, not of one under load. No baseline: the design gives an
absolute target."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import httpx

from schemas.identifiers import upn_check_letter
from tools.bench.harness import publish_key
from tools.bench.report import Result, Target
from tools.bench.session import Session
from tools.bench.stats import percentile


def _upn(serial: int) -> str:
    body = f"{886}{7000 + serial // 1000:04d}25{serial % 1000:03d}"
    return upn_check_letter(body) + body


def _pupil_events(upn: str, urn: str) -> list[dict[str, Any]]:
    pupil = {"date_of_birth": "2012-03-01", "year_group": 8, "sen_provision": "E"}
    joined, left = dt.date(2025, 9, 3), dt.date(2026, 3, 3)
    common = {"schema_version": 1, "upn": upn, "school_urn": urn, "pupil": pupil}
    return [
        common
        | {
            "event_id": str(uuid.uuid4()),
            "type": "pupil.enrolled",
            "occurred_on": joined.isoformat(),
            "recorded_at": f"{joined.isoformat()}T09:00:00+00:00",
            "data": {
                "enrolment_status": "single",
                "previous_school": None,
                "la_notified_on": joined.isoformat(),
            },
        },
        common
        | {
            "event_id": str(uuid.uuid4()),
            "type": "pupil.deleted",
            "occurred_on": left.isoformat(),
            "recorded_at": f"{left.isoformat()}T09:00:00+00:00",
            "data": {
                "ground": "home_education",
                "regulation": "2024",
                "destination": {"kind": "home_education"},
                "la_notified_on": left.isoformat(),
                "ctf_destination": None,
            },
        },
    ]


class AlertLatency:
    name = "alert_latency_p99"
    title = "Alert latency p99, ingest -> alert on the API (immediate rules)"
    targets = (Target("max", 1000.0),)

    def run(self, session: Session) -> list[Result]:
        samples = 40 if session.scale.ledger_rows <= 1_000_000 else 200
        school = session.schools.open[0]
        la_code = school.laestab[:3]
        product, topics = session.product(self.name, ("run", "--no-local-kafka"), tracker_batch_seconds="0.2")
        school_key = publish_key(session.bootstrap, topics, "school", urns=(school.urn,), label="bench")
        officer = publish_key(session.bootstrap, topics, "la_officer", la_code=la_code, label="bench")
        product.start()
        session.progress(f"alerts: {samples} alerts raised one after another ...")
        latencies: list[float] = []
        with httpx.Client(base_url=product.url, timeout=30) as client:
            for serial in range(samples):
                events = _pupil_events(_upn(serial), school.urn)
                started = time.perf_counter()
                posted = client.post(
                    "/v1/events", json={"events": events}, headers={"Authorization": f"Bearer {school_key}"}
                )
                if posted.status_code != 202 or posted.json()["rejected"]:
                    raise RuntimeError(f"alert latency: events refused: {posted.text[:500]}")
                key_event = events[1]["event_id"]
                while True:
                    listed = client.get(
                        "/v1/alerts",
                        params={"rule": "ehe_vulnerable", "per_page": 5, "purpose": "benchmark"},
                        headers={"Authorization": f"Bearer {officer}"},
                    ).json()["alerts"]
                    if any(a["key_event_id"] == key_event for a in listed):
                        break
                    if time.perf_counter() - started > 30:
                        raise RuntimeError(f"no alert within 30 s:\n{product.log_tail()}")
                    time.sleep(0.01)
                latencies.append((time.perf_counter() - started) * 1000)
        product.stop()
        return [
            Result(
                name=self.name,
                title=self.title,
                unit="ms",
                value=percentile(latencies, 99),
                targets=self.targets,
                details={
                    "samples": len(latencies),
                    "p50_ms": round(percentile(latencies, 50), 1),
                    "max_ms": round(max(latencies), 1),
                    "tracker_batch_seconds": 0.2,
                },
                note=f"p50 {percentile(latencies, 50):.0f} ms",
            )
        ]
