"""A clean ledger verifies; any row altered, removed, inserted or reordered with raw SQL, in the
ledger, a table derived from it, a sealed audit table or a signed checkpoint (or its copy on the
ledger-checkpoints topic), is named as the first break."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import orjson
import pytest
from clickhouse_connect.driver.client import Client
from kafka import KafkaProducer

from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.settings import Settings
from rollwatch.core.signing import SecretKeys
from rollwatch.core.topics import Topics, ensure_topics
from schemas import parse_event
from schemas.parse import canonical_bytes
from services.tracker import placement
from services.tracker.access_log import record_access
from services.tracker.checkpoint_topic import encode, read_published
from services.tracker.checkpoints import countersign, signed_after, write_checkpoint
from services.tracker.ledger_writer import LedgerWriter, Received
from services.tracker.merkle import EMPTY_ROOT
from services.tracker.verification import steps, verify
from services.tracker.verification_log import recent_verifications, verify_and_record
from services.tracker.view_copies import view_select
from tests.support.brokers import KafkaForTests
from tests.support.events import deletion, enrolment, retraction, suspension, upn_for
from tests.support.secrets import SECRETS

pytestmark = pytest.mark.clickhouse

PUPILS = [upn_for(801, 4000, 22, serial) for serial in range(5)]


def _write_as_the_tracker(pool: ClientPerThread, batches: list[list[dict[str, Any]]]) -> None:
    """Append each batch to the ledger and record each pupil's new placement, as the tracker does."""
    writer = LedgerWriter(pool)
    offset = 0
    placements: dict[str, dict[str, Any] | None] = {}
    for documents in batches:
        batch = []
        for document in documents:
            event = parse_event(document)
            batch.append(Received(event, canonical_bytes(event), 0, offset))
            offset += 1
        writer.write(batch)
        changed = {}
        for item in batch:
            after, _ = placement.apply(placements.get(item.event.upn), item.event, item.offset)
            placements[item.event.upn] = after
            changed[item.event.upn] = (item.offset, after)
        writer.record_placements(changed)


@pytest.fixture
def client(migrated_ledger_settings: Settings) -> Client:
    pool = ClientPerThread(migrated_ledger_settings)
    batches = []
    for round_ in range(3):  # three batches, so chains span inserts
        day = dt.date(2026, 1, 5) + dt.timedelta(days=round_)
        made = deletion if round_ == 1 else enrolment
        batches.append([made(upn, occurred_on=day) for upn in PUPILS])
    _write_as_the_tracker(pool, batches)
    now = dt.datetime.now(dt.UTC)
    auditor = KeyRecord(key_id="a" * 12, role="auditor", key_hash="0" * 64, created_at=now)
    for upn in PUPILS:
        record_access(pool, auditor, "pupil_history", upn, "checking the tamper tests", 3)
    return pool.get()


def _event_id(client: Client, upn: str, seq: int) -> str:
    rows = client.query(
        "SELECT toString(event_id) FROM movement_ledger WHERE upn = {u:String} AND chain_seq = {s:UInt32}",
        parameters={"u": upn, "s": seq},
    ).result_rows
    return str(rows[0][0])


def _mutate(client: Client, sql: str) -> None:
    client.command(sql, settings={"mutations_sync": 2})


_LEDGER_COLUMNS = (
    "event_id", "type", "upn", "school_urn", "occurred_on", "recorded_at", "ingested_at", "kafka_partition",
    "kafka_offset", "chain_seq", "prev_hash", "hash", "chain_version", "event",
)  # fmt: skip


def _insert_copy(client: Client, row_id: str, /, **replaced: str) -> None:
    """Insert a copy of a row with some columns replaced by SQL expressions (key columns cannot be
    changed by ALTER UPDATE, so a tamperer deletes and inserts instead)."""
    columns = ", ".join(_LEDGER_COLUMNS)
    values = ", ".join(replaced.get(column, column) for column in _LEDGER_COLUMNS)
    client.command(
        f"INSERT INTO movement_ledger ({columns}) SELECT {values} FROM movement_ledger "
        f"WHERE event_id = '{row_id}'"
    )


