"""Figure: tracker throughput, `pupil-events` -> committed ledger rows.

N valid events are produced to a fresh namespace's `pupil-events` first; then a bare aiokafka
consumer reads them all doing nothing, then a Faust agent set up like the old tracker's but doing
nothing reads them (the framework's floor), then the I/O floor (tools/bench/io_floor.py: the
tracker's consumer loop inserting the same rows into a fresh ledger with no validation, hashing
or placements; the baseline the figure is held to), then `rollwatch tracker` starts on a fresh
ledger and consumes them. Its rate is counted from the first committed row to the last, by
polling `rollwatch_tracker_rows_written_total` on its `/metrics`; the bare consumer's and the
Faust floor's rates are kept in the details and the note."""

from __future__ import annotations

import json
import time

import httpx

from tools.bench.figure import Throughput
from tools.bench.harness import Product
from tools.bench.kafka_io import consume_all, produce
from tools.bench.report import Result, Target
from tools.bench.session import Session
from tools.bench.stats import rate

ROWS_METRIC = "rollwatch_tracker_rows_written_total"
STALL_S = 180.0
# The floor's rate settles long before 2M events; reading more only makes the full run longer.
FLOOR_EVENTS = 300_000
NEAR_THE_END = 0.9


class TrackerThroughput(Throughput):
    name = "tracker_throughput"
    title = "Tracker throughput, topic -> ledger rows"
    targets = (Target("min", 20_000), Target("min", 0.5, on="ratio"))
    baseline_name = "I/O floor: same consumer + bare ledger insert"

    def run(self, session: Session) -> list[Result]:
        count = session.scale.tracker_events
        product, topics = session.product(self.name, ("tracker",))
        session.progress(f"tracker: producing {count:,} events to {topics.pupil_events} ...")
        started = time.perf_counter()
        produced = produce(session.bootstrap, topics.pupil_events, session.workload.events(count))
        produce_s = time.perf_counter() - started

        session.progress("tracker: a bare consumer reading the topic, doing nothing ...")
        bare = consume_all(session.bootstrap, topics.pupil_events, produced)
        if bare.count < produced:
            raise RuntimeError(f"the bare consumer read {bare.count} of {produced} messages")
        bare_rate = rate(bare.count, bare.seconds)

        session.progress("tracker: the stream framework's floor, a Faust agent doing nothing ...")
        floor_file = product.workdir / "faust-floor.json"
        floor_count = min(produced, FLOOR_EVENTS)
        product.python("tools.bench.faust_floor", topics.pupil_events, str(floor_count), str(floor_file))
        floor = json.loads(floor_file.read_text())
        floor_rate = rate(floor["events"], floor["seconds"])

        session.progress("tracker: the I/O floor, the same rows inserted bare into a fresh ledger ...")
        io_floor = _io_floor(session, product, produced)
        baseline = rate(int(io_floor["events"]), io_floor["seconds"])

        session.progress(
            f"tracker: starting rollwatch tracker (I/O floor {baseline:,.0f}, bare consumer "
            f"{bare_rate:,.0f}, Faust floor {floor_rate:,.0f} events/s) ..."
        )
        product.start()
        samples = _watch(product, produced, session)
        product.stop()
        (t_first, rows_first), (t_last, rows_last) = samples[0], samples[-1]
        if rows_last < produced:
            stalled = f"the tracker wrote {rows_last:,.0f} of {produced:,} rows, then stalled"
            raise RuntimeError(f"{stalled}:\n{product.log_tail()}")
        value = rate(int(rows_last - rows_first), t_last - t_first)
        details = {
            "events": produced,
            "rows_written": rows_last,
            "tracker_seconds": round(t_last - t_first, 2),
            "io_floor_events_per_s": round(baseline),
            "io_floor_seconds": round(io_floor["seconds"], 2),
            "bare_consumer_events_per_s": round(bare_rate),
            "tracker_over_bare_consumer": round(value / bare_rate, 4),
            "bare_consumer_seconds": round(bare.seconds, 2),
            "faust_floor_events_per_s": round(floor_rate),
            "tracker_over_faust_floor": round(value / floor_rate, 3),
            "produce_seconds": round(produce_s, 1),
        }
        note = (
            f"baseline: the tracker's consumer inserting the same rows bare (no validation, hashing, "
            f"placements); a bare consumer doing nothing reads {bare_rate:,.0f} events/s "
            f"(tracker = {value / bare_rate:.3f} of it), a Faust agent doing nothing "
            f"{floor_rate:,.0f} (tracker = {value / floor_rate:.2f} of it)"
        )
        return [self.result(value, baseline, details, note)]


def _io_floor(session: Session, product: Product, produced: int) -> dict[str, float]:
    """The I/O floor in a process of its own, on a fresh ledger folder beside the tracker's."""
    floor = Product(session.workdir / "tracker_io_floor", session.bootstrap, product.namespace, ("tracker",))
    out = floor.workdir / "io-floor.json"
    floor.python("tools.bench.io_floor", str(produced), str(out))
    result: dict[str, float] = json.loads(out.read_text())
    return result


def _watch(product: Product, expected: int, session: Session) -> list[tuple[float, float]]:
    """(time, rows written) from the first poll that saw rows to the one that saw them all."""
    samples: list[tuple[float, float]] = []
    last_change = time.monotonic()
    last_report = 0.0
    rows = 0.0
    with httpx.Client(timeout=10) as client:
        while rows < expected:
            try:
                rows_now = product.metric(client, ROWS_METRIC)
            except httpx.TimeoutException:
                # A process busy with a batch on a loaded machine answers late; the stall check
                # still catches one that never answers.
                rows_now = rows
            now = time.perf_counter()
            if rows_now > rows:
                last_change = time.monotonic()
            rows = rows_now
            if rows > 0:
                samples.append((now, rows))
            if time.monotonic() - last_change > STALL_S:
                break
            if time.monotonic() - last_report > 10:
                session.progress(f"tracker: {rows:,.0f} of {expected:,} rows written")
                last_report = time.monotonic()
            # Each poll costs the tracker a /metrics answer (~10 ms of its process's time, most
            # of it the process collector reading /proc): 10 a second would slow what is measured.
            # Polled often only near the end, where the last sample's lag would bias the rate.
            time.sleep(0.1 if rows >= NEAR_THE_END * expected else 0.5)
    if not samples:
        raise RuntimeError(f"the tracker wrote no row in {STALL_S:.0f}s:\n{product.log_tail()}")
    return samples
