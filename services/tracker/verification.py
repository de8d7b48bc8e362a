"""Recomputes the ledger's hash chains and checks them against the latest checkpoint; checks every
checkpoint's signature, and the checkpoints against their copy on the `ledger-checkpoints` topic
when given it (services/tracker/checkpoint_checks.py); checks every typed column a read uses
against the hashed event; recomputes the tables derived from the ledger
(services/tracker/derived_checks.py); and verifies the sealed audit tables, the access log and the
alert lifecycle (rollwatch/core/sealed_log.py). The first break names the table, the row and what
differs.

The chain check runs inside ClickHouse (SHA256 and a window over each pupil's rows), so a
10-million-row ledger is verified without moving it into Python."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from clickhouse_connect.driver.client import Client

from rollwatch.core import sealed_log
from rollwatch.core.signing import SecretKeys
from services.tracker import view_copies
from services.tracker.checkpoint_checks import check_sealed_root, check_signatures, compare_with_topic
from services.tracker.checkpoints import recorded_heads, recorded_sealed_heads
from services.tracker.derived_checks import check_identity_links, check_placements
from services.tracker.hash_chain import GENESIS
from services.tracker.merkle import leaf, merkle_root
from services.tracker.tables import CHECKPOINTS, LEDGER


@dataclass(frozen=True)
class Break:
    upn: str
    event_id: str | None
    chain_seq: int
    problem: str
    table: str = LEDGER
    chain_id: str | None = None  # for a sealed audit table: the chain (one per writing process)


@dataclass(frozen=True)
class Report:
    ok: bool
    rows: int
    pupils: int
    first_break: Break | None
    checkpoint_id: int | None
    checkpoint_ok: bool | None
    derived: dict[str, Any] | None = None  # what the derived-table check compared
    sealed: dict[str, Any] | None = None  # per sealed table: rows, unsealed rows, chains
    # count, signed, unsigned_before_signing; with the topic's copy, on_topic and unpublished
    checkpoints: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Each typed column (what reads filter and display on) beside the same value as the hashed event
# writes it: (column, the column as the event writes it, the event's field).
_TYPED_COLUMNS = (
    ("event_id", "toString(event_id)", "JSONExtractString(event, 'event_id')"),
    ("type", "type", "JSONExtractString(event, 'type')"),
    ("upn", "upn", "JSONExtractString(event, 'upn')"),
    ("school_urn", "school_urn", "JSONExtractString(event, 'school_urn')"),
    ("occurred_on", "toString(occurred_on)", "JSONExtractString(event, 'occurred_on')"),
    (
        "recorded_at",
        "recorded_at",
        "parseDateTime64BestEffort(JSONExtractString(event, 'recorded_at'), 3, 'UTC')",
    ),
)
_TYPED_CHECKS = "\n        ".join(
    f"{stored} != {field}, 'typed column {column} differs from the hashed event',"
    for column, stored, field in _TYPED_COLUMNS
)
# The first row, in pupil and chain order, whose hash is not its content's, whose typed columns
# differ from the event the hash covers, or whose chain is broken.
_CHAIN_BREAKS = f"""
SELECT upn, toString(event_id), chain_seq,
    multiIf(
        hash != lower(hex(SHA256(if(chain_version >= 2,
            concat(prev_hash, '\\n', event, '\\n', toString(ingested_at), '|', toString(kafka_partition), '|',
                   toString(kafka_offset)),
            concat(prev_hash, '\\n', event))))),
            'row altered: its hash does not match its content',
        {_TYPED_CHECKS}
        prev_hash != expected_prev, 'chain broken: prev_hash is not the hash of the row before',
        chain_seq != position, 'chain broken: a row is missing or repeated before this one',
        'ok') AS problem