def test_a_clean_ledger_verifies(client: Client) -> None:
    report = verify(client, SECRETS)
    assert report.ok and report.first_break is None
    assert (report.rows, report.pupils) == (15, 5)
    assert report.derived == {"placements_compared": 5}
    assert report.sealed is not None and report.sealed["access_log"]["rows"] == 5
    checkpoint = write_checkpoint(client, SECRETS)
    assert checkpoint is not None and checkpoint.rows == 15
    assert write_checkpoint(client, SECRETS) is None  # nothing changed since
    assert verify(client, SECRETS).checkpoint_ok is True


def test_an_altered_row_is_the_first_break(client: Client) -> None:
    target = _event_id(client, PUPILS[2], 2)
    _mutate(
        client,
        'ALTER TABLE movement_ledger UPDATE event = replace(event, \'"sen_provision":"N"\', '
        f"'\"sen_provision\":\"E\"') WHERE event_id = '{target}'",
    )
    report = verify(client, SECRETS)
    assert not report.ok
    assert report.first_break is not None
    assert (report.first_break.upn, report.first_break.event_id) == (PUPILS[2], target)
    assert "altered" in report.first_break.problem


def test_a_row_removed_from_inside_a_chain_breaks_it(client: Client) -> None:
    removed = _event_id(client, PUPILS[1], 2)
    after = _event_id(client, PUPILS[1], 3)
    _mutate(client, f"ALTER TABLE movement_ledger DELETE WHERE event_id = '{removed}'")
    report = verify(client, SECRETS)
    assert report.first_break is not None
    assert (report.first_break.upn, report.first_break.event_id) == (PUPILS[1], after)


def test_removing_the_newest_rows_is_caught_by_the_checkpoint(client: Client) -> None:
    write_checkpoint(client, SECRETS)
    newest = _event_id(client, PUPILS[4], 3)
    _mutate(client, f"ALTER TABLE movement_ledger DELETE WHERE event_id = '{newest}'")
    report = verify(client, SECRETS)
    assert report.checkpoint_ok is False
    assert report.first_break is not None and report.first_break.upn == PUPILS[4]


@pytest.mark.parametrize(
    ("column", "new_value"),
    [
        ("school_urn", "'999999'"),
        ("type", "'pupil.suspended'"),
        ("occurred_on", "toDate32('2025-01-01')"),
        ("recorded_at", "recorded_at + INTERVAL 1 DAY"),
        ("event_id", "toUUID('00000000-0000-4000-8000-000000000001')"),
    ],
)
def test_a_typed_column_altered_without_its_event_is_named(
    client: Client, column: str, new_value: str
) -> None:
    """Moving a pupil's row to another school (or type, or date) changes what reports show while the
    hashed event text stays as it was: the typed columns are checked against that text."""
    target = _event_id(client, PUPILS[3], 2)
    if column in ("school_urn", "type"):
        _mutate(
            client, f"ALTER TABLE movement_ledger UPDATE {column} = {new_value} WHERE event_id = '{target}'"
        )
    else:  # a key column: deleted and inserted again with the new value
        original = client.query(
            f"SELECT toString({column}) FROM movement_ledger WHERE event_id = '{target}'"
        ).result_rows[0][0]
        _insert_copy(client, target, **{column: new_value})
        _mutate(
            client,
            f"ALTER TABLE movement_ledger DELETE WHERE event_id = '{target}' "
            f"AND toString({column}) = '{original}'",
        )
        if column == "event_id":
            target = "00000000-0000-4000-8000-000000000001"
    report = verify(client, SECRETS)
    assert report.first_break is not None
    assert (report.first_break.upn, report.first_break.event_id) == (PUPILS[3], target)
    assert report.first_break.problem == f"typed column {column} differs from the hashed event"


