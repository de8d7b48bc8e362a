"""Automatic garbage collection is held back while any batch consumer runs, and only then."""

from __future__ import annotations

import gc
import weakref

from rollwatch.core import heap


def test_collection_is_off_while_any_holder_holds_it_and_on_again_after_the_last() -> None:
    assert gc.isenabled()
    heap.hold_collections()
    heap.hold_collections()  # two consumers in one process (a rebalance test, the demo)
    try:
        assert not gc.isenabled()
        heap.release_collections()
        assert not gc.isenabled()
    finally:
        heap.release_collections()
    assert gc.isenabled()


def test_a_scheduled_collection_frees_the_cycles_left_meanwhile() -> None:
    class Node:
        other: object = None

    heap.hold_collections()
    try:
        node = Node()
        node.other = node
        gone = weakref.ref(node)
        del node
        # Allocations far past the young generation's threshold: nothing collects automatically.
        kept = [Node() for _ in range(50_000)]
        assert gone() is not None
        del kept
        assert heap.scheduled_collection() >= 0
        assert gone() is None
    finally:
        heap.release_collections()
