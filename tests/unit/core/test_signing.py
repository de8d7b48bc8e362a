"""Signatures and keyed digests: the current secret signs, previous secrets only verify, each
purpose has a key of its own, and a check tells unsigned, altered and unknown-secret apart."""

from __future__ import annotations

import datetime as dt

import pytest

from rollwatch.core.settings import Settings
from rollwatch.core.signing import SecretKeys, canonical

OLD, NEW = b"the old secret", b"the new secret"


def test_what_the_current_secret_signs_verifies_and_any_change_is_altered() -> None:
    signer = SecretKeys(NEW).signer("key-record")
    signature = signer.sign(b"payload")
    assert signer.check(b"payload", signature) == "current"
    assert signer.check(b"payloaD", signature) == "altered"
    assert signer.check(b"payload", signature[:-1] + ("0" if signature[-1] != "0" else "1")) == "altered"
    assert signer.check(b"payload", None) == "unsigned"
    assert signer.check(b"payload", "") == "unsigned"
    assert signer.check(b"payload", 42) == "unsigned"


def test_previous_secrets_only_verify_and_a_retired_one_is_unknown() -> None:
    old_signature = SecretKeys(OLD).signer("checkpoint").sign(b"payload")
    rotated = SecretKeys(NEW, (OLD,)).signer("checkpoint")
    assert rotated.check(b"payload", old_signature) == "previous"
    assert rotated.sign(b"payload").split(":")[0] == rotated.current_id != old_signature.split(":")[0]
    retired = SecretKeys(NEW).signer("checkpoint")
    assert retired.check(b"payload", old_signature) == "unknown_secret"


def test_each_purpose_has_a_key_of_its_own() -> None:
    secrets = SecretKeys(NEW)
    signature = secrets.signer("key-record").sign(b"payload")
    assert secrets.signer("checkpoint").check(b"payload", signature) == "altered"
    assert secrets.signer("api-key-hash").digest(b"x") != secrets.signer("key-record").digest(b"x")


def test_digests_match_under_every_secret_the_current_first() -> None:
    digests = SecretKeys(NEW, (OLD,)).signer("api-key-hash").digests(b"token hash")
    assert digests == (
        SecretKeys(NEW).signer("api-key-hash").digest(b"token hash"),
        SecretKeys(OLD).signer("api-key-hash").digest(b"token hash"),
    )


def test_the_signature_names_the_secret_without_revealing_it() -> None:
    signature = SecretKeys(NEW).signer("checkpoint").sign(b"payload")
    assert NEW.hex() not in signature and NEW.decode() not in signature
    assert len(signature.split(":")[0]) == 8


def test_canonical_json_sorts_keys_and_keeps_milliseconds() -> None:
    at = dt.datetime(2026, 3, 2, 10, 30, 0, 123456, tzinfo=dt.UTC)
    assert canonical({"b": 1, "a": at}) == b'{"a":"2026-03-02T10:30:00.123Z","b":1}'
    assert canonical({"a": at, "b": 1}) == canonical({"b": 1, "a": at.replace(microsecond=123999)})


def test_settings_take_previous_secrets_comma_separated_or_as_json() -> None:
    listed = Settings(previous_secret_keys="one, two", fingerprint_key="f")
    assert [s.get_secret_value() for s in listed.previous_secret_keys] == ["one", "two"]
    as_json = Settings(previous_secret_keys='["a,b"]', fingerprint_key="f")
    assert [s.get_secret_value() for s in as_json.previous_secret_keys] == ["a,b"]
    assert as_json.secrets.previous == (b"a,b",)


def test_a_rotation_without_a_fingerprint_key_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="ROLLWATCH_FINGERPRINT_KEY"):
        Settings(previous_secret_keys="old")


def test_the_fingerprint_key_outlives_a_rotation_when_set_to_what_the_old_secret_derived() -> None:
    before = Settings(secret_key="old")
    after = Settings(
        secret_key="new", previous_secret_keys="old", fingerprint_key=before.fingerprint_secret.decode()
    )
    assert after.fingerprint_secret == before.fingerprint_secret
    assert Settings(secret_key="new").fingerprint_secret != before.fingerprint_secret


def test_production_refuses_the_default_secret_among_the_previous_ones() -> None:
    with pytest.raises(ValueError, match="PREVIOUS_SECRET_KEYS holds the default"):
        Settings(
            environment="production", secret_key="x" * 40, previous_secret_keys="change-me",
            fingerprint_key="y" * 40, clickhouse_url="http://clickhouse:8123",
        )  # fmt: skip
