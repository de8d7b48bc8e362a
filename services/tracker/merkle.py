"""A Merkle root over the pupils' chain heads at a checkpoint."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


def leaf(upn: str, chain_seq: int, head_hash: str) -> bytes:
    return hashlib.sha256(f"{upn}|{chain_seq}|{head_hash}".encode()).digest()


def merkle_root(leaves: Iterable[bytes]) -> str:
    """Leaves in UPN order; an odd node at any level is paired with itself."""
    level = list(leaves)
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0].hex()