@pytest.mark.parametrize(
    ("column", "new_value"),
    [("ingested_at", "ingested_at - INTERVAL 1 DAY"), ("kafka_offset", "kafka_offset + 1000")],
)
def test_a_stamp_the_tracker_added_is_covered_by_the_hash(
    client: Client, column: str, new_value: str
) -> None:
    target = _event_id(client, PUPILS[0], 3)
    _mutate(client, f"ALTER TABLE movement_ledger UPDATE {column} = {new_value} WHERE event_id = '{target}'")
    report = verify(client, SECRETS)
    assert report.first_break is not None
    assert report.first_break.event_id == target
    assert "altered" in report.first_break.problem


def test_a_reordered_chain_is_named(client: Client) -> None:
    second, third = _event_id(client, PUPILS[2], 2), _event_id(client, PUPILS[2], 3)
    _mutate(client, f"ALTER TABLE movement_ledger UPDATE chain_seq = 3 WHERE event_id = '{second}'")
    _mutate(client, f"ALTER TABLE movement_ledger UPDATE chain_seq = 2 WHERE event_id = '{third}'")
    report = verify(client, SECRETS)
    assert report.first_break is not None
    assert (report.first_break.upn, report.first_break.event_id) == (PUPILS[2], third)
    assert "chain broken" in report.first_break.problem


def test_a_row_inserted_inside_a_chain_is_named(client: Client) -> None:
    copied = _event_id(client, PUPILS[1], 2)
    _insert_copy(client, copied, event_id="generateUUIDv4()")
    report = verify(client, SECRETS)
    assert report.first_break is not None
    assert report.first_break.upn == PUPILS[1]


def test_a_downgraded_chain_version_is_caught(client: Client) -> None:
    target = _event_id(client, PUPILS[4], 1)
    _mutate(client, f"ALTER TABLE movement_ledger UPDATE chain_version = 1 WHERE event_id = '{target}'")
    report = verify(client, SECRETS)
    assert report.first_break is not None and report.first_break.event_id == target


def test_an_altered_placement_is_named(client: Client) -> None:
    _mutate(
        client,
        "ALTER TABLE pupil_placements UPDATE placement = replace(placement, '\"schools_on_roll\":[', "
        f"'\"schools_on_roll\":[\"100099\",') WHERE upn = '{PUPILS[2]}'",
    )
    report = verify(client, SECRETS)
    assert report.first_break is not None
    assert (report.first_break.table, report.first_break.upn) == ("pupil_placements", PUPILS[2])
    assert "altered" in report.first_break.problem


def test_a_removed_identity_link_or_history_row_is_named(client: Client) -> None:
    permanent, temporary = upn_for(801, 4000, 22, 9), "X00180001701A"
    event = parse_event(enrolment(permanent, occurred_on=dt.date(2026, 2, 2)) | {"former_upn": temporary})
    client.command(
        "INSERT INTO pupil_identity_links (upn, former_upn, event_id, linked_at) VALUES "
        f"('{permanent}', '{temporary}', '{event.event_id}', now64(3))"
    )
    assert verify(client, SECRETS, derived=False).first_break is not None  # a link no ledger event makes
    _mutate(client, f"ALTER TABLE pupil_identity_links DELETE WHERE upn = '{permanent}'")
    assert verify(client, SECRETS, derived=False).ok
    # The copy histories are read from (migration 0019): a row altered, then removed, is named.
    _mutate(
        client, f"ALTER TABLE pupil_history_rows UPDATE type = 'pupil.enrolled' WHERE upn = '{PUPILS[2]}'"
    )
    altered = verify(client, SECRETS, derived=False).first_break
    assert altered is not None and (altered.table, altered.upn) == ("pupil_history_rows", PUPILS[2])
    assert altered.problem == "altered: a row differs from the ledger's"
    _mutate(client, f"ALTER TABLE pupil_history_rows DELETE WHERE upn = '{PUPILS[2]}' AND chain_seq = 1")
    removed = verify(client, SECRETS, derived=False).first_break
    assert removed is not None and removed.problem.startswith("missing:"), removed


