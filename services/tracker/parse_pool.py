"""Parsing the tracker's batches in a worker process, off the process that writes the ledger.

The tracker is bound by one core's worth of Python (the GIL): measured on the bench's 2 cores, its
process ran at ~100% of one core with the machine ~57% busy. Validating an event is its largest
piece of Python (the contract's checks are Python validators), and it needs nothing but the
bytes, so a large batch is validated here, in a process of its own, on the core the tracker
leaves idle. What comes back is each event's canonical bytes, or why it was refused; the tracker
rebuilds the event from its bytes (`schemas.rebuild`: ~9 us an event against ~26 us to validate
and serialise it; pickling the events instead cost the worker 24 us an event, and loading them
13 us).

A small batch (live school traffic) is parsed in the calling thread: a round trip to the worker
costs more than it saves. If the worker dies, the batch in hand is parsed in the calling thread
and a new worker is started for the next one: the pool changes where the work is done, never its
result."""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from schemas import Event, parse_event
from schemas.parse import canonical_bytes
from schemas.rebuild import rebuild

log = logging.getLogger(__name__)

# From this many messages on, a batch goes to the worker ...
POOL_MIN_BATCH = 500
# ... in pieces of this many, so that the events of one are rebuilt while the next is validated.
PIECE = 1_000

Parsed = tuple[Event, bytes] | Exception


def parse_values(values: Sequence[bytes | None]) -> list[Parsed]:
    """Each message value as (event, canonical bytes), or the exception that refused it."""
    out: list[Parsed] = []
    for value in values:
        try:
            event = parse_event(value)
            out.append((event, canonical_bytes(event)))
        except Exception as exc:
            # Whatever one message does to the checks, it must not stop the stream.
            out.append(exc)
    return out


def _parse_in_worker(values: Sequence[bytes | None]) -> list[bytes | Exception]:
    return [_portable(item) if isinstance(item, Exception) else item[1] for item in parse_values(values)]


def _rebuilt(item: bytes | Exception) -> Parsed:
    return item if isinstance(item, Exception) else (rebuild(item), item)


def _portable(exc: Exception) -> Exception:
    """The exception itself if it survives the trip back, else its type and text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _worker_started(parent: int) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the worker, which stays quiet.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True, name="parent-watch").start()


def _exit_with(parent: int) -> None:
    # A parent killed outright (kill -9) cannot stop its workers: they leave when it is gone.
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


class BatchParser:
    """Parses batches in `processes` worker processes (0: always in the calling thread)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None

    def parse(self, values: Sequence[bytes | None]) -> list[Parsed]:
        """Blocking: the batch parsed, in the order given."""
        if self.processes == 0 or len(values) < POOL_MIN_BATCH:
            return parse_values(values)
        pool = self._started()
        chunks = [values[i : i + PIECE] for i in range(0, len(values), PIECE)]
        try:
            return [_rebuilt(item) for part in pool.map(_parse_in_worker, chunks) for item in part]
        except BrokenProcessPool:
            log.error("the tracker's parse worker died; this batch is parsed here, a new worker follows")
            self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            return parse_values(values)

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # Spawned, not forked: the tracker's process holds threads (Kafka, ClickHouse) that a
            # fork would copy mid-flight.
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_started,
                initargs=(os.getpid(),),
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
