import hashlib

from services.tracker.hash_chain import GENESIS, HeadCache, chain_hash
from services.tracker.merkle import EMPTY_ROOT, leaf, merkle_root


def test_chain_hash_is_sha256_of_previous_hash_newline_event() -> None:
    expected = hashlib.sha256(GENESIS.encode() + b"\n" + b'{"a":1}').hexdigest()
    assert chain_hash(GENESIS, b'{"a":1}') == expected
    assert chain_hash(expected, b'{"a":1}') != expected


def test_head_cache_is_bounded_and_keeps_the_recent() -> None:
    cache = HeadCache(capacity=2)
    cache.put("A", (1, "a"))
    cache.put("B", (1, "b"))
    assert cache.get("A") == (1, "a")  # A is now the most recent
    cache.put("C", (1, "c"))
    assert cache.get("B") is None
    assert cache.get("A") == (1, "a")


def test_merkle_root_depends_on_every_leaf_and_its_order() -> None:
    leaves = [leaf(f"U{i}", i, "h") for i in range(5)]
    root = merkle_root(leaves)
    assert merkle_root([]) == EMPTY_ROOT
    assert merkle_root(leaves[:1]) == leaves[0].hex()
    assert merkle_root([*leaves[:4], leaf("U4", 4, "x")]) != root
    assert merkle_root(list(reversed(leaves))) != root
