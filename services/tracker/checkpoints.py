"""Checkpoints: the tracker periodically records the Merkle root over every pupil's chain head,
and the heads that changed since the previous checkpoint, with the head of every chain of the
sealed audit tables (rollwatch/core/sealed_log.py) and their own Merkle root (`sealed_root`).
Each checkpoint is signed (HMAC-SHA256 over its canonical JSON, under a key derived from
`ROLLWATCH_SECRET_KEY`; `ledger_checkpoint_signatures`), so someone who can write the database but
lacks the secret cannot make a checkpoint verify, and is published to the `ledger-checkpoints`
topic (`checkpoint_topic.py`) so a copy lives outside the database. Written only by the tracker."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from clickhouse_connect.driver.client import Client

from rollwatch.core import sealed_log
from rollwatch.core.signing import GOOD, SecretKeys, Signer, Verdict, canonical
from services.tracker.merkle import leaf, merkle_root
from services.tracker.tables import (
    CHECKPOINT_HEADS,
    CHECKPOINT_SIGNATURES,
    CHECKPOINTS,
    LEDGER,
    SEALED_HEADS,
)

_COLUMNS = ["checkpoint_id", "created_at", "rows", "pupils", "merkle_root", "sealed_root"]
# The best of a checkpoint's signatures decides: one good signature is enough (an extra row, such
# as a signature of a checkpoint whose write a crash cut short, changes nothing).
_RANK: tuple[Verdict, ...] = ("current", "previous", "altered", "unknown_secret", "unsigned")


@dataclass(frozen=True)
class Checkpoint:
    checkpoint_id: int
    created_at: dt.datetime
    rows: int
    pupils: int
    merkle_root: str
    sealed_root: str = ""  # empty on checkpoints from before signing

    def document(self) -> dict[str, Any]:
        """What the signature covers and what the topic's copy holds (datetimes to the ms)."""
        document: dict[str, Any] = sealed_log.plain(asdict(self))
        return document

    def payload(self) -> bytes:
        return canonical(self.document())


def checkpoint_signer(secrets: SecretKeys) -> Signer:
    return secrets.signer("checkpoint")


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


def sealed_root(heads: dict[str, dict[str, tuple[int, str]]]) -> str:
    """The Merkle root over every sealed chain's head (table, then chain, in order)."""
    return merkle_root(
        leaf(f"{table}/{chain_id}", seq, digest)
        for table in sorted(heads)
        for chain_id, (seq, digest) in sorted(heads[table].items())
    )


def recorded_sealed_root(client: Client, checkpoint_id: int) -> str:
    return sealed_root(
        {table: recorded_sealed_heads(client, table, checkpoint_id) for table in sealed_log.SEALED_TABLES}
    )


def _sealed_heads_now(
    client: Client, previous: Checkpoint | None
) -> tuple[dict[str, dict[str, tuple[int, str]]], list[list[object]]]:
    """Every sealed chain's head as the new checkpoint records it, and the rows to add for those
    that changed since the previous checkpoint."""
    heads: dict[str, dict[str, tuple[int, str]]] = {}
    changed: list[list[object]] = []
    for table in sealed_log.SEALED_TABLES:
        before = recorded_sealed_heads(client, table, previous.checkpoint_id) if previous else {}
        heads[table] = dict(before)
        for chain_id, seq, digest in sealed_log.current_heads(client, table):
            if before.get(chain_id) != (seq, digest):
                changed.append([table, chain_id, seq, digest])
                heads[table][chain_id] = (seq, digest)
    return heads, changed


def latest(client: Client) -> Checkpoint | None:
    found = recent(client, 1)
    return found[0] if found else None


def recent(client: Client, limit: int) -> list[Checkpoint]:
    """The latest `limit` checkpoints, newest first."""
    rows = client.query(
        f"SELECT {', '.join(_COLUMNS)} FROM {CHECKPOINTS} ORDER BY checkpoint_id DESC LIMIT {{limit:UInt32}}",
        parameters={"limit": limit},
    ).result_rows
    return [Checkpoint(*row) for row in rows]


def every_checkpoint(
    client: Client, *, unsigned_by: str | None = None, after_id: int = 0
) -> list[Checkpoint]:
    """Every checkpoint after `after_id`, in order; with `unsigned_by`, only those that secret has
    not signed."""
    where = "WHERE checkpoint_id > {after:UInt64}"
    if unsigned_by:
        where += (
            f" AND checkpoint_id NOT IN (SELECT checkpoint_id FROM {CHECKPOINT_SIGNATURES} "
            "WHERE secret_id = {secret:String})"
        )
    rows = client.query(
        f"SELECT {', '.join(_COLUMNS)} FROM {CHECKPOINTS} {where} ORDER BY checkpoint_id",
        parameters={"after": after_id, "secret": unsigned_by or ""},
    ).result_rows
    return [Checkpoint(*row) for row in rows]