_EVENTS, _ROLLS = "ledger_school_events", "school_pupil_rolls"
# A later move than any the ledger has, added to a roll: the merged latest move changes.
_LATER_MOVE = (
    f"INSERT INTO {_ROLLS} SELECT school_urn, upn, argMaxIfState('pupil.deleted', toUInt64(99), 1), "
    f"argMaxIfState('E', toUInt64(99), 1) FROM {_EVENTS} WHERE upn = '{{upn}}' GROUP BY school_urn, upn"
)


@pytest.mark.parametrize(
    ("sql", "table", "problem"),
    [
        (f"ALTER TABLE {_EVENTS} UPDATE ground = 'OTHER' WHERE upn = '{{upn}}'", _EVENTS, "altered"),
        (f"ALTER TABLE {_EVENTS} DELETE WHERE upn = '{{upn}}' AND ground != ''", _EVENTS, "missing"),
        (f"ALTER TABLE {_ROLLS} DELETE WHERE upn = '{{upn}}'", _ROLLS, "missing"),
        (_LATER_MOVE, _ROLLS, "altered"),
    ],
)
def test_an_altered_statistics_copy_is_named(client: Client, sql: str, table: str, problem: str) -> None:
    """The dashboards count from tables the views keep: a change there, not in the ledger, is named."""
    _mutate(client, sql.format(upn=PUPILS[3]))
    found = verify(client, SECRETS, derived=False).first_break
    assert found is not None and (found.table, found.upn) == (table, PUPILS[3]), found
    assert found.problem.startswith(problem), found


def test_a_removed_reference_is_named(client: Client, migrated_ledger_settings: Settings) -> None:
    first = client.query(
        f"SELECT event FROM movement_ledger WHERE upn = '{PUPILS[4]}' AND chain_seq = 1"
    ).result_rows[0][0]
    undo = parse_event(retraction(orjson.loads(first)))
    writer = LedgerWriter(ClientPerThread(migrated_ledger_settings))
    writer.write([Received(undo, canonical_bytes(undo), 0, 50)])
    assert verify(client, SECRETS, derived=False).ok
    _mutate(client, f"ALTER TABLE ledger_references DELETE WHERE event_id = '{undo.event_id}'")
    found = verify(client, SECRETS, derived=False).first_break
    assert found is not None and (found.table, found.upn) == ("ledger_references", PUPILS[4]), found


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("UPDATE purpose = 'nothing to see' WHERE subject = '{upn}'", "typed column purpose"),
        ("UPDATE sealed = replace(sealed, 'tamper', 'tamperx') WHERE subject = '{upn}'", "row altered"),
        ("DELETE WHERE subject = '{upn}'", "chain broken"),
    ],
)  # fmt: skip
def test_an_altered_or_removed_access_log_row_is_named(client: Client, sql: str, problem: str) -> None:
    _mutate(client, "ALTER TABLE access_log " + sql.format(upn=PUPILS[1]))
    report = verify(client, SECRETS)
    assert report.first_break is not None
    assert report.first_break.table == "access_log"
    assert report.first_break.problem.startswith(problem)


def test_removing_the_newest_access_log_rows_is_caught_by_the_checkpoint(client: Client) -> None:
    write_checkpoint(client, SECRETS)
    _mutate(client, f"ALTER TABLE access_log DELETE WHERE subject = '{PUPILS[4]}'")
    report = verify(client, SECRETS)
    assert report.first_break is not None
    assert (report.first_break.table, report.first_break.problem) == (
        "access_log",
        "a checkpointed head is gone or altered",
    )


