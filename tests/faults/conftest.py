"""What the fault-injection tests share: the stream (tests/faults/stream.py, built once), the alerts a
clean run raises over it (judged once, in a process of its own while the first test runs)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor

import pytest

from tests.faults.stream import SEED, Alert, Stream, clean_alerts_of


@pytest.fixture(scope="session")
def stream() -> Stream:
    return Stream.build(SEED)


@pytest.fixture(scope="session")
def clean_alerts() -> Iterator[Future[frozenset[Alert]]]:
    """The clean run's alerts, computed beside the product (the pure rules over 100,001 events
    take some 10 s of one core, at a time a killed process restarts)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool.submit(clean_alerts_of, SEED)
