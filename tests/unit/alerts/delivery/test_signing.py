from __future__ import annotations

import hashlib
import hmac

from services.alerts.delivery import signature, signed_content, verify_signature

SECRET = b"whsec-0123456789abcdef0123456789abcdef"
BODY = b'{"schema_version":1,"type":"rollwatch.alert"}'
TS = 1_767_225_600


def test_signed_content_is_timestamp_dot_raw_body() -> None:
    assert signed_content(TS, BODY) == b'1767225600.{"schema_version":1,"type":"rollwatch.alert"}'


def test_signature_is_hex_hmac_sha256_of_the_signed_content() -> None:
    expected = hmac.new(SECRET, b"1767225600." + BODY, hashlib.sha256).hexdigest()
    assert signature(SECRET, TS, BODY) == f"sha256={expected}"


def test_a_known_vector_never_changes() -> None:
    # receivers implement this by hand (`printf '1.{}' | openssl dgst -sha256 -hmac key`)
    assert (
        signature(b"key", 1, b"{}")
        == "sha256=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
    )


def test_verify_accepts_a_fresh_matching_signature() -> None:
    header = signature(SECRET, TS, BODY)
    assert verify_signature(SECRET, BODY, str(TS), header, now=TS + 10)


def test_verify_refuses_tampering_a_wrong_key_a_replay_and_junk() -> None:
    header = signature(SECRET, TS, BODY)
    assert not verify_signature(SECRET, BODY + b" ", str(TS), header, now=TS)
    assert not verify_signature(b"other-secret", BODY, str(TS), header, now=TS)
    assert not verify_signature(SECRET, BODY, str(TS + 1), header, now=TS)  # timestamp is signed
    assert not verify_signature(SECRET, BODY, str(TS), header, now=TS + 301)  # stale: a replay
    assert not verify_signature(SECRET, BODY, None, header, now=TS)
    assert not verify_signature(SECRET, BODY, "12.5", header, now=TS)
    assert not verify_signature(SECRET, BODY, str(TS), "sha256=zz", now=TS)
    assert not verify_signature(SECRET, BODY, str(TS), "sha256=é", now=TS)