@pytest.mark.timeout(900)
def test_a_clean_ledger_of_100k_rows_verifies(migrated_ledger_settings: Settings) -> None:
    pool = ClientPerThread(migrated_ledger_settings)
    pupils = [upn_for(801, 4000 + serial // 1000, 22, serial % 1000) for serial in range(20_000)]
    day = dt.date(2025, 9, 3)
    steps = [
        lambda upn: enrolment(upn, occurred_on=day),
        lambda upn: suspension(upn, occurred_on=day + dt.timedelta(days=30)),
        lambda upn: deletion(upn, occurred_on=day + dt.timedelta(days=60)),
        lambda upn: enrolment(upn, school_urn="100001", occurred_on=day + dt.timedelta(days=61)),
        lambda upn: suspension(upn, school_urn="100001", occurred_on=day + dt.timedelta(days=90)),
    ]
    batches = [
        [step(upn) for upn in pupils[first : first + 10_000]] for step in steps for first in (0, 10_000)
    ]
    _write_as_the_tracker(pool, batches)
    write_checkpoint(pool.get(), SECRETS)
    started = time.perf_counter()
    report = verify(pool.get(), SECRETS)
    elapsed = time.perf_counter() - started
    assert report.ok, report.first_break
    assert (report.rows, report.pupils) == (100_000, 20_000)
    assert report.derived == {"placements_compared": 20_000}
    print(f"verified {report.rows:,} rows in {elapsed:.1f} s")


# -- signed checkpoints -------------------------------------------------------------------------
def _checkpoint_break(client: Client, secrets: SecretKeys = SECRETS) -> str:
    report = verify(client, secrets)
    assert report.first_break is not None and report.first_break.table == "ledger_checkpoints", report
    assert report.checkpoint_ok is False
    return report.first_break.problem


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("ALTER TABLE ledger_checkpoints UPDATE rows = rows + 1 WHERE 1", "its signature does not match"),
        (
            "ALTER TABLE ledger_checkpoint_signatures UPDATE signature = concat(signature, '0') WHERE 1",
            "its signature does not match",
        ),
        (  # the sealed-log heads a checkpoint recorded are covered by its signature too
            "ALTER TABLE sealed_log_heads UPDATE hash = repeat('0', 64) WHERE 1",
            "the recorded sealed-log heads do not give its sealed_root",
        ),
    ],
)  # fmt: skip
def test_a_checkpoint_or_its_signature_altered_is_named(client: Client, sql: str, problem: str) -> None:
    checkpoint = write_checkpoint(client, SECRETS)
    assert checkpoint is not None and verify(client, SECRETS).ok
    _mutate(client, sql)
    assert _checkpoint_break(client).startswith(f"checkpoint {checkpoint.checkpoint_id}: {problem}")


def test_checkpoints_from_before_signing_are_counted_and_an_unsigned_latest_one_is_a_break(
    client: Client,
) -> None:
    client.command(
        "INSERT INTO ledger_checkpoints (checkpoint_id, created_at, rows, pupils, merkle_root) "
        f"VALUES (1, now64(3), 0, 0, '{EMPTY_ROOT}')"  # as the tracker wrote them: no heads yet
    )
    assert (
        _checkpoint_break(client) == "checkpoint 1: unsigned, after checkpoints were signed (or the latest)"
    )
    checkpoint = write_checkpoint(client, SECRETS)  # the latest is unsigned: a new one, signed
    assert checkpoint is not None and checkpoint.checkpoint_id == 2
    report = verify(client, SECRETS)
    assert report.ok, report.first_break
    assert report.checkpoints == {"count": 2, "signed": 1, "unsigned_before_signing": 1}


def test_after_a_rotation_old_checkpoints_verify_until_countersigned_then_the_old_secret_can_go(
    client: Client,
) -> None:
    old, new = SecretKeys(b"old secret"), SecretKeys(b"new secret")
    rotated = SecretKeys(b"new secret", (b"old secret",))
    write_checkpoint(client, old)
    assert verify(client, rotated).ok
    # The old secret dropped too soon: its signatures are as good as forged.
    assert "signed by a secret this process does not know" in _checkpoint_break(client, new)
    assert countersign(client, rotated) == 1  # what the tracker does at its next checkpoint
    assert countersign(client, rotated) == 0
    report = verify(client, new)
    assert report.ok, report.first_break
    assert report.checkpoints is not None and report.checkpoints["signed"] == 1