def signed_after(client: Client, secrets: SecretKeys, after_id: int) -> list[tuple[Checkpoint, str]]:
    """The checkpoints after `after_id` that carry a good signature, each with it (the current
    secret's where there is one): what the tracker publishes."""
    signer = checkpoint_signer(secrets)
    found = every_checkpoint(client, after_id=after_id)
    signed = signatures(client, [c.checkpoint_id for c in found]) if found else {}
    good = []
    for checkpoint in found:
        payload = checkpoint.payload()
        ranked = sorted(
            (_RANK.index(signer.check(payload, s)), s) for s in signed.get(checkpoint.checkpoint_id, [])
        )
        if ranked and _RANK[ranked[0][0]] in GOOD:
            good.append((checkpoint, ranked[0][1]))
    return good


def signatures(client: Client, checkpoint_ids: list[int] | None = None) -> dict[int, list[str]]:
    """Every signature of every checkpoint (or of those given), by checkpoint id."""
    query = f"SELECT checkpoint_id, signature FROM {CHECKPOINT_SIGNATURES}"
    if checkpoint_ids is not None:
        query += " WHERE checkpoint_id IN {ids:Array(UInt64)}"
    parameters = {"ids": checkpoint_ids} if checkpoint_ids is not None else None
    rows = client.query(query, parameters=parameters).result_rows
    found: dict[int, list[str]] = {}
    for found_id, signature in rows:
        found.setdefault(int(found_id), []).append(signature)
    return found


def verdict(checkpoint: Checkpoint, signed: list[str], signer: Signer) -> Verdict:
    """The best verdict of the checkpoint's signatures."""
    payload = checkpoint.payload()
    verdicts = {signer.check(payload, signature) for signature in signed} or {"unsigned"}
    return min(verdicts, key=_RANK.index)


def _sign(client: Client, checkpoint: Checkpoint, signer: Signer) -> None:
    signature = signer.sign(checkpoint.payload())
    client.insert(
        CHECKPOINT_SIGNATURES,
        [[checkpoint.checkpoint_id, signer.current_id, signature, dt.datetime.now(dt.UTC)]],
        column_names=["checkpoint_id", "secret_id", "signature", "signed_at"],
        settings={"insert_deduplication_token": f"checkpoint-signature-{signature}"},
    )


def _now_to_the_millisecond() -> dt.datetime:
    """What DateTime64(3) keeps: the signed time is the stored one."""
    now = dt.datetime.now(dt.UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def write_checkpoint(client: Client, secrets: SecretKeys) -> Checkpoint | None:
    """Record a signed checkpoint if the ledger or an audit chain changed since the last one, or the
    last one has no good signature (one from before signing); return it (or None)."""
    signer = checkpoint_signer(secrets)
    previous = latest(client)
    heads = current_heads(client)
    before = recorded_heads(client, previous.checkpoint_id) if previous else {}
    changed = [(upn, seq, digest) for upn, seq, digest in heads if before.get(upn) != (seq, digest)]
    sealed_heads, sealed_changed = _sealed_heads_now(client, previous)
    if previous is not None and not changed and not sealed_changed:
        previous_signed = signatures(client, [previous.checkpoint_id]).get(previous.checkpoint_id, [])
        if verdict(previous, previous_signed, signer) in GOOD:
            return None
    checkpoint = Checkpoint(
        checkpoint_id=(previous.checkpoint_id + 1) if previous else 1,
        created_at=_now_to_the_millisecond(),
        rows=sum(seq for _, seq, _ in heads),
        pupils=len(heads),
        merkle_root=merkle_root(leaf(*head) for head in heads),
        sealed_root=sealed_root(sealed_heads),
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
    # The signature before the row it signs: a write cut short leaves an unused signature, never
    # an unsigned checkpoint.
    _sign(client, checkpoint, signer)
    client.insert(
        CHECKPOINTS,
        [[getattr(checkpoint, name) for name in _COLUMNS]],
        column_names=_COLUMNS,
        settings={"insert_deduplication_token": token},
    )
    return checkpoint


def countersign(client: Client, secrets: SecretKeys) -> int:
    """After a rotation: sign with the current secret every checkpoint that only a previous secret
    signed (and whose signature checks out), so the previous secret can be retired. Returns how
    many were signed."""
    signer = checkpoint_signer(secrets)
    waiting = every_checkpoint(client, unsigned_by=signer.current_id)
    signed = signatures(client, [c.checkpoint_id for c in waiting]) if waiting else {}
    count = 0
    for checkpoint in waiting:
        if verdict(checkpoint, signed.get(checkpoint.checkpoint_id, []), signer) == "previous":
            _sign(client, checkpoint, signer)
            count += 1
    return count
