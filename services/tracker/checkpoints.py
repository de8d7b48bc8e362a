"""Checkpoints: the tracker periodically records the Merkle root over every pupil's chain head,
and the heads that changed since the previous checkpoint, with the head of every chain of the
sealed audit tables (rollwatch/core/sealed_log.py). Written only by the tracker."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clickhouse_connect.driver.client import Client

from rollwatch.core import sealed_log
from services.tracker.merkle import leaf, merkle_root
from services.tracker.tables import CHECKPOINT_HEADS, CHECKPOINTS, LEDGER, SEALED_HEADS


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


def recorded_sealed_heads(client: Client, table: str, checkpoint_id: int) -> dict[str, tuple[int, str]]:
    """Each chain of a sealed table as the checkpoints up to `checkpoint_id` last recorded it."""
    result = client.query(
        "SELECT chain_id, argMax(chain_seq, checkpoint_id), argMax(hash, checkpoint_id) "
        f"FROM {SEALED_HEADS} WHERE table_name = {{t:String}} AND checkpoint_id <= {{id:UInt64}} "
        "GROUP BY chain_id",
        parameters={"t": table, "id": checkpoint_id},
    )
    return {chain_id: (int(seq), digest) for chain_id, seq, digest in result.result_rows}


def _changed_sealed_heads(client: Client, previous: Checkpoint | None) -> list[list[object]]:
    changed: list[list[object]] = []
    for table in sealed_log.SEALED_TABLES:
        before = recorded_sealed_heads(client, table, previous.checkpoint_id) if previous else {}
        for chain_id, seq, digest in sealed_log.current_heads(client, table):
            if before.get(chain_id) != (seq, digest):
                changed.append([table, chain_id, seq, digest])
    return changed


def latest(client: Client) -> Checkpoint | None:
    found = recent(client, 1)
    return found[0] if found else None


def recent(client: Client, limit: int) -> list[Checkpoint]:
    """The latest `limit` checkpoints, newest first."""
    rows = client.query(
        f"SELECT checkpoint_id, created_at, rows, pupils, merkle_root FROM {CHECKPOINTS} "
        "ORDER BY checkpoint_id DESC LIMIT {limit:UInt32}",
        parameters={"limit": limit},
    ).result_rows
    return [Checkpoint(*row) for row in rows]


def write_checkpoint(client: Client) -> Checkpoint | None:
    """Record a checkpoint if the ledger changed since the last one; return it (or None)."""
    previous = latest(client)
    heads = current_heads(client)
    before = recorded_heads(client, previous.checkpoint_id) if previous else {}
    changed = [(upn, seq, digest) for upn, seq, digest in heads if before.get(upn) != (seq, digest)]
    sealed_changed = _changed_sealed_heads(client, previous)
    if previous is not None and not changed and not sealed_changed:
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
    if sealed_changed:
        client.insert(
            SEALED_HEADS,
            [[checkpoint.checkpoint_id, *head] for head in sealed_changed],
            column_names=["checkpoint_id", "table_name", "chain_id", "chain_seq", "hash"],
            settings={"insert_deduplication_token": token + ":sealed"},
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
