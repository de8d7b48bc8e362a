"""Fills an embedded ledger with the benchmark workload fast, for the query and memory figures:
`python -m tools.bench.fill_ledger --rows N` with the product's `ROLLWATCH_*` settings, in a
process of its own (chDB opens one folder per process), before the product starts on the folder.

The rows are what the tracker would have written for the same events: the same columns, each
pupil's hash chain by `services.tracker.hash_chain`, the identity links of temporary UPNs and a
final checkpoint, so `rollwatch verify` passes on the result. Every event is parsed by the
contract (`parse_event`) for its placement: each pupil's is what the tracker would have recorded
last (`placement.apply` over its events), one row per UPN, so the history read finds a placement
as it would in service; one pupil in every `--check-every` has its events checked to be in
canonical form. What it skips is the rest of the tracker's per-event work (`pupil-moves`, hashing
in the tracker's order of arrival).
Two worker processes make the rows; this one inserts them in large blocks.

Prints a JSON summary (rows, pupils, seconds) on stdout."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import orjson
from clickhouse_connect.driver.client import Client

from services.tracker import placement
from services.tracker.hash_chain import CHAIN_VERSION, GENESIS, chain_hash
from services.tracker.ledger_writer import COLUMNS, PLACEMENT_COLUMNS, placement_row
from services.tracker.tables import IDENTITY_LINKS, LEDGER, PLACEMENTS
from tools.bench.workload import Workload, bench_schools

PUPILS_PER_CHUNK = 10_000
PARTITIONS = 4

_workload: Workload | None = None


def _init(schools: int, seed: int) -> None:
    global _workload
    _workload = Workload(bench_schools(schools, seed), seed)


Block = tuple[bytes, bytes, list[list[Any]], int]


def make_rows(first_pupil: int, pupils: int, ingested_at: str, check_every: int) -> Block:
    """JSONEachRow blocks (ledger rows, identity links), the placement rows (`PLACEMENT_COLUMNS`)
    for a range of pupils, and the row count."""
    assert _workload is not None
    from schemas import canonical_bytes, parse_event

    rows: list[bytes] = []
    links: list[bytes] = []
    placements: list[list[Any]] = []
    now = dt.datetime.fromisoformat(ingested_at).replace(tzinfo=dt.UTC)
    for pupil in range(first_pupil, first_pupil + pupils):
        heads: dict[str, tuple[int, str]] = {}
        states: dict[str, dict[str, Any]] = {}
        for upn, canonical in _workload.pupil_events(pupil):
            event = orjson.loads(canonical)
            parsed = parse_event(canonical)
            if check_every and pupil % check_every == 0 and canonical_bytes(parsed) != canonical:
                raise AssertionError("the workload made an event that is not in canonical form")
            seq, prev = heads.get(upn, (0, GENESIS))
            partition = zlib.crc32(upn.encode()) % PARTITIONS
            offset = pupil * 64 + seq
            states[upn] = placement.apply(states.get(upn), parsed, offset)[0]
            digest = chain_hash(prev, canonical, f"{ingested_at}.000|{partition}|{offset}".encode())
            heads[upn] = (seq + 1, digest)
            rows.append(
                orjson.dumps(
                    {
                        "event_id": event["event_id"],
                        "type": event["type"],
                        "upn": upn,
                        "school_urn": event["school_urn"],
                        "occurred_on": event["occurred_on"],
                        "recorded_at": event["recorded_at"][:19].replace("T", " "),
                        "ingested_at": ingested_at,
                        "kafka_partition": partition,
                        "kafka_offset": offset,
                        "chain_seq": seq + 1,
                        "prev_hash": prev,
                        "hash": digest,
                        "chain_version": CHAIN_VERSION,
                        "event": canonical.decode(),
                    }
                )
            )
            former = event.get("former_upn")
            if former:
                links.append(
                    orjson.dumps(
                        {
                            "upn": upn,
                            "former_upn": former,
                            "event_id": event["event_id"],
                            "linked_at": ingested_at,
                        }
                    )
                )
        placements += [placement_row(upn, state["offset"], state, now) for upn, state in states.items()]
    return b"\n".join(rows), b"\n".join(links), placements, len(rows)


def _chunks(rows: int, average: float) -> Iterator[tuple[int, int]]:
    """Pupil ranges, enough for about `rows` rows at `average` rows per pupil."""
    pupils = max(1, round(rows / average * 1.01))  # a little over rather than under
    for first in range(0, pupils, PUPILS_PER_CHUNK):
        yield first, min(PUPILS_PER_CHUNK, pupils - first)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.fill_ledger", description=__doc__)
    parser.add_argument("--rows", type=int, required=True, help="about this many ledger rows")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--check-every", type=int, default=500, help="check every Nth pupil's events are in canonical form"
    )
    args = parser.parse_args(argv)

    from rollwatch.core.clickhouse import connect
    from rollwatch.core.migrate import migrate
    from rollwatch.core.settings import get_settings
    from services.tracker.checkpoints import write_checkpoint

    started = time.monotonic()
    settings = get_settings()
    client = connect(settings)
    migrate(client)
    workload = Workload(bench_schools(args.schools, args.seed), args.seed)
    sample = 2000
    average = sum(len(workload.pupil_events(p)) for p in range(sample)) / sample
    ingested_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    chunks = list(_chunks(args.rows, average))
    written = 0
    with ProcessPoolExecutor(args.workers, initializer=_init, initargs=(args.schools, args.seed)) as pool:
        # A few blocks in flight at most, so memory stays flat however many rows are asked for.
        pending: deque[Future[Block]] = deque()
        for index, (first, count) in enumerate(chunks):
            pending.append(pool.submit(make_rows, first, count, ingested_at, args.check_every))
            if len(pending) > args.workers + 1 or index == len(chunks) - 1:
                while pending and (len(pending) > args.workers + 1 or index == len(chunks) - 1):
                    written += _insert(client, *pending.popleft().result())
                    print(f"fill: {written:,} rows", file=sys.stderr, flush=True)
    pupils = sum(count for _, count in chunks)
    filled = time.monotonic()
    # Let background merges settle, as they would have on a ledger the tracker grew over time.
    _wait_for_merges(client)
    checkpoint = write_checkpoint(client, settings.secrets)
    parts = client.query(
        "SELECT count() FROM system.parts "
        "WHERE database = currentDatabase() AND table = {t:String} AND active",
        parameters={"t": LEDGER},
    ).result_rows[0][0]
    print(
        json.dumps(
            {
                "rows": written,
                "pupils": pupils,
                "fill_s": round(filled - started, 1),
                "settle_and_checkpoint_s": round(time.monotonic() - filled, 1),
                "parts": int(parts),
                "checkpoint_id": checkpoint.checkpoint_id if checkpoint else None,
            }
        )
    )
    return 0


def _insert(client: Client, block: bytes, links: bytes, placements: list[list[Any]], count: int) -> int:
    client.raw_insert(LEDGER, COLUMNS, insert_block=block, fmt="JSONEachRow")
    client.insert(PLACEMENTS, placements, column_names=PLACEMENT_COLUMNS)
    if links:
        client.raw_insert(
            IDENTITY_LINKS,
            ["upn", "former_upn", "event_id", "linked_at"],
            insert_block=links,
            fmt="JSONEachRow",
        )
    return count


def _wait_for_merges(client: Client, timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while time.monotonic() < deadline and quiet < 3:
        merging = client.query(
            "SELECT count() FROM system.merges WHERE database = currentDatabase()"
        ).result_rows[0][0]
        quiet = quiet + 1 if merging == 0 else 0
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
