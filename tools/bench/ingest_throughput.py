"""Figure: ingest throughput, HTTP batches of 500 -> acknowledged by Kafka.

`rollwatch ingest` runs on a fresh namespace with a school key for every school of the workload;
the bench posts N events in batches of 500 over a few keep-alive connections and counts from the
first request sent to the last 202 received (every event must be accepted). The baseline, in the
same run, is a bare aiokafka producer (acks=all) sending the same keys and bytes in the same
groups of 500 with as many concurrent senders, waiting for each group's acks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import aiohttp
import orjson

from tools.bench.figure import Throughput
from tools.bench.harness import create_topics, new_namespace, publish_key
from tools.bench.kafka_io import produce_groups
from tools.bench.report import Result, Target
from tools.bench.session import Session
from tools.bench.stats import rate

BATCH = 500
CONNECTIONS = 4


class IngestThroughput(Throughput):
    name = "ingest_throughput"
    title = "Ingest throughput, HTTP batches of 500 -> Kafka acks"
    targets = (Target("min", 10_000), Target("min", 0.3, on="ratio"))
    baseline_name = "bare aiokafka producer"

    def run(self, session: Session) -> list[Result]:
        count = session.scale.ingest_events
        messages = list(session.workload.events(count))
        groups = [messages[i : i + BATCH] for i in range(0, len(messages), BATCH)]

        session.progress(f"ingest: baseline, a bare producer sending {len(messages):,} events ...")
        baseline_topics = create_topics(session.bootstrap, new_namespace("ingestbaseline"))
        bare = produce_groups(session.bootstrap, baseline_topics.pupil_events, groups, CONNECTIONS)
        baseline = rate(bare.count, bare.seconds)

        product, topics = session.product(self.name, ("ingest",))
        key = publish_key(
            session.bootstrap, topics, "school", urns=tuple(session.schools.urns), label="bench"
        )
        product.start()
        bodies = [_body(group) for group in groups]
        session.progress(f"ingest: posting {len(messages):,} events (baseline {baseline:,.0f} events/s) ...")
        accepted, seconds = asyncio.run(_post_all(product.url, key, bodies))
        product.stop()
        if accepted != len(messages):
            raise RuntimeError(f"ingest accepted {accepted} of {len(messages)} events")
        details = {
            "events": accepted,
            "batch": BATCH,
            "connections": CONNECTIONS,
            "ingest_seconds": round(seconds, 2),
            "baseline_seconds": round(bare.seconds, 2),
        }
        return [self.result(rate(accepted, seconds), baseline, details)]


async def _post_all(url: str, key: str, bodies: Sequence[bytes]) -> tuple[int, float]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    async def poster(http: aiohttp.ClientSession) -> int:
        accepted = 0
        while not queue.empty():
            body = queue.get_nowait()
            async with http.post(f"{url}/v1/events", data=body, headers=headers) as response:
                answer = await response.read()
                if response.status != 202:
                    raise RuntimeError(f"ingest answered {response.status}: {answer[:500]!r}")
                accepted += len(orjson.loads(answer)["accepted"])
        return accepted

    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        started = time.perf_counter()
        counts = await asyncio.gather(*(poster(http) for _ in range(CONNECTIONS)))
        return sum(counts), time.perf_counter() - started


def _body(group: Sequence[tuple[bytes, bytes]]) -> bytes:
    return orjson.dumps({"events": [orjson.Fragment(value) for _, value in group]})
