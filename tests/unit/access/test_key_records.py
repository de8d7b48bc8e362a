"""Key records on the wire: signed with the current secret, accepted under a previous one during a
rotation, ignored (and counted, and logged by key id only) when unsigned, altered, signed by an
unknown secret, or an old record replayed after a revocation. API key hashes are keyed."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import orjson
import pytest
from kafka.consumer.fetcher import ConsumerRecord

from rollwatch.core.access.keyring import IGNORED, _take, decode_record, encode_record
from rollwatch.core.access.keys import KeyRecord, hash_key, keyed_hash, matches, new_key, plain_hash
from rollwatch.core.signing import SecretKeys

OLD, NEW = SecretKeys(b"old secret"), SecretKeys(b"new secret")
ROTATED = SecretKeys(b"new secret", (b"old secret",))


def _message(value: bytes, offset: int = 0, key: bytes = b"0123456789ab") -> Any:
    return ConsumerRecord("access-keys", 0, None, offset, 0, 0, key, value, [], None, len(key), len(value), 0)


def _ignored(reason: str) -> float:
    return IGNORED.labels(reason)._value.get()


def test_a_signed_record_decodes_and_any_change_to_it_is_refused() -> None:
    _, record = new_key("la_officer", secrets=NEW, la_code="886", name="Sam Patel")
    wire = encode_record(record, NEW)
    assert decode_record(wire, NEW).record == record
    document = orjson.loads(wire)
    document["role"] = "auditor"  # an officer's key made an auditor's
    document.pop("la_code")
    assert decode_record(orjson.dumps(document), NEW).verdict == "altered"
    assert decode_record(record.model_dump_json().encode(), NEW).verdict == "unsigned"
    assert decode_record(wire, SecretKeys(b"someone else's")).verdict == "unknown_secret"
    assert decode_record(b"not json", NEW).verdict is None


def test_records_signed_before_a_rotation_keep_working_and_new_ones_use_the_new_secret() -> None:
    token, record = new_key("auditor", secrets=OLD)
    decoded = decode_record(encode_record(record, OLD), ROTATED)
    assert decoded.verdict == "previous" and decoded.record == record
    assert matches(token, record, ROTATED)  # its hash was keyed under the old secret
    assert not matches(token, record, NEW)  # until the old secret is dropped
    fresh_token, fresh = new_key("auditor", secrets=ROTATED)
    assert decode_record(encode_record(fresh, ROTATED), NEW).verdict == "current"
    assert matches(fresh_token, fresh, NEW)


def test_the_stored_hash_is_keyed_and_adopting_an_old_plain_hash_gives_the_same() -> None:
    token, record = new_key("auditor", secrets=NEW)
    assert record.key_hash != plain_hash(token)
    assert record.key_hash == hash_key(token, NEW) == keyed_hash(plain_hash(token), NEW)
    assert hash_key(token, NEW) != hash_key(token, OLD)


def test_ignored_records_are_counted_and_logged_without_their_content(
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, record = new_key("la_officer", secrets=NEW, la_code="886", name="Sam Patel")
    records: dict[str, KeyRecord] = {}
    before = _ignored("unsigned")
    with caplog.at_level(logging.WARNING):
        _take(records, _message(record.model_dump_json().encode(), 7, record.key_id.encode()), NEW)
    assert records == {} and _ignored("unsigned") == before + 1
    [logged] = [r for r in caplog.records if r.getMessage() == "key record ignored"]
    assert (logged.reason, logged.key_id, logged.offset) == ("unsigned", record.key_id, 7)  # type: ignore[attr-defined]
    assert "Sam Patel" not in caplog.text


def test_a_revocation_is_final_an_old_active_record_replayed_is_ignored() -> None:
    _, record = new_key("auditor", secrets=NEW)
    revoked = record.model_copy(update={"revoked_at": dt.datetime.now(dt.UTC)})
    records: dict[str, KeyRecord] = {}
    before = _ignored("replayed")
    for offset, value in enumerate((record, revoked, record)):
        _take(records, _message(encode_record(value, NEW), offset), NEW)
    assert not records[record.key_id].active
    assert _ignored("replayed") == before + 1
