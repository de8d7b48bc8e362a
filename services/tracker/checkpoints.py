"""Checkpoints: the tracker periodically records the Merkle root over every pupil's chain head,
and the heads that changed since the previous checkpoint. Written only by the tracker."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clickhouse_connect.driver.client import Client

from services.tracker.merkle import leaf, merkle_root
from services.tracker.tables import CHECKPOINT_HEADS, CHECKPOINTS, LEDGER


@dataclass(frozen=True)
class Checkpoint:
    checkpoint_id: int
    created_at: dt.datetime
    rows: int
    pupils: int
    merkle_root: str


def current_heads(client: Client) -> list[tuple[str, int, str]]:
    result = client.query(
        f"SELECT upn, max(chain_seq) AS seq, argMax(hash, chain_seq) FROM {LEDGER} GROUP BY upn ORDER BY upn"
    )
    return [(upn, int(seq), digest) for upn, seq, digest in result.result_rows]


def recorded_heads(client: Client, checkpoint_id: int) -> dict[str, tuple[int, str]]:
    result = client.query(
        "SELECT upn, argMax(chain_seq, checkpoint_id), argMax(hash, checkpoint_id) "
        f"FROM {CHECKPOINT_HEADS} WHERE checkpoint_id <= {{id:UInt64}} GROUP BY upn",
        parameters={"id": checkpoint_id},
    )
    return {upn: (int(seq), digest) for upn, seq, digest in result.result_rows}


def latest(client: Client) -> Checkpoint | None:
    rows = client.query(
        f"SELECT checkpoint_id, created_at, rows, pupils, merkle_root FROM {CHECKPOINTS} "
        "ORDER BY checkpoint_id DESC LIMIT 1"
    ).result_rows
    return Checkpoint(*rows[0]) if rows else None


def write_checkpoint(client: Client) -> Checkpoint | None:
    """Record a checkpoint if the ledger changed since the last one; return it (or None)."""
    previous = latest(client)
    heads = current_heads(client)
    before = recorded_heads(client, previous.checkpoint_id) if previous else {}
    changed = [(upn, seq, digest) for upn, seq, digest in heads if before.get(upn) != (seq, digest)]
    if previous is not None and not changed:
        return None
    checkpoint = Checkpoint(
        checkpoint_id=(previous.checkpoint_id + 1) if previous else 1,
        created_at=dt.datetime.now(dt.UTC),
        rows=sum(seq for _, seq, _ in heads),
        pupils=len(heads),
        merkle_root=merkle_root(leaf(*head) for head in heads),
    )
    token = f"checkpoint-{checkpoint.checkpoint_id}-{checkpoint.merkle_root}"
    if changed:
        client.insert(
            CHECKPOINT_HEADS,
            [[checkpoint.checkpoint_id, upn, seq, digest] for upn, seq, digest in changed],
            column_names=["checkpoint_id", "upn", "chain_seq", "hash"],
            settings={"insert_deduplication_token": token + ":heads"},
        )
    client.insert(
        CHECKPOINTS,
        [
            [
                checkpoint.checkpoint_id,
                checkpoint.created_at,
                checkpoint.rows,
                checkpoint.pupils,
                checkpoint.merkle_root,
            ]
        ],
        column_names=["checkpoint_id", "created_at", "rows", "pupils", "merkle_root"],
        settings={"insert_deduplication_token": token},
    )
    return checkpoint
