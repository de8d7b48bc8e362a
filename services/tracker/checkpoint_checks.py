"""What verify checks of the checkpoints themselves: each one's signature, the latest one's
sealed-log root, and the database's checkpoints against their copy on the `ledger-checkpoints`
topic. Each check returns its first problem (checkpoint id and what is wrong) and a summary.

Signatures: every checkpoint from the first signed one on must carry a good signature (by the
current secret or a previous one), and so must the latest; unsigned checkpoints before the first
signed one were written before checkpoints were signed and are counted, not judged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clickhouse_connect.driver.client import Client

from rollwatch.core.signing import GOOD, SecretKeys, canonical
from services.tracker.checkpoints import (
    Checkpoint,
    checkpoint_signer,
    every_checkpoint,
    recorded_sealed_root,
    signatures,
    verdict,
)


@dataclass(frozen=True)
class CheckpointProblem:
    checkpoint_id: int
    problem: str


@dataclass(frozen=True)
class SignatureCheck:
    checkpoints: list[Checkpoint]  # every checkpoint, in order
    signed: set[int]  # the ids of those with a good signature
    problem: CheckpointProblem | None
    summary: dict[str, Any]


_VERDICT_PROBLEMS = {
    "altered": "its signature does not match its content: the row or its signature was altered",
    "unknown_secret": "signed by a secret this process does not know: forged, or signed with a secret "
    "missing from ROLLWATCH_SECRET_KEY and ROLLWATCH_PREVIOUS_SECRET_KEYS",
}


def check_signatures(client: Client, secrets: SecretKeys) -> SignatureCheck:
    """The first checkpoint badly signed, or unsigned after signing began (or the latest unsigned)."""
    signer = checkpoint_signer(secrets)
    checkpoints = every_checkpoint(client)
    found = signatures(client)
    problem: CheckpointProblem | None = None
    signed: set[int] = set()
    legacy = 0
    for checkpoint in checkpoints:
        result = verdict(checkpoint, found.get(checkpoint.checkpoint_id, []), signer)
        if result in GOOD:
            signed.add(checkpoint.checkpoint_id)
        elif result == "unsigned" and not signed and checkpoint is not checkpoints[-1]:
            legacy += 1
        elif problem is None:
            reason = _VERDICT_PROBLEMS.get(result, "unsigned, after checkpoints were signed (or the latest)")
            problem = CheckpointProblem(checkpoint.checkpoint_id, reason)
    summary = {"count": len(checkpoints), "signed": len(signed), "unsigned_before_signing": legacy}
    return SignatureCheck(checkpoints, signed, problem, summary)


def check_sealed_root(client: Client, checkpoint: Checkpoint) -> CheckpointProblem | None:
    """The sealed-log heads recorded up to the checkpoint still give the root it signed."""
    if (
        checkpoint.sealed_root
        and recorded_sealed_root(client, checkpoint.checkpoint_id) != checkpoint.sealed_root
    ):
        return CheckpointProblem(
            checkpoint.checkpoint_id, "the recorded sealed-log heads do not give its sealed_root"
        )
    return None


def compare_with_topic(
    check: SignatureCheck, published: list[dict[str, Any]], secrets: SecretKeys
) -> tuple[CheckpointProblem | None, dict[str, Any]]:
    """Each checkpoint on the topic must be in the database as published, and each signed one in the
    database up to the topic's newest must be on the topic. Signed ones newer than that are counted
    as `unpublished`: the tracker publishes them at its next interval."""
    signer = checkpoint_signer(secrets)
    in_database = {c.checkpoint_id: c.document() for c in check.checkpoints}
    problems: list[CheckpointProblem] = []
    for document in published:
        body = dict(document)
        signature = body.pop("signature", None)
        checkpoint_id = int(body.get("checkpoint_id", 0))
        stored = in_database.get(checkpoint_id)
        if not body:
            problems.append(
                CheckpointProblem(0, "a record on the ledger-checkpoints topic is not a checkpoint")
            )
        elif signer.check(canonical(body), signature) == "altered":
            problems.append(CheckpointProblem(checkpoint_id, "its copy on the topic is badly signed"))
        elif stored is None:
            problems.append(
                CheckpointProblem(checkpoint_id, "on the ledger-checkpoints topic but not in the database")
            )
        elif stored != body:
            differ = sorted(
                name for name in body.keys() | stored.keys() if body.get(name) != stored.get(name)
            )
            problems.append(
                CheckpointProblem(checkpoint_id, f"differs from its copy on the topic ({', '.join(differ)})")
            )
    on_topic = {int(d["checkpoint_id"]) for d in published if d}
    newest = max(on_topic, default=0)
    missing = sorted(i for i in check.signed - on_topic if i <= newest)
    problems += [
        CheckpointProblem(i, "signed in the database but missing from the topic") for i in missing[:1]
    ]
    summary = {"on_topic": len(on_topic), "unpublished": len([i for i in check.signed if i > newest])}
    return (problems[0] if problems else None), summary