@pytest.mark.kafka
def test_the_checkpoints_are_compared_with_their_copy_on_the_topic(
    client: Client, kafka: KafkaForTests
) -> None:
    """The topic's copy catches what the database alone cannot: checkpoints removed, or rewritten
    and signed again by someone who holds the secret."""
    topics = Topics(f"tamper{uuid.uuid4().hex[:8]}.")
    ensure_topics(kafka.connection, topics, 1)
    topic = topics.ledger_checkpoints
    checkpoint = write_checkpoint(client, SECRETS)
    assert checkpoint is not None
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    for published, signature in signed_after(client, SECRETS, 0):
        key, value = encode(published, signature)
        producer.send(topic, key=key, value=value).get(timeout=30)
    producer.close()
    copy = read_published(kafka.connection, topic)
    report = verify(client, SECRETS, published=copy)
    assert report.ok, report.first_break
    assert report.checkpoints is not None and report.checkpoints["on_topic"] == 1
    # An insider with the secret removes the newest rows (from the ledger and from every copy the
    # views keep, which would name them otherwise) and checkpoints what is left, afresh.
    newest = "event_id IN (SELECT event_id FROM movement_ledger WHERE chain_seq = 3)"
    for table in ("pupil_history_rows", "ledger_school_events", "ledger_references"):
        _mutate(client, f"ALTER TABLE {table} DELETE WHERE {newest}")
    _mutate(client, "ALTER TABLE movement_ledger DELETE WHERE chain_seq = 3")
    _mutate(client, "TRUNCATE TABLE school_pupil_rolls")
    client.command(f"INSERT INTO school_pupil_rolls {view_select(client, 'school_pupil_rolls')}")
    for table in ("ledger_checkpoints", "ledger_checkpoint_heads", "ledger_checkpoint_signatures"):
        _mutate(client, f"ALTER TABLE {table} DELETE WHERE 1")
    removed = verify(client, SECRETS, derived=False, published=copy).first_break
    assert removed is not None and removed.problem == (
        f"checkpoint {checkpoint.checkpoint_id}: on the ledger-checkpoints topic but not in the database"
    )
    write_checkpoint(client, SECRETS)
    assert verify(client, SECRETS, derived=False).ok  # the database alone cannot tell
    with_copy = verify(client, SECRETS, derived=False, published=copy)
    assert with_copy.first_break is not None and with_copy.first_break.table == "ledger_checkpoints"
    assert with_copy.first_break.problem.startswith(
        f"checkpoint {checkpoint.checkpoint_id}: differs from its copy on the topic ("
    )
    assert "merkle_root" in with_copy.first_break.problem


# -- the record of verifications ------------------------------------------------------------
def test_verify_reports_each_step_and_every_verification_is_recorded_sealed(client: Client) -> None:
    seen: list[str] = []
    now = dt.datetime.now(dt.UTC)
    auditor = KeyRecord(
        key_id="b" * 12, role="auditor", key_hash="0" * 64, created_at=now, name="Ada Auditor"
    )
    report, recorded = verify_and_record(
        client, SECRETS, by=auditor, via="console", placements=False, progress=seen.append
    )
    assert report.ok and seen == steps(derived=False)
    [found] = recent_verifications(client)
    assert found == recorded
    assert (found.key_id, found.actor_name, found.via, found.ok, found.placements, found.rows) == (
        "b" * 12, "Ada Auditor", "console", True, False, 15
    )  # fmt: skip
    assert verify(client, SECRETS).ok  # the record is itself a sealed log
    # Rewriting who verified, or what they found, is named.
    _mutate(client, "ALTER TABLE ledger_verifications UPDATE actor_name = 'someone else' WHERE 1")
    broken = verify(client, SECRETS)
    assert broken.first_break is not None and broken.first_break.table == "ledger_verifications"
    assert broken.first_break.problem == "typed column actor_name differs from the sealed row"
