"""Figure: a national replay. `rollwatch simulate --england --scale F` writes a slice of a year of
England's events (F of its ~21,600 state schools, every LA; the slice's size is in the details)
into a fresh namespace's `pupil-events`; then `rollwatch run` starts on a fresh ledger with that
slice's schools register and drains it: the tracker writes every event to the ledger and the
alert service judges every `pupil-moves` record (event-time clocks, as a replay of history).

Measured from the first ledger row to the moment both are done (rows and dead letters account
for every event, and the alert service has judged every row), by polling `/metrics`. The value
is the time 25 million events (England's year) would take at that rate, in minutes; the
baseline, in the same run, is the same projection for a bare consumer reading the slice."""

from __future__ import annotations

import json
import time

import httpx

from tools.bench.harness import Product
from tools.bench.kafka_io import consume_all
from tools.bench.report import Result, Target
from tools.bench.session import Session
from tools.bench.stats import rate
from tools.bench.tracker_throughput import ROWS_METRIC
from tools.harness.product import metric_total
from tools.simulate.population import ENGLAND_SCHOOLS

ENGLAND_EVENTS = 25_000_000
# Every event ends as a row, a duplicate or a dead letter.
TRACKED_METRICS = (
    ROWS_METRIC,
    "rollwatch_tracker_duplicates_total",
    "rollwatch_tracker_dead_letters_total",
)
JUDGED_METRIC = "rollwatch_alert_judge_seconds_count"
STALL_S = 180.0


def projected_minutes(events_per_s: float) -> float:
    return ENGLAND_EVENTS / events_per_s / 60 if events_per_s > 0 else float("inf")


class NationalReplay:
    name = "national_replay"
    title = "National replay: tracker + alert service draining England (projected for 25M events)"
    targets = (Target("max", 30),)

    def run(self, session: Session) -> list[Result]:
        scale = session.scale.national_scale
        product, topics = session.bare_product(
            self.name, ("run", "--no-local-kafka"), alert_clock="event", alert_tick_seconds="1"
        )
        folder = product.workdir
        session.progress(f"national replay: simulating England at scale {scale} into Kafka ...")
        started = time.perf_counter()
        product.cli(
            "simulate",
            "--england",
            "--scale",
            str(scale),
            "--seed",
            str(session.seed),
            "--kafka",
            session.bootstrap,
            "--register",
            str(folder / "schools.csv"),
            "--ground-truth",
            str(folder / "truth.jsonl"),
            "--summary",
            str(folder / "summary.json"),
            "--quiet",
            timeout=3600,
        )
        simulate_s = time.perf_counter() - started
        summary = json.loads((folder / "summary.json").read_text())
        events = int(summary["events"])
        product.cli("schools", "import", str(folder / "schools.csv"))

        session.progress(f"national replay: a bare consumer reading the {events:,} events ...")
        bare = consume_all(session.bootstrap, topics.pupil_events, events)
        bare_rate = rate(bare.count, bare.seconds)

        session.progress("national replay: starting rollwatch run to drain them ...")
        product.start()
        drained = _drain(product, events, session)
        # With the alert service's tables on disk, its peak RSS no longer grows with the pupils.
        peak_rss_kib = product.memory_kib()["VmHWM"]
        product.stop()
        seconds = drained["done_at"] - drained["first_at"]
        value_rate = rate(events, seconds)
        tracker_s = max(drained["tracker_at"] - drained["first_at"], 1.0)  # polled once a second
        details = {
            "scale": scale,
            # Every LA gets at least one school, so a small --scale simulates more than its share.
            "share_of_england_schools": round(int(summary["schools"]) / ENGLAND_SCHOOLS, 4),
            "share_of_england_year": round(events / ENGLAND_EVENTS, 4),
            "events": events,
            "schools": summary["schools"],
            "pupils_at_start": summary.get("pupils_at_start"),
            "rows_written": drained["rows"],
            "duplicates_and_dead_letters": drained["tracked"] - drained["rows"],
            "judged": drained["judged"],
            "drain_seconds": round(seconds, 1),
            "events_per_s": round(value_rate),
            "tracker_seconds": round(tracker_s, 1),
            "tracker_projected_min": round(projected_minutes(rate(events, tracker_s)), 1),
            "bare_consumer_events_per_s": round(bare_rate),
            "peak_rss_kib": peak_rss_kib,
            "simulate_and_produce_seconds": round(simulate_s, 1),
        }
        note = (
            f"scale {scale} of England ({summary['schools']} schools, every LA): {events:,} events "
            f"drained at {value_rate:,.0f} events/s "
            f"(the tracker alone after {tracker_s:.0f} s); 25M events in "
            f"{projected_minutes(value_rate):.1f} min"
        )
        return [
            Result(
                name=self.name,
                title=self.title,
                unit="min",
                value=projected_minutes(value_rate),
                baseline_name="bare consumer, same slice",
                baseline=projected_minutes(bare_rate),
                targets=self.targets,
                details=details,
                note=note,
            )
        ]


def _drain(product: Product, events: int, session: Session) -> dict[str, float]:
    """Poll until every event is a row, a duplicate or a dead letter and every row is judged."""
    seen = {"rows": 0.0, "tracked": 0.0, "judged": 0.0}
    first_at = tracker_at = 0.0
    last_change = last_report = time.monotonic()
    with httpx.Client(timeout=10) as client:
        while True:
            try:
                text = client.get(f"{product.url}/metrics").text
                now_seen = {
                    "rows": metric_total(text, ROWS_METRIC),
                    "tracked": sum(metric_total(text, name) for name in TRACKED_METRICS),
                    "judged": metric_total(text, JUDGED_METRIC),
                }
            except httpx.TimeoutException:
                now_seen = seen  # busy with a batch on a loaded machine; the stall check still holds
            now = time.perf_counter()
            if now_seen != seen:
                last_change = time.monotonic()
            seen = now_seen
            if not first_at and seen["rows"] > 0:
                first_at = now
            tracked = seen["tracked"] >= events
            if tracked and not tracker_at:
                tracker_at = now
            if tracked and seen["judged"] >= seen["rows"]:
                return seen | {"first_at": first_at, "tracker_at": tracker_at, "done_at": now}
            if time.monotonic() - last_change > STALL_S:
                raise RuntimeError(f"national replay stalled at {seen}:\n{product.log_tail()}")
            if time.monotonic() - last_report > 10:
                session.progress(
                    f"national replay: {seen['rows']:,.0f} rows, {seen['judged']:,.0f} judged of {events:,}"
                )
                last_report = time.monotonic()
            time.sleep(1.0)  # /metrics costs the process some CPU: a drain lasts minutes