FROM (
    SELECT upn, event_id, type, school_urn, occurred_on, recorded_at, ingested_at, kafka_partition,
        kafka_offset, chain_seq, prev_hash, hash, chain_version, event,
        lagInFrame(hash, 1, '{GENESIS}') OVER w AS expected_prev,
        row_number() OVER w AS position
    FROM {LEDGER}
    WINDOW w AS (PARTITION BY upn ORDER BY chain_seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
WHERE problem != 'ok'
ORDER BY upn, chain_seq
LIMIT 1
"""


CHAINS_STEP = "every pupil's hash chain and the typed columns"
CHECKPOINT_STEP = "the checkpoints' signatures, and the latest one's Merkle roots and heads"
TOPIC_STEP = "the checkpoints' copy on the ledger-checkpoints topic"
LINKS_STEP = "the identity links"
COPIES_STEP = "the tables materialised views copy from the ledger (histories, statistics, rolls)"
PLACEMENTS_STEP = "the placements, replayed pupil by pupil"


def sealed_step(table: str) -> str:
    return f"the sealed log {table}"


def steps(*, derived: bool = True, topic: bool = False) -> list[str]:
    """What `verify` checks, in order: the labels it hands its `progress` callback (with `topic`,
    reading the topic first, which the caller does: `checkpoint_topic.read_published`)."""
    return [
        *([TOPIC_STEP] if topic else []),
        CHAINS_STEP,
        CHECKPOINT_STEP,
        LINKS_STEP,
        COPIES_STEP,
        *([PLACEMENTS_STEP] if derived else []),
        *(sealed_step(table) for table in sealed_log.SEALED_TABLES),
    ]


def verify(
    client: Client,
    secrets: SecretKeys,
    *,
    derived: bool = True,
    published: list[dict[str, Any]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Every check; `derived=False` leaves out the replay of placements (a ledger filled without
    the tracker, such as the benchmark's, has none); `published`, the records of the
    `ledger-checkpoints` topic (`checkpoint_topic.read_published`), adds the comparison with them.
    `secrets` are the ones the checkpoints were signed with (the current and previous secrets).
    `progress` is told each step (`steps`) as it starts."""
    step = progress or (lambda _label: None)
    step(CHAINS_STEP)
    rows, pupils = client.query(f"SELECT count(), uniqExact(upn) FROM {LEDGER}").result_rows[0]
    found = client.query(_CHAIN_BREAKS).result_rows
    first_break = Break(found[0][0], found[0][1], int(found[0][2]), found[0][3]) if found else None
    step(CHECKPOINT_STEP)
    signed = check_signatures(client, secrets)
    checkpoint = signed.checkpoints[-1] if signed.checkpoints else None
    head_break: Break | None = None
    problems = [signed.problem]
    if checkpoint is not None:
        head_break = _check_heads(client, checkpoint.checkpoint_id, checkpoint.merkle_root)
        problems.append(check_sealed_root(client, checkpoint))
        if first_break is None:
            first_break = head_break
    checkpoints_summary = dict(signed.summary)
    if published is not None:
        topic_problem, topic_summary = compare_with_topic(signed, published, secrets)
        problems.append(topic_problem)
        checkpoints_summary |= topic_summary
    # Whether the checkpoints hold: the latest one's heads and roots, every signature, the topic.
    checkpoint_ok = None if checkpoint is None else head_break is None and not any(problems)
    for problem in problems:
        if first_break is None and problem is not None:
            first_break = Break(
                "", None, 0, f"checkpoint {problem.checkpoint_id}: {problem.problem}", table=CHECKPOINTS
            )
    derived_summary: dict[str, Any] = {}
    step(LINKS_STEP)
    links = check_identity_links(client)
    step(COPIES_STEP)
    copies = view_copies.check_event_copies(client) or view_copies.check_rolls(client)
    if derived:
        step(PLACEMENTS_STEP)
        derived_summary["placements_compared"], placements = check_placements(client)
    else:
        placements = None
    for found_break in (links, copies, placements):
        if first_break is None and found_break is not None:
            first_break = Break(found_break.upn, None, 0, found_break.problem, table=found_break.table)
    sealed: dict[str, Any] = {}
    for table in sealed_log.SEALED_TABLES:
        step(sealed_step(table))
        heads = recorded_sealed_heads(client, table, checkpoint.checkpoint_id) if checkpoint else {}
        report = sealed_log.verify_table(client, table, heads)
        sealed[table] = {"rows": report.rows, "unsealed_rows": report.unsealed_rows, "chains": report.chains}
        if first_break is None and report.first_break is not None:
            seal_break = report.first_break
            first_break = Break(
                "", None, seal_break.chain_seq, seal_break.problem, table=table, chain_id=seal_break.chain_id
            )
    return Report(
        ok=first_break is None,
        rows=int(rows),
        pupils=int(pupils),
        first_break=first_break,
        checkpoint_id=checkpoint.checkpoint_id if checkpoint else None,
        checkpoint_ok=checkpoint_ok,
        derived=derived_summary,
        sealed=sealed,
        checkpoints=checkpoints_summary,
    )


def _check_heads(client: Client, checkpoint_id: int, root: str) -> Break | None:
    """Every head a checkpoint recorded must still be in the ledger, and the recorded heads must
    still give the checkpoint's Merkle root."""
    heads = recorded_heads(client, checkpoint_id)
    if merkle_root(leaf(upn, seq, digest) for upn, (seq, digest) in sorted(heads.items())) != root:
        return Break("", None, 0, f"checkpoint {checkpoint_id}: recorded heads do not give its Merkle root")
    present = client.query(
        f"SELECT upn, chain_seq, hash FROM {LEDGER} "
        "WHERE (upn, chain_seq) IN (SELECT upn, argMax(chain_seq, checkpoint_id) "
        "FROM ledger_checkpoint_heads WHERE checkpoint_id <= {id:UInt64} GROUP BY upn)",
        parameters={"id": checkpoint_id},
    ).result_rows
    in_ledger = {(upn, int(seq)): digest for upn, seq, digest in present}
    for upn, (seq, digest) in sorted(heads.items()):
        if in_ledger.get((upn, seq)) != digest:
            return Break(
                upn, None, seq, f"checkpoint {checkpoint_id}: this pupil's recorded head is gone or altered"
            )
    return None
